"""The agent workspace's live layer: who may connect, who hears which ticket, presence on a ticket,
notifications, and a channel layer that fails without taking the service down.

Websocket tests talk to the real ASGI application (origin check, session auth, routing) through
channels' WebsocketCommunicator; the database work they trigger runs through the real services,
whose pushes arrive after commit (hence transactional tests).
"""

import asyncio
import json
import logging
import socket
import time
from datetime import timedelta

import pytest
import time_machine
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from channels_app import realtime
from helpdesk.asgi import application
from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    TeamFactory,
    UserFactory,
    make_inbound,
    make_ticket,
)
from tickets import events, selectors, services
from tickets.models import AgentNotification, Ticket, Tier
from workspace.live import consumers, presence, pushes

from .sockets import (
    agent_socket,
    cookie_of,
    db_call,
    drain,
    names,
    next_of,
    open_socket,
    run,
    watch,
)

pytestmark = pytest.mark.django_db(transaction=True)

S = Ticket.Status


# --- who may connect --------------------------------------------------------------------------


@pytest.mark.usefixtures("in_memory_stack")
def test_anonymous_visitor_is_closed_with_4401(transactional_db):
    async def scenario():
        socket_ = await open_socket()
        closed = await socket_.receive_output(timeout=1)
        assert closed == {"type": "websocket.close", "code": consumers.CLOSE_NOT_SIGNED_IN}

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_signed_in_customer_is_closed_with_4403(transactional_db):
    portal_user = UserFactory(username="cliente")
    CustomerFactory(name="Cliente do portal", user=portal_user)
    cookie = cookie_of(portal_user)

    async def scenario():
        socket_ = await open_socket(cookie)
        closed = await socket_.receive_output(timeout=1)
        assert closed == {"type": "websocket.close", "code": consumers.CLOSE_NOT_AN_AGENT}

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_socket_from_a_foreign_origin_is_rejected(n1_agent):
    cookie = cookie_of(n1_agent)

    async def scenario():
        socket_ = WebsocketCommunicator(
            application,
            "/ws/agent/",
            headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie.encode())],
        )
        connected, _ = await socket_.connect()
        assert not connected

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_agent_is_greeted_with_who_they_are(n1_agent):
    cookie = cookie_of(n1_agent)

    async def scenario():
        socket_ = await open_socket(cookie)
        hello = await socket_.receive_json_from()
        assert hello["user"] == {"id": n1_agent.pk, "name": "n1"}
        assert hello["heartbeat"] == consumers.HEARTBEAT_SECONDS
        assert hello["strings"]["open"] == "Open ticket"
        await socket_.disconnect()

    run(scenario)


# --- who hears which ticket -------------------------------------------------------------------


