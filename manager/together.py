"""The dashboard's heaviest reads run at once on connections of their own, while the request's
connection does the rest: a page's figures are a dozen independent aggregates, and on PostgreSQL
each keeps one core busy (the percentiles' sorts cannot run in parallel inside one query).

Only on PostgreSQL, with JORNADA["DASHBOARD_DB_THREADS"] > 0, and outside a caller's transaction
(a test's, say: other connections would not see its rows). Elsewhere each read runs on the
request's connection when its result is first asked for. Each read sees its own snapshot: parts
of a page may differ by what a rollup refresh changed in between (every 30 s at most)."""

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from tickets.threads import pool_close

# Months of a busy desk are a few hundred thousand facts to sort for the percentiles and to
# group: in memory rather than in temporary files (PostgreSQL's default is 4 MB). SET LOCAL: the
# setting ends with the transaction, as it must behind a transaction-mode pooler.
WORK_MEM = "SET LOCAL work_mem = '64MB'"

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _threads() -> int:
    return int(settings.JORNADA.get("DASHBOARD_DB_THREADS", 0))


def in_parallel() -> bool:
    return connection.vendor == "postgresql" and _threads() > 0 and not connection.in_atomic_block


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="dashboard-db")
        return _pool


def _on_own_connection(read: Callable[[], Any]) -> Any:
    # This thread's connection, kept between pages as CONN_MAX_AGE says (and closed if broken).
    connection.close_if_unusable_or_obsolete()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(WORK_MEM)
        return read()


class Reads:
    """Named reads, started at once on the pool's connections when in_parallel(); `reads[name]`
    waits for one's result (or, otherwise, runs it then, once)."""

    def __init__(self, **reads: Callable[[], Any]) -> None:
        self._reads = reads
        self._done: dict[str, Any] = {}
        self._futures: dict[str, Future] = {}
        if in_parallel():
            pool = _executor()
            self._futures = {
                name: pool.submit(_on_own_connection, read) for name, read in reads.items()
            }

    def __getitem__(self, name: str) -> Any:
        if name not in self._done:
            future = self._futures.get(name)
            self._done[name] = future.result() if future else self._reads[name]()
        return self._done[name]


def close_connections() -> None:
    """Close the pool threads' kept connections and stop them (a test database about to be
    dropped, a process shutting down)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool_close(pool)
