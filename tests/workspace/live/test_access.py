"""A live connection keeps no more access than its agent has: it is closed when the agent is
deactivated or signed out, hears only the teams the agent is still in, and drops a watched
ticket (presence, typing) that has left the agent's reach. Changes made through the services
apply at once (their events reach the agent's connections); anything else at the server's next
periodic re-check, which a client cannot skip by keeping quiet."""

import asyncio
import json

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection

from tests.tickets.factories import TeamFactory, make_ticket
from tickets import events, services
from tickets.models import Ticket, Tier
from workspace.live import consumers, pushes

from .sockets import (
    agent_socket,
    cookie_of,
    db_call,
    drain,
    names,
    next_of,
    run,
    watch,
)

pytestmark = pytest.mark.django_db(transaction=True)

QUICK = 0.2  # seconds between periodic re-checks in the tests that rely on them


@pytest.fixture
def quick_recheck(settings, in_memory_stack):
    settings.JORNADA = {**settings.JORNADA, "LIVE_RECHECK_SECONDS": QUICK}


@pytest.fixture
def slow_recheck(settings, in_memory_stack):
    """The production interval: what a test shows then happens without the periodic re-check."""
    settings.JORNADA = {**settings.JORNADA, "LIVE_RECHECK_SECONDS": 60}


async def outputs_until_quiet(socket_, quiet=0.3):
    """Every frame the server sends (messages and the close) until it falls quiet."""
    outputs = []
    while not await socket_.receive_nothing(timeout=quiet):
        outputs.append(await socket_.receive_output())
    return outputs


def sent_messages(outputs):
    return [json.loads(o["text"]) for o in outputs if o["type"] == "websocket.send"]


CLOSED_NOT_SIGNED_IN = {"type": "websocket.close", "code": consumers.CLOSE_NOT_SIGNED_IN}


# --- deactivation and team changes, through the services: at once ------------------------------


@pytest.mark.usefixtures("slow_recheck")
def test_deactivated_agent_is_closed_and_hears_nothing_more_of_their_former_team(
    teams, n1_agent, manager, customer
):
    cookie = cookie_of(n1_agent)

    async def scenario():
        agent = await agent_socket(cookie)
        await db_call(services.agent_deactivate)(agent=n1_agent, by=manager)
        ticket = await db_call(services.ticket_create)(
            customer=customer, subject="Depois da saída", channel="email", team=teams[Tier.N1]
        )
        outputs = await outputs_until_quiet(agent)
        assert all(m.get("ticket") != ticket.number for m in sent_messages(outputs))
        assert CLOSED_NOT_SIGNED_IN in outputs

    run(scenario)


def remove_through_the_service(agent, team):
    services.agent_team_remove(agent=agent, team=team, by=None)


def remove_behind_the_services(agent, team):
    agent.agent_profile.teams.remove(team)


@pytest.mark.parametrize(
    ("remove", "recheck"),
    [(remove_through_the_service, 60), (remove_behind_the_services, QUICK)],
    ids=["service-at-once", "periodic-recheck"],
)
def test_agent_taken_out_of_a_team_stops_hearing_it(
    settings, in_memory_stack, remove, recheck, teams, n1_agent, customer
):
    settings.JORNADA = {**settings.JORNADA, "LIVE_RECHECK_SECONDS": recheck}
    cookie = cookie_of(n1_agent)

    async def scenario():
        agent = await agent_socket(cookie)
        await db_call(remove)(n1_agent, teams[Tier.N1])
        await agent.receive_nothing(timeout=QUICK * 3)  # time to leave the team's group
        await db_call(services.ticket_create)(
            customer=customer, subject="Outra fila", channel="email", team=teams[Tier.N1]
        )
        assert await agent.receive_nothing(timeout=0.3)
        await agent.disconnect()

    run(scenario)


@pytest.mark.usefixtures("slow_recheck")
def test_agent_added_to_a_team_hears_it_at_once(teams, other_n1_agent, manager, customer):
    cookie = cookie_of(other_n1_agent)

    async def scenario():
        agent = await agent_socket(cookie)
        await db_call(services.agent_team_add)(
            agent=other_n1_agent, team=teams[Tier.N1], by=manager
        )
        await agent.receive_nothing(timeout=0.2)
        ticket = await db_call(services.ticket_create)(
            customer=customer, subject="Nova fila", channel="email", team=teams[Tier.N1]
        )
        push = await next_of(agent, "ticket")
        assert (push["event"], push["ticket"]) == (events.TicketCreated.name, ticket.number)
        await agent.disconnect()

    run(scenario)


# --- a watched ticket leaving the agent's reach -------------------------------------------------


@pytest.mark.usefixtures("slow_recheck")
def test_ticket_escalated_out_of_reach_is_no_longer_watched_nor_typed_on(ticket, n1_agent, manager):
    cookies = cookie_of(n1_agent), cookie_of(manager)

    async def scenario():
        agent, boss = [await agent_socket(cookie) for cookie in cookies]
        await watch(agent, ticket.number)
        await watch(boss, ticket.number)
        await next_of(agent, "presence")  # the boss came in
        await db_call(services.ticket_escalate)(ticket=ticket, reason="Precisa do N2", by=manager)
        changed = await next_of(agent, "ticket_changed")
        assert changed["event"] == events.TicketEscalated.name

        await agent.send_json_to({"type": "typing", "ticket": ticket.number, "active": True})
        replies = await drain(agent)
        assert replies == [
            {"type": "unwatched", "ticket": ticket.number},
            {"type": "error", "code": "not_watching", "ticket": ticket.number},
        ]
        seen_by_boss = [m for m in await drain(boss) if m["type"] == "presence"]
        assert (names(seen_by_boss[-1]["viewers"]), seen_by_boss[-1]["typing"]) == (["boss"], [])
        assert all("n1" not in names(m["typing"]) for m in seen_by_boss)

        await boss.send_json_to({"type": "typing", "ticket": ticket.number, "active": True})
        assert (await next_of(boss, "presence"))["typing"] == [{"id": manager.pk, "name": "boss"}]
        assert await agent.receive_nothing(timeout=0.2)  # the boss's typing is not the n1's news
        await agent.disconnect()
        await boss.disconnect()

    run(scenario)


