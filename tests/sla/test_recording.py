"""The timer records warnings and breaches in bulk: a batch costs the same statements whatever
its size (its live pushes and escalation steps follow as queued tasks), each clock is marked
exactly once (also by two sweepers at once, on PostgreSQL), the escalation steps follow as
queued chunks, and a warning fires at the same business-time moment a ticket enters the "SLA at
risk" view."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from sla import escalation, recording
from sla import services as sla_services
from sla.models import EscalationStep, SLAPolicy, Target, TicketSLA
from tests.sla.conftest import MONDAY_9, sp
from tests.sla.factories import BusinessCalendarFactory, SLAPolicyFactory
from tests.sql_budget import sql_budget
from tests.tickets.factories import make_inbound
from tickets import services
from tickets.models import Ticket, TicketEvent, Tier
from tickets.selectors.inbox import inbox_page

E = TicketEvent.Kind
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
STEPS_TASK = "sla.run_escalation_steps"
# One stage that records: due clocks, their tickets locked, the policies with steps (2), the
# UPDATE ... RETURNING, the marked clocks read back, the trail entries' INSERT; the other stage
# finds nothing due (1). After commit, the live pushes and the escalation steps are queued tasks.
SWEEP_STATEMENTS = 8
WARNING_SWEEP_STATEMENTS = 7  # the policies with warning steps: one query
PUSH_TASK = "workspace.push_domain_events"


def receive_many(count: int, committed, first: int = 0) -> list[Ticket]:
    with committed():
        return [
            services.message_receive(incoming=make_inbound(sender_value=f"c{n}@example.com")).ticket
            for n in range(first, first + count)
        ]


@pytest.mark.parametrize("count", [3, 40])
def test_a_sweep_costs_the_same_statements_for_3_or_40_breaches(
    count, teams, policy, clock, committed
):
    policy.escalate_on_breach = True
    policy.save()
    receive_many(count, committed)
    clock.move_to(MONDAY_9 + 61 * MIN)

    with sql_budget() as budget:
        result = sla_services.sla_sweep()

    assert result.breached == count
    assert len(budget.statements) == SWEEP_STATEMENTS, budget
    assert budget.transactions == 2, budget
    # The escalations follow as queued work, counted apart (with the clock syncs they cause),
    # and so do the automation rules (their drain), which may react to the escalations.
    queued = {PUSH_TASK, STEPS_TASK, "sla.sync_ticket_clocks", "automation.drain_rules"}
    assert set(budget.tasks) == queued, budget
    assert Ticket.objects.filter(tier=Tier.N2).count() == count


def test_warnings_cost_a_fixed_number_of_statements(teams, policy, clock, committed):
    receive_many(25, committed)
    clock.move_to(MONDAY_9 + 50 * MIN)

    with sql_budget() as budget:
        result = sla_services.sla_sweep()

    assert result.warned == 25
    assert len(budget.statements) == WARNING_SWEEP_STATEMENTS, budget
    assert set(budget.tasks) == {PUSH_TASK}, budget
    assert TicketSLA.objects.filter(warned_at=MONDAY_9 + 50 * MIN).count() == 25


def test_a_breach_records_its_due_time_and_when_it_was_recorded(teams, policy, clock, committed):
    [ticket] = receive_many(1, committed)
    clock.move_to(MONDAY_9 + 64 * MIN)
    with committed():
        recorded = recording.clocks_record_breaches()

    first = TicketSLA.objects.get(ticket=ticket, target=Target.FIRST_RESPONSE)
    assert recorded.clock_ids == [first.pk]
    assert (first.breached_at, first.breach_recorded_at) == (MONDAY_9 + H, MONDAY_9 + 64 * MIN)
    [entry] = TicketEvent.objects.filter(ticket=ticket, kind=E.SLA_BREACHED)
    assert entry.created_at == MONDAY_9 + H
    assert entry.data["policy"] == policy.name


def test_a_batch_records_most_overdue_first_and_the_rest_next(teams, policy, clock, committed):
    tickets = []
    for n in range(5):
        tickets += receive_many(1, committed, first=n)
        clock.shift(MIN)
    clock.move_to(MONDAY_9 + 2 * H)

    with committed():
        first = recording.clocks_record_breaches(limit=2)
        second = recording.clocks_record_breaches(limit=10)
        third = recording.clocks_record_breaches(limit=10)

    clock_of = {c.pk: c.ticket_id for c in TicketSLA.objects.filter(target=Target.FIRST_RESPONSE)}
    assert [clock_of[pk] for pk in first.clock_ids] == [t.pk for t in tickets[:2]]
    assert (second.count, third.count, third.looked_at) == (3, 0, 0)


def test_a_breach_found_again_is_not_recorded_twice(teams, policy, clock, committed):
    [ticket] = receive_many(1, committed)
    first = TicketSLA.objects.get(ticket=ticket, target=Target.FIRST_RESPONSE)
    clock.move_to(MONDAY_9 + 2 * H)
    with committed():
        assert recording.clocks_record_breaches(clock_ids=[first.pk]).count == 1
        assert recording.clocks_record_breaches(clock_ids=[first.pk]).count == 0
        assert sla_services.sla_sweep().breached == 0

    assert TicketEvent.objects.filter(ticket=ticket, kind=E.SLA_BREACHED).count() == 1


# -- the same horizon as the "SLA at risk" view -----------------------------------------------
def at_risk(agent) -> set[int]:
    cache.clear()
    return {ticket.pk for ticket in inbox_page(agent=agent, view="sla").tickets}


def test_the_view_and_the_warning_agree_at_every_moment_of_a_business_day(
    teams, n1_agent, clock, committed
):
    """Business hours, a percentage warning that falls overnight and one that falls inside the
    day: at each moment, a ticket is in the view exactly when the timer would warn (or has
    warned, or it is overdue)."""
    clock.move_to(sp(2026, 11, 17, 16, 0))  # Tuesday 16:00
    SLAPolicyFactory(
        calendar=BusinessCalendarFactory(),
        first_response_minutes=240,  # due Wednesday 10:00 (two hours left tomorrow)
        next_response_minutes=None,
        resolution_minutes=None,
        warn_before=25,  # one business hour before: Wednesday 09:00
        warn_unit=SLAPolicy.WarnUnit.PERCENT,
    )
    [ticket] = receive_many(1, committed)
    moments = [
        sp(2026, 11, 17, 17, 59), sp(2026, 11, 18, 7, 0), sp(2026, 11, 18, 8, 59),
        sp(2026, 11, 18, 9, 0), sp(2026, 11, 18, 9, 30), sp(2026, 11, 18, 10, 5),
    ]  # fmt: skip
    seen = []
    for moment in moments:
        clock.move_to(moment)
        with committed():
            sla_services.sla_sweep()
        warned_or_due = TicketEvent.objects.filter(
            ticket=ticket, kind__in=[E.SLA_WARNING, E.SLA_BREACHED]
        ).exists()
        seen.append((ticket.pk in at_risk(n1_agent), warned_or_due))

    assert seen == [(False, False)] * 3 + [(True, True)] * 3
    warned = TicketSLA.objects.get(ticket=ticket).warned_at
    assert warned == sp(2026, 11, 18, 9, 0) == Ticket.objects.get(pk=ticket.pk).sla_warn_at


# -- two sweepers at once, on PostgreSQL ------------------------------------------------------
def _due_tickets(count: int) -> list[Ticket]:
    """Tickets created 3 hours ago: first response (60 min) overdue, resolution (200 min,
    warning 40 min before) in its warning time; the policy notifies and escalates on breach."""
    with time_machine.travel(timezone.now() - 3 * H, tick=True):
        policy = SLAPolicyFactory(
            calendar=BusinessCalendarFactory(always_open=True),
            next_response_minutes=None, resolution_minutes=200, escalate_on_breach=True,
        )  # fmt: skip
        EscalationStep.objects.create(policy=policy, stage="warning", action="notify")
        tickets = [
            services.message_receive(incoming=make_inbound(sender_value=f"c{n}@example.com")).ticket
            for n in range(count)
        ]
        sla_services.tickets_sla_sync(ticket_ids=[ticket.pk for ticket in tickets])
    return tickets


def _run_together(*work) -> list:
    start = threading.Barrier(len(work))
    outcomes, errors = [], []

    def run(job):
        try:
            start.wait(timeout=10)
            outcomes.append(job())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return outcomes


@pytest.mark.services
def test_two_sweepers_at_once_record_each_warning_and_breach_once(transactional_db, teams):
    tickets = _due_tickets(40)
    clock_ids = list(TicketSLA.objects.values_list("pk", flat=True))

    def sweeper():
        totals = [0, 0]
        for _ in range(40):
            result = sla_services.sla_sweep(limit=7)
            totals[0] += result.breached
            totals[1] += result.warned
            if not result.looked_at:
                break
            time.sleep(0.001)
        return totals

    def one_by_one():
        """Another worker recording the same clocks one at a time, waiting for locks."""
        totals = [0, 0]
        for pk in clock_ids:
            totals[0] += sla_services.clock_record_breach(clock_id=pk)
            totals[1] += sla_services.clock_record_warning(clock_id=pk)
        return totals

    outcomes = _run_together(sweeper, sweeper, one_by_one)

    assert sum(breached for breached, _ in outcomes) == 40
    assert sum(warned for _, warned in outcomes) == 40
    for ticket in tickets:
        kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
        assert kinds.count(E.SLA_BREACHED) == kinds.count(E.SLA_WARNING) == 1
        assert kinds.count(E.ESCALATED) == 1
        assert Ticket.objects.get(pk=ticket.pk).tier == Tier.N2
    assert not TicketSLA.objects.filter(breached_at__isnull=False, breach_steps_at=None).exists()


@pytest.mark.services
def test_two_workers_running_the_same_steps_escalate_each_ticket_once(transactional_db, teams):
    tickets = _due_tickets(20)
    original, recording.queue_steps = recording.queue_steps, lambda *a, **k: None
    try:
        assert sla_services.sla_sweep().breached == 20  # steps left to run
    finally:
        recording.queue_steps = original
    ids = list(TicketSLA.objects.filter(breached_at__isnull=False).values_list("pk", flat=True))

    def steps():
        return escalation.sla_steps_run(stage="breach", clock_ids=ids)

    assert sum(_run_together(steps, steps)) == 20
    for ticket in tickets:
        assert TicketEvent.objects.filter(ticket=ticket, kind=E.ESCALATED).count() == 1
