"""Websocket routes of every app (agent workspace push, live chat) are gathered here."""

websocket_urlpatterns: list = []
