"""The visitor's websocket (/ws/chat/) against the real consumer and services: joining, a
message persisted before its acknowledgement, reconnecting with replay and resend, visitors kept
apart, the rate limit, origins, the bot, the agent's side, offline mode.

Transactional: the consumer's database work runs in other threads, and the pushes come after
commit."""

import asyncio
import json
from datetime import timedelta
from unittest.mock import ANY
from urllib.parse import urlencode

import pytest
from channels.testing import HttpCommunicator
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from channels_app import services as channel_services
from channels_app.adapters.chat import consumer
from channels_app.adapters.chat.consumer import CLOSE_ORIGIN_REFUSED, CLOSE_UNKNOWN_CHANNEL
from channels_app.models import ChatChannel, ChatSession, InboundEvent
from helpdesk.asgi import application
from tests.channels_app.chat_support import (
    SHOP_ORIGIN,
    client_id,
    db_call,
    drain,
    next_of,
    open_chat,
    run,
    say,
    visitor,
)
from tests.knowledge_base.factories import ArticleFactory
from tests.workspace.live.sockets import agent_socket, cookie_of
from tickets import services
from tickets.models import AgentProfile, Message, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("chat_stack")]


def test_a_visitor_joins_with_a_new_token_and_the_greeting(chat_channel):
    async def scenario():
        socket_, welcome = await visitor(chat_channel)
        assert welcome["token"]
        assert welcome["session"]["state"] == "new"
        assert welcome["greeting"] == "Olá! Como podemos ajudar?"
        assert welcome["messages"] == []
        await socket_.disconnect()

    run(scenario)


def test_a_message_is_stored_and_processed_before_its_ack(chat_channel):
    async def scenario():
        socket_, _welcome = await visitor(chat_channel)
        ack = await say(socket_, "Meu pedido não chegou")
        assert ack["type"] == "ack"
        message = await db_call(Message.objects.select_related("ticket").get)(pk=ack["id"])
        event = await db_call(InboundEvent.objects.get)(message=message)
        assert message.body_text == "Meu pedido não chegou"
        assert message.ticket.channel == "chat"
        assert event.status == InboundEvent.Status.PROCESSED
        session = await db_call(ChatSession.objects.get)(ticket_id=message.ticket_id)
        assert session.state == ChatSession.State.BOT
        await socket_.disconnect()

    run(scenario)


def test_reconnecting_replays_what_came_after_the_last_id_seen(chat_channel, n1_agent):
    async def scenario():
        socket_, welcome = await visitor(chat_channel)
        first = await say(socket_, "Primeira pergunta")
        second = await say(socket_, "Segunda pergunta")
        await socket_.disconnect()
        ticket = await db_call(lambda: Message.objects.get(pk=first["id"]).ticket)()
        reply = await db_call(services.message_reply)(
            ticket=ticket, by=n1_agent, body_text="Resposta enquanto você estava fora"
        )
        socket_, again = await visitor(chat_channel, token=welcome["token"], after=first["id"])
        ids = [message["id"] for message in again["messages"]]
        assert first["id"] not in ids
        assert second["id"] in ids
        assert reply.pk in ids
        replayed = {message["id"]: message for message in again["messages"]}
        assert replayed[reply.pk]["from"] == "agent"
        assert replayed[reply.pk]["text"] == "Resposta enquanto você estava fora"
        assert replayed[second["id"]]["client_id"]  # the widget matches its own messages
        await socket_.disconnect()

    run(scenario)


def test_a_message_resent_after_a_reconnect_is_stored_once(chat_channel):
    async def scenario():
        socket_, welcome = await visitor(chat_channel)
        cid = client_id()
        first = await say(socket_, "Enviei duas vezes?", cid=cid)
        await socket_.disconnect()
        socket_, _ = await visitor(chat_channel, token=welcome["token"])
        again = await say(socket_, "Enviei duas vezes?", cid=cid)
        assert again["type"] == "ack"
        assert again["id"] == first["id"]
        count = await db_call(Message.objects.filter(body_text="Enviei duas vezes?").count)()
        events = await db_call(InboundEvent.objects.filter(channel="chat").count)()
        assert (count, events) == (1, 1)
        await socket_.disconnect()

    run(scenario)


