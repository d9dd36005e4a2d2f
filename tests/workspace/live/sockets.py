"""Talking to the real ASGI application's /ws/agent/ as a browser tab would, through channels'
WebsocketCommunicator (origin check, session auth, routing included)."""

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from helpdesk.asgi import application

db_call = database_sync_to_async


def cookie_of(user) -> str:
    """The session cookie of a fresh sign-in of that user."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def run(coroutine_function):
    """Run one test scenario on one event loop (the communicators live on it)."""
    async_to_sync(coroutine_function)()


async def open_socket(cookie=None, origin=b"http://localhost"):
    headers = [(b"origin", origin)]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    socket_ = WebsocketCommunicator(application, "/ws/agent/?lang=en", headers=headers)
    connected, _ = await socket_.connect()
    assert connected
    return socket_


async def agent_socket(cookie):
    socket_ = await open_socket(cookie)
    hello = await socket_.receive_json_from()
    assert hello["type"] == "hello"
    return socket_


async def next_of(socket_, kind, timeout=2):
    """The next message of that type (presence updates may come between others)."""
    while True:
        message = await socket_.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


async def drain(socket_):
    """Everything the socket receives until it falls quiet."""
    received = []
    while not await socket_.receive_nothing(timeout=0.2):
        received.append(await socket_.receive_json_from())
    return received


async def watch(socket_, number):
    await socket_.send_json_to({"type": "watch", "ticket": number})
    return await next_of(socket_, "presence")


def names(people):
    return [person["name"] for person in people]
