"""What every item of a batch would read again, read once per batch.

A drain processes many inbound events in one transaction (channels_app's
inbound_events_process_batch); each would otherwise read the same rows again: the email channel's
mailboxes, the organization of a sender's domain. Inside `memoized_for_batch()` such a read is
kept for the rest of the batch; outside one, `batch_memo` simply loads. A batch lasts a fraction
of a second, so a change made meanwhile (a mailbox added in the admin) is seen by the next one.
"""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_memo: ContextVar[dict | None] = ContextVar("jornada_batch_memo", default=None)


@contextmanager
def memoized_for_batch() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def batch_memo(key: Hashable, load: Callable[[], Any]) -> Any:
    """load(), once per batch (every time outside one)."""
    memo = _memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def batch_memo_fill(values: dict[Hashable, Any]) -> None:
    """Values read ahead for the rest of the batch (one query for all its items); nothing outside
    a batch."""
    memo = _memo.get()
    if memo is not None:
        memo.update(values)


def in_batch() -> bool:
    return _memo.get() is not None
