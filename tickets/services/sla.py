"""The two things the SLA engine writes on tickets: the next due time (for sorting and the "at risk"
view) and the warning/breach entries of the audit trail. The engine lives in the `sla` app; this
module knows nothing of it, so the core keeps no dependency on its plug-ins."""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.db.models import Case, DateTimeField, F, Value, When

from .. import events
from ..models import Ticket, TicketEvent
from ._common import record_event

E = TicketEvent.Kind
DOMAIN_EVENT = {E.SLA_WARNING: events.SLAWarned, E.SLA_BREACHED: events.SLABreached}


def tickets_set_sla_due(*, due_at_by_ticket: Mapping[int, datetime | None]) -> int:
    """Store the earliest running SLA due time of tickets (None: nothing running), all in one
    UPDATE, leaving `updated_at` alone: a clock moving is not an update of the ticket. The caller
    passes the tickets whose due time changed. Returns how many rows were written."""
    if not due_at_by_ticket:
        return 0
    new_due = Case(
        *(When(pk=pk, then=Value(due)) for pk, due in due_at_by_ticket.items()),
        default=F("sla_due_at"),  # also gives PostgreSQL the type of a CASE of NULLs
        output_field=DateTimeField(),
    )
    return Ticket.objects.filter(pk__in=list(due_at_by_ticket)).update(sla_due_at=new_due)


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
