"""Thread pools whose threads keep a database connection each (the chat's database work, the
dashboard's parallel reads): how to close those connections, which only their own thread can."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def pool_close(pool: ThreadPoolExecutor) -> None:
    """Close every pool thread's connection and stop the pool (a test database about to be
    dropped, a process shutting down)."""
    started = len(pool._threads)
    barrier = threading.Barrier(started) if started else None

    def close_mine() -> None:
        barrier.wait(timeout=5)  # one task per thread: each closes its own connection
        connection.close()

    for future in [pool.submit(close_mine) for _ in range(started)]:
        future.result(timeout=10)
    pool.shutdown(wait=True)
