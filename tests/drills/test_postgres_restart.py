"""Drill: PostgreSQL crashes and restarts (a throwaway cluster: `pg_ctl stop -m immediate`, then
start) while WhatsApp delivers webhooks to the app under gunicorn and a worker processes them.
While the database is away the app answers 503 (webhooks, so the provider retries; /healthz,
naming the database), never 500; it recovers by itself, without a restart; and the data is
whole: every message stored exactly once, no ticket without its message or its audit rows."""

import threading
import time
from collections import Counter

import psycopg2
import pytest
import requests
from django.db import connection

from tests import servers
from tests.drills.conftest import Stage, burst

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

CUSTOMERS, EACH = 15, 10


@pytest.fixture
def cluster():
    throwaway = servers.PostgresCluster().init()
    throwaway.start()
    yield throwaway
    throwaway.destroy()


def query(url: str, sql: str) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    conn.close()
    return rows


def test_the_app_answers_503_while_postgres_restarts_and_recovers_with_whole_data(
    cluster, drill_redis
):
    started = time.monotonic()
    database_url = cluster.create_database_like(connection.settings_dict)
    stage = Stage(database_url=database_url, redis=drill_redis)
    try:
        web = stage.web()
        stage.worker(concurrency=2)
        webhooks = burst("PG", customers=CUSTOMERS, each=EACH)
        answers: list[int] = []
        health: list[tuple[int, dict]] = []
        done = threading.Event()

        def provider():
            """Meta: each webhook again until it is answered 200."""
            for _, payload in webhooks:
                for _attempt in range(100):
                    status = stage.post_whatsapp(web, payload).status_code
                    answers.append(status)
                    if status == 200:
                        break
                    time.sleep(0.2)
                time.sleep(0.01)
            done.set()

        def monitor():
            while not done.is_set():
                response = requests.get(f"{web.url}/healthz", timeout=10)  # a session of its own
                health.append((response.status_code, response.json()))
                time.sleep(0.1)

        threads = [threading.Thread(target=provider), threading.Thread(target=monitor)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        cluster.stop("immediate")  # a crash: no checkpoint, sessions cut
        time.sleep(3)
        cluster.start()
        assert done.wait(timeout=180), "the webhooks were never all accepted"
        for thread in threads:
            thread.join()

        # Beat's sweeper, once the events left waiting are past its threshold (2 minutes).
        query(
            database_url,
            "UPDATE channels_app_inboundevent SET received_at = received_at - interval '3 min'"
            " WHERE status = 'received' RETURNING id",
        )
        stage.send_beat_entry("sweep-inbound-events")
        servers.wait_for(
            lambda: (
                not query(
                    database_url,
                    "SELECT 1 FROM channels_app_inboundevent WHERE status = 'received'",
                )
            ),
            timeout=120,
            what="every event processed",
            interval=0.5,
        )
        after = stage.http.get(f"{web.url}/healthz", timeout=10)
        assert web.process.poll() is None  # the same gunicorn: recovered without a restart
    finally:
        stage.stop()

    assert 503 in answers, "the drill never saw the database away"
    assert set(answers) == {200, 503}, Counter(answers)
    unhealthy = [body for status, body in health if status == 503]
    assert unhealthy, "/healthz never noticed"
    assert all(body["database"].startswith("error") for body in unhealthy)
    assert (after.status_code, after.json()["database"]) == (200, "ok")

    wamids = Counter(wamid for wamid, _ in webhooks)
    events = query(database_url, "SELECT status, message_id FROM channels_app_inboundevent")
    assert len(events) == len(wamids)
    assert all(status == "processed" and message for status, message in events)
    stored = Counter(
        external_id
        for (external_id,) in query(database_url, "SELECT external_id FROM tickets_message")
    )
    assert stored == wamids  # each message exactly once
    tickets = query(database_url, "SELECT id FROM tickets_ticket")
    assert len(tickets) == CUSTOMERS
    half_written = query(
        database_url,
        """SELECT t.id FROM tickets_ticket t
           WHERE NOT EXISTS (SELECT 1 FROM tickets_message m WHERE m.ticket_id = t.id)
              OR NOT EXISTS (SELECT 1 FROM tickets_ticketevent e
                             WHERE e.ticket_id = t.id AND e.kind = 'created')""",
    )
    assert half_written == []
    unaudited = query(
        database_url,
        """SELECT m.id FROM tickets_message m
           WHERE (SELECT count(*) FROM tickets_ticketevent e WHERE e.kind = 'message_received'
                  AND (e.data ->> 'message_id')::bigint = m.id) != 1""",
    )
    assert unaudited == []
    print(f"\ndrill postgres restart: {answers.count(503)} webhooks answered 503, "
          f"{len(unhealthy)} unhealthy /healthz, {time.monotonic() - started:.1f}s")  # fmt: skip
