"""The default Brazilian SLA setup, and `manage.py sla_recompute` building clocks for tickets that
existed before (demo data, an SLA engine installed on a running help desk)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from sla.defaults import sla_policies_seed_defaults
from sla.models import BusinessCalendar, SLAPolicy, TicketSLA
from tests.sla.conftest import MONDAY_9, sp
from tests.tickets.factories import CustomerFactory, make_inbound
from tickets import events, services
from tickets.models import Customer, Ticket, TicketEvent, Tier

E = TicketEvent.Kind
H = timedelta(hours=1)
pytestmark = pytest.mark.usefixtures("teams")


def receive(**fields):
    return services.message_receive(incoming=make_inbound(**fields)).ticket


def test_defaults_create_business_hours_and_a_policy_per_priority_and_segment(db):
    assert sla_policies_seed_defaults() == {"calendars": 1, "policies": 8}
    assert sla_policies_seed_defaults() == {"calendars": 0, "policies": 0}

    calendar = BusinessCalendar.objects.get()
    assert (calendar.name, calendar.time_zone, calendar.holiday_country) == (
        "Horário comercial",
        "America/Sao_Paulo",
        "BR",
    )
    urgent = SLAPolicy.objects.get(name="Urgente")
    assert (urgent.first_response_minutes, urgent.resolution_minutes) == (30, 240)
    assert SLAPolicy.objects.get(name="VIP · Urgente").first_response_minutes == 15


def test_defaults_keep_what_an_administrator_changed(db):
    sla_policies_seed_defaults()
    SLAPolicy.objects.filter(name="Normal").update(first_response_minutes=90)

    sla_policies_seed_defaults()

    assert SLAPolicy.objects.get(name="Normal").first_response_minutes == 90


def test_default_policies_apply_in_business_time(db, clock, committed):
    sla_policies_seed_defaults()
    CustomerFactory(segment=Customer.Segment.VIP).identities.create(
        kind="email", value="diretoria@example.com"
    )
    clock.move_to(sp(2026, 11, 19, 17, 0))  # Thursday; Friday 20 is a national holiday
    with committed():
        normal = receive()
        vip = receive(sender_value="diretoria@example.com")

    normal_first = TicketSLA.objects.get(ticket=normal, target="first_response")
    assert normal_first.due_at == sp(2026, 11, 23, 11, 0)  # 4 business hours
    vip_first = TicketSLA.objects.get(ticket=vip, target="first_response")
    assert (vip_first.policy.name, vip_first.due_at) == ("VIP · Normal", sp(2026, 11, 23, 9, 0))


def test_recompute_builds_clocks_for_tickets_loaded_without_events(
    policy, n1_agent, clock, committed
):
    with events.suppressed():  # as seed_demo and imports load history
        answered = receive(sender_value="a@example.com")
        clock.shift(2 * H)
        services.message_reply(ticket=answered, by=n1_agent, body_text="Olá!")
        waiting = receive(sender_value="b@example.com")
        solved = receive(sender_value="c@example.com")
        services.ticket_change_status(ticket=solved, to_status=Ticket.Status.SOLVED, by=n1_agent)
    assert not TicketSLA.objects.exists()
    clock.shift(10 * H)
    output = StringIO()

    with committed():
        call_command("sla_recompute", "--no-progress", stdout=output)

    assert TicketSLA.objects.filter(ticket=solved).count() == 0  # open tickets only
    late_reply = TicketSLA.objects.get(ticket=answered, target="first_response")
    assert late_reply.breached_at == MONDAY_9 + H
    overdue = TicketSLA.objects.get(ticket=waiting, target="first_response")
    assert overdue.breached_at == overdue.due_at  # recorded as history...
    assert Ticket.objects.get(pk=waiting.pk).tier == Tier.N1  # ...without escalating
    assert Ticket.objects.get(pk=waiting.pk).sla_due_at == overdue.due_at
    assert "2 tickets" in output.getvalue()


def test_recompute_twice_records_no_breach_twice(policy, n1_agent, clock, committed):
    policy.escalate_on_breach = True
    policy.save()
    with events.suppressed():
        ticket = receive()
    clock.shift(10 * H)

    with committed():
        call_command("sla_recompute", "--all", "--no-progress", stdout=StringIO())
        call_command("sla_recompute", "--all", "--no-progress", stdout=StringIO())

    assert TicketEvent.objects.filter(ticket=ticket, kind=E.SLA_BREACHED).count() == 2
    assert not TicketEvent.objects.filter(kind=E.ESCALATED).exists()
