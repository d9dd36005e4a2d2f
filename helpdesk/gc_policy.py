"""Garbage collection in the websocket server (helpdesk/asgi.py).

A thousand held connections are a million long-lived objects, and CPython's full collection
walks every one of them each time it runs: under the chat's load (bench/bench_chat.py) that was
a pause of 0.1-0.4 s for every socket of the process, every ten seconds or so, and it was the
chat's p99. Here, after each full collection, the objects that survived it are frozen
(gc.freeze: out of the collector's sight), so the next full collections walk only the objects
that came since, a few milliseconds' work.

Frozen objects are still freed by reference counting as usual; only garbage cycles among them
(a connection closed since its objects were frozen) wait. Every `unfreeze_seconds` everything
is unfrozen and the next full collection walks all of it once, so what waits is bounded: one
long pause every five minutes instead of every ten seconds. What waits grows with the sockets
closed meanwhile (a closed visitor's objects, about 90 KB): at one a second, some 27 MB."""

import gc
import threading
import time

CHECK_SECONDS = 1.0


class _Policy:
    def __init__(self, unfreeze_seconds: float) -> None:
        self.unfreeze_seconds = unfreeze_seconds
        self.full_collections = 0  # counted by the collector's callback
        self.seen = 0
        self.unfrozen_at = time.monotonic()

    def count(self, phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            self.full_collections += 1

    def step(self) -> None:
        """Freeze after a full collection; unfreeze once the period is over (frozen again after
        the full collection that then walks everything). Outside the collector's callback: both
        are cheap (a list spliced), but not to be done while it runs."""
        if time.monotonic() - self.unfrozen_at >= self.unfreeze_seconds:
            gc.unfreeze()
            self.unfrozen_at = time.monotonic()
            self.seen = self.full_collections
        elif self.full_collections != self.seen:
            self.seen = self.full_collections
            gc.collect(1)  # not the young garbage made since that collection: freed, not frozen
            gc.freeze()

    def run(self) -> None:
        while True:
            time.sleep(CHECK_SECONDS)
            self.step()


_started: _Policy | None = None


def gc_policy_start(*, unfreeze_seconds: float) -> None:
    """Once per process (0: CPython's own collections, untouched)."""
    global _started
    if unfreeze_seconds <= 0 or _started is not None:
        return
    _started = _Policy(unfreeze_seconds)
    gc.callbacks.append(_started.count)
    threading.Thread(target=_started.run, name="gc-policy", daemon=True).start()
