"""The visitor's websocket, /ws/chat/?key=<public key> (docs/chat.md).

Only the chat channel's allowed origins and the desk's own may connect (anything else is closed
with 4403; an unknown key with 4404). Nothing but `hello` is taken before the welcome. Each
frame is handled by handler.py in a thread (it reads and writes the database); a message is
acknowledged only once it is a ticket Message.

The channel layer is a doorbell: the visitor's tabs join the group of their chat session (and,
before they have one, the group of their visitor id) and, when it rings, read from the database
whatever came after the last message id they sent."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

from asgiref.sync import SyncToAsync
from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections, connection
from django.http.request import validate_host
from django.utils import translation

from tickets.threads import pool_close

from ... import selectors
from ...realtime import DispatchWithoutDatabase, chat_group, chat_visitor_group
from . import handler
from .protocol import MAX_FRAME_BYTES

CLOSE_ORIGIN_REFUSED = 4403
CLOSE_UNKNOWN_CHANNEL = 4404
FRAMES_PER_WINDOW = 60  # frames of any kind one connection may send...
FRAME_WINDOW_SECONDS = 10  # ...in this many seconds; the rest are refused
TYPING_REFRESH_SECONDS = 2  # "still typing" is passed on at most this often
MESSAGE_KINDS = frozenset({"message", "resolved", "handover", "end"})


class _ChatDatabaseWork(DatabaseSyncToAsync):
    """The chat's database work, on a small pool of threads of its own (CHAT_DB_THREADS per
    process) instead of the one thread all of Channels' database calls share: visitors' messages
    are stored and processed side by side, each waiting on PostgreSQL, not behind each other.
    Each pool thread keeps its connection for KEEP_CONNECTION_SECONDS: a fixed number of threads
    cannot pile connections up as per-request threads would (which is why helpdesk/asgi.py
    closes those after each request).

    Stale connections are closed before each call, as DatabaseSyncToAsync does (not after too:
    the next call does it). Django then checks a kept connection with a SELECT 1 before its first
    query (CONN_HEALTH_CHECKS): a round trip per chat frame, through the pooler. A connection
    that answered within HEALTH_CHECK_SKIP_SECONDS is taken as alive instead; should it have died
    since, that call fails (the visitor's message is not acknowledged and comes again) and the
    error makes the next call check it."""

    def thread_handler(self, loop, *args, **kwargs):
        if connection.settings_dict.get("CONN_MAX_AGE") != KEEP_CONNECTION_SECONDS:
            # This thread's connection only: each thread has a DatabaseWrapper of its own.
            connection.settings_dict = {
                **connection.settings_dict, "CONN_MAX_AGE": KEEP_CONNECTION_SECONDS
            }  # fmt: skip
        close_old_connections()
        now = time.monotonic()
        if connection.connection is not None and now - _answered.at < HEALTH_CHECK_SKIP_SECONDS:
            connection.health_check_done = True
        try:
            return SyncToAsync.thread_handler(self, loop, *args, **kwargs)
        finally:
            if connection.connection is not None and not connection.errors_occurred:
                _answered.at = time.monotonic()


KEEP_CONNECTION_SECONDS = 60
HEALTH_CHECK_SKIP_SECONDS = 5


class _Answered(threading.local):
    at = float("-inf")  # when this thread's connection last served a call without error


_answered = _Answered()
_pool: ThreadPoolExecutor | None = None


def db(func):
    """`func` run as the chat's database work. On SQLite (the embedded setup: one writer at a
    time whatever the threads) it takes Channels' one sync thread instead, with the process's
    other database calls: threads of its own would only meet them at SQLite's locks."""
    global _pool
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return DatabaseSyncToAsync(func)
    if _pool is None:
        threads = settings.JORNADA.get("CHAT_DB_THREADS", 4)
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="chat-db")
    return _ChatDatabaseWork(func, thread_sensitive=False, executor=_pool)


