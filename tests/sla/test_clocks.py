"""SLA clocks follow the ticket through the real ticket services: they start, stop, pause, resume,
restart and change target as the conversation and the ticket move."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sla import services as sla_services
from sla.models import Target, TicketSLA
from tests.sla.conftest import MONDAY_9, sp
from tests.sla.factories import SLAPolicyFactory
from tests.tickets.factories import CustomerFactory, make_inbound
from tickets import services
from tickets.models import Customer, Ticket, TicketEvent, Tier

S = Ticket.Status
FIRST, NEXT, RESOLUTION = Target.FIRST_RESPONSE, Target.NEXT_RESPONSE, Target.RESOLUTION
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
pytestmark = pytest.mark.usefixtures("teams")


def receive(**fields):
    return services.message_receive(incoming=make_inbound(**fields)).ticket


def write_back(ticket, **fields):
    """The customer answers in the same e-mail thread."""
    first = ticket.messages.filter(direction="inbound").order_by("id").first()
    return receive(reply_to_ids=(first.external_id,), **fields)


def reply(ticket, agent, **kwargs):
    return services.message_reply(ticket=ticket, by=agent, body_text="Olá!", **kwargs)


def clocks(ticket) -> dict[str, TicketSLA]:
    return {clock.target: clock for clock in TicketSLA.objects.filter(ticket=ticket)}


def sla_due(ticket):
    return Ticket.objects.values_list("sla_due_at", flat=True).get(pk=ticket.pk)


@pytest.fixture
def new_ticket(policy, clock, committed):
    """A ticket opened by an e-mail on Monday 09:00 under a 24 × 7 policy of 1 h first
    response, 2 h next response and 8 h resolution."""
    with committed():
        return receive()


# -- starting ----------------------------------------------------------------------------------
def test_new_ticket_starts_first_response_and_resolution(new_ticket, policy):
    found = clocks(new_ticket)

    assert set(found) == {FIRST, RESOLUTION}
    assert found[FIRST].started_at == MONDAY_9
    assert found[FIRST].due_at == MONDAY_9 + H
    assert found[FIRST].warn_at == MONDAY_9 + 48 * MIN  # 20 % of an hour before
    assert found[RESOLUTION].due_at == MONDAY_9 + 8 * H
    assert found[FIRST].policy == policy
    assert sla_due(new_ticket) == MONDAY_9 + H


def test_business_hours_move_the_due_time_to_the_next_working_morning(
    business_hours, clock, committed
):
    SLAPolicyFactory(calendar=business_hours)
    clock.move_to(sp(2026, 11, 19, 17, 30))  # Thursday; Friday 20 is a national holiday

    with committed():
        ticket = receive()

    assert clocks(ticket)[FIRST].due_at == sp(2026, 11, 23, 8, 30)


# -- first response ----------------------------------------------------------------------------
def test_agent_reply_stops_first_response(new_ticket, n1_agent, clock, committed):
    clock.shift(20 * MIN)
    with committed():
        reply(new_ticket, n1_agent)

    first = clocks(new_ticket)[FIRST]
    assert first.stopped_at == MONDAY_9 + 20 * MIN
    assert first.breached_at is None
    assert sla_due(new_ticket) == MONDAY_9 + 8 * H  # now the resolution is next


def test_internal_note_is_not_a_response(new_ticket, n1_agent, clock, committed):
    clock.shift(20 * MIN)
    with committed():
        services.note_add(ticket=new_ticket, by=n1_agent, body_text="Verificando com o N2.")

    assert clocks(new_ticket)[FIRST].stopped_at is None
    assert sla_due(new_ticket) == MONDAY_9 + H


def test_automatic_message_is_not_a_response(new_ticket, clock, committed):
    clock.shift(MIN)
    with committed():
        services.message_notify(ticket=new_ticket, body_text="Recebemos sua mensagem.")

    assert clocks(new_ticket)[FIRST].stopped_at is None


# -- next response -----------------------------------------------------------------------------
def test_customer_message_after_a_reply_starts_next_response_until_the_next_reply(
    new_ticket, n1_agent, clock, committed
):
    clock.shift(10 * MIN)
    with committed():
        reply(new_ticket, n1_agent)
    clock.shift(30 * MIN)
    with committed():
        write_back(new_ticket)
    started = MONDAY_9 + 40 * MIN
    assert clocks(new_ticket)[NEXT].due_at == started + 2 * H
    assert sla_due(new_ticket) == started + 2 * H

    clock.shift(10 * MIN)
    with committed():
        write_back(new_ticket, body_text="Alguma novidade?")
    assert clocks(new_ticket)[NEXT].started_at == started  # still waiting since the first one

    clock.shift(20 * MIN)
    with committed():
        reply(new_ticket, n1_agent)
    assert clocks(new_ticket)[NEXT].stopped_at == MONDAY_9 + 70 * MIN
    assert sla_due(new_ticket) == MONDAY_9 + 8 * H


def test_each_customer_message_after_a_reply_starts_a_new_cycle(
    new_ticket, n1_agent, clock, committed
):
    with committed():
        reply(new_ticket, n1_agent)
        write_back(new_ticket)
    TicketSLA.objects.filter(ticket=new_ticket, target=NEXT).update(
        warned_at=timezone.now(), breached_at=timezone.now()
    )
    clock.shift(H)
    with committed():
        reply(new_ticket, n1_agent)
    clock.shift(H)
    with committed():
        write_back(new_ticket, body_text="Voltou a acontecer.")

    cycle = clocks(new_ticket)[NEXT]
    assert cycle.started_at == MONDAY_9 + 2 * H
    assert (cycle.stopped_at, cycle.warned_at, cycle.breached_at) == (None, None, None)


def test_auto_reply_does_not_start_next_response(new_ticket, n1_agent, clock, committed):
    with committed():
        reply(new_ticket, n1_agent)
    clock.shift(MIN)
    with committed():
        write_back(new_ticket, is_auto_reply=True, body_text="Estou fora do escritório.")

    assert NEXT not in clocks(new_ticket)


def test_customer_message_before_any_reply_does_not_start_next_response(
    new_ticket, clock, committed
):
    clock.shift(5 * MIN)
    with committed():
        write_back(new_ticket, body_text="Esqueci de dizer: é urgente.")

    assert set(clocks(new_ticket)) == {FIRST, RESOLUTION}


# -- resolution: pauses, stops, reopening ------------------------------------------------------
def test_pending_pauses_resolution_until_the_customer_answers(
    new_ticket, n1_agent, clock, committed
):
    clock.shift(H)
    with committed():
        reply(new_ticket, n1_agent, then_status=S.PENDING)
    paused = clocks(new_ticket)[RESOLUTION]
    assert (paused.paused_at, paused.due_at) == (MONDAY_9 + H, None)
    assert sla_due(new_ticket) is None  # nothing is running

    clock.shift(3 * H)
    with committed():
        write_back(new_ticket)

    resumed = clocks(new_ticket)[RESOLUTION]
    assert resumed.paused_at is None
    assert resumed.paused_seconds == 3 * 3600
    assert resumed.due_at == MONDAY_9 + 8 * H + 3 * H


def test_on_hold_pauses_resolution(new_ticket, n1_agent, clock, committed):
    clock.shift(H)
    with committed():
        services.ticket_change_status(ticket=new_ticket, to_status=S.ON_HOLD, by=n1_agent)
    clock.shift(2 * H)
    with committed():
        services.ticket_change_status(ticket=new_ticket, to_status=S.OPEN, by=n1_agent)

    assert clocks(new_ticket)[RESOLUTION].due_at == MONDAY_9 + 10 * H
    assert clocks(new_ticket)[FIRST].due_at == MONDAY_9 + H  # responses never pause


def test_solving_stops_every_clock_and_reopening_resumes_resolution(
    new_ticket, n1_agent, clock, committed
):
    clock.shift(30 * MIN)
    with committed():
        services.ticket_change_status(ticket=new_ticket, to_status=S.SOLVED, by=n1_agent)
    solved = clocks(new_ticket)
    assert solved[FIRST].stopped_at == solved[RESOLUTION].stopped_at == MONDAY_9 + 30 * MIN
    assert sla_due(new_ticket) is None

    clock.shift(2 * H)
    with committed():
        write_back(new_ticket, body_text="Não resolveu.")

    reopened = clocks(new_ticket)
    assert Ticket.objects.get(pk=new_ticket.pk).status == S.OPEN
    assert reopened[RESOLUTION].stopped_at is None
    assert reopened[RESOLUTION].due_at == MONDAY_9 + 8 * H + 2 * H  # solved time excluded
    assert reopened[FIRST].stopped_at == MONDAY_9 + 30 * MIN
    assert reopened[NEXT].started_at == MONDAY_9 + 150 * MIN
    assert sla_due(new_ticket) == reopened[NEXT].due_at


def test_closed_ticket_has_no_running_clock(new_ticket, n1_agent, clock, committed):
    with committed():
        services.ticket_change_status(ticket=new_ticket, to_status=S.SOLVED, by=n1_agent)
        services.ticket_change_status(ticket=new_ticket, to_status=S.CLOSED, by=n1_agent)

    assert all(clock.stopped_at for clock in clocks(new_ticket).values())
    assert sla_due(new_ticket) is None


# -- targets change ----------------------------------------------------------------------------
def test_priority_change_retargets_running_clocks_but_not_met_ones(
    new_ticket, policy, n1_agent, clock, committed
):
    urgent = SLAPolicyFactory(
        position=1, priority=Ticket.Priority.URGENT, calendar=policy.calendar,
        first_response_minutes=30, resolution_minutes=120,
    )  # fmt: skip
    clock.shift(10 * MIN)
    with committed():
        reply(new_ticket, n1_agent)
    with committed():
        services.ticket_change_priority(
            ticket=new_ticket, priority=Ticket.Priority.URGENT, by=n1_agent
        )

    found = clocks(new_ticket)
    assert (found[RESOLUTION].policy, found[RESOLUTION].due_at) == (urgent, MONDAY_9 + 2 * H)
    assert (found[FIRST].policy, found[FIRST].target_minutes) == (policy, 60)  # judged already
    assert sla_due(new_ticket) == MONDAY_9 + 2 * H


def test_raising_the_priority_can_put_a_clock_past_due(
    new_ticket, policy, n1_agent, clock, committed
):
    SLAPolicyFactory(
        position=1, priority=Ticket.Priority.URGENT, calendar=policy.calendar,
        first_response_minutes=30, resolution_minutes=None,
    )  # fmt: skip
    clock.shift(45 * MIN)
    with committed():
        services.ticket_change_priority(
            ticket=new_ticket, priority=Ticket.Priority.URGENT, by=n1_agent
        )

    assert clocks(new_ticket)[FIRST].due_at == MONDAY_9 + 30 * MIN
    assert sla_due(new_ticket) == MONDAY_9 + 30 * MIN
    assert RESOLUTION not in clocks(new_ticket)  # the urgent policy has no resolution target


def test_escalation_applies_the_policy_of_the_new_tier(new_ticket, policy, n1_agent, committed):
    SLAPolicyFactory(position=1, tier=Tier.N2, calendar=policy.calendar, resolution_minutes=24 * 60)
    with committed():
        services.ticket_escalate(ticket=new_ticket, reason="Erro no servidor", by=n1_agent)

    assert clocks(new_ticket)[RESOLUTION].due_at == MONDAY_9 + 24 * H


def test_vip_customers_get_their_own_policy(policy, clock, committed):
    vip = SLAPolicyFactory(
        position=1, segment=Customer.Segment.VIP, calendar=policy.calendar,
        first_response_minutes=15,
    )  # fmt: skip
    CustomerFactory(name="Cliente VIP", segment=Customer.Segment.VIP).identities.create(
        kind="email", value="vip@example.com"
    )
    with committed():
        vip_ticket = receive(sender_value="vip@example.com")
        other = receive(sender_value="outro@example.com")

    assert (clocks(vip_ticket)[FIRST].policy, clocks(vip_ticket)[FIRST].due_at) == (
        vip,
        MONDAY_9 + 15 * MIN,
    )
    assert clocks(other)[FIRST].policy == policy


def test_a_ticket_no_policy_covers_has_no_clocks(always_open, n1_agent, clock, committed):
    SLAPolicyFactory(priority=Ticket.Priority.URGENT, calendar=always_open)
    with committed():
        ticket = receive()
    assert clocks(ticket) == {}
    assert sla_due(ticket) is None

    with committed():
        services.ticket_change_priority(ticket=ticket, priority=Ticket.Priority.URGENT, by=n1_agent)
    assert set(clocks(ticket)) == {FIRST, RESOLUTION}

    with committed():
        services.ticket_change_priority(ticket=ticket, priority=Ticket.Priority.LOW, by=n1_agent)
    assert clocks(ticket) == {}
    assert sla_due(ticket) is None


def test_merge_stops_the_merged_ticket_and_carries_its_first_response(
    policy, n1_agent, clock, committed
):
    with committed():
        source = receive(sender_value="joao@example.com")
        target = receive(sender_value="joao@example.com", body_text="Mesma dúvida.")
    clock.shift(10 * MIN)
    with committed():
        reply(source, n1_agent)
    clock.shift(10 * MIN)
    with committed():
        services.ticket_merge(source=source, target=target, by=n1_agent)

    assert all(clock.stopped_at for clock in clocks(source).values())
    assert sla_due(source) is None
    assert clocks(target)[FIRST].stopped_at == MONDAY_9 + 10 * MIN


# -- late stops ----------------------------------------------------------------------------------
def test_reply_after_the_due_time_records_the_breach_at_the_due_time(
    new_ticket, policy, n1_agent, clock, committed
):
    policy.escalate_on_breach = True
    policy.save()
    clock.shift(90 * MIN)  # the timer did not run: the reply itself finds the breach
    with committed():
        reply(new_ticket, n1_agent)

    first = clocks(new_ticket)[FIRST]
    assert first.breached_at == first.due_at == MONDAY_9 + H
    breach = TicketEvent.objects.get(ticket=new_ticket, kind=TicketEvent.Kind.SLA_BREACHED)
    assert breach.created_at == MONDAY_9 + H
    assert breach.data["target"] == FIRST
    assert Ticket.objects.get(pk=new_ticket.pk).tier == Tier.N1  # over already: no escalation


def test_recomputing_changes_nothing_the_second_time(
    new_ticket, n1_agent, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        first = sla_services.ticket_sla_sync(ticket_id=new_ticket.pk)
    second = sla_services.ticket_sla_sync(ticket_id=new_ticket.pk)

    assert (first.created, first.updated, first.deleted) == (0, 0, 0)
    assert (second.created, second.updated, second.deleted) == (0, 0, 0)
    assert sla_due(new_ticket) == MONDAY_9 + H
