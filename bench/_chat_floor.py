"""The floor of bench/bench_chat.py: a bare Channels consumer on the same ASGI server and the same
Redis channel layer, without Django's database, sessions or the chat's protocol. A "visitor"
socket's frame is echoed back to it (the acknowledgement) and relayed through the channel layer
to every "agent" socket (?role=agent), as the chat's message reaches the agents' live pushes.

    uvicorn bench._chat_floor:application
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.http_settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

AGENTS = "floor-agents"


class EchoConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.agent = b"role=agent" in self.scope.get("query_string", b"")
        if self.agent:
            await self.channel_layer.group_add(AGENTS, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.agent:
            await self.channel_layer.group_discard(AGENTS, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.send(text_data=text_data)
        await self.channel_layer.group_send(AGENTS, {"type": "relay", "text": text_data})

    async def relay(self, event: dict) -> None:
        await self.send(text_data=event["text"])


async def plain_ok(scope, receive, send) -> None:
    """Any HTTP request (the bench's health check): 200."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


application = ProtocolTypeRouter(
    {"http": plain_ok, "websocket": URLRouter([path("ws/echo/", EchoConsumer.as_asgi())])}
)
