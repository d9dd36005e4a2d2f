"""Email out when something fails, through a real SMTP server on loopback: a batch while the
server is down, a send the database does not take, a worker lost before it recorded its sends,
the outcomes of a batch written together, and the sweeper sending what waited, once."""
# ruff: noqa: F811  (pytest hands the fixtures imported below to the tests that name them)

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from channels_app import tasks
from tests.channels_app.adapters.email_support import (  # noqa: F401  (fixtures)
    D,
    agent,
    forget_delivery_marks,
    mailbox,
    marked,
    receive,
    reply,
    ticket,
)
from tickets import services as ticket_services
from tickets.models import Message


def test_a_batch_while_the_server_is_down_tries_it_once_and_stays_queued(
    ticket, agent, smtp_server, monkeypatch, django_capture_on_commit_callbacks, marked
):
    from django.core.mail.backends.smtp import EmailBackend

    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=False):  # their delivery tasks not run
        replies = [
            ticket_services.message_reply(ticket=ticket, by=agent, body_text=f"Resposta {n}")
            for n in range(3)
        ]
    marked += replies
    tries, retries = [], []
    real_open = EmailBackend.open
    monkeypatch.setattr(EmailBackend, "open", lambda self: tries.append(1) or real_open(self))

    def queue_retry(args, countdown):  # the broker's side: what was queued, and whether free
        retries.append((args[0], countdown, cache.get(f"deliver-message:{args[0]}")))

    monkeypatch.setattr(tasks.deliver_message, "apply_async", queue_retry)

    sent = tasks.deliver_messages([message.pk for message in replies])

    assert sent == 0
    assert len(tries) == 1  # not three waits for a server that is not there
    # Each retried on its own, queued once the batch let go of it (its retry must find it free).
    assert sorted(retries) == sorted((message.pk, 30, None) for message in replies)
    for message in replies:
        message.refresh_from_db()
        assert message.delivery_status == D.QUEUED
        assert message.external_id.startswith("<jornada.")  # stored before the attempt
        assert cache.get(f"{tasks.RETRYING}{message.pk}")


def queued_replies(ticket, agent, capture, marked) -> list[Message]:
    """Three replies queued, their delivery tasks not run."""
    with capture(execute=False):
        replies = [
            ticket_services.message_reply(ticket=ticket, by=agent, body_text=f"Resposta {n}")
            for n in range(3)
        ]
    marked += replies
    return replies


def test_a_send_the_database_does_not_take_is_never_sent_again_and_stops_the_batch(
    ticket, agent, smtp_server, monkeypatch, django_capture_on_commit_callbacks, marked
):
    replies = queued_replies(ticket, agent, django_capture_on_commit_callbacks, marked)
    smtp_server.clear()
    real_record = tasks.ticket_services.messages_update_delivery

    def deadlocked(**kwargs):  # the database refusing the first record, twice
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(tasks, "RECORD_GROUP", 1)  # each send recorded before the next goes
    monkeypatch.setattr(tasks.ticket_services, "messages_update_delivery", deadlocked)
    assert tasks.deliver_messages([message.pk for message in replies]) == 0
    monkeypatch.setattr(tasks.ticket_services, "messages_update_delivery", real_record)

    # The first went out and could not be recorded: the batch sent nothing more, and that one
    # stays locked, so neither the sweeper's task nor a copy of the batch sends it again.
    first, *others = replies
    assert [envelope.message["Message-ID"] for envelope in smtp_server.envelopes] == [
        Message.objects.get(pk=first.pk).external_id
    ]
    assert cache.get(f"deliver-message:{first.pk}")
    assert all(cache.get(f"deliver-message:{message.pk}") is None for message in others)
    tasks.deliver_message.delay(first.pk)
    tasks.deliver_messages([message.pk for message in replies])
    assert len(smtp_server.envelopes) == 3  # the two others; the first still held
    cache.delete(f"deliver-message:{first.pk}")  # the lock lapsed: the sweeper's task records it
    tasks.deliver_message.delay(first.pk)
    sent_ids = [envelope.message["Message-ID"] for envelope in smtp_server.envelopes]
    assert sorted(sent_ids) == sorted(Message.objects.get(pk=m.pk).external_id for m in replies)
    assert {Message.objects.get(pk=m.pk).delivery_status for m in replies} == {D.SENT}


