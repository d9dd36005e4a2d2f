"""Websocket routes of every app (agent workspace push, live chat) are gathered here.

The agents' routes accept only the desk's own origins (ALLOWED_HOSTS); the chat's visitors come
from the sites that embed the widget, so its consumer checks each chat channel's own allowed
origins itself."""

from django.urls import path

from channels_app.adapters.chat.consumer import ChatConsumer
from workspace.live.consumers import AgentConsumer

websocket_urlpatterns: list = [
    path("ws/agent/", AgentConsumer.as_asgi()),
]
embedded_websocket_urlpatterns: list = [
    path("ws/chat/", ChatConsumer.as_asgi()),
]
