"""Pushes of one delivery of events are coalesced: one query for all the tickets, one push per
ticket and audience, and the actor named only when every coalesced event was theirs (a page
drops pushes of its own agent's doing)."""

import pytest

from tests.tickets.factories import make_ticket
from tickets import events
from tickets.models import Tier
from workspace.live import pushes


@pytest.fixture
def sent(monkeypatch):
    out = []
    monkeypatch.setattr(pushes, "send_many", lambda messages: out.extend(messages) or True)
    return out


def flat(sent):
    """The layer messages, a group's batch of news (pushes.together) taken apart."""
    for group, msg in sent:
        for one in msg["pushes"] if msg["type"] == "ticket.pushes" else [msg]:
            yield group, one


def changed(sent):
    return {
        msg["payload"]["ticket"]: msg["payload"]
        for _, msg in sent
        if msg["type"] == "ticket.changed"
    }


def test_a_batch_costs_one_query_and_one_change_push_per_ticket(
    sent, teams, n1_agent, django_assert_num_queries
):
    tickets = [make_ticket(team=teams[Tier.N1]) for _ in range(5)]
    batch = [
        events.StatusChanged(ticket_id=t.pk, before="new", after="open", by_id=n1_agent.pk)
        for t in tickets
        for _ in range(3)
    ]

    with django_assert_num_queries(1):
        pushes.announce(batch)

    assert sorted(changed(sent)) == sorted(t.number for t in tickets)
    assert len([m for _, m in sent if m["type"] == "ticket.changed"]) == 5
    assert {p["by"] for p in changed(sent).values()} == {n1_agent.pk}


def test_changes_by_two_people_in_one_batch_are_nobodys_own(sent, ticket, n1_agent, manager):
    pushes.announce(
        [
            events.MessageCreated(
                ticket_id=ticket.pk,
                message_id=1,
                direction="inbound",
                kind="message",
                channel="email",
            ),
            events.PriorityChanged(
                ticket_id=ticket.pk, before="normal", after="high", by_id=manager.pk
            ),
        ]
    )

    assert changed(sent)[ticket.number]["by"] is None
    news = [m["payload"] for _, m in flat(sent) if m["type"] == "ticket.push"]
    assert news
    assert {p["by"] for p in news} == {None}  # the customer's message: nobody's own


def test_sla_warnings_and_breaches_reach_those_who_see_the_ticket_for_their_dashboards(
    sent, teams, django_assert_num_queries
):
    warned = make_ticket(team=teams[Tier.N1])
    breached = make_ticket(team=teams[Tier.N2])
    batch = [
        events.SLAWarned(ticket_id=warned.pk, target="first_response", due_at="", event_id=1),
        events.SLABreached(ticket_id=breached.pk, target="resolution", due_at="", event_id=2),
    ]

    with django_assert_num_queries(1):
        pushes.announce(batch)

    sla = [(group, msg["payload"]) for group, msg in flat(sent) if msg["payload"]["type"] == "sla"]
    assert sorted((group, p["ticket"], p["event"]) for group, p in sla) == sorted(
        [
            (pushes.MANAGERS, warned.number, "sla.warning"),
            (pushes.team_group(teams[Tier.N1].pk), warned.number, "sla.warning"),
            (pushes.MANAGERS, breached.number, "sla.breached"),
            (pushes.team_group(teams[Tier.N2].pk), breached.number, "sla.breached"),
        ]
    )


def test_the_timers_sla_events_are_pushed_by_a_queued_task_with_the_same_messages(
    sent, teams, django_capture_on_commit_callbacks
):
    from celery import signals

    warned = make_ticket(team=teams[Tier.N1])
    ran = []

    def started(sender=None, **kwargs):
        ran.append(sender.name)

    signals.task_prerun.connect(started, weak=False)
    try:
        pushes.announce_sla_later(
            [events.SLAWarned(ticket_id=warned.pk, target="first_response", due_at="", event_id=1)]
        )
    finally:
        signals.task_prerun.disconnect(started)

    assert ran == ["workspace.push_domain_events"]
    sla = [(group, msg["payload"]) for group, msg in flat(sent) if msg["payload"]["type"] == "sla"]
    assert sorted((group, p["ticket"]) for group, p in sla) == sorted(
        [(pushes.MANAGERS, warned.number), (pushes.team_group(teams[Tier.N1].pk), warned.number)]
    )


def test_the_news_of_a_batch_is_one_layer_message_per_group(sent, teams, django_assert_num_queries):
    tickets = [make_ticket(team=teams[Tier.N1]) for _ in range(5)]
    batch = [events.TicketCreated(ticket_id=t.pk, channel="email") for t in tickets]

    with django_assert_num_queries(1):
        pushes.announce(batch)

    news = [(group, msg) for group, msg in sent if msg["type"].startswith("ticket.push")]
    groups = [group for group, _ in news]
    assert sorted(groups) == sorted({pushes.MANAGERS, pushes.team_group(teams[Tier.N1].pk)})
    for _, msg in news:
        assert msg["type"] == "ticket.pushes"
        assert sorted(p["payload"]["ticket"] for p in msg["pushes"]) == sorted(
            t.number for t in tickets
        )
