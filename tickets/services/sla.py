"""The two things the SLA engine writes on tickets: the next due time (for sorting and the "at risk"
view) and the warning/breach entries of the audit trail. The engine lives in the `sla` app; this
module knows nothing of it, so the core keeps no dependency on its plug-ins."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from .. import events
from ..models import Ticket, TicketEvent
from ._common import record_event

E = TicketEvent.Kind
DOMAIN_EVENT = {E.SLA_WARNING: events.SLAWarned, E.SLA_BREACHED: events.SLABreached}


@transaction.atomic
def ticket_set_sla_due(*, ticket_id: int, due_at: datetime | None) -> bool:
    """Store the earliest running SLA due time of a ticket (None: nothing running). Writes only
    when it changed, and leaves `updated_at` alone: a clock moving is not an update of the ticket.
    Returns whether the row changed."""
    tickets = Ticket.objects.filter(pk=ticket_id)
    if due_at is None:
        tickets = tickets.filter(sla_due_at__isnull=False)
    else:
        tickets = tickets.filter(Q(sla_due_at__isnull=True) | ~Q(sla_due_at=due_at))
    return bool(tickets.update(sla_due_at=due_at))


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
