"""helpdesk/db/sqlite3: processes starting together on a new SQLite file all get WAL."""

import multiprocessing
import sqlite3
import time

from django.conf import settings
from django.db.utils import ConnectionHandler

PROCESSES = 4
FILES = 25  # Django's own backend fails about one open in twenty here: caught


def _connect_at(path: str, start: float, engine: str, results) -> None:
    handler = ConnectionHandler(
        {"default": {"ENGINE": engine, "NAME": path, "OPTIONS": settings.SQLITE_OPTIONS}}
    )
    while time.time() < start:
        pass  # all processes open the file at the same instant
    wrapper = handler["default"]
    try:
        # What Django's connect() does first (pytest-django guards connect() itself).
        opened = wrapper.get_new_connection(wrapper.get_connection_params())
        opened.execute("INSERT INTO opened VALUES (1)")
        opened.commit()
        results.put("ok")
    except Exception as exc:
        results.put(repr(exc))


def _open_together(tmp_path, engine: str) -> list[str]:
    fork = multiprocessing.get_context("fork")
    outcomes = []
    for number in range(FILES):
        path = tmp_path / f"new-{number}.sqlite3"
        sqlite3.connect(path).execute("CREATE TABLE opened (n integer)").connection.close()
        results = fork.Queue()
        start = time.time() + 0.15
        processes = [
            fork.Process(target=_connect_at, args=(str(path), start, engine, results))
            for _ in range(PROCESSES)
        ]
        for process in processes:
            process.start()
        outcomes += [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=60)
        with sqlite3.connect(path) as check:
            assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",), outcomes
    return outcomes


def test_processes_opening_a_new_file_together_all_switch_it_to_wal(tmp_path):
    outcomes = _open_together(tmp_path, settings.SQLITE_ENGINE)

    assert outcomes == ["ok"] * PROCESSES * FILES
