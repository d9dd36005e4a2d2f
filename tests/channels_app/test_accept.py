"""Accepting a delivery (services.inbound_events_store): every piece stored raw in one INSERT,
duplicates recognised by the unique (channel, provider id), all or nothing, processing scheduled
after commit; and the drain guard, which never leaves an accepted event to the sweeper."""

import time

import psycopg2
import pytest
from celery import signals
from django.db import connection, transaction

from channels_app import services, tasks
from channels_app.adapters.email.adapter import email_provider_id
from channels_app.models import InboundEvent
from channels_app.services import store
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.test_pipeline import SIMPLE
from tests.sql_budget import sql_budget
from tickets.models import Message

S = InboundEvent.Status
DRAIN = "channels_app.process_inbound_events"


def email(n: int) -> tuple[str, bytes]:
    raw = SIMPLE.replace(b"<abc-123@", f"<accept-{n}@".encode())
    return email_provider_id(raw), raw


def accept(*items: tuple[str, bytes], channel: str = "email") -> list[str]:
    return services.inbound_events_store(channel=channel, source="test", items=items)


@pytest.fixture
def drains():
    """The names of the drain tasks run (eagerly here), as they start."""
    started: list[str] = []

    def count(sender=None, **kwargs):
        if sender.name == DRAIN:
            started.append(sender.name)

    signals.task_prerun.connect(count, weak=False)
    yield started
    signals.task_prerun.disconnect(count)


@pytest.fixture
def guard(settings, monkeypatch):
    """The drain guard on, as with Redis, in a process that has not asked for a drain yet."""
    settings.JORNADA = {**settings.JORNADA, "INBOUND_DRAIN_GUARD_SECONDS": 0.3}
    monkeypatch.setattr(store, "_drain_ensured_at", float("-inf"))
    return 0.3


def test_a_webhook_with_three_messages_is_stored_with_one_insert(db, settings, client):
    settings.WHATSAPP_APP_SECRET = wa.APP_SECRET
    payload = wa.inbound(
        wa.message("text", {"body": "Oi"}),
        wa.message("text", {"body": "Meu pedido"}),
        wa.message("text", {"body": "não chegou"}, wa_id="5511911112222"),
    )

    with sql_budget() as budget:  # the drain it schedules is a task, counted apart
        response = wa.post_webhook(client, payload)

    assert response.status_code == 200
    assert [sql.split(None, 1)[0] for sql in budget.statements] == ["INSERT"], budget
    assert budget.transactions == 1, budget
    assert DRAIN in budget.tasks  # processing after commit, as a task
    assert Message.objects.filter(channel="whatsapp").count() == 3


def test_every_piece_is_kept_raw_with_its_provider_id(db):
    stored = accept(("one", b"first"), ("two", b"second"))

    assert stored == ["one", "two"]
    events = InboundEvent.objects.order_by("pk")
    assert [(e.provider_id, bytes(e.raw), e.size, e.status) for e in events] == [
        ("one", b"first", 5, S.RECEIVED),
        ("two", b"second", 6, S.RECEIVED),
    ]


def test_a_repeat_within_one_delivery_is_stored_once_as_first_seen(db):
    stored = accept(("same", b"first"), ("other", b"x"), ("same", b"again"))

    assert stored == ["same", "other"]
    assert bytes(InboundEvent.objects.get(provider_id="same").raw) == b"first"


def test_a_delivery_seen_before_stores_only_what_is_new(db):
    accept(("old", b"first time"))

    stored = accept(("old", b"retried"), ("new", b"fresh"))

    assert stored == ["new"]
    assert bytes(InboundEvent.objects.get(provider_id="old").raw) == b"first time"
    assert InboundEvent.objects.count() == 2


def test_a_delivery_stored_before_schedules_no_processing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as first:
        accept(email(1))
    with django_capture_on_commit_callbacks() as again:
        stored = accept(email(1))

    assert (len(first), stored, len(again)) == (1, [], 0)


def test_the_same_provider_id_on_another_channel_is_another_event(db):
    accept(("42", b"an email"), channel="email")

    assert accept(("42", b"an sms"), channel="sms") == ["42"]


def test_inside_a_transaction_that_fails_nothing_is_stored_or_scheduled(
    db, django_capture_on_commit_callbacks
):
    def store_then_fail():
        with transaction.atomic():
            accept(email(1), email(2))
            raise RuntimeError("the caller's work failed after the store")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        store_then_fail()

    assert not InboundEvent.objects.exists()
    assert callbacks == []


def test_a_delivery_that_breaks_while_being_read_stores_none_of_it(db):
    def pieces():
        yield email(1)
        raise ValueError("a piece that cannot be read")

    with pytest.raises(ValueError, match="cannot be read"):
        services.inbound_events_store(channel="email", source="test", items=pieces())

    assert not InboundEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_insert_is_its_own_commit_and_processing_follows(drains):
    with sql_budget() as budget:
        stored = accept(email(1), email(2))

    assert len(stored) == 2
    assert len(budget.statements) == 1, budget
    assert budget.transactions == 0, budget  # not even a savepoint
    assert drains == [DRAIN]
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {S.PROCESSED}


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_while_the_drain_finishes_is_processed_by_it(guard, drains, monkeypatch):
    # The drain queued by the first accept is finishing (waiting before its last look) when
    # another request of this process commits an event: that accept, inside the guard, queues
    # nothing, and the drain's last look must find its event.
    seen_during_linger = []
    linger = tasks.linger

    def another_request_meanwhile(seconds):
        seen_during_linger.append((accept(email(2)), len(drains)))
        linger(seconds)

    monkeypatch.setattr(tasks, "linger", another_request_meanwhile)

    accept(email(1))

    assert seen_during_linger == [([email(2)[0]], 1)]  # stored, and no second drain queued
    assert drains == [DRAIN]
    assert list(InboundEvent.objects.values_list("status", flat=True)) == [S.PROCESSED] * 2
    assert Message.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_guard_skips_asking_again_only_within_its_interval(guard, drains):
    store._drain_ensured_at = time.monotonic()  # this process has just asked for a drain
    accept(email(1))
    asked_within = len(drains)
    store._drain_ensured_at -= guard  # as if it had asked a guard interval ago
    accept(email(2))

    assert (asked_within, len(drains)) == (0, 1)
    assert list(InboundEvent.objects.values_list("status", flat=True)) == [S.PROCESSED] * 2


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_that_died_is_replaced_without_losing_the_delivery(monkeypatch):
    accept(email(1))
    connection.close_if_unusable_or_obsolete()  # what Django does between two requests
    checks = []
    is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or is_usable())
    other = psycopg2.connect(**connection.get_connection_params())
    other.autocommit = True
    with other.cursor() as cursor:  # the pooler restarted, say: our kept connection is dead
        cursor.execute(
            "SELECT pg_terminate_backend(%s, 5000)", [connection.connection.get_backend_pid()]
        )
    other.close()

    stored = accept(email(2))

    assert stored == [email(2)[0]]
    assert InboundEvent.objects.count() == 2
    assert len(checks) == 1  # asked only once the INSERT had failed, not before it


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_kept_healthy_connection_is_not_checked_before_the_insert(monkeypatch):
    accept(email(1))
    connection.close_if_unusable_or_obsolete()
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)

    assert accept(email(2)) == [email(2)[0]]
    assert checks == []
