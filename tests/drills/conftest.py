"""The fault drills' stage: a redis-server of the drill's own, the app under gunicorn and Celery
workers on the project's queues, all pointed at the test database (or at a throwaway PostgreSQL
cluster) and at that redis. The suite's own PostgreSQL and Redis are never stopped.

Drills run only on the real stack (CI's PostgreSQL + Redis leg): tests/conftest.py skips tests
marked `drill` without DATABASE_URL/REDIS_URL, and this file skips them where redis-server or
PostgreSQL's binaries are missing."""

import json
import shutil
import time
from collections import Counter
from datetime import timedelta

import pytest
import requests
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from channels_app.models import InboundEvent
from tests import servers
from tests.celery_settings import under_both_names
from tests.channels_app import whatsapp_support as wa
from tests.real_stack import _database_url_of_test_db


def pytest_collection_modifyitems(config, items):
    missing = [
        what
        for what, present in (
            ("redis-server", shutil.which("redis-server")),
            ("PostgreSQL 15 binaries", (servers.PG_BIN / "initdb").exists()),
        )
        if not present
    ]
    if missing:
        skip = pytest.mark.skip(reason=f"the drills need {' and '.join(missing)}")
        for item in items:
            if "drill" in item.keywords:
                item.add_marker(skip)


class Stage:
    """What one drill started; everything is stopped when the drill ends."""

    def __init__(self, *, database_url: str, redis: servers.RedisServer, **env: str):
        self.redis = redis
        # No Graph API unless a drill brings one: media downloads and replies fail fast.
        env = {"WHATSAPP_API_BASE": "http://127.0.0.1:9/unreachable", **env}
        self.env = servers.app_env(
            database_url=database_url,
            redis_url=redis.url,
            WHATSAPP_APP_SECRET=wa.APP_SECRET,
            **env,
        )
        self.started: list = []
        self.http = requests.Session()

    def web(self) -> servers.AppServer:
        server = servers.AppServer(self.env).start()
        self.started.append(server)
        return server

    def worker(self, *, concurrency: int = 2) -> servers.CeleryWorker:
        worker = servers.CeleryWorker(self.env, concurrency=concurrency).start()
        self.started.append(worker)
        return worker

    def post_whatsapp(self, web: servers.AppServer, payload: dict) -> requests.Response:
        body = json.dumps(payload).encode()
        return self.http.post(
            f"{web.url}{wa.WEBHOOK}",
            data=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": wa.sign(body)},
            timeout=30,
        )

    def send_beat_entry(self, entry: str) -> None:
        """Publish the task of a CELERY_BEAT_SCHEDULE entry to the drill's broker, as beat
        does when its time comes. Through a Celery app of its own: the project's app caches its
        router the first time it routes a task, and a later test may change its routes."""
        app = Celery("drill-beat", set_as_current=False)
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.conf.update(
            under_both_names(
                broker_url=self.redis.url, result_backend=None, task_always_eager=False
            )
        )
        try:
            app.send_task(settings.CELERY_BEAT_SCHEDULE[entry]["task"])
        finally:
            app.close()

    def sweep_until_processed(self, *, timeout: float, sweeps: int = 1, every: float = 5.0) -> int:
        """Beat's inbound sweeper, as it runs every minute in production, until no event waits
        (at most `sweeps` times; how many it took): each round first moves the waiting events
        past its threshold (2 minutes). An event whose attempt failed for a reason that may pass
        (a broker or cache that just came back) waits for the next sweep, so after an outage one
        sweep is not always enough; without one, a second sweep means a drain left events behind.
        On failure the waiting events' attempts and errors are in the message."""
        deadline = time.monotonic() + timeout
        swept = 0
        while waiting():
            if time.monotonic() > deadline or swept == sweeps:
                left = InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED)
                detail = Counter(left.values_list("attempts", "error"))
                raise AssertionError(
                    f"{swept} sweep(s), {timeout}s at most; still waiting: {detail}"
                )
            age_waiting_events()
            self.send_beat_entry("sweep-inbound-events")
            swept += 1
            round_ends = time.monotonic() + (every if swept < sweeps else timeout)
            while waiting() and time.monotonic() < min(round_ends, deadline):
                time.sleep(0.3)
        return swept

    def stop(self) -> None:
        for process in reversed(self.started):
            process.stop()
        self.http.close()


def age_waiting_events(minutes: int = 3) -> int:
    """Move the waiting events received since `minutes` ago back to then, past the sweeper's
    threshold (2 minutes): what a drill would otherwise wait for. Never further, however often
    it is called (an event waiting for its target gives up after TARGET_WAIT)."""
    then = timezone.now() - timedelta(minutes=minutes)
    return InboundEvent.objects.filter(
        status=InboundEvent.Status.RECEIVED, received_at__gt=then
    ).update(received_at=then)


def waiting() -> int:
    return InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).count()


def burst(prefix: str, *, customers: int, each: int) -> list[tuple[str, dict]]:
    """(wamid, webhook) for `each` messages of `customers` customers, one message a webhook,
    customer after customer in turn (so that several of one customer are in flight at once)."""
    webhooks = []
    for turn in range(each):
        for number in range(customers):
            wamid = f"wamid.{prefix}-{number:03d}-{turn:02d}=="
            wa_id = f"55119{70000000 + number:08d}"
            payload = wa.text(f"Mensagem {turn} do cliente {number}", id=wamid, wa_id=wa_id)
            payload["entry"][0]["changes"][0]["value"]["contacts"] = [
                wa.contact(wa_id, f"Cliente {number}")
            ]
            webhooks.append((wamid, payload))
    return webhooks


@pytest.fixture
def drill_redis():
    server = servers.RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def stage_env() -> dict[str, str]:
    """Environment variables a drill adds for its servers and workers (override the fixture)."""
    return {}


@pytest.fixture
def stage(transactional_db, drill_redis, stage_env):
    """The app and its workers on the test database and the drill's own redis."""
    current = Stage(database_url=_database_url_of_test_db(), redis=drill_redis, **stage_env)
    try:
        yield current
    finally:
        current.stop()
        connection.close()  # the servers held connections to the test database