def test_visitors_hear_only_their_own_conversation(chat_channel, n1_agent):
    async def scenario():
        ana, ana_welcome = await visitor(chat_channel)
        bia, _ = await visitor(chat_channel)
        asked = await say(ana, "Pergunta da Ana")
        await drain(bia)
        ticket = await db_call(lambda: Message.objects.get(pk=asked["id"]).ticket)()
        await db_call(services.message_reply)(ticket=ticket, by=n1_agent, body_text="Para a Ana")
        await next_of(ana, "message", text="Para a Ana")
        heard_by_bia = await drain(bia)
        assert all("Ana" not in json.dumps(frame) for frame in heard_by_bia)
        # A forged token, or one of another chat channel, is a new visitor: nothing of Ana's.
        forged = ana_welcome["token"][:-3] + "abc"
        other = await db_call(ChatChannel.objects.create)(name="Outra loja")
        for channel, token in ((chat_channel, forged), (other, ana_welcome["token"])):
            intruder, welcome = await visitor(channel, token=token)
            assert welcome["token"] != ana_welcome["token"]
            assert welcome["messages"] == []
            assert welcome["session"]["state"] == "new"
            await intruder.disconnect()
        await ana.disconnect()
        await bia.disconnect()

    run(scenario)


def test_the_rate_limit_refuses_the_eleventh_message_in_ten_seconds(chat_channel):
    async def scenario():
        socket_, _ = await visitor(chat_channel)
        answers = [await say(socket_, f"Mensagem {n}") for n in range(11)]
        assert [a["type"] for a in answers] == ["ack"] * 10 + ["error"]
        assert answers[-1]["code"] == "rate_limited"
        assert answers[-1]["retry_after"] >= 1
        stored = await db_call(Message.objects.filter(channel="chat", direction="inbound").count)()
        assert stored == 10
        await socket_.disconnect()

    run(scenario)


def test_a_message_too_long_is_refused_and_not_stored(chat_channel):
    async def scenario():
        socket_, _ = await visitor(chat_channel)
        refused = await say(socket_, "x" * 4001)
        assert refused["code"] == "too_long"
        assert not await db_call(Message.objects.exists)()
        await socket_.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (b"http://localhost", True),  # the desk's own frame
        (SHOP_ORIGIN.encode(), True),  # an allowed origin of the chat channel
        (b"https://evil.example", False),
        (b"https://shop.example.evil.example", False),
        (b"", False),
    ],
)
def test_only_allowed_origins_may_connect(chat_channel, origin, allowed):
    async def scenario():
        socket_ = await open_chat(chat_channel, origin=origin)
        if allowed:
            await socket_.send_json_to({"type": "hello", "token": None})
            assert (await socket_.receive_json_from())["type"] == "welcome"
            await socket_.disconnect()
        else:
            closed = await socket_.receive_output(timeout=1)
            assert closed == {"type": "websocket.close", "code": CLOSE_ORIGIN_REFUSED}

    run(scenario)


def test_an_unknown_or_inactive_key_is_closed_with_4404(chat_channel):
    async def scenario():
        for key in ("nope", chat_channel.public_key):
            socket_ = await open_chat(chat_channel, key=key)
            closed = await socket_.receive_output(timeout=1)
            assert closed == {"type": "websocket.close", "code": CLOSE_UNKNOWN_CHANNEL}
            await db_call(ChatChannel.objects.filter(pk=chat_channel.pk).update)(is_active=False)
            consumer._channels.clear()  # kept a few seconds per process

    run(scenario)


def test_nothing_before_hello(chat_channel):
    async def scenario():
        socket_ = await open_chat(chat_channel)
        await socket_.send_json_to({"type": "message", "client_id": "a1", "text": "oi"})
        assert (await socket_.receive_json_from())["code"] == "hello_first"
        assert not await db_call(Message.objects.exists)()
        await socket_.disconnect()

    run(scenario)


# --- the bot answers first ------------------------------------------------------------------------


@pytest.fixture
def articles(transactional_db):
    return [
        ArticleFactory(
            title="Como emitir a segunda via do boleto",
            body="Acesse Minha conta, Faturas, e clique em segunda via do boleto.",
        ),
        ArticleFactory(title="Trocar a senha", body="Em Minha conta, Segurança, troque a senha."),
    ]


def test_the_bot_offers_articles_and_that_solved_it_ends_the_chat_solved(chat_channel, articles):
    async def scenario():
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Preciso da segunda via do boleto")
        bot_message = await next_of(socket_, "message", **{"from": "bot"})
        bot = await next_of(socket_, "bot")
        assert bot["reply_to"] == asked["id"]
        assert bot["id"] == bot_message["id"]
        assert bot["articles"][0]["title"] == "Como emitir a segunda via do boleto"
        assert "<" not in bot["articles"][0]["snippet"]  # plain text
        assert bot["actions"] == ["resolved", "handover"]
        await socket_.send_json_to({"type": "resolved"})
        state = await next_of(socket_, "state")
        assert state["state"] == "ended"
        session = await db_call(ChatSession.objects.select_related("ticket").get)(
            ticket__messages__pk=asked["id"]
        )
        assert session.outcome == ChatSession.Outcome.DEFLECTED
        assert session.ticket.status == Ticket.Status.SOLVED
        trail = await db_call(list)(
            session.ticket.events.filter(kind="chat_state_changed").values_list("before", "after")
        )
        assert trail == [(None, "bot"), ("bot", "ended")]
        await socket_.disconnect()

    run(scenario)