@pytest.mark.usefixtures("in_memory_stack")
def test_new_ticket_reaches_its_team_and_managers_but_not_another_team(
    teams, n1_agent, manager, other_n1_agent, customer
):
    cookies = [cookie_of(user) for user in (n1_agent, manager, other_n1_agent)]

    async def scenario():
        own_team, boss, other_team = [await agent_socket(cookie) for cookie in cookies]
        ticket = await db_call(services.ticket_create)(
            customer=customer, subject="Cobrança em dobro", channel="email", team=teams[Tier.N1]
        )
        expected = {
            "type": "ticket",
            "event": events.TicketCreated.name,
            "ticket": ticket.number,
            "subject": "Cobrança em dobro",
            "customer": "Maria da Silva",
            "channel": "email",
            "status": S.NEW,
            "by": None,
        }
        assert await own_team.receive_json_from() == expected
        assert await boss.receive_json_from() == expected
        assert await other_team.receive_nothing(timeout=0.2)
        for socket_ in (own_team, boss, other_team):
            await socket_.disconnect()

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_customer_message_reaches_the_queue_and_the_open_page_without_its_text(
    teams, n1_agent, n2_agent
):
    first = services.message_receive(
        incoming=make_inbound(external_id="<a@cliente.example>", subject="Senha")
    )
    cookies = cookie_of(n1_agent), cookie_of(n2_agent)

    async def scenario():
        agent, outsider = [await agent_socket(cookie) for cookie in cookies]
        await watch(agent, first.ticket.number)
        await db_call(services.message_receive)(
            incoming=make_inbound(
                external_id="<b@cliente.example>",
                subject="Re: Senha",
                reply_to_ids=("<a@cliente.example>",),
                body_text="Minha senha secreta é hunter2",
            )
        )
        pushes = [await agent.receive_json_from(), await agent.receive_json_from()]
        by_type = {push["type"]: push for push in pushes}
        assert by_type["ticket"]["event"] == events.MessageCreated.name
        assert by_type["ticket_changed"] == {
            "type": "ticket_changed",
            "ticket": first.ticket.number,
            "event": events.MessageCreated.name,
            "by": None,
        }
        assert "hunter2" not in json.dumps(pushes)
        assert await outsider.receive_nothing(timeout=0.2)
        await agent.disconnect()
        await outsider.disconnect()

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_agent_cannot_watch_a_ticket_outside_their_scope_nor_hear_its_changes(
    ticket, n1_agent, n2_agent
):
    cookies = cookie_of(n1_agent), cookie_of(n2_agent)

    async def scenario():
        agent, outsider = [await agent_socket(cookie) for cookie in cookies]
        await watch(agent, ticket.number)
        await outsider.send_json_to({"type": "watch", "ticket": ticket.number})
        assert await outsider.receive_json_from() == {
            "type": "error",
            "code": "not_found",
            "ticket": ticket.number,
        }
        await outsider.send_json_to({"type": "typing", "ticket": ticket.number, "active": True})
        assert (await outsider.receive_json_from())["code"] == "not_watching"

        await db_call(services.ticket_change_status)(ticket=ticket, to_status=S.OPEN, by=n1_agent)
        assert await agent.receive_json_from() == {
            "type": "ticket_changed",
            "ticket": ticket.number,
            "event": events.StatusChanged.name,
            "by": n1_agent.pk,
        }
        assert await outsider.receive_nothing(timeout=0.2)
        await agent.disconnect()
        await outsider.disconnect()

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_assignee_in_the_tickets_team_hears_the_assignment_once(ticket, n1_agent, manager):
    cookie = cookie_of(n1_agent)

    async def scenario():
        agent = await agent_socket(cookie)
        await db_call(services.ticket_assign)(ticket=ticket, assignee=n1_agent, by=manager)
        received = await drain(agent)
        pushes = [(m["event"], m["by"]) for m in received if m["type"] == "ticket"]
        assert pushes == [(events.TicketAssigned.name, manager.pk)]
        assert [m["kind"] for m in received if m["type"] == "notification"] == ["assigned"]
        await agent.disconnect()

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_a_batch_of_new_tickets_reaches_the_queue_once_each(teams, n1_agent, customer):
    cookie = cookie_of(n1_agent)

    def create_three() -> list[int]:
        with events.batch():  # as a drain delivers its messages' events: together
            return [
                services.ticket_create(
                    customer=customer, subject=f"Pedido {n}", channel="email", team=teams[Tier.N1]
                ).number
                for n in range(3)
            ]

    async def scenario():
        agent = await agent_socket(cookie)
        numbers = await db_call(create_three)()
        received = await drain(agent)
        assert sorted(m["ticket"] for m in received if m["type"] == "ticket") == sorted(numbers)
        await agent.disconnect()

    run(scenario)


def test_push_audiences_mirror_the_agents_ticket_scope(teams, n1_agent, n2_agent, manager):
    """Every pairing of agent and ticket: hearing about it is exactly being able to see it."""
    sales = TeamFactory(name="Vendas N1", tier=Tier.N1)
    salesperson = AgentFactory(user__username="vendas", tier=Tier.N1, teams=[sales]).user
    tickets = [
        make_ticket(team=teams[Tier.N1]),
        make_ticket(team=sales),
        make_ticket(team=None),
        make_ticket(team=teams[Tier.N2], tier=Tier.N2),
        make_ticket(team=sales, assignee=n1_agent),
    ]
    for agent in (n1_agent, n2_agent, manager, salesperson):
        groups = pushes.groups_for_agent(agent, agent.agent_profile)
        scope = set(selectors.ticket_scope_for_agent(agent=agent).values_list("pk", flat=True))
        for ticket in tickets:
            hears = bool(groups & pushes.audience(ticket))
            assert hears == (ticket.pk in scope), (agent.username, ticket.team, ticket.assignee)


