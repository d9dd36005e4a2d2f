"""The one door to the channel layer for code that is not a consumer (services, tasks, views):
sending to groups from sync code, with a timeout, never failing the caller. Used by the agents'
live pushes (workspace.live.pushes) and by the chat's doorbell.

Group names shared by several apps live here too: a ticket's page group (every agent tab showing
the ticket) and a chat session's group (every tab of its visitor)."""

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from asgiref.sync import async_to_sync
from channels.consumer import get_handler_name
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

SEND_TIMEOUT = 2.0  # seconds for one push to all its groups; past that the layer counts as down


def ticket_group(ticket_id: int) -> str:
    """The agents' tabs that show this ticket (workspace.live)."""
    return f"ticket.{ticket_id}"


def chat_group(session_id: int) -> str:
    """The visitor's tabs of this chat session (channels_app.adapters.chat.consumer)."""
    return f"chat.{session_id}"


def chat_visitor_group(visitor) -> str:
    """The tabs of one visitor before their first message opened a session."""
    return f"chat.visitor.{visitor}"


_gathering: ContextVar["_Gathered | None"] = ContextVar("realtime_gathering", default=None)


class _Gathered:
    """What send_many was given inside one pushes_together() block: through Redis, the sends
    already on their way (futures on the push loop); in memory, the messages themselves."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.sending: list[tuple[concurrent.futures.Future, list]] = []


@contextmanager
def pushes_together() -> Iterator[None]:
    """The pushes of one chat frame (its after-commit subscribers: the agents' news, the
    visitor's doorbell) go out as each is made, without the thread waiting for each: through
    Redis they start on the push loop at once and the block's end waits for all of them (the
    agents' news then leaves while the later subscribers still run, instead of after them). With
    the in-memory layer they are gathered and sent together as the block ends."""
    if _gathering.get() is not None:
        yield  # an outer block sends them
        return
    gathered = _Gathered()
    token = _gathering.set(gathered)
    try:
        yield
    finally:
        _gathering.reset(token)
        send_many(gathered.messages)
        deadline = time.monotonic() + SEND_TIMEOUT + 1
        for future, messages in gathered.sending:
            try:
                future.result(timeout=max(0.0, deadline - time.monotonic()))
            except Exception as exc:
                _log_failure(messages, exc)


def send_many(messages: list[tuple[str, dict[str, Any]]]) -> bool:
    """Send (group, message) pairs together, waiting at most SEND_TIMEOUT for all of them;
    False (and one log line) when the layer failed. A push is a courtesy: the database stays
    the record, and every client catches up from it. Inside pushes_together(): started, or
    gathered, and waited for at the block's end (True)."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return False
    in_memory = isinstance(layer, InMemoryChannelLayer)
    gathering = _gathering.get()
    if gathering is not None and in_memory:
        gathering.messages.extend(messages)
        return True

    async def send_all() -> None:
        async with asyncio.timeout(SEND_TIMEOUT):
            await asyncio.gather(*(layer.group_send(group, msg) for group, msg in messages))

    try:
        if in_memory:
            # Its queues belong to the event loop of this process's consumers: async_to_sync
            # finds that loop when called from a request or a consumer.
            async_to_sync(send_all)()
        else:
            future = asyncio.run_coroutine_threadsafe(send_all(), _push_loop())
            if gathering is not None:
                gathering.sending.append((future, messages))
                return True
            future.result(timeout=SEND_TIMEOUT + 1)
    except Exception as exc:
        _log_failure(messages, exc)
        return False
    return True


def _log_failure(messages: list[tuple[str, dict[str, Any]]], exc: Exception) -> None:
    logger.warning(
        "Live push of %s message(s) (%s) failed; clients catch up from the database",
        len(messages),
        ", ".join(sorted({msg["type"] for _, msg in messages})),
        exc_info=exc,
    )


_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _push_loop() -> asyncio.AbstractEventLoop:
    """One long-lived event loop per process for pushes through Redis, so that its connections
    are reused (a fresh loop per push, as async_to_sync makes in a worker, reconnects every time).
    Started lazily and again after a fork: Celery's prefork children do not inherit threads."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="realtime-push", daemon=True).start()
            _loop_pid = os.getpid()
        return _loop


class DispatchWithoutDatabase:
    """For a consumer (before AsyncConsumer in its bases) whose database work all goes through
    database_sync_to_async or another DatabaseSyncToAsync, which close stale connections
    themselves. Channels (4.2+) also closes them before every handler: a hop to its one shared
    sync thread for each frame and each layer message of every socket, which all the process's
    sockets queue for (the chat's round trip: the visitor's frame, the doorbell, the agent's
    push). Here a handler is just called."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