def test_the_bot_invents_nothing_when_no_article_matches(chat_channel, articles):
    async def scenario():
        socket_, _ = await visitor(chat_channel)
        await say(socket_, "Vocês vendem bicicletas?")
        bot = await next_of(socket_, "bot")
        assert bot["articles"] == []
        assert bot["actions"] == ["handover"]
        await socket_.disconnect()

    run(scenario)


def test_talk_to_a_person_queues_the_chat_and_agents_see_the_bot_exchange(chat_channel, articles):
    async def scenario():
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Preciso da segunda via do boleto")
        await next_of(socket_, "bot")
        await socket_.send_json_to({"type": "handover"})
        state = await next_of(socket_, "state", state="waiting")
        assert state["position"] == 1
        notice = await next_of(socket_, "message", **{"from": "system"})
        assert notice["text"]
        ticket = await db_call(lambda: Message.objects.get(pk=asked["id"]).ticket)()
        kinds = await db_call(list)(
            ticket.messages.order_by("pk").values_list("direction", "kind", "metadata__chat")
        )
        assert kinds == [
            ("inbound", "message", {"chat_channel": chat_channel.pk, "client_id": ANY}),
            ("outbound", "system", "bot"),
            ("outbound", "system", "notice"),
        ]
        session = await db_call(ChatSession.objects.get)(ticket=ticket)
        assert session.state == ChatSession.State.WAITING
        assert session.waiting_since
        await socket_.disconnect()

    run(scenario)


# --- the agent's side -----------------------------------------------------------------------------


def _waiting_chat(channel):
    """Chats of this channel wait for a person at once (no bot)."""
    ChatChannel.objects.filter(pk=channel.pk).update(bot_enabled=False)


def test_an_agent_reply_reaches_the_visitor_and_makes_the_chat_theirs(chat_channel, n1_agent):
    async def scenario():
        await db_call(_waiting_chat)(chat_channel)
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Alguém aí?")
        ticket = await db_call(lambda: Message.objects.get(pk=asked["id"]).ticket)()
        await drain(socket_)
        reply = await db_call(services.message_reply)(
            ticket=ticket, by=n1_agent, body_text="Olá! Sou a atendente <b>Ana</b>."
        )
        heard = await next_of(socket_, "message", id=reply.pk)
        assert heard["from"] == "agent"
        assert heard["text"] == "Olá! Sou a atendente <b>Ana</b>."
        state = await next_of(socket_, "state", state="active")
        assert state["agent"]
        reply = await db_call(Message.objects.select_related("ticket").get)(pk=reply.pk)
        assert reply.delivery_status == Message.DeliveryStatus.SENT
        assert reply.ticket.assignee_id == n1_agent.pk  # the chat is theirs now
        # The visitor reads it: the agents see it read.
        await socket_.send_json_to({"type": "read", "up_to": reply.pk})
        await drain(socket_)
        reply = await db_call(Message.objects.get)(pk=reply.pk)
        assert reply.delivery_status == Message.DeliveryStatus.READ
        await socket_.disconnect()

    run(scenario)


def test_typing_and_reading_reach_the_other_side(chat_channel, n1_agent):
    async def scenario():
        await db_call(_waiting_chat)(chat_channel)
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Estou digitando mais")
        ticket = await db_call(lambda: Message.objects.get(pk=asked["id"]).ticket)()
        agent = await agent_socket(await db_call(cookie_of)(n1_agent))
        await agent.send_json_to({"type": "watch", "ticket": ticket.number})
        read = await next_of(socket_, "read")  # the agent has the chat open
        assert read == {"type": "read", "up_to": asked["id"], "by": "agent"}
        await socket_.send_json_to({"type": "typing", "on": True})
        typing = await next_of(agent, "chat_typing")
        assert typing == {"type": "chat_typing", "ticket": ticket.number, "on": True}
        await agent.send_json_to({"type": "typing", "ticket": ticket.number, "active": True})
        assert await next_of(socket_, "typing") == {"type": "typing", "from": "agent", "on": True}
        await agent.disconnect()
        await socket_.disconnect()

    run(scenario)


