"""Django's SQLite backend, switching a file to WAL in a way several processes may race.

Web, worker, beat and `ingest_email` may share one SQLite file, which needs WAL (readers beside one
writer). Switching a file to WAL takes an exclusive lock, and SQLite refuses a second connection
that tries at the same moment at once ("database is locked"), without waiting for the busy timeout
as it does for a write: two processes starting together on a new file failed. The switch is tried
again here for as long as that timeout. WAL is kept in the file: once switched, it answers at
once."""

import time

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            use_wal(connection, patience=conn_params.get("timeout", 5.0))
        return connection


def use_wal(connection, *, patience: float) -> None:
    deadline = time.monotonic() + patience
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except base.Database.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