# --- presence ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("in_memory_stack")
def test_presence_shows_a_second_agent_viewing_and_typing_until_they_leave(
    ticket, n1_agent, manager
):
    cookies = cookie_of(n1_agent), cookie_of(manager)

    async def scenario():
        agent, boss = [await agent_socket(cookie) for cookie in cookies]
        assert names((await watch(agent, ticket.number))["viewers"]) == ["n1"]
        await watch(boss, ticket.number)
        seen = await next_of(agent, "presence")
        assert (names(seen["viewers"]), seen["typing"]) == (["boss", "n1"], [])

        await boss.send_json_to({"type": "typing", "ticket": ticket.number, "active": True})
        typing = await next_of(agent, "presence")
        assert typing["typing"] == [{"id": manager.pk, "name": "boss"}]
        await boss.send_json_to({"type": "typing", "ticket": ticket.number, "active": False})
        assert (await next_of(agent, "presence"))["typing"] == []

        await boss.disconnect()
        gone = await next_of(agent, "presence")
        assert (names(gone["viewers"]), gone["typing"]) == (["n1"], [])
        await agent.disconnect()

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_presence_drops_a_tab_that_stopped_sending_heartbeats(ticket, n1_agent, manager):
    cookies = cookie_of(n1_agent), cookie_of(manager)

    async def scenario():
        agent, crashed = [await agent_socket(cookie) for cookie in cookies]
        await watch(agent, ticket.number)
        await watch(crashed, ticket.number)
        await next_of(agent, "presence")
        with time_machine.travel(timezone.now() + timedelta(seconds=presence.VIEWER_TTL + 1)):
            await agent.send_json_to({"type": "heartbeat"})
            alone = await next_of(agent, "presence")
        assert names(alone["viewers"]) == ["n1"]
        await agent.disconnect()
        await crashed.disconnect()

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_typing_fades_when_the_typist_goes_silent(ticket, n1_agent, manager):
    cookies = cookie_of(n1_agent), cookie_of(manager)

    async def scenario():
        agent, boss = [await agent_socket(cookie) for cookie in cookies]
        await watch(agent, ticket.number)
        await watch(boss, ticket.number)
        await boss.send_json_to({"type": "typing", "ticket": ticket.number, "active": True})
        while not (await next_of(agent, "presence"))["typing"]:
            pass
        with time_machine.travel(timezone.now() + timedelta(seconds=presence.TYPING_TTL + 1)):
            await agent.send_json_to({"type": "heartbeat"})
            faded = await next_of(agent, "presence")
        assert (names(faded["viewers"]), faded["typing"]) == (["boss", "n1"], [])
        await agent.disconnect()
        await boss.disconnect()

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_second_tab_of_the_same_agent_counts_once_and_leaving_one_keeps_them(ticket, n1_agent):
    cookie = cookie_of(n1_agent)

    async def scenario():
        first, second = await agent_socket(cookie), await agent_socket(cookie)
        await watch(first, ticket.number)
        assert names((await watch(second, ticket.number))["viewers"]) == ["n1"]
        await second.disconnect()
        assert await first.receive_nothing(timeout=0.2)
        await first.disconnect()

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_malformed_messages_are_answered_not_fatal(ticket, n1_agent):
    cookie = cookie_of(n1_agent)

    async def scenario():
        agent = await agent_socket(cookie)
        for frame in ("not json", "[1, 2]", json.dumps({"type": "watch", "ticket": "1 OR 1=1"})):
            await agent.send_to(text_data=frame)
            assert await agent.receive_json_from() == {"type": "error", "code": "bad_message"}
        assert names((await watch(agent, ticket.number))["viewers"]) == ["n1"]
        await agent.disconnect()

    run(scenario)


