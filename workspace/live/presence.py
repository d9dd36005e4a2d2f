"""Who has a ticket open and who is typing on it, shared by every web process through the cache
(local memory in the embedded setup, Redis in production).

One cache entry per ticket maps each open connection (a websocket channel name) to its agent, the
time of its last heartbeat and of its last keystroke. A connection not heard from for VIEWER_TTL
seconds is a tab that died without saying goodbye and is dropped the next time anyone touches the
ticket. Writes are serialised by a short lock taken with cache.add, atomic on both backends, so two
agents opening a ticket at the same moment do not overwrite each other.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypedDict

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Seconds without a heartbeat before a viewer is gone. Clients beat every 20 s, but a browser
# throttles the timers of a tab hidden for a while to about once a minute, and such a tab is still
# open. A tab that crashes or loses its network is dropped much sooner: its socket closes (or the
# server's websocket ping times out) and the consumer leaves at once; this is the backstop for a
# server process that died with its connections.
VIEWER_TTL = 90
TYPING_TTL = 12  # seconds a "typing" lasts unless refreshed (clients refresh every few seconds)
KEY_TIMEOUT = VIEWER_TTL * 2
LOCK_TIMEOUT = 5
LOCK_WAIT = 2.0


class Person(TypedDict):
    id: int
    name: str


class Presence(TypedDict):
    viewers: list[Person]
    typing: list[Person]


Connections = dict[str, dict[str, Any]]


def join(*, ticket_id: int, connection: str, user_id: int, name: str) -> tuple[Presence, bool]:
    return heartbeat(ticket_id=ticket_id, connection=connection, user_id=user_id, name=name)


def heartbeat(*, ticket_id: int, connection: str, user_id: int, name: str) -> tuple[Presence, bool]:
    """This connection still shows the ticket (and is back, if a late beat had it dropped)."""

    def change(connections: Connections, now: float) -> None:
        entry = connections.setdefault(connection, {"id": user_id, "name": name, "typing": 0.0})
        entry["seen"] = now

    return _update(ticket_id, change)


def set_typing(
    *, ticket_id: int, connection: str, user_id: int, name: str, active: bool
) -> tuple[Presence, bool]:
    def change(connections: Connections, now: float) -> None:
        entry = connections.setdefault(connection, {"id": user_id, "name": name})
        entry["seen"] = now
        entry["typing"] = now if active else 0.0

    return _update(ticket_id, change)


def leave(*, ticket_id: int, connection: str) -> tuple[Presence, bool]:
    def change(connections: Connections, now: float) -> None:
        connections.pop(connection, None)

    return _update(ticket_id, change)


def _update(ticket_id: int, change: Callable[[Connections, float], None]) -> tuple[Presence, bool]:
    """Apply `change` and return the presence afterwards, and whether it differs from what the
    ticket's viewers were last told (so that unchanged heartbeats broadcast nothing)."""
    key = _key(ticket_id)
    with _locked(key):
        now = time.time()
        state = cache.get(key) or {"connections": {}, "shown": None}
        connections = state["connections"]
        change(connections, now)
        connections = _fresh(connections, now)
        presence = _summarise(connections, now)
        changed = presence != state["shown"]
        if connections:
            cache.set(key, {"connections": connections, "shown": presence}, KEY_TIMEOUT)
        else:
            cache.delete(key)
    return presence, changed


def _key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def _fresh(connections: Connections, now: float) -> Connections:
    return {name: c for name, c in connections.items() if now - c["seen"] <= VIEWER_TTL}


def _summarise(connections: Connections, now: float) -> Presence:
    viewers: dict[int, Person] = {}
    typing: dict[int, Person] = {}
    for entry in connections.values():
        person = Person(id=entry["id"], name=entry["name"])
        viewers[person["id"]] = person
        if entry["typing"] and now - entry["typing"] <= TYPING_TTL:
            typing[person["id"]] = person
    return Presence(viewers=_ordered(viewers), typing=_ordered(typing))


def _ordered(people: dict[int, Person]) -> list[Person]:
    return sorted(people.values(), key=lambda p: (p["name"].casefold(), p["id"]))


@contextmanager
def _locked(key: str) -> Iterator[None]:
    lock = f"{key}:lock"
    deadline = time.monotonic() + LOCK_WAIT
    acquired = cache.add(lock, 1, LOCK_TIMEOUT)
    while not acquired and time.monotonic() < deadline:
        time.sleep(0.01)
        acquired = cache.add(lock, 1, LOCK_TIMEOUT)
    if not acquired:
        # Presence is advice, not data: a rare lost update beats a websocket stuck waiting.
        logger.warning(
            "Presence lock %s not acquired in %.1fs; updating without it", key, LOCK_WAIT
        )
    try:
        yield
    finally:
        if acquired:
            cache.delete(lock)