def close_database_work() -> None:
    """Close the pool threads' kept connections and stop them (a test database about to be
    dropped, a process shutting down)."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool_close(pool)


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def origin_allowed(origin: str, channel) -> bool:
    """One of the chat channel's allowed origins, or the desk's own (ALLOWED_HOSTS): the frame
    the widget runs in is served by the desk."""
    origin = origin.strip().lower().rstrip("/")
    if not origin:
        return False
    if origin in channel.origins:
        return True
    host = urlsplit(origin).hostname
    allowed = settings.ALLOWED_HOSTS or (
        ["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else []
    )
    return bool(host) and validate_host(host, allowed)


def link_base(scope: dict) -> str:
    """The desk's address as this visitor reached it, for links mailed to them: only a host the
    desk answers to (a forged Host header must not make us mail someone else's link)."""
    host = _header(scope, b"host")
    if not host or not validate_host(urlsplit(f"//{host}").hostname or "", settings.ALLOWED_HOSTS):
        named = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
        host = named[0] if named else "localhost"
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    return f"{scheme}://{host}"


class ChatConsumer(DispatchWithoutDatabase, AsyncJsonWebsocketConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chat_channel = None
        self.conversation: handler.Conversation | None = None
        self.joined: set[str] = set()
        self.window: tuple[float, int] = (0.0, 0)  # when this frame window began, frames in it
        self.typing_sent: tuple[bool, float] = (False, 0.0)

    async def connect(self) -> None:
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        channel = await _chat_channel(query.get("key", [""])[0])
        if channel is None:
            await self.close(code=CLOSE_UNKNOWN_CHANNEL)
            return
        if not origin_allowed(_header(self.scope, b"origin"), channel):
            await self.close(code=CLOSE_ORIGIN_REFUSED)
            return
        self.chat_channel = channel

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = set()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.chat_channel is None:
            return
        if not text_data or len(text_data) > MAX_FRAME_BYTES:
            await self.send_json(handler.error("bad_message"))
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self.send_json(handler.error("bad_message"))
            return
        if self._flooding():
            await self.send_json(handler.error("rate_limited", retry_after=FRAME_WINDOW_SECONDS))
            return
        await self.receive_json(frame)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        kind = content.get("type")
        if self.conversation is None:
            if kind != "hello":
                await self.send_json(handler.error("hello_first"))
                return
            await self._hello(content)
            return
        if kind == "typing" and not self._typing_news(bool(content.get("on"))):
            return
        # One trip to the database thread: the frame's answer, then what is new for this tab.
        frames, news = await db(_handle_and_catch_up)(
            self.conversation, content, kind in MESSAGE_KINDS
        )
        for frame in frames:
            await self.send_json(frame)
        if kind in MESSAGE_KINDS:
            await self._follow()
            await self._send_news(news)

    async def _hello(self, content: dict[str, Any]) -> None:
        self.conversation, frames = await db(handler.hello)(
            channel=self.chat_channel,
            frame=content,
            user=self.scope.get("user"),
            link_base=link_base(self.scope),
        )
        await self._follow()
        for frame in frames:
            await self.send_json(frame)

    # --- what the doorbell brings -----------------------------------------------------------------

    async def chat_doorbell(self, event: dict[str, Any]) -> None:
        if self.conversation is not None and 0 < event.get("last", 0) <= self.conversation.last_id:
            return  # this tab has sent that message already (its own, just acknowledged)
        await self._catch_up()

    async def chat_state(self, event: dict[str, Any]) -> None:
        await self._catch_up()
        await self.send_json(await db(handler.state)(self.conversation))

    async def chat_session(self, event: dict[str, Any]) -> None:
        """The visitor's first message (maybe from another tab) opened their session."""
        await self._catch_up()
        await self._follow()

    async def chat_typing(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "typing", "from": "agent", "on": bool(event.get("on"))})

    async def chat_survey(self, event: dict[str, Any]) -> None:
        """The surveys app offered its survey (services.chat_survey_offer): read it."""
        if self.conversation is not None:
            for frame in await db(handler.survey)(self.conversation):
                await self.send_json(frame)

    async def chat_read(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "read", "up_to": event["up_to"], "by": "agent"})

    # --- helpers ----------------------------------------------------------------------------------

    async def _catch_up(self) -> None:
        if self.conversation is None:
            return
        await self._send_news(await db(_catch_up_in_language)(self.conversation))

    async def _send_news(self, frames: list[dict[str, Any]]) -> None:
        for frame in frames:
            await self.send_json(frame)
        deferred, self.conversation.deferred = self.conversation.deferred, []
        for frame in deferred:
            await self.send_json(frame)

    async def _follow(self) -> None:
        """Be in the groups of the visitor and of their session (once there is one)."""
        conversation = self.conversation
        wanted = {chat_visitor_group(conversation.visitor.id)}
        if conversation.session_id is not None:
            wanted.add(chat_group(conversation.session_id))
        for group in wanted - self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined |= wanted

    def _flooding(self) -> bool:
        started, count = self.window
        now = time.monotonic()
        if now - started > FRAME_WINDOW_SECONDS:
            started, count = now, 0
        self.window = (started, count + 1)
        return count >= FRAMES_PER_WINDOW

    def _typing_news(self, on: bool) -> bool:
        """Whether a typing frame is worth passing on: a change, or "still typing" now and then."""
        was_on, at = self.typing_sent
        now = time.monotonic()
        if on == was_on and (not on or now - at < TYPING_REFRESH_SECONDS):
            return False
        self.typing_sent = (on, now)
        return True


# Chat channels by public key, shared by this process's connections for a few seconds: a
# thousand visitors of one site hold one row, not a thousand copies (memory per connection).
CHANNEL_CACHE_SECONDS = 30
_channels: dict[str, tuple[float, Any]] = {}


async def _chat_channel(public_key: str):
    now = time.monotonic()
    cached = _channels.get(public_key)
    if cached is None or now - cached[0] > CHANNEL_CACHE_SECONDS:
        if len(_channels) > 1000:
            _channels.clear()
        cached = (now, await db(selectors.chat_channel_by_key)(public_key))
        _channels[public_key] = cached
    return cached[1]


def _catch_up_in_language(conversation: handler.Conversation) -> list[dict[str, Any]]:
    with translation.override(conversation.language):
        return handler.catch_up(conversation)


def _handle_and_catch_up(
    conversation: handler.Conversation, frame: dict[str, Any], catch_up: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    frames = handler.handle(conversation, frame)
    return frames, _catch_up_in_language(conversation) if catch_up else []
