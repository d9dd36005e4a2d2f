"""The two things the SLA engine writes on tickets: the next due time and the start of the
warning time (for sorting and the "at risk" view), the warning/breach entries of the audit
trail (one at a time, or a timer's batch at once), and the notifications of an SLA escalation.
The engine lives in the `sla` app; this module knows nothing of it, so the core keeps no
dependency on its plug-ins."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .. import events
from ..models import AgentNotification, Ticket, TicketEvent
from ..rows import rows_update
from ._common import audit_row, record_event, user_label
from .notifications import notify_agents

E = TicketEvent.Kind
DOMAIN_EVENT = {E.SLA_WARNING: events.SLAWarned, E.SLA_BREACHED: events.SLABreached}
NOTIFICATION_KIND = {
    E.SLA_WARNING: AgentNotification.Kind.SLA_WARNING,
    E.SLA_BREACHED: AgentNotification.Kind.SLA_BREACHED,
}


def tickets_set_sla_due(
    *,
    due_at_by_ticket: Mapping[int, datetime | None],
    warn_at_by_ticket: Mapping[int, datetime | None] | None = None,
) -> int:
    """Store the earliest running SLA due time of tickets (None: nothing running) and, when
    given, when they become at risk (the earliest warning time of their running clocks), all in
    one UPDATE, leaving `updated_at` alone: a clock moving is not an update of the ticket. The
    caller passes the tickets whose times changed. Returns how many rows were written."""
    columns = {"sla_due_at": due_at_by_ticket, "sla_warn_at": warn_at_by_ticket or {}}
    # One UPDATE per set of columns given (usually one: a ticket's two times move together).
    rows: dict[tuple[str, ...], list[Ticket]] = {}
    for pk in {pk for values in columns.values() for pk in values}:
        given = tuple(column for column, values in columns.items() if pk in values)
        rows.setdefault(given, []).append(
            Ticket(pk=pk, **{column: columns[column][pk] for column in given})
        )
    return sum(rows_update(tickets, list(given)) for given, tickets in rows.items())


@transaction.atomic
def ticket_record_sla_event(
    *,
    ticket_id: int,
    kind: str,
    target: str,
    due_at: datetime,
    at: datetime | None = None,
    policy: str = "",
) -> TicketEvent:
    """An SLA warning or breach in the ticket's trail, at the moment it happened (`at`, default
    now: a breach found late is still placed at its due time), and the matching domain event."""
    if kind not in DOMAIN_EVENT:
        raise ValueError(f"Not an SLA event kind: {kind}")
    event = record_event(
        ticket_id, kind, at=at, target=target, due_at=due_at.isoformat(), policy=policy
    )
    events.publish(
        DOMAIN_EVENT[kind](
            ticket_id=ticket_id, target=target, due_at=due_at.isoformat(), event_id=event.pk
        )
    )
    return event


@dataclass(frozen=True, kw_only=True)
class SLARecord:
    """One warning or breach the SLA timer recorded, for its trail entry."""

    ticket_id: int
    target: str
    due_at: datetime
    at: datetime
    policy: str = ""


@transaction.atomic
def tickets_record_sla_events(*, kind: str, records: Sequence[SLARecord]) -> list[TicketEvent]:
    """The trail entries of many warnings or breaches at once (one INSERT), and one domain event
    each: what the timer writes after marking a batch of clocks. The caller holds the tickets'
    row locks (or knows that nothing else writes them)."""
    if kind not in DOMAIN_EVENT:
        raise ValueError(f"Not an SLA event kind: {kind}")
    rows = TicketEvent.objects.bulk_create(
        audit_row(
            record.ticket_id,
            kind,
            at=record.at,
            target=record.target,
            due_at=record.due_at.isoformat(),
            policy=record.policy,
        )
        for record in records
    )
    with events.outbox_deferred():  # one outbox INSERT for the batch (webhooks), not one each
        for row in rows:
            events.publish(
                DOMAIN_EVENT[kind](
                    ticket_id=row.ticket_id,
                    target=row.data["target"],
                    due_at=row.data["due_at"],
                    event_id=row.pk,
                )
            )
    return rows


@transaction.atomic
def ticket_notify_sla(
    *,
    ticket: Ticket,
    kind: str,
    recipients: Iterable[AbstractBaseUser],
    sla_event: TicketEvent | None = None,
) -> list[AgentNotification]:
    """An SLA escalation step: tell these agents (in the app, pushed live) that the ticket's
    SLA is about to be missed or was missed, and write who was told on the warning or breach
    entry of the trail (`sla_event`), so the timeline shows it. The e-mail follows after commit
    (the caller queues it with the notifications' ids)."""
    notification_kind = NOTIFICATION_KIND[kind]
    rows = notify_agents(recipients=recipients, kind=notification_kind, ticket=ticket, actor=None)
    if sla_event is not None and rows:
        names = sorted({user_label(row.recipient) for row in rows})
        sla_event.data = {**sla_event.data, "notified": names}
        sla_event.save(update_fields=["data"])
    return rows
