"""The Celery worker keeps its database connection between tasks, as Django keeps it between
requests: Celery's Django fixup would close it around every task."""

import time
from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from helpdesk.celery import _close_old_connections
from helpdesk.celery import app as celery_app

TASK = SimpleNamespace(request=SimpleNamespace(is_eager=False))


@pytest.fixture
def kept_connection(settings, transactional_db):
    """A connection that may be kept (CONN_MAX_AGE), opened outside any transaction."""
    original = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 60
    connection.close()
    connection.ensure_connection()
    yield connection
    connection.settings_dict["CONN_MAX_AGE"] = original


def test_the_fixup_closes_the_connection_only_every_thousand_tasks():
    assert DjangoWorkerFixup(celery_app).db_reuse_max == 1000


def test_a_task_ending_keeps_a_healthy_connection(kept_connection):
    raw = kept_connection.connection

    _close_old_connections(sender=TASK)

    assert kept_connection.connection is raw


def test_a_task_ending_closes_a_connection_older_than_its_maximum_age(kept_connection):
    kept_connection.close_at = time.monotonic() - 1

    _close_old_connections(sender=TASK)

    assert kept_connection.connection is None


def test_an_eager_task_leaves_the_connection_to_its_caller(kept_connection):
    kept_connection.close_at = time.monotonic() - 1
    raw = kept_connection.connection

    _close_old_connections(sender=SimpleNamespace(request=SimpleNamespace(is_eager=True)))

    assert kept_connection.connection is raw
