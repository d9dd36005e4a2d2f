"""What the surveys app records on a ticket: the invitation sent and the answer given (audit
rows of the ticket's timeline), the follow-up a bad answer raises, and the survey.responded
domain event. The surveys app owns its own rows; these are the ticket's."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .. import events
from ..models import AgentNotification, Customer, Message, Ticket, TicketEvent, Tier
from ._common import lock_ticket, record_event
from .messages import _publish_message
from .new_tickets import ticket_create
from .notifications import notify_agents

E = TicketEvent.Kind


@transaction.atomic
def ticket_record_survey_sent(*, ticket: Ticket, survey_kind: str, channel: str) -> TicketEvent:
    return record_event(ticket, E.SURVEY_SENT, after=survey_kind, channel=channel)


@transaction.atomic
def survey_response_publish(
    *,
    response_id: int,
    customer: Customer,
    ticket: Ticket | None,
    survey_kind: str,
    score: int,
    comment: str,
    changed: bool,
) -> None:
    """A customer's answer: on the ticket's timeline (and so in the customer panel), and the
    survey.responded event after the commit."""
    if ticket is not None:
        record_event(ticket, E.SURVEY_ANSWERED, after=score, survey=survey_kind, comment=comment)
    events.publish(
        events.SurveyResponded(
            ticket_id=ticket.pk if ticket is not None else None,
            response_id=response_id,
            customer_id=customer.pk,
            survey_kind=survey_kind,
            score=score,
            comment=comment,
            changed=changed,
        )
    )


def _system_note(ticket: Ticket, text: str) -> Message:
    """An internal note written by the desk itself (no author)."""
    message = Message.objects.create(
        ticket=ticket,
        direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.INTERNAL_NOTE,
        channel=ticket.channel,
        body_text=text,
        metadata={"automatic": "survey_follow_up"},
    )
    record_event(ticket, E.NOTE_ADDED, message_id=message.pk)
    _publish_message(message)
    return message


@transaction.atomic
def ticket_survey_follow_up(
    *,
    ticket: Ticket,
    leads: Iterable[AbstractBaseUser],
    note_text: str,
    subject: str = "",
    as_ticket: bool = False,
) -> Ticket:
    """An unhappy answer to follow up: a task note on the ticket, or a new ticket of the same
    customer (in the ticket's team when it is a first-contact one) holding that note; the team
    leads are notified on it. Returns the ticket that holds the follow-up."""
    ticket = lock_ticket(ticket)
    holder = ticket
    if as_ticket:
        team = ticket.team if ticket.team is not None and ticket.team.tier == Tier.N1 else None
        holder = ticket_create(
            customer=ticket.customer, subject=subject, channel=ticket.channel, team=team
        )
    _system_note(holder, note_text)
    notify_agents(
        recipients=leads, kind=AgentNotification.Kind.SURVEY_FOLLOW_UP, ticket=holder, actor=None
    )
    return holder
