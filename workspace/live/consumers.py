"""The agent workspace's websocket (/ws/agent/): live announcements of new and changed tickets,
notifications, and who else has a ticket open or is typing on it.

Client -> server (JSON):
  {"type": "watch", "ticket": N}      this tab shows ticket N (only a ticket the agent may see)
  {"type": "unwatch", "ticket": N}    ... no longer (without "ticket": every ticket)
  {"type": "typing", "ticket": N, "active": true|false}
  {"type": "heartbeat"}               every ~20 s: keeps this tab among the viewers
Server -> client:
  hello, ticket, ticket_changed, presence, notification, error (see pushes.py)
  {"type": "unwatched", "ticket": N}  ticket N left the agent's reach: no longer watched

Only agents connect: anyone else is accepted and closed at once with 4401 (not signed in) or 4403
(not an agent), codes the client reads as "do not retry".

A connection keeps no more access than its agent has. The server re-checks it on a timer of its
own (recheck_seconds(), at most a minute: a client cannot put it off by keeping quiet) and at once
when the agent's access changes through the services (pushes.announce_access_change): a session
that ended, an inactive user or a lost agent profile closes the connection (4401); the groups
follow the agent's teams; a watched ticket out of reach is dropped, and so is one whose change
(pushes.announce) shows the agent is no longer among those who may see it.
"""

import asyncio
import json
import logging
import random
import time
from collections import deque
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext

from channels_app import realtime
from channels_app import services as channel_services
from channels_app.models import ChatSession
from tickets import selectors
from tickets import services as ticket_services
from tickets.models import AgentNotification, AgentProfile

from . import presence, pushes

logger = logging.getLogger(__name__)

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_AN_AGENT = 4403
CLOSE_RECHECK_FAILED = 1011  # access could not be re-checked: the client retries, connecting anew
HEARTBEAT_SECONDS = 20
MAX_RECHECK_SECONDS = 60
MIN_RECHECK_SECONDS = 0.1
TYPING_REFRESH_SECONDS = 2  # repeated "typing" messages closer than this are not re-stored
MAX_WATCHED = 10  # tickets one connection may watch at once
RECENT_PUSHES = 512  # push ids remembered to drop a second copy (a batch of news is one message)


def recheck_seconds() -> float:
    """How often a connection re-checks its agent's access: JORNADA["LIVE_RECHECK_SECONDS"],
    never more than MAX_RECHECK_SECONDS (nor so little that it would spin)."""
    configured = float(settings.JORNADA.get("LIVE_RECHECK_SECONDS", MAX_RECHECK_SECONDS))
    return max(MIN_RECHECK_SECONDS, min(configured, MAX_RECHECK_SECONDS))


