"""The SLA clocks on the ticket page (sla's registered panel) and the SLA entries of the
timeline, as agents read them."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.utils import translation

from sla.display import duration_text, sla_event_text
from sla.models import TicketSLA
from sla.panels import CLOCKS_PANEL
from tests.sla.conftest import MONDAY_9, sp
from tests.sla.factories import SLAPolicyFactory
from tests.tickets.factories import make_inbound
from tickets import services
from tickets.models import Ticket, TicketEvent

MIN = timedelta(minutes=1)
H = timedelta(hours=1)
pytestmark = pytest.mark.usefixtures("teams")


def render(ticket) -> str:
    """The clocks of the SLA panel, with the context the ticket page gets from it."""
    return render_to_string(
        "sla/_ticket_clocks.html", CLOCKS_PANEL.context(ticket, AnonymousUser())
    )


def clock_item(html: str, label: str) -> str:
    """The <li> of one target."""
    start = html.index(f'<strong class="sla-target">{label}</strong>')
    return html[html.rindex("<li", 0, start) : html.index("</li>", start)]


@pytest.fixture
def ticket(policy, clock, committed):
    with committed():
        return services.message_receive(incoming=make_inbound()).ticket


def test_running_clocks_show_time_left_and_due_time(ticket, clock):
    clock.shift(15 * MIN)

    html = render(ticket)

    first = clock_item(html, "First response")
    assert "sla-running" in first
    assert "45 min left" in first
    assert 'datetime="2026-11-16T10:00:00-03:00"' in first
    assert "business hours" not in first  # a 24 × 7 calendar
    assert "7 h 45 min left" in clock_item(html, "Resolution")


def test_warned_and_breached_clocks_say_so(ticket, clock, committed):
    TicketSLA.objects.filter(ticket=ticket, target="resolution").update(warned_at=MONDAY_9)
    clock.shift(80 * MIN)

    html = render(ticket)

    assert "overdue by 20 min" in clock_item(html, "First response")
    assert "Breached" in clock_item(html, "First response")
    assert "Due soon" in clock_item(html, "Resolution")


def test_met_clock_shows_how_long_it_took(ticket, n1_agent, clock, committed):
    clock.shift(12 * MIN)
    with committed():
        services.message_reply(ticket=ticket, by=n1_agent, body_text="Olá!")

    first = clock_item(render(ticket), "First response")

    assert "Met" in first
    assert "in 12 min" in first


def test_paused_clock_shows_what_is_left(ticket, n1_agent, clock, committed):
    clock.shift(H)
    with committed():
        services.ticket_change_status(ticket=ticket, to_status=Ticket.Status.PENDING, by=n1_agent)
    clock.shift(5 * H)

    resolution = clock_item(render(ticket), "Resolution")

    assert "Paused" in resolution
    assert "7 h 00 min left" in resolution  # the pending hours do not count


def test_business_hours_are_said_and_counted(business_hours, teams, clock, committed):
    SLAPolicyFactory(position=1, calendar=business_hours)
    clock.move_to(sp(2026, 11, 19, 17, 30))  # Thursday; Friday is a holiday
    with committed():
        ticket = services.message_receive(incoming=make_inbound()).ticket
    clock.move_to(sp(2026, 11, 21, 10, 0))  # Saturday

    first = clock_item(render(ticket), "First response")

    assert "30 min left" in first  # Thursday 17:30-18:00 used, Monday 08:00-08:30 left
    assert "business hours" in first


def test_ticket_without_clocks_says_no_policy_applies(teams, clock, committed):
    with committed():
        ticket = services.message_receive(incoming=make_inbound()).ticket

    with translation.override("en"):
        html = render(ticket)

    assert "No SLA policy applies to this ticket." in html
    assert "sla-clock" not in html


def test_clocks_take_one_query(ticket, django_assert_num_queries):
    render(ticket)  # the calendar's rules are built once per process and version
    with django_assert_num_queries(1):
        render(ticket)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (timedelta(seconds=30), "1 min"),
        (45 * MIN, "45 min"),
        (3 * H + 5 * MIN, "3 h 05 min"),
        (50 * H, "2 d 2 h"),
        (timedelta(0), "0 min"),
    ],
)
def test_durations_read_naturally(amount, text):
    assert duration_text(amount) == text


def test_timeline_entry_names_the_target_and_due_time(ticket, clock, committed):
    clock.shift(2 * H)
    with committed():
        services.ticket_record_sla_event(
            ticket_id=ticket.pk,
            kind=TicketEvent.Kind.SLA_BREACHED,
            target="first_response",
            due_at=MONDAY_9 + H,
        )
    event = TicketEvent.objects.get(kind=TicketEvent.Kind.SLA_BREACHED)

    assert sla_event_text(event) == "First response · due 11/16/2026 10 a.m."