def test_solving_the_ticket_ends_the_chat(chat_channel, n1_agent):
    async def scenario():
        await db_call(_waiting_chat)(chat_channel)
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Obrigado, era só isso")
        ticket = await db_call(lambda: Message.objects.get(pk=asked["id"]).ticket)()
        await drain(socket_)
        await db_call(services.ticket_change_status)(
            ticket=ticket, to_status=Ticket.Status.SOLVED, by=n1_agent
        )
        assert (await next_of(socket_, "state"))["state"] == "ended"
        session = await db_call(ChatSession.objects.get)(ticket=ticket)
        assert session.outcome == ChatSession.Outcome.ENDED_BY_AGENT
        await socket_.disconnect()

    run(scenario)


# --- offline mode -------------------------------------------------------------------------------


def test_the_widget_offers_the_offline_form_when_no_agent_can_chat(chat_channel, online_agent):
    async def mode():
        cache.clear()  # the mode is kept a few seconds,
        consumer._channels.clear()  # and the chat channel
        socket_, welcome = await visitor(chat_channel)
        await socket_.disconnect()
        return welcome["mode"]

    async def scenario():
        assert await mode() == "chat"
        profile = online_agent.agent_profile
        await db_call(services.agent_set_availability)(agent=online_agent, availability="away")
        assert await mode() == "offline"
        await db_call(services.agent_set_availability)(agent=online_agent, availability="online")
        assert await mode() == "chat"
        # Seen too long ago: the workspace is closed.
        await db_call(AgentProfile.objects.filter(pk=profile.pk).update)(
            last_seen_at=timezone.now() - timedelta(minutes=5)
        )
        assert await mode() == "offline"
        await db_call(services.agent_seen)(agent_id=online_agent.pk)
        assert await mode() == "chat"
        # Outside business hours.
        await db_call(ChatChannel.objects.filter(pk=chat_channel.pk).update)(
            business_hours={"mon": [["00:00", "00:01"]]}
        )
        assert await mode() == "offline"

    run(scenario)


def test_an_agent_at_capacity_leaves_the_widget_offline(chat_channel, online_agent):
    async def scenario():
        await db_call(AgentProfile.objects.filter(user=online_agent).update)(chat_capacity=1)
        await db_call(_waiting_chat)(chat_channel)
        socket_, welcome = await visitor(chat_channel)
        assert welcome["mode"] == "chat"
        asked = await say(socket_, "Preciso de ajuda")
        ticket = await db_call(lambda: Message.objects.get(pk=asked["id"]).ticket)()
        await db_call(services.message_reply)(ticket=ticket, by=online_agent, body_text="Oi!")
        await next_of(socket_, "state", state="active")
        cache.clear()
        other, welcome = await visitor(chat_channel)
        assert welcome["mode"] == "offline"
        await other.disconnect()
        await socket_.disconnect()

    run(scenario)


# --- long polling ---------------------------------------------------------------------------------


def test_a_poll_waits_for_the_doorbell_and_returns_the_reply(chat_channel, n1_agent):
    async def scenario():
        await db_call(_waiting_chat)(chat_channel)
        socket_, welcome = await visitor(chat_channel)
        asked = await say(socket_, "Estou sem websocket daqui a pouco")
        await socket_.disconnect()
        ticket = await db_call(lambda: Message.objects.get(pk=asked["id"]).ticket)()
        url = reverse("chat-poll", args=[chat_channel.public_key])
        query = urlencode({"token": welcome["token"], "after": asked["id"], "wait": 5})
        # Through the real ASGI application (one thread context per request, as in production).
        poll = HttpCommunicator(
            application, "GET", f"{url}?{query}", headers=[(b"host", b"localhost")]
        )
        response = asyncio.create_task(poll.get_response(timeout=10))
        await asyncio.sleep(0.5)  # the poll is waiting
        assert not response.done()
        reply = await db_call(services.message_reply)(
            ticket=ticket, by=n1_agent, body_text="Chegou pela espera longa"
        )
        answer = await response
        frames = json.loads(answer["body"])["frames"]
        assert [f["id"] for f in frames if f["type"] == "message"] == [reply.pk]

    run(scenario)


def test_the_surveys_hook_rings_the_tabs_which_read_the_database(chat_channel, ticket):
    """The ring carries nothing: a tab asks the surveys app what waits (tests/surveys/
    test_chat_delivery.py offers and answers one); with nothing waiting it shows nothing."""

    async def scenario():
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Obrigado!")
        ticket_id = await db_call(lambda: Message.objects.get(pk=asked["id"]).ticket_id)()
        await drain(socket_)
        assert await db_call(channel_services.chat_survey_offer)(ticket_id=ticket_id)
        assert not await db_call(channel_services.chat_survey_offer)(ticket_id=ticket.pk)
        assert await drain(socket_) == []  # no invitation: no survey frame
        await socket_.disconnect()

    run(scenario)
