"""Talking to the real ASGI application's /ws/chat/ as the widget's frame would, through channels'
WebsocketCommunicator (routing, origin check, session auth included), and the fixtures of the chat
tests: a chat channel, a fresh in-memory channel layer and cache, an agent online."""

import itertools
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from channels_app.models import ChatChannel
from helpdesk.asgi import application
from tests.tickets.factories import AgentFactory
from tickets.models import AgentProfile, Tier

db_call = database_sync_to_async
DESK_ORIGIN = b"http://localhost"
SHOP_ORIGIN = "https://shop.example"
_client_ids = itertools.count(1)


def client_id() -> str:
    return f"c{next(_client_ids)}-{uuid.uuid4().hex[:8]}"


def run(coroutine_function):
    """Run one test scenario on one event loop (the communicators live on it)."""
    async_to_sync(coroutine_function)()


@pytest.fixture
def chat_stack(settings):
    """A fresh in-memory channel layer and cache for each test, whatever the environment (and
    no chat channel kept from another test by the consumers)."""
    from channels_app.adapters.chat import consumer

    consumer._channels.clear()
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"chat-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def chat_channel(transactional_db, teams):
    """A chat channel; afterwards the consumers' database threads let go of their connections
    (they would outlive the test database)."""
    from channels_app.adapters.chat import consumer

    yield ChatChannel.objects.create(
        name="Loja Exemplo",
        allowed_origins=f"{SHOP_ORIGIN}\nhttp://127.0.0.1:8765",
        greeting_pt_br="Olá! Como podemos ajudar?",
        greeting_en="Hi! How can we help?",
        team=teams[Tier.N1],
    )
    consumer.close_database_work()


@pytest.fixture
def online_agent(teams):
    """An N1 agent of the chat channel's team, online with their workspace open."""
    profile = AgentFactory(user__username="atendente", tier=Tier.N1, teams=[teams[Tier.N1]])
    AgentProfile.objects.filter(pk=profile.pk).update(
        availability=AgentProfile.Availability.ONLINE, last_seen_at=timezone.now()
    )
    return profile.user


async def open_chat(channel, origin=DESK_ORIGIN, headers=(), key=None):
    socket_ = WebsocketCommunicator(
        application,
        f"/ws/chat/?key={key or channel.public_key}",
        headers=[(b"origin", origin), (b"host", b"localhost"), *headers],
    )
    connected, _ = await socket_.connect()
    assert connected
    return socket_


async def visitor(channel, token=None, after=0, lang="pt-br", identity=None, **kwargs):
    """A visitor's socket after hello, and the welcome."""
    socket_ = await open_chat(channel, **kwargs)
    await socket_.send_json_to(
        {"type": "hello", "token": token, "after": after, "lang": lang, "identity": identity}
    )
    welcome = await socket_.receive_json_from(timeout=5)
    assert welcome["type"] == "welcome", welcome
    return socket_, welcome


async def next_of(socket_, kind, timeout=3, **match):
    """The next frame of that type (and those values): others may come in between."""
    while True:
        frame = await socket_.receive_json_from(timeout=timeout)
        if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
            return frame


async def drain(socket_, quiet=0.3):
    received = []
    while not await socket_.receive_nothing(timeout=quiet):
        received.append(await socket_.receive_json_from())
    return received


async def say(socket_, text, cid=None):
    """Send a message and wait for its acknowledgement (or refusal)."""
    cid = cid or client_id()
    await socket_.send_json_to({"type": "message", "client_id": cid, "text": text})
    while True:
        frame = await socket_.receive_json_from(timeout=5)
        if frame.get("client_id") == cid and frame["type"] in ("ack", "error"):
            return frame
