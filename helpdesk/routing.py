"""Websocket routes of every app (agent workspace push, live chat) are gathered here."""

from django.urls import path

from workspace.live.consumers import AgentConsumer

websocket_urlpatterns: list = [
    path("ws/agent/", AgentConsumer.as_asgi()),
]