@pytest.mark.usefixtures("slow_recheck")
def test_ticket_assigned_to_the_watcher_in_another_team_stays_watched(
    teams, n1_agent, n2_agent, manager
):
    """Out of the team's reach but the agent's own: still theirs to watch."""
    ticket = make_ticket(team=teams[Tier.N2], tier=Tier.N2)
    services.ticket_assign(ticket=ticket, assignee=n2_agent, by=manager)
    cookie = cookie_of(n2_agent)

    async def scenario():
        agent = await agent_socket(cookie)
        await watch(agent, ticket.number)
        await db_call(services.agent_team_remove)(agent=n2_agent, team=teams[Tier.N2], by=manager)
        await db_call(services.ticket_change_status)(
            ticket=ticket, to_status=Ticket.Status.OPEN, by=manager
        )
        await next_of(agent, "ticket_changed")
        assert all(m["type"] != "unwatched" for m in await drain(agent))
        await agent.send_json_to({"type": "typing", "ticket": ticket.number, "active": True})
        assert (await next_of(agent, "presence"))["typing"] == [{"id": n2_agent.pk, "name": "n2"}]
        await agent.disconnect()

    run(scenario)


# --- the periodic re-check: what changed without an event ---------------------------------------


def end_sessions(user):
    Session.objects.all().delete()


def make_inactive(user):
    type(user).objects.filter(pk=user.pk).update(is_active=False)


@pytest.mark.parametrize("revoke", [end_sessions, make_inactive])
@pytest.mark.usefixtures("quick_recheck")
def test_recheck_closes_a_quiet_connection_whose_agent_was_signed_out_behind_the_services(
    n1_agent, revoke
):
    cookie = cookie_of(n1_agent)

    async def scenario():
        agent = await agent_socket(cookie)
        await db_call(revoke)(n1_agent)
        # No heartbeat, no message: the server re-checks on its own.
        assert await agent.receive_output(timeout=2) == CLOSED_NOT_SIGNED_IN

    run(scenario)


@pytest.mark.usefixtures("quick_recheck")
def test_recheck_drops_a_watched_ticket_moved_out_of_reach_behind_the_services(
    teams, ticket, n1_agent
):
    cookie = cookie_of(n1_agent)
    elsewhere = TeamFactory(name="Financeiro", tier=Tier.N1)

    async def scenario():
        agent = await agent_socket(cookie)
        await watch(agent, ticket.number)
        await db_call(Ticket.objects.filter(pk=ticket.pk).update)(team=elsewhere)
        assert await next_of(agent, "unwatched") == {"type": "unwatched", "ticket": ticket.number}
        await agent.send_json_to({"type": "typing", "ticket": ticket.number, "active": True})
        assert (await next_of(agent, "error"))["code"] == "not_watching"
        await agent.disconnect()

    run(scenario)


@pytest.mark.parametrize(("configured", "used"), [(3600, 60), (30, 30), (0, 0.1)])
def test_recheck_interval_is_never_longer_than_a_minute(settings, configured, used):
    settings.JORNADA = {**settings.JORNADA, "LIVE_RECHECK_SECONDS": configured}
    assert consumers.recheck_seconds() == used


def test_access_events_reach_the_agents_own_connections(monkeypatch, n1_agent, teams):
    sent = []
    monkeypatch.setattr(pushes, "send", lambda groups, message: sent.append((groups, message)))

    services.agent_team_remove(agent=n1_agent, team=teams[Tier.N1], by=None)

    assert sent == [
        (
            [pushes.agent_group(n1_agent.pk)],
            {"type": "agent.access_changed", "event": events.AgentTeamRemoved.name},
        )
    ]


# --- the real stack -----------------------------------------------------------------------------


@pytest.mark.services
def test_deactivation_and_escalation_cross_the_real_redis_layer(teams, ticket, n1_agent, manager):
    """The web process that deactivates or escalates and the one holding the connection share
    nothing but Redis: the access push and the ticket's audience travel through it."""
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    cookie = cookie_of(n1_agent)

    def in_another_thread(service, **kwargs):
        try:
            return service(**kwargs)
        finally:
            connection.close()

    async def scenario():
        agent = await agent_socket(cookie)
        await watch(agent, ticket.number)
        await asyncio.to_thread(
            in_another_thread, services.ticket_escalate, ticket=ticket, reason="N2", by=manager
        )
        assert await next_of(agent, "unwatched", timeout=5) == {
            "type": "unwatched",
            "ticket": ticket.number,
        }
        await asyncio.to_thread(
            in_another_thread, services.agent_deactivate, agent=n1_agent, by=manager
        )
        assert await agent.receive_output(timeout=5) == CLOSED_NOT_SIGNED_IN

    run(scenario)
