"""The rules' task on many tickets at once: the batch read and checked together, the tickets
that need it locked together, each team's agents and their load read once, and the outcome the
same as one ticket at a time (spread, turns, a rule's own assignment counted, one failure
undoing only its own ticket)."""

import pytest
from django.db import connection

from automation import routing, tasks
from automation.engine import Work, process
from automation.models import TeamRouting
from tests.automation.conftest import online_agent, rule, ticket_in
from tests.sql_budget import sql_budget
from tickets.models import Ticket, TicketEvent

ON_POSTGRES = connection.vendor == "postgresql"
# The drain: the waiting rows claimed (read, their attempt counted) and taken locked, their
# tickets locked in id order, the active rules, the routed teams, the batch read unlocked
# (its tags with it on PostgreSQL), then locked (tags again), the team's routing row, its online
# agents and their load, the rows deleted and the next round's rows written (one INSERT for the
# chunk's assignments); the next look takes them, reads the rules (none listens), deletes them,
# and a last look finds none; after commit the live pushes' reads (chat sessions, the tickets)
# and the look of the drain asked for after that commit (eager here; in a worker the events a
# drain's rules publish ask for none). 12 as the task of the rules of one delivery; 19 before the
# claim and the tickets' lock (+3 for each of the two looks that find rows).
DRAIN_BASE = 25 - 2 * ON_POSTGRES
# Per routed ticket, in ticket_assign: the ticket locked again, its row, the timeline entry,
# the agent's notification; after commit the notification's live push (three reads). One at a
# time it was 14 on SQLite, 12 on PostgreSQL (every ticket read twice, its team's policy, agents
# and their load read again).
PER_ROUTED = 7


def created(tickets):
    return [Work(t.pk, {"created"}).as_json() for t in tickets]


def assignees(tickets):
    by_pk = dict(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list(
            "pk", "assignee__username"
        )
    )
    return [by_pk[t.pk] for t in tickets]


@pytest.mark.parametrize("count", [1, 10])
def test_new_tickets_cost_a_constant_plus_their_assignment_each(team, count):
    for n in range(3):
        online_agent(team, username=f"a{n}")
    tickets = [ticket_in(team) for _ in range(count)]

    # Each ticket's creation wrote its row; the drain asked for after it runs them all.
    with sql_budget() as budget:
        tasks.drain_rules.delay()

    assert all(assignees(tickets))
    assert budget.tasks["automation.drain_rules"] == DRAIN_BASE + PER_ROUTED * count, budget


def test_a_batch_for_a_least_loaded_team_is_spread_as_one_at_a_time(team):
    a = online_agent(team, username="a", capacity=6)
    b = online_agent(team, username="b", capacity=6)
    c = online_agent(team, username="c", capacity=6)
    for _ in range(2):
        ticket_in(team, assignee=b)
    for _ in range(4):
        ticket_in(team, assignee=c)
    tickets = [ticket_in(team) for _ in range(14)]

    process([Work(t.pk, {"created"}) for t in tickets])

    # The fewest open tickets first (ties: the lowest id), each up to capacity; the last two
    # find nobody with room.
    expected = ["a", "a", "a", "b", "a", "b", "a", "b", "c", "a", "b", "c", None, None]
    assert assignees(tickets) == expected
    assert [Ticket.objects.filter(assignee=u).count() for u in (a, b, c)] == [6, 6, 6]


def test_a_batch_for_a_round_robin_team_takes_turns_and_remembers_the_last(team):
    TeamRouting.objects.filter(team=team).update(policy=TeamRouting.Policy.ROUND_ROBIN)
    online_agent(team, username="a")
    b = online_agent(team, username="b")
    tickets = [ticket_in(team) for _ in range(5)]

    process([Work(t.pk, {"created"}) for t in tickets])

    assert assignees(tickets) == ["a", "b", "a", "b", "a"]
    later = ticket_in(team)
    process([Work(later.pk, {"created"})])
    assert assignees([later]) == [b.username]


def test_a_rules_own_assignment_counts_for_the_next_ticket_of_the_batch(team):
    online_agent(team, username="ana")
    online_agent(team, username="bia")
    rule("to ana", conditions=[{"field": "priority", "value": "urgent"}],
         actions=[{"type": "assign", "to": "ana"}])  # fmt: skip
    first = ticket_in(team, priority="urgent")
    second = ticket_in(team)

    process([Work(first.pk, {"created"}), Work(second.pk, {"created"})])

    # ana got one from the rule: least loaded is now bia.
    assert assignees([first, second]) == ["ana", "bia"]


def test_a_solved_ticket_in_the_batch_frees_its_agents_slot(team):
    ana = online_agent(team, username="ana", capacity=1)
    held = ticket_in(team, assignee=ana, status=Ticket.Status.OPEN)
    rule("solve", events=["updated"], actions=[{"type": "set_status", "status": "solved"}])
    new = ticket_in(team)
    # First the route is read with ana full, then her ticket is solved, then the new one routed.
    process([Work(held.pk, {"updated"}), Work(new.pk, {"created"})])
    assert assignees([new]) == ["ana"]


def test_one_failing_ticket_undoes_only_its_own_work(team, monkeypatch, caplog):
    online_agent(team, username="a")
    online_agent(team, username="b")
    tickets = [ticket_in(team) for _ in range(4)]
    rule("tag", actions=[{"type": "add_tags", "tags": ["visto"]}])
    assign = routing.services.ticket_assign

    def failing(*, ticket, **kwargs):
        if ticket.pk == tickets[1].pk:
            raise RuntimeError("boom")
        return assign(ticket=ticket, **kwargs)

    monkeypatch.setattr(routing.services, "ticket_assign", failing)
    fired = process([Work(t.pk, {"created"}) for t in tickets])

    # The failing ticket's rule run was undone with it (tried again alone, failing again).
    assert fired == 3
    assert assignees(tickets) == ["a", None, "b", "a"]
    assert not tickets[1].tags.exists()
    assert not tickets[1].events.filter(kind=TicketEvent.Kind.RULE_RAN).exists()
    assert all(t.tags.filter(name="visto").exists() for t in tickets if t != tickets[1])
    assert f"Rules failed on ticket {tickets[1].pk}" in caplog.text


def test_a_ticket_twice_in_a_batch_is_seen_changed_the_second_time(team):
    rule("tag once", events=["created", "updated"],
         conditions=[{"field": "tag", "value": "visto", "negate": True}],
         actions=[{"type": "add_tags", "tags": ["visto"]}])  # fmt: skip
    rule("after the tag", events=["updated"], conditions=[{"field": "tag", "value": "visto"}],
         actions=[{"type": "set_priority", "priority": "high"}])  # fmt: skip
    ticket = ticket_in(team)

    process([Work(ticket.pk, {"created"}), Work(ticket.pk, {"updated"}, depth=1)])

    ticket.refresh_from_db()
    assert ticket.priority == "high"
