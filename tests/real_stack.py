"""Fixtures for tests marked `services`: a real Celery worker process on the Redis broker,
reading and writing the test database."""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from helpdesk.celery import app as celery_app
from tests.celery_settings import celery_settings

ROOT = Path(__file__).resolve().parents[1]


def _database_url_of_test_db() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return (
        f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        f"/{s['NAME']}"
    )


@pytest.fixture
def celery_worker_queue(transactional_db, request):
    """Starts `celery worker` in its own process, consuming a queue of its own, and yields the
    queue name. The worker talks to the same test database and Redis as the test. A test marked
    `worker_queues("sla")` has it consume those queues too (tasks its tasks queue further)."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    marker = request.node.get_closest_marker("worker_queues")
    queues = ",".join([queue, *(marker.args if marker else ())])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.test",
        "DATABASE_URL": _database_url_of_test_db(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    log_path = Path(tempfile.gettempdir()) / f"jornada-{queue}.log"
    log = log_path.open("w")
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "helpdesk", "worker",
            "--queues", queues, "--concurrency", "1", "--pool", "prefork",
            "--hostname", f"{queue}@%h", "--loglevel", "INFO", "--without-gossip",
            "--without-mingle", "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        # This process now publishes to the real broker.
        with celery_settings(task_always_eager=False):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                replies = celery_app.control.ping(
                    destination=[f"{queue}@{os.uname().nodename}"], timeout=1
                )
                if replies:
                    break
                if worker.poll() is not None:
                    pytest.fail(f"celery worker exited early:\n{log_path.read_text()}")
            else:
                pytest.fail(f"celery worker did not answer pings:\n{log_path.read_text()}")
            yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        # The worker held connections to the test database; let them go before it is flushed.
        connection.close()


DIE_AFTER_COMMIT = """
import os
import django

django.setup()
from django.db import transaction

from tickets import services
from tickets.models import Customer

with transaction.atomic():
    transaction.on_commit(lambda: os._exit(9))  # registered first: runs first, right after COMMIT
    services.ticket_create(
        customer=Customer.objects.get(pk={customer_id}), subject="{subject}", channel="email"
    )
"""


def create_ticket_and_die_after_commit(*, customer_id: int, subject: str) -> None:
    """A process that commits a new ticket and dies (os._exit) before any after-commit callback
    runs: what the commit wrote is all there is."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.test",
        "DATABASE_URL": _database_url_of_test_db(),
    }
    done = subprocess.run(
        [sys.executable, "-c", DIE_AFTER_COMMIT.format(customer_id=customer_id, subject=subject)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 9, done.stderr.decode()[-2000:]
