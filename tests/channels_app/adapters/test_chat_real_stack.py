"""The chat over the real stack (PostgreSQL, Redis as channel layer and cache): a reply written
by another process's loop (a Celery worker) rings the visitor's doorbell through Redis, and the
rate limit is counted in the shared cache."""

import asyncio

import pytest
from django.conf import settings
from django.db import connection

from tests.channels_app.chat_support import db_call, next_of, run, say, visitor
from tickets import services
from tickets.models import Message

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_reply_from_another_loop_reaches_the_visitor_through_redis(chat_channel, n1_agent):
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"

    def reply_in_another_thread(ticket):
        try:
            return services.message_reply(ticket=ticket, by=n1_agent, body_text="Via Redis")
        finally:
            connection.close()

    async def scenario():
        socket_, _ = await visitor(chat_channel)
        asked = await say(socket_, "Olá pelo Redis")
        ticket = await db_call(lambda: Message.objects.get(pk=asked["id"]).ticket)()
        reply = await asyncio.to_thread(reply_in_another_thread, ticket)
        heard = await next_of(socket_, "message", timeout=5, id=reply.pk)
        assert heard["text"] == "Via Redis"
        await socket_.disconnect()

    run(scenario)
