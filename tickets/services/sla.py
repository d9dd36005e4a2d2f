"""The two things the SLA engine writes on tickets: the next due time and the start of the
warning time (for sorting and the "at risk" view), and the warning/breach entries of the audit
trail. The engine lives in the `sla` app; this module knows nothing of it, so the core keeps no
dependency on its plug-ins."""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.db.models import Case, DateTimeField, F, Value, When

from .. import events
from ..models import Ticket, TicketEvent
from ._common import record_event

E = TicketEvent.Kind
DOMAIN_EVENT = {E.SLA_WARNING: events.SLAWarned, E.SLA_BREACHED: events.SLABreached}


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
    ids = {pk for values in columns.values() for pk in values}
    if not ids:
        return 0
    changes = {
        column: Case(
            *(When(pk=pk, then=Value(at)) for pk, at in values.items()),
            default=F(column),  # also gives PostgreSQL the type of a CASE of NULLs
            output_field=DateTimeField(),
        )
        for column, values in columns.items()
        if values
    }
    return Ticket.objects.filter(pk__in=list(ids)).update(**changes)


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
