"""The SLA timer: warnings and breaches recorded exactly once (also when the task runs twice or
in two workers at once), escalation on breach, catching up after downtime, and the sweeps that
repair clocks after a lost event or a change of rules."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from helpdesk.celery import app as celery_app
from sla import services as sla_services
from sla import tasks
from sla.models import Target, TicketSLA
from tests.sla.conftest import MONDAY_9
from tests.sla.factories import BusinessCalendarFactory, SLAPolicyFactory
from tests.tickets.factories import make_inbound
from tickets import events, services
from tickets.models import Ticket, TicketEvent, Tier

S = Ticket.Status
E = TicketEvent.Kind
FIRST, RESOLUTION = Target.FIRST_RESPONSE, Target.RESOLUTION
MIN = timedelta(minutes=1)
H = timedelta(hours=1)


def receive(**fields):
    return services.message_receive(incoming=make_inbound(**fields)).ticket


def sla_events(ticket, kind):
    return list(TicketEvent.objects.filter(ticket=ticket, kind=kind))


def first_response(ticket) -> TicketSLA:
    return TicketSLA.objects.get(ticket=ticket, target=FIRST)


@pytest.fixture
def published():
    """The SLA domain events delivered during the test."""
    delivered = []
    events.subscribe(events.SLAWarned, events.SLABreached)(delivered.append)
    yield delivered
    events.unsubscribe(delivered.append)


@pytest.fixture
def new_ticket(teams, policy, clock, committed):
    """Monday 09:00, 24 × 7: first response due 10:00 (warning 09:48), resolution 17:00."""
    with committed():
        return receive()


def sweep_twice(committed):
    with committed():
        tasks.sweep_clocks.delay()
        tasks.sweep_clocks.delay()


# -- warnings and breaches ---------------------------------------------------------------------
def test_warning_is_recorded_once_even_if_the_timer_runs_twice(
    new_ticket, clock, committed, published
):
    clock.move_to(MONDAY_9 + 50 * MIN)
    sweep_twice(committed)

    [warning] = sla_events(new_ticket, E.SLA_WARNING)
    assert warning.data["target"] == FIRST
    assert first_response(new_ticket).warned_at == MONDAY_9 + 50 * MIN
    assert [(event.name, event.target) for event in published] == [("sla.warning", FIRST)]
    assert sla_events(new_ticket, E.SLA_BREACHED) == []


def test_breach_is_recorded_once_at_its_due_time(new_ticket, clock, committed, published):
    clock.move_to(MONDAY_9 + 61 * MIN)
    sweep_twice(committed)

    [breach] = sla_events(new_ticket, E.SLA_BREACHED)
    assert breach.created_at == MONDAY_9 + H
    assert first_response(new_ticket).breached_at == MONDAY_9 + H
    # When it was recorded is kept too: the timer's lag, measured.
    assert first_response(new_ticket).breach_recorded_at == MONDAY_9 + 61 * MIN
    assert [event.name for event in published] == ["sla.breached"]
    # Past due already: the warning would only be noise.
    assert sla_events(new_ticket, E.SLA_WARNING) == []


def test_breach_escalates_one_tier_when_the_policy_says_so(new_ticket, policy, clock, committed):
    policy.escalate_on_breach = True
    policy.save()
    clock.move_to(MONDAY_9 + 61 * MIN)
    sweep_twice(committed)

    ticket = Ticket.objects.get(pk=new_ticket.pk)
    assert ticket.tier == Tier.N2
    escalation = TicketEvent.objects.get(ticket=ticket, kind=E.ESCALATED)
    assert escalation.actor is None
    assert escalation.reason.startswith("SLA breached: First response was due")


def test_breach_without_escalation_leaves_the_tier(new_ticket, clock, committed):
    clock.move_to(MONDAY_9 + 61 * MIN)
    sweep_twice(committed)

    assert Ticket.objects.get(pk=new_ticket.pk).tier == Tier.N1
    assert not TicketEvent.objects.filter(kind=E.ESCALATED).exists()


def test_breach_at_the_top_tier_is_recorded_without_escalating(
    new_ticket, policy, n1_agent, clock, committed
):
    policy.escalate_on_breach = True
    policy.save()
    with committed():
        services.ticket_escalate(ticket=new_ticket, reason="Análise", by=n1_agent)
        services.ticket_escalate(ticket=new_ticket, reason="Fornecedor", by=n1_agent)
    clock.move_to(MONDAY_9 + 61 * MIN)
    sweep_twice(committed)

    assert Ticket.objects.get(pk=new_ticket.pk).tier == Tier.N3
    assert len(sla_events(new_ticket, E.SLA_BREACHED)) == 1


def test_overdue_ticket_keeps_its_due_time_for_the_at_risk_view(
    new_ticket, n1_agent, clock, committed
):
    clock.move_to(MONDAY_9 + 2 * H)
    sweep_twice(committed)
    assert Ticket.objects.get(pk=new_ticket.pk).sla_due_at == MONDAY_9 + H  # overdue, first

    with committed():
        services.message_reply(ticket=new_ticket, by=n1_agent, body_text="Desculpe a demora.")
    assert Ticket.objects.get(pk=new_ticket.pk).sla_due_at == MONDAY_9 + 8 * H


def test_paused_clock_never_breaches(new_ticket, n1_agent, clock, committed):
    with committed():
        services.message_reply(
            ticket=new_ticket, by=n1_agent, body_text="Pode enviar o boleto?", then_status=S.PENDING
        )
    clock.move_to(MONDAY_9 + 20 * H)
    sweep_twice(committed)

    assert not TicketEvent.objects.filter(kind__in=[E.SLA_WARNING, E.SLA_BREACHED]).exists()


def test_timer_catches_up_after_downtime_in_batches(teams, policy, clock, committed):
    with committed():
        tickets = [receive(sender_value=f"cliente{n}@example.com") for n in range(5)]
    clock.move_to(MONDAY_9 + 3 * H)

    with committed():
        totals = tasks.sweep_clocks(batch=2)

    assert totals["breached"] == 5
    for ticket in tickets:
        assert len(sla_events(ticket, E.SLA_BREACHED)) == 1


# -- repairs -----------------------------------------------------------------------------------
def test_resync_repairs_the_clocks_of_a_ticket_whose_event_was_lost(
    new_ticket, n1_agent, clock, committed
):
    clock.shift(10 * MIN)
    # Outside `committed()`: this reply's domain event never reaches the SLA engine.
    services.message_reply(ticket=new_ticket, by=n1_agent, body_text="Olá!")
    assert first_response(new_ticket).stopped_at is None

    clock.shift(5 * MIN)
    with committed():
        repaired = tasks.resync_recent_tickets()

    assert repaired == 1
    assert first_response(new_ticket).stopped_at == MONDAY_9 + 10 * MIN
    assert Ticket.objects.get(pk=new_ticket.pk).sla_due_at == MONDAY_9 + 8 * H
    with committed():
        assert tasks.resync_recent_tickets() == 0


def test_recompute_after_a_change_of_rules(new_ticket, policy, committed):
    policy.first_response_minutes = 30
    policy.save()

    with committed():
        assert tasks.recompute_open_tickets() == 1

    assert first_response(new_ticket).due_at == MONDAY_9 + 30 * MIN
    assert Ticket.objects.get(pk=new_ticket.pk).sla_due_at == MONDAY_9 + 30 * MIN


# -- the real stack ----------------------------------------------------------------------------
def _escalating_tickets(count: int) -> list[Ticket]:
    calendar = BusinessCalendarFactory(always_open=True)
    SLAPolicyFactory(
        calendar=calendar, escalate_on_breach=True,
        next_response_minutes=None, resolution_minutes=None,
    )  # fmt: skip
    tickets = [receive(sender_value=f"cliente{n}@example.com") for n in range(count)]
    # Their clocks are synced by a queued task; with a real worker of its own queue only, the
    # test does it itself (idempotent: a second sync changes nothing).
    sla_services.tickets_sla_sync(ticket_ids=[ticket.pk for ticket in tickets])
    return tickets


@pytest.mark.services
def test_two_workers_sweeping_at_once_record_each_breach_once(transactional_db, teams):
    with time_machine.travel(timezone.now() - 3 * H, tick=True):
        tickets = _escalating_tickets(6)  # committed for real: the subscribers ran
    assert TicketSLA.objects.filter(due_at__lte=timezone.now()).count() == 6
    start = threading.Barrier(2)
    outcomes = []

    def sweep():
        try:
            start.wait(timeout=10)
            outcomes.append(sla_services.sla_sweep(limit=50))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(outcome.breached for outcome in outcomes) == 6
    for ticket in tickets:
        assert TicketEvent.objects.filter(ticket=ticket, kind=E.SLA_BREACHED).count() == 1
        assert TicketEvent.objects.filter(ticket=ticket, kind=E.ESCALATED).count() == 1
        assert Ticket.objects.get(pk=ticket.pk).tier == Tier.N2


@pytest.mark.services
@pytest.mark.worker_queues("sla")  # the escalation steps follow on the "sla" queue
def test_breach_sweep_runs_in_a_real_worker(celery_worker_queue, teams):
    with time_machine.travel(timezone.now() - 3 * H, tick=True):
        [ticket] = _escalating_tickets(1)

    # send_task never runs eagerly: the message crosses Redis to the worker process.
    celery_app.send_task("sla.sweep_clocks", queue=celery_worker_queue)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Ticket.objects.get(pk=ticket.pk).tier == Tier.N1:
        time.sleep(0.2)
    assert TicketEvent.objects.filter(ticket=ticket, kind=E.SLA_BREACHED).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).tier == Tier.N2


@pytest.mark.services
def test_timer_and_recomputation_meeting_on_a_ticket_do_not_deadlock(transactional_db, teams):
    with time_machine.travel(timezone.now() - 50 * MIN, tick=True):
        SLAPolicyFactory(calendar=BusinessCalendarFactory(always_open=True))
        ticket = receive()  # first response due in 10 minutes, warning 2 minutes ago
    clock_id = first_response(ticket).pk
    recomputation_holds_ticket = threading.Event()
    errors = []

    def recompute_slowly():
        """What tickets_sla_sync does, with a pause between locking the ticket and its clocks."""
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=ticket.pk)
                recomputation_holds_ticket.set()
                time.sleep(0.5)  # the timer comes in now
                list(TicketSLA.objects.select_for_update().filter(ticket=ticket))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def warn():
        try:
            recomputation_holds_ticket.wait(timeout=10)
            sla_services.clock_record_warning(clock_id=clock_id)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=recompute_slowly), threading.Thread(target=warn)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert TicketEvent.objects.filter(ticket=ticket, kind=E.SLA_WARNING).count() == 1


def test_the_timer_runs_every_15_seconds_by_default_and_within_its_interval(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sla-sweep-clocks"]

    assert settings.SLA_TIMER_SECONDS == 15
    assert entry["schedule"] == 15
    assert entry["kwargs"]["seconds"] < entry["schedule"]
