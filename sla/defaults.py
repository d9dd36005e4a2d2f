"""A sensible starting point for a Brazilian support team: business hours in São Paulo with the
national holidays, and one policy per priority (tighter for VIP customers). Idempotent: what
already exists (by name) is left as an administrator may have changed it."""

from django.db import transaction

from tickets.models import Customer, Ticket
from tickets.registries import routing_inputs_changed

from .models import WORKDAYS_8_TO_18, BusinessCalendar, SLAPolicy

P = Ticket.Priority
HOUR = 60
BUSINESS_CALENDAR = "Horário comercial"

# priority: (first response, next response, resolution) in business minutes, escalate on breach
STANDARD = {
    P.URGENT: (30, 30, 4 * HOUR, True),
    P.HIGH: (1 * HOUR, 2 * HOUR, 8 * HOUR, False),
    P.NORMAL: (4 * HOUR, 4 * HOUR, 24 * HOUR, False),
    P.LOW: (8 * HOUR, 8 * HOUR, 48 * HOUR, False),
}
VIP = {
    P.URGENT: (15, 15, 2 * HOUR, True),
    P.HIGH: (30, 1 * HOUR, 4 * HOUR, True),
    P.NORMAL: (2 * HOUR, 2 * HOUR, 12 * HOUR, False),
    P.LOW: (4 * HOUR, 4 * HOUR, 24 * HOUR, False),
}
NAMES = {P.URGENT: "Urgente", P.HIGH: "Alta", P.NORMAL: "Normal", P.LOW: "Baixa"}


@transaction.atomic
def sla_policies_seed_defaults() -> dict[str, int]:
    """Create the default calendar and the eight default policies if missing. Returns how many of
    each were created."""
    calendar, calendar_created = BusinessCalendar.objects.get_or_create(
        name=BUSINESS_CALENDAR,
        defaults={
            "time_zone": "America/Sao_Paulo",
            "weekly_hours": WORKDAYS_8_TO_18,
            "holiday_country": "BR",
        },
    )
    if calendar_created:
        routing_inputs_changed()  # automation's rules may read business hours
    created = 0
    rows = [("VIP · ", Customer.Segment.VIP, VIP, 10), ("", "", STANDARD, 100)]
    for prefix, segment, table, base_position in rows:
        for offset, (priority, (first, following, resolution, escalate)) in enumerate(
            table.items()
        ):
            _, was_created = SLAPolicy.objects.get_or_create(
                name=f"{prefix}{NAMES[priority]}",
                defaults={
                    "position": base_position + offset,
                    "priority": priority,
                    "segment": segment,
                    "calendar": calendar,
                    "first_response_minutes": first,
                    "next_response_minutes": following,
                    "resolution_minutes": resolution,
                    "warn_before": 20,
                    "warn_unit": SLAPolicy.WarnUnit.PERCENT,
                    "escalate_on_breach": escalate,
                },
            )
            created += was_created
    return {"calendars": int(calendar_created), "policies": created}