# --- notifications ----------------------------------------------------------------------------


def notify(*, recipient, ticket, actor, kind=AgentNotification.Kind.MENTION):
    """What the notification service does: the row, then the event after commit."""
    with transaction.atomic():
        notification = AgentNotification.objects.create(
            recipient=recipient, kind=kind, ticket=ticket, actor=actor
        )
        events.publish(
            events.AgentNotified(
                ticket_id=ticket.pk,
                recipient_id=recipient.pk,
                notification_id=notification.pk,
                kind=kind,
            )
        )
    return notification


@pytest.mark.usefixtures("in_memory_stack")
def test_notification_reaches_only_its_recipient(ticket, n1_agent, manager):
    cookies = cookie_of(n1_agent), cookie_of(manager)

    async def scenario():
        agent, boss = [await agent_socket(cookie) for cookie in cookies]
        notification = await db_call(notify)(recipient=n1_agent, ticket=ticket, actor=manager)
        assert await agent.receive_json_from() == {
            "type": "notification",
            "id": notification.pk,
            "kind": "mention",
            "ticket": ticket.number,
            "text": f"boss mentioned you on ticket #{ticket.number}: {ticket.subject}",
            "url": f"/agent/tickets/{ticket.number}/",
        }
        assert await boss.receive_nothing(timeout=0.2)
        await agent.disconnect()
        await boss.disconnect()

    run(scenario)


@pytest.mark.usefixtures("in_memory_stack")
def test_notification_about_a_ticket_out_of_reach_does_not_name_its_subject(
    ticket, n2_agent, manager
):
    cookie = cookie_of(n2_agent)

    async def scenario():
        agent = await agent_socket(cookie)
        await db_call(notify)(
            recipient=n2_agent, ticket=ticket, actor=None, kind=AgentNotification.Kind.ASSIGNED
        )
        pushed = await agent.receive_json_from()
        assert (pushed["text"], pushed["url"]) == (
            f"Ticket #{ticket.number} was assigned to you",
            "",
        )
        await agent.disconnect()

    run(scenario)


# --- a failing channel layer ------------------------------------------------------------------


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers: a hung Redis."""
    server = socket.create_server(("127.0.0.1", 0))
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def closed_port():
    """A port nothing listens on: a Redis that is down."""
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.parametrize("server", ["closed_port", "silent_server"])
def test_broken_channel_layer_does_not_fail_the_service(
    request, server, settings, caplog, monkeypatch, teams, customer
):
    monkeypatch.setattr(realtime, "SEND_TIMEOUT", 0.5)
    port = request.getfixturevalue(server)
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]},
        }
    }
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="channels_app.realtime"):
        ticket = services.ticket_create(customer=customer, subject="Sem Redis", channel="email")
        services.ticket_change_status(ticket=ticket, to_status=S.OPEN, by=None)
    assert time.monotonic() - started < 2 * (realtime.SEND_TIMEOUT + 1)
    assert Ticket.objects.get(pk=ticket.pk).status == S.OPEN
    failures = [r for r in caplog.records if r.name == "channels_app.realtime"]
    assert len(failures) == 2  # the new ticket's push and the change's, each logged, none raised


# --- the real stack ---------------------------------------------------------------------------


@pytest.mark.services
def test_push_crosses_the_real_redis_layer_from_another_process_loop(teams, n1_agent, customer):
    """The consumer's loop and the pushing code's loop share nothing but Redis, as a Celery
    worker and the web server do."""
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    cookie = cookie_of(n1_agent)

    def create_in_another_thread():
        try:
            return services.ticket_create(customer=customer, subject="Via Redis", channel="email")
        finally:
            connection.close()

    async def scenario():
        agent = await agent_socket(cookie)
        ticket = await asyncio.to_thread(create_in_another_thread)
        push = await agent.receive_json_from(timeout=5)
        assert (push["event"], push["ticket"]) == (events.TicketCreated.name, ticket.number)
        await agent.disconnect()

    run(scenario)