class AgentConsumer(realtime.DispatchWithoutDatabase, AsyncJsonWebsocketConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agent: dict[str, Any] | None = None
        self.joined: set[str] = set()
        self.watching: dict[int, int] = {}  # ticket number -> ticket id
        self.chats: dict[int, int] = {}  # ticket id -> chat session id, for watched chats
        self.typing_stored: dict[int, float] = {}  # ticket id -> when "typing" was last stored
        self.recent_pushes: deque[str] = deque(maxlen=RECENT_PUSHES)
        self.language = settings.LANGUAGE_CODE
        self.recheck_task: asyncio.Task | None = None
        # Messages are handled one at a time; the periodic re-check takes its turn among them.
        self.turn = asyncio.Lock()

    async def dispatch(self, message: dict[str, Any]) -> None:
        async with self.turn:
            if self.agent is None and not message["type"].startswith("websocket."):
                return  # closed by the server: what the layer still brings is not for them
            await super().dispatch(message)

    # --- connection ------------------------------------------------------------------------------

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        agent = await database_sync_to_async(_load_agent)(user.pk)
        if agent is None:
            await self.close(code=CLOSE_NOT_AN_AGENT)
            return
        self.agent = agent
        self.language = _language(self.scope)
        await database_sync_to_async(ticket_services.agent_seen)(agent_id=agent["id"])
        await self._set_groups(agent["groups"])
        self.recheck_task = asyncio.create_task(self._recheck_periodically(recheck_seconds()))
        with translation.override(self.language):
            strings = {"open": gettext("Open ticket"), "dismiss": gettext("Dismiss")}
        await self.send_json(
            {
                "type": "hello",
                "user": {"id": agent["id"], "name": agent["name"]},
                "heartbeat": HEARTBEAT_SECONDS,
                "strings": strings,
            }
        )

    async def disconnect(self, code: int) -> None:
        if self.recheck_task is not None:
            self.recheck_task.cancel()
        if self.agent is None:
            return
        for number in list(self.watching):
            await self._unwatch(number)
        await self._set_groups(set())

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.agent is None:
            return
        try:
            content = json.loads(text_data or "")
        except ValueError:
            await self._error("bad_message")
            return
        if not isinstance(content, dict):
            await self._error("bad_message")
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        kind = content.get("type")
        if kind == "heartbeat":
            await self._heartbeat()
            return
        number = content.get("ticket")
        if kind == "unwatch" and number is None:
            for watched in list(self.watching):
                await self._unwatch(watched)
            return
        if not _is_ticket_number(number):
            await self._error("bad_message")
            return
        if kind == "watch":
            await self._watch(number)
        elif kind == "unwatch":
            await self._unwatch(number)
        elif kind == "typing":
            await self._typing(number, bool(content.get("active")))
        else:
            await self._error("bad_message")

    # --- what the client asks for ----------------------------------------------------------------

    async def _watch(self, number: int) -> None:
        if number in self.watching:
            return
        if len(self.watching) >= MAX_WATCHED:
            await self._error("too_many_watched", ticket=number)
            return
        ticket_id = await database_sync_to_async(_visible_ticket_id)(self.agent["id"], number)
        if ticket_id is None:
            await self._error("not_found", ticket=number)
            return
        self.watching[number] = ticket_id
        await self.channel_layer.group_add(realtime.ticket_group(ticket_id), self.channel_name)
        session_id = await database_sync_to_async(_chat_session_id)(ticket_id)
        if session_id is not None:
            self.chats[ticket_id] = session_id
            await self._chat_read(ticket_id)
        current, changed = await _off_thread(presence.join)(
            ticket_id=ticket_id, connection=self.channel_name, **self._person()
        )
        if changed:
            await self._broadcast_presence(ticket_id, number, current)
        else:  # another tab of this agent was already there: only this one needs the picture
            await self.send_json(_presence_payload(number, current))

    async def _unwatch(self, number: int) -> None:
        ticket_id = self.watching.pop(number, None)
        if ticket_id is None:
            return
        self.typing_stored.pop(ticket_id, None)
        self.chats.pop(ticket_id, None)
        await self.channel_layer.group_discard(realtime.ticket_group(ticket_id), self.channel_name)
        current, changed = await _off_thread(presence.leave)(
            ticket_id=ticket_id, connection=self.channel_name
        )
        if changed:
            await self._broadcast_presence(ticket_id, number, current)

    async def _typing(self, number: int, active: bool) -> None:
        ticket_id = self.watching.get(number)
        if ticket_id is None:
            await self._error("not_watching", ticket=number)
            return
        now = time.monotonic()
        if active and now - self.typing_stored.get(ticket_id, -TYPING_REFRESH_SECONDS) < (
            TYPING_REFRESH_SECONDS
        ):
            return
        if active:
            self.typing_stored[ticket_id] = now
        else:
            self.typing_stored.pop(ticket_id, None)
        if ticket_id in self.chats:  # the chat's visitor sees the agent typing
            await self.channel_layer.group_send(
                realtime.chat_group(self.chats[ticket_id]), {"type": "chat.typing", "on": active}
            )
        current, changed = await _off_thread(presence.set_typing)(
            ticket_id=ticket_id, connection=self.channel_name, active=active, **self._person()
        )
        if changed:
            await self._broadcast_presence(ticket_id, number, current)

    async def _heartbeat(self) -> None:
        await database_sync_to_async(ticket_services.agent_seen)(agent_id=self.agent["id"])
        for number, ticket_id in list(self.watching.items()):
            current, changed = await _off_thread(presence.heartbeat)(
                ticket_id=ticket_id, connection=self.channel_name, **self._person()
            )
            if changed:  # someone else's tab stopped beating and was dropped
                await self._broadcast_presence(ticket_id, number, current)

    # --- re-checking access ----------------------------------------------------------------------

    async def _recheck_periodically(self, interval: float) -> None:
        while self.agent is not None:
            # A little early, by chance: connections opened together (a server restart) spread
            # their re-checks out instead of reading the database all in the same second.
            await asyncio.sleep(interval * random.uniform(0.75, 1))  # noqa: S311
            async with self.turn:
                if self.agent is None:
                    return
                try:
                    await self._recheck()
                except Exception:
                    logger.exception("Re-checking the access of a live connection failed")
                    await self._end(CLOSE_RECHECK_FAILED)

    async def _recheck(self) -> None:
        """Re-read who this agent is now: a logout, a deactivation or a lost agent profile ends
        the connection; a change of teams changes what it hears; a watched ticket out of reach
        is dropped."""
        session_key = getattr(self.scope.get("session"), "session_key", None)
        agent = await database_sync_to_async(_load_agent)(
            self.agent["id"], session_key, watched=set(self.watching.values())
        )
        if agent is None:
            await self._end(CLOSE_NOT_SIGNED_IN)
            return
        self.agent = agent
        await self._set_groups(agent["groups"])
        for number, ticket_id in list(self.watching.items()):
            if ticket_id not in agent["visible"]:
                await self._drop(number)

    async def _drop(self, number: int) -> None:
        """Stop watching a ticket that left the agent's reach, and say so."""
        if number in self.watching:
            await self._unwatch(number)
            await self.send_json({"type": "unwatched", "ticket": number})

    async def _end(self, code: int) -> None:
        """Close the connection and leave everything it joined."""
        await self.close(code=code)
        self.agent = None
        for number in list(self.watching):
            await self._unwatch(number)
        await self._set_groups(set())

    # --- what the channel layer brings (see pushes.py) --------------------------------------------

    async def ticket_push(self, message: dict[str, Any]) -> None:
        if message["id"] in self.recent_pushes:
            return
        self.recent_pushes.append(message["id"])
        await self.send_json(message["payload"])

    async def ticket_pushes(self, message: dict[str, Any]) -> None:
        for push in message["pushes"]:  # pushes.together()
            await self.ticket_push(push)

    async def ticket_changed(self, message: dict[str, Any]) -> None:
        await self.send_json(message["payload"])
        ticket_id = self.watching.get(message["payload"]["ticket"])
        if ticket_id in self.chats and message["payload"]["event"] == "message.created":
            await self._chat_read(ticket_id)
        audience = message.get("audience")
        if audience is not None and not self.joined & set(audience):
            await self._drop(message["payload"]["ticket"])

    async def agent_access_changed(self, message: dict[str, Any]) -> None:
        await self._recheck()

    async def presence_update(self, message: dict[str, Any]) -> None:
        await self.send_json(message["payload"])

    async def chat_typing(self, message: dict[str, Any]) -> None:
        """The visitor of a watched chat is typing (channels_app.services.chat_visitor_typing)."""
        await self.send_json(
            {"type": "chat_typing", "ticket": message["ticket"], "on": message["on"]}
        )

    async def _chat_read(self, ticket_id: int) -> None:
        """This tab shows the chat: the visitor learns their messages were read."""
        session_id = self.chats[ticket_id]
        up_to = await database_sync_to_async(channel_services.chat_agent_read)(
            session_id=session_id, ticket_id=ticket_id
        )
        if up_to:
            await self.channel_layer.group_send(
                realtime.chat_group(session_id), {"type": "chat.read", "up_to": up_to}
            )

    async def agent_notification(self, message: dict[str, Any]) -> None:
        with translation.override(self.language):
            text = _notification_text(message)
        await self.send_json(
            {
                "type": "notification",
                "id": message["id"],
                "kind": message["kind"],
                "ticket": message["ticket"],
                "text": text,
                "url": message["url"],
            }
        )

    # --- helpers ---------------------------------------------------------------------------------

    async def _set_groups(self, groups: set[str]) -> None:
        for group in self.joined - groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in groups - self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined = set(groups)

    async def _broadcast_presence(self, ticket_id: int, number: int, current: dict) -> None:
        await self.channel_layer.group_send(
            realtime.ticket_group(ticket_id),
            {"type": "presence.update", "payload": _presence_payload(number, current)},
        )

    def _person(self) -> dict[str, Any]:
        return {"user_id": self.agent["id"], "name": self.agent["name"]}

    async def _error(self, code: str, **details: Any) -> None:
        await self.send_json({"type": "error", "code": code, **details})


def _off_thread(func):
    # Presence may wait on its cache lock: keep that off the one thread the ORM calls share.
    return sync_to_async(func, thread_sensitive=False)


def _load_agent(
    user_id: int, session_key: str | None = None, watched: set[int] = frozenset()
) -> dict[str, Any] | None:
    """The agent behind a connection, the groups they hear and which of the `watched` tickets
    they may still see; None when they are no agent (or, given the session, no longer signed
    in with it)."""
    if session_key is not None:
        user = _signed_in_user(session_key)
        if user is None or user.pk != user_id:
            return None
    else:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    profile = AgentProfile.objects.filter(user=user).first()
    if profile is None:
        return None
    user.agent_profile = profile  # the scope below reads it (and its teams, read once)
    visible = set()
    if watched:
        scope = selectors.ticket_scope_for_agent(agent=user)
        visible = set(scope.filter(pk__in=watched).values_list("pk", flat=True))
    return {
        "id": user.pk,
        "name": user.get_full_name() or user.get_username(),
        "groups": pushes.groups_for_agent(user, profile),
        "visible": visible,
    }


def _signed_in_user(session_key: str) -> AbstractBaseUser | None:
    """The user a session still signs in, checked as django.contrib.auth.get_user does (backend,
    active user, password not changed since) but without writing to the session."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user_id, backend_path = session.get(auth.SESSION_KEY), session.get(auth.BACKEND_SESSION_KEY)
    if user_id is None or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = auth.load_backend(backend_path).get_user(get_user_model()._meta.pk.to_python(user_id))
    session_hash = session.get(auth.HASH_SESSION_KEY) or ""
    if user is None or not session_hash:
        return None
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return user if any(constant_time_compare(session_hash, h) for h in hashes) else None


def _visible_ticket_id(user_id: int, number: int) -> int | None:
    user: AbstractBaseUser | None = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return None
    scope = selectors.ticket_scope_for_agent(agent=user)
    return scope.filter(number=number).values_list("pk", flat=True).first()


def _chat_session_id(ticket_id: int) -> int | None:
    return ChatSession.objects.filter(ticket_id=ticket_id).values_list("pk", flat=True).first()


def _is_ticket_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _language(scope: dict[str, Any]) -> str:
    """The language the page was rendered in (its <html lang>, sent by the client)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    try:
        return translation.get_supported_language_variant(query.get("lang", [""])[0])
    except LookupError:
        return settings.LANGUAGE_CODE


def _presence_payload(number: int, current: dict) -> dict[str, Any]:
    return {
        "type": "presence",
        "ticket": number,
        "viewers": current["viewers"],
        "typing": current["typing"],
    }


def _notification_text(message: dict[str, Any]) -> str:
    values = {"actor": message["actor"], "number": message["ticket"]}
    if message["kind"] == AgentNotification.Kind.MENTION:
        text = (
            gettext("%(actor)s mentioned you on ticket #%(number)s") % values
            if message["actor"]
            else gettext("You were mentioned on ticket #%(number)s") % values
        )
    else:
        text = (
            gettext("%(actor)s assigned ticket #%(number)s to you") % values
            if message["actor"]
            else gettext("Ticket #%(number)s was assigned to you") % values
        )
    return f"{text}: {message['subject']}" if message["subject"] else text
