"""What automation rules (the automation app) write into a ticket's trail: that a rule ran and
what it did, and the internal notes it adds. The rules themselves live in automation/; this
module knows nothing of them, as tickets/services/sla.py knows nothing of the SLA engine."""

from .. import events
from ..models import Message, Ticket, TicketEvent
from ._common import record_event, touch


def ticket_record_rule_run(
    *, ticket: Ticket | int, rule_id: int, rule_name: str, did: list[str]
) -> TicketEvent:
    """A rule ran on the ticket: `did` lists what it did, as shown ("set priority to urgent").
    Inside the caller's transaction."""
    return record_event(
        ticket, TicketEvent.Kind.RULE_RAN, after=did, rule_id=rule_id, rule_name=rule_name
    )


def ticket_record_routed(*, ticket: Ticket, by, reason: str = "") -> TicketEvent:
    """A dispatcher confirmed the team the ticket already is in: a team entry with the same
    team before and after, so that the ticket counts as routed. (A ticket born in the team a
    routing hook chose needs none: its "created" row names the rule.) Inside the caller's
    transaction."""
    name = ticket.team.name if ticket.team_id else None
    return record_event(ticket, TicketEvent.Kind.TEAM_CHANGED, by=by, before=name, after=name,
                        reason=reason)  # fmt: skip


def note_add_automatic(*, ticket: Ticket, body_text: str, rule_name: str) -> Message:
    """An internal note written by a rule (no agent wrote it: no author, no mentions).
    Inside the caller's transaction, the ticket locked by the caller."""
    message = Message.objects.create(
        ticket=ticket,
        direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.INTERNAL_NOTE,
        channel=ticket.channel,
        body_text=body_text,
        metadata={"automatic": "rule", "rule_name": rule_name},
    )
    touch(ticket)
    record_event(ticket, TicketEvent.Kind.NOTE_ADDED, message_id=message.pk, rule_name=rule_name)
    events.publish(
        events.MessageCreated(
            ticket_id=ticket.pk,
            message_id=message.pk,
            direction=message.direction,
            kind=message.kind,
            channel=message.channel,
        )
    )
    return message


def custom_event_publish(*, ticket: Ticket | int, rule_id: int, rule_name: str, key: str) -> None:
    """A rule's own event for outbound webhooks (`automation.custom`), after commit."""
    events.publish(
        events.CustomEvent(
            ticket_id=ticket.pk if isinstance(ticket, Ticket) else ticket,
            rule_id=rule_id,
            rule_name=rule_name,
            key=key,
        )
    )
