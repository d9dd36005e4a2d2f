"""The visitor's websocket (/ws/chat/) against the real consumer and services: joining, a
message persisted before its acknowledgement, reconnecting with replay and resend, visitors kept
apart, the rate limit, origins, the bot, the agent's side, offline mode.

Transactional: the consumer's database work runs in other threads, and the pushes come after
commit."""

import pytest

from channels_app.models import ChatSession, InboundEvent
from tests.channels_app.chat_support import (
    db_call,
    run,
    say,
    visitor,
)
from tickets.models import Message

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