@pytest.fixture
def grouped(monkeypatch):
    """Sends recorded RECORD_GROUP at a time, as where the cache is Redis (it outlives a lost
    worker), also on the embedded leg's per-process cache."""
    monkeypatch.setattr(tasks, "_record_group", lambda: tasks.RECORD_GROUP)


def counting_writes(monkeypatch, *, fail_with: BaseException | None = None) -> list[int]:
    real_record = tasks.ticket_services.messages_update_delivery
    writes: list[int] = []

    def record(**kwargs):
        writes.append(len(kwargs["changes"]))
        if fail_with is not None:
            raise fail_with
        return real_record(**kwargs)

    monkeypatch.setattr(tasks.ticket_services, "messages_update_delivery", record)
    return writes


class WorkerLost(BaseException):
    """What no `except Exception` catches: the process going away mid-task."""


def test_a_worker_lost_before_it_recorded_its_sends_sends_none_of_them_again(
    ticket, agent, smtp_server, monkeypatch, django_capture_on_commit_callbacks, marked, grouped
):
    replies = queued_replies(ticket, agent, django_capture_on_commit_callbacks, marked)
    smtp_server.clear()
    counting_writes(monkeypatch, fail_with=WorkerLost())

    with pytest.raises(WorkerLost):
        tasks.deliver_messages([message.pk for message in replies])
    monkeypatch.undo()
    assert len(smtp_server.envelopes) == 3
    cache.delete_many([f"deliver-message:{message.pk}" for message in replies])  # locks lapsed

    tasks.deliver_messages([message.pk for message in replies])  # the task redelivered

    assert len(smtp_server.envelopes) == 3  # recorded from the marks, not sent again
    sent_ids = [envelope.message["Message-ID"] for envelope in smtp_server.envelopes]
    assert sorted(sent_ids) == sorted(Message.objects.get(pk=m.pk).external_id for m in replies)
    assert {Message.objects.get(pk=m.pk).delivery_status for m in replies} == {D.SENT}


def test_a_worker_lost_before_the_caches_answers_came_back_sends_none_of_them_again(
    ticket, agent, smtp_server, monkeypatch, django_capture_on_commit_callbacks, marked, grouped
):
    """On Redis a send's mark is written at once and its answer read later, with the others':
    the worker going away in between leaves the marks written all the same."""
    replies = queued_replies(ticket, agent, django_capture_on_commit_callbacks, marked)
    smtp_server.clear()

    def lost(self):
        raise WorkerLost

    monkeypatch.setattr(tasks.PipelinedSets, "confirm", lost)
    with pytest.raises(WorkerLost):
        tasks.deliver_messages([message.pk for message in replies])
    monkeypatch.undo()
    assert len(smtp_server.envelopes) == 3
    assert {Message.objects.get(pk=m.pk).delivery_status for m in replies} == {D.QUEUED}
    cache.delete_many([f"deliver-message:{message.pk}" for message in replies])  # locks lapsed

    tasks.deliver_messages([message.pk for message in replies])  # the task redelivered

    assert len(smtp_server.envelopes) == 3  # recorded from the marks, not sent again
    assert {Message.objects.get(pk=m.pk).delivery_status for m in replies} == {D.SENT}


