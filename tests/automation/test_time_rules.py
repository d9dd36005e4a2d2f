"""Time-based rules with frozen time: due tickets get the actions once per episode, a restarted
worker does not act twice, business days skip weekends."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from automation import tasks, timerules
from automation.defaults import CLOSE_RULE, rules_seed_defaults
from automation.models import TimeRule, TimeRuleRun
from sla.models import BusinessCalendar
from tests.automation.conftest import ticket_in
from tests.tickets.factories import AgentFactory
from tickets import services
from tickets.models import (
    AgentNotification,
    AgentProfile,
    Message,
    Ticket,
    TicketEvent,
)

MONDAY = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def shipped_rules_off(db):
    """The rules a migration ships (close solved tickets) are off in these tests; what they
    were is returned."""
    shipped = dict(TimeRule.objects.values_list("name", "is_active"))
    TimeRule.objects.update(is_active=False)
    return shipped


def at(moment):
    return time_machine.travel(moment, tick=False)


def time_rule(name="T", **fields):
    return TimeRule.objects.create(name=name, **fields)


def test_solved_for_four_days_closes_once(team):
    time_rule(
        condition="solved",
        after=4,
        unit="days",
        actions=[{"type": "set_status", "status": "closed"}],
    )
    with at(MONDAY):
        ticket = ticket_in(team, status="open")
        services.ticket_change_status(ticket=ticket, to_status="solved", by=None)
    with at(MONDAY + timedelta(days=3, hours=23)):
        assert timerules.sweep() == 0
    with at(MONDAY + timedelta(days=4, minutes=1)):
        assert timerules.sweep() == 1
        assert timerules.sweep() == 0
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    [run] = ticket.events.filter(kind=TicketEvent.Kind.RULE_RAN)
    assert run.data["rule_name"] == "T"


def test_the_default_close_rule_replaces_the_hard_coded_task(team, shipped_rules_off):
    # Created by a migration, active, as the old hourly task was.
    assert shipped_rules_off == {CLOSE_RULE: True}
    TimeRule.objects.filter(name=CLOSE_RULE).update(is_active=True)
    rule = TimeRule.objects.get(name=CLOSE_RULE)
    assert (rule.condition, rule.after, rule.unit) == ("solved", 4, "days")
    old = ticket_in(team, status="solved", solved_at=MONDAY - timedelta(days=5))
    recent = ticket_in(team, status="solved", solved_at=MONDAY - timedelta(days=1))
    with at(MONDAY):
        assert tasks.run_time_rules.delay().get() == 1
    assert Ticket.objects.get(pk=old.pk).status == "closed"
    assert Ticket.objects.get(pk=recent.pk).status == "solved"


def test_pending_rules_count_business_days_and_remind_then_solve(team):
    BusinessCalendar.objects.create(
        name="Comercial", time_zone="UTC", weekly_hours=[[["09:00", "18:00"]]] * 5 + [[], []]
    )
    rules_seed_defaults(activate=True)
    TimeRule.objects.exclude(condition="pending").update(is_active=False)
    friday = MONDAY - timedelta(days=3)
    with at(friday):
        ticket = ticket_in(team, status="open")
        services.ticket_change_status(ticket=ticket, to_status="pending", by=None)
    # Friday + 3 business days = Wednesday (the weekend does not count).
    with at(MONDAY + timedelta(days=1)):  # Tuesday: 2 business days
        timerules.sweep()
    assert not ticket.messages.filter(direction=Message.Direction.OUTBOUND).exists()
    with at(MONDAY + timedelta(days=2, minutes=1)):  # Wednesday
        timerules.sweep()
        timerules.sweep()
    assert ticket.messages.filter(direction=Message.Direction.OUTBOUND).count() == 1
    with at(MONDAY + timedelta(days=8, minutes=1)):  # 7 business days after Friday
        timerules.sweep()
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert ticket.messages.filter(direction=Message.Direction.OUTBOUND).count() == 1


def test_a_new_episode_fires_again(team):
    time_rule(
        condition="pending",
        after=1,
        unit="hours",
        actions=[{"type": "add_tags", "tags": ["lembrado"]}],
    )
    with at(MONDAY):
        ticket = ticket_in(team, status="open")
        services.ticket_change_status(ticket=ticket, to_status="pending", by=None)
    with at(MONDAY + timedelta(hours=2)):
        assert timerules.sweep() == 1
        services.ticket_change_status(ticket=ticket, to_status="open", by=None)
        services.ticket_tag(ticket=ticket, by=None, remove=["lembrado"])
        services.ticket_change_status(ticket=ticket, to_status="pending", by=None)
    with at(MONDAY + timedelta(hours=2, minutes=30)):
        assert timerules.sweep() == 0
    with at(MONDAY + timedelta(hours=3, minutes=1)):
        assert timerules.sweep() == 1
    assert TimeRuleRun.objects.filter(ticket=ticket).count() == 2


def test_unassigned_for_30_minutes_notifies_the_dispatchers(team):
    dispatcher = AgentFactory(
        user__username="desp", teams=[team], n1_role=AgentProfile.N1Role.DISPATCHER
    )
    AgentFactory(user__username="solver", teams=[team])
    time_rule(
        condition="unassigned",
        after=30,
        unit="minutes",
        actions=[{"type": "notify", "to": "dispatchers"}],
    )
    with at(MONDAY):
        ticket = ticket_in(team)
        assigned = ticket_in(team, assignee=dispatcher.user)
    with at(MONDAY + timedelta(minutes=31)):
        assert timerules.sweep() == 1
        assert timerules.sweep() == 0
    notes = AgentNotification.objects.filter(kind=AgentNotification.Kind.RULE)
    assert [(n.recipient.username, n.ticket_id) for n in notes] == [("desp", ticket.pk)]
    assert assigned.pk != ticket.pk


def test_a_worker_killed_halfway_leaves_nothing_done_and_the_next_run_acts_once(team, monkeypatch):
    time_rule(condition="solved", after=1, unit="hours", actions=[
        {"type": "add_tags", "tags": ["a"]}, {"type": "set_status", "status": "closed"},
    ])  # fmt: skip
    with at(MONDAY):
        ticket = ticket_in(team, status="solved", solved_at=MONDAY)

    def killed(*args, **kwargs):
        raise SystemExit("worker lost")

    monkeypatch.setattr(services, "ticket_change_status", killed)
    with at(MONDAY + timedelta(hours=2)), pytest.raises(SystemExit):
        timerules.sweep()
    monkeypatch.undo()
    assert not TimeRuleRun.objects.exists()
    assert not ticket.tags.exists()  # the tag rolled back with the run

    with at(MONDAY + timedelta(hours=2)):
        assert timerules.sweep() == 1
        assert timerules.sweep() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    assert ticket.events.filter(kind=TicketEvent.Kind.RULE_RAN).count() == 1


def test_two_sweeps_of_the_same_episode_act_once(team):
    rule = time_rule(
        condition="solved", after=1, unit="hours", actions=[{"type": "add_tags", "tags": ["x"]}]
    )
    with at(MONDAY):
        ticket = ticket_in(team, status="solved", solved_at=MONDAY)
    with at(MONDAY + timedelta(hours=2)):
        episode = timerules.candidates(rule, now=MONDAY + timedelta(hours=2)).values_list(
            "episode", flat=True
        )[0]
        assert timerules.act(rule, ticket.pk, episode) is True
        assert timerules.act(rule, ticket.pk, episode) is False  # a second worker, same episode
    assert TimeRuleRun.objects.count() == 1


def test_business_day_cutoff_skips_weekends_and_holidays():
    calendar = BusinessCalendar.objects.create(
        name="SP", time_zone="UTC", weekly_hours=[[["09:00", "18:00"]]] * 5 + [[], []],
        closed_dates=[{"date": "2026-12-04", "name": "Feriado"}],
    )  # fmt: skip
    rule = TimeRule(condition="pending", after=2, unit="business_days")
    # From Monday: Friday is a holiday, so 2 business days back is Wednesday.
    assert timerules.cutoff(rule, MONDAY, calendar.hours) == MONDAY - timedelta(days=5)


def test_a_ticket_of_an_agent_offline_too_long_returns_to_the_queue_and_is_routed_again(
    team, settings
):
    from tests.automation.conftest import online_agent
    from tickets import registries

    settings.JORNADA = {**settings.JORNADA, "REQUEUE_OFFLINE_MINUTES": 30}
    with at(MONDAY - timedelta(hours=2)):
        gone = online_agent(team, username="gone")
    with at(MONDAY):
        here = online_agent(team, username="here")
        stranded = ticket_in(team, assignee=gone, status="open")
        kept = ticket_in(team, assignee=here, status="open")
        assert timerules.sweep() == 1
        assert timerules.sweep() == 0
    stranded.refresh_from_db()
    kept.refresh_from_db()
    assert stranded.assignee == here
    assert kept.assignee == here
    [event] = stranded.events.filter(kind=TicketEvent.Kind.RULE_RAN)
    assert "gone was offline for 30 minutes" in registries.event_text(event)
    assert stranded.events.filter(kind=TicketEvent.Kind.ASSIGNED, before="gone").exists()


def test_requeueing_is_off_unless_configured(team):
    from tests.automation.conftest import online_agent

    with at(MONDAY - timedelta(days=1)):
        gone = online_agent(team, username="gone")
    ticket = ticket_in(team, assignee=gone, status="open")
    timerules.sweep()
    ticket.refresh_from_db()
    assert ticket.assignee == gone
