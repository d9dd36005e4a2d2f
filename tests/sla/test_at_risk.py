"""The "SLA at risk" view and the timer's warnings use the same horizon: the policy's warning
time, in business time. (Before, the view used 60 wall-clock minutes before the due time, so a
ticket warned two hours ahead was missing from it.)"""

from datetime import timedelta

from django.core.cache import cache

from sla import services as sla_services
from sla.models import SLAPolicy, TicketSLA
from tests.sla.conftest import MONDAY_9, sp
from tests.sla.factories import BusinessCalendarFactory, SLAPolicyFactory
from tests.tickets.factories import make_inbound
from tickets import services
from tickets.models import Ticket
from tickets.selectors.inbox import inbox_page

H = timedelta(hours=1)


def at_risk_numbers(agent) -> list[int]:
    cache.clear()
    return [ticket.number for ticket in inbox_page(agent=agent, view="sla").tickets]


def test_a_warned_ticket_is_in_the_at_risk_view_hours_before_it_is_due(
    teams, n1_agent, clock, committed
):
    # 10 business hours to answer, a warning 20 % (2 hours) before the due time.
    SLAPolicyFactory(
        first_response_minutes=600, next_response_minutes=None, resolution_minutes=None
    )
    with committed():
        ticket = services.message_receive(incoming=make_inbound()).ticket
    clock.move_to(MONDAY_9 + 7 * H)
    sla_services.sla_sweep()
    assert at_risk_numbers(n1_agent) == []

    clock.move_to(MONDAY_9 + 8 * H + timedelta(minutes=5))  # due in 1 h 55 min
    with committed():
        result = sla_services.sla_sweep()

    assert result.warned == 1
    assert at_risk_numbers(n1_agent) == [ticket.number]


def test_warning_time_counts_business_hours_across_a_holiday(teams, n1_agent, clock, committed):
    """Thursday 19 November 17:00, 3 business hours to answer, warned 90 minutes before: the
    warning falls after Friday's holiday and the weekend, on Monday 23 at 08:30."""
    # (Moved first: calendars are cached per (pk, updated_at), which a frozen clock and a reused
    # pk would make equal to the previous test's calendar.)
    clock.move_to(sp(2026, 11, 19, 17, 0))
    SLAPolicyFactory(
        calendar=BusinessCalendarFactory(),
        first_response_minutes=180,
        next_response_minutes=None,
        resolution_minutes=None,
        warn_before=90,
        warn_unit=SLAPolicy.WarnUnit.MINUTES,
    )
    with committed():
        ticket = services.message_receive(incoming=make_inbound()).ticket

    stored = Ticket.objects.get(pk=ticket.pk)
    clock_row = TicketSLA.objects.get(ticket=ticket)
    assert stored.sla_warn_at == clock_row.warn_at == sp(2026, 11, 23, 8, 30)
    assert stored.sla_due_at == sp(2026, 11, 23, 10, 0)
    clock.move_to(sp(2026, 11, 23, 8, 29))
    assert at_risk_numbers(n1_agent) == []
    clock.move_to(sp(2026, 11, 23, 8, 31))
    assert at_risk_numbers(n1_agent) == [ticket.number]


def test_answering_takes_the_ticket_out_of_the_view(teams, n1_agent, clock, committed):
    SLAPolicyFactory(next_response_minutes=None, resolution_minutes=None)
    with committed():
        ticket = services.message_receive(incoming=make_inbound()).ticket
    clock.move_to(MONDAY_9 + timedelta(minutes=50))
    assert at_risk_numbers(n1_agent) == [ticket.number]

    with committed():
        services.message_reply(ticket=ticket, by=n1_agent, body_text="Olá!")

    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.sla_due_at, stored.sla_warn_at) == (None, None)
    assert at_risk_numbers(n1_agent) == []