def test_a_per_process_cache_records_each_send_as_it_comes_back(
    ticket, agent, smtp_server, settings, monkeypatch, django_capture_on_commit_callbacks, marked
):
    """Its marks would die with a lost worker: no send waits for others to be recorded."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    replies = queued_replies(ticket, agent, django_capture_on_commit_callbacks, marked)
    writes = counting_writes(monkeypatch)

    assert tasks.deliver_messages([message.pk for message in replies]) == 3

    assert writes == [1, 1, 1]


def test_sends_recorded_together_that_the_database_does_not_take_are_never_sent_again(
    ticket, agent, smtp_server, monkeypatch, django_capture_on_commit_callbacks, marked, grouped
):
    """The outcomes of a batch are written in one transaction after its sends, each send marked
    in the cache as it comes back: when that write fails, none of them goes out twice."""
    replies = queued_replies(ticket, agent, django_capture_on_commit_callbacks, marked)
    smtp_server.clear()
    real_record = tasks.ticket_services.messages_update_delivery
    writes = []

    def deadlocked(**kwargs):
        writes.append(len(kwargs["changes"]))
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(tasks.ticket_services, "messages_update_delivery", deadlocked)
    assert tasks.deliver_messages([message.pk for message in replies]) == 0
    monkeypatch.setattr(tasks.ticket_services, "messages_update_delivery", real_record)

    assert writes == [3, 3]  # one write for the three, tried twice
    assert len(smtp_server.envelopes) == 3
    assert all(cache.get(f"deliver-message:{message.pk}") for message in replies)
    tasks.deliver_messages([message.pk for message in replies])  # a copy of the batch
    assert len(smtp_server.envelopes) == 3
    cache.delete_many([f"deliver-message:{message.pk}" for message in replies])  # locks lapsed
    for message in replies:  # the sweeper's tasks record them
        tasks.deliver_message.delay(message.pk)
    assert len(smtp_server.envelopes) == 3
    sent_ids = [envelope.message["Message-ID"] for envelope in smtp_server.envelopes]
    assert sorted(sent_ids) == sorted(Message.objects.get(pk=m.pk).external_id for m in replies)
    assert {Message.objects.get(pk=m.pk).delivery_status for m in replies} == {D.SENT}
    assert cache.get_many([f"{tasks.SENT_UNRECORDED}{m.pk}" for m in replies]) == {}


def test_a_batch_writes_its_outcomes_in_one_transaction(
    ticket, agent, smtp_server, monkeypatch, django_capture_on_commit_callbacks, marked, grouped
):
    replies = queued_replies(ticket, agent, django_capture_on_commit_callbacks, marked)
    real_record = tasks.ticket_services.messages_update_delivery
    writes = []

    def record(**kwargs):
        writes.append(len(kwargs["changes"]))
        return real_record(**kwargs)

    monkeypatch.setattr(tasks.ticket_services, "messages_update_delivery", record)
    assert tasks.deliver_messages([message.pk for message in replies]) == 3

    assert writes == [3]
    assert cache.get_many([f"{tasks.SENT_UNRECORDED}{m.pk}" for m in replies]) == {}
    assert {Message.objects.get(pk=m.pk).delivery_status for m in replies} == {D.SENT}


def test_a_reply_queued_while_the_server_was_down_is_sent_once_by_the_sweeper(
    ticket, reply, smtp_server
):
    smtp_server.stop()
    message = reply(ticket)
    first_id = message.external_id
    assert message.delivery_status == D.QUEUED
    smtp_server.start()
    smtp_server.clear()
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    # While its own retry is pending, the sweeper leaves it alone (no second retry chain).
    assert tasks.sweep_outbound_messages.delay().get() == 0
    cache.delete(f"{tasks.RETRYING}{message.pk}")  # the retry was lost (it never ran here)
    swept = tasks.sweep_outbound_messages.delay().get()
    swept_again = tasks.sweep_outbound_messages.delay().get()

    message.refresh_from_db()
    assert (swept, swept_again) == (1, 0)
    assert message.delivery_status == D.SENT
    assert message.external_id == first_id
    assert len(smtp_server.by_message_id(first_id)) == 1
    assert len(smtp_server.envelopes) == 1


def test_a_reply_that_was_sent_is_never_sent_again_by_the_sweeper(ticket, reply, smtp_server):
    message = reply(ticket)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    assert tasks.sweep_outbound_messages.delay().get() == 0
    assert len(smtp_server.by_message_id(message.external_id)) == 1
