"""Reads of the SLA engine: which policy applies, which clocks the timer must look at."""

from collections.abc import Sequence
from datetime import datetime

from django.db.models import F, Max, Q

from tickets.models import Ticket

from .models import SLAPolicy, TicketSLA

OPEN_STATUSES = [
    Ticket.Status.NEW,
    Ticket.Status.OPEN,
    Ticket.Status.PENDING,
    Ticket.Status.ON_HOLD,
]


def policies_active() -> list[SLAPolicy]:
    """Active policies in the order they are tried, with their calendars."""
    return list(SLAPolicy.objects.filter(is_active=True).select_related("calendar"))


def policy_for_ticket(
    *, ticket: Ticket, segment: str, policies: Sequence[SLAPolicy] | None = None
) -> SLAPolicy | None:
    """The first active policy whose conditions the ticket meets (`segment`: its customer's)."""
    for policy in policies_active() if policies is None else policies:
        if policy.matches(ticket, segment):
            return policy
    return None


def clocks_for_ticket(*, ticket: Ticket) -> list[TicketSLA]:
    """A ticket's clocks in target order, with policy and calendar (one query). The caller has
    already checked that the reader may see the ticket."""
    order = {"first_response": 0, "next_response": 1, "resolution": 2}
    clocks = list(TicketSLA.objects.filter(ticket=ticket).select_related("policy__calendar"))
    return sorted(clocks, key=lambda clock: order.get(clock.target, 9))


def clock_ids_to_breach(*, now: datetime, limit: int) -> list[int]:
    """Running clocks past their due time with no breach recorded, most overdue first."""
    return list(
        TicketSLA.objects.filter(stopped_at=None, breached_at=None, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def clock_ids_to_warn(*, now: datetime, limit: int) -> list[int]:
    """Running clocks past their warning time, not yet due, with no warning recorded."""
    return list(
        TicketSLA.objects.filter(
            stopped_at=None,
            warned_at=None,
            breached_at=None,
            warn_at__lte=now,
            due_at__gt=now,
        )
        .order_by("warn_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def ticket_ids_to_resync(*, since: datetime, limit: int) -> list[int]:
    """Tickets changed since `since` whose clocks were computed before that change (or never):
    the domain event that should have updated them was lost."""
    return list(
        Ticket.objects.filter(updated_at__gte=since)
        .annotate(synced=Max("sla_clocks__synced_at"))
        .filter(Q(synced__isnull=True) | Q(synced__lt=F("updated_at")))
        .order_by("updated_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def open_ticket_ids(*, after_id: int = 0, limit: int = 500) -> list[int]:
    """Open tickets in id order, one page (keyset) at a time."""
    return list(
        Ticket.objects.filter(status__in=OPEN_STATUSES, pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
