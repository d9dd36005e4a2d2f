"""The inbound pipeline: store first, process after commit, idempotent, nothing lost."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from channels_app import services, tasks
from channels_app.adapters.email.adapter import email_provider_id
from channels_app.models import InboundEvent
from tickets.models import Message, Ticket

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"
S = InboundEvent.Status

SIMPLE = (
    "From: =?utf-8?q?Jo=C3=A3o_Pereira?= <joao@cliente.com.br>\r\n"
    "To: suporte@jornada.example\r\n"
    "Subject: =?utf-8?q?N=C3=A3o_consigo_emitir_a_nota_fiscal?=\r\n"
    "Message-ID: <abc-123@cliente.com.br>\r\n"
    "Date: Mon, 23 Nov 2026 10:00:00 -0300\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Olá, a emissão da nota fiscal dá erro de validação.\r\n"
).encode()


def store(raw: bytes = SIMPLE, **kwargs):
    return services.inbound_event_store(
        channel="email", source="test", provider_id=email_provider_id(raw), raw=raw, **kwargs
    )


def test_a_stored_email_is_processed_on_commit_into_a_ticket(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event, created = store()

    event.refresh_from_db()
    assert created
    assert event.status == S.PROCESSED
    assert event.attempts == 1
    assert bytes(event.raw) == SIMPLE
    message = event.message
    assert message.ticket.subject == "Não consigo emitir a nota fiscal"
    assert message.author_customer.name == "João Pereira"
    assert "emissão da nota fiscal" in message.body_text
    assert message.threading_reason == "new conversation"


def test_the_same_email_three_times_makes_one_message(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        results = [store() for _ in range(3)]

    assert [created for _, created in results] == [True, False, False]
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_the_same_email_through_two_sources_makes_one_message(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        store()
        # The same message relayed again with other transport headers: same Message-ID.
        _, created = store(b"Received: from relay.example\r\n" + SIMPLE)

    assert not created
    assert Message.objects.count() == 1


def test_an_event_whose_task_was_lost_is_swept_and_processed_once(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the task never reaches the broker
        event, _ = store()
    assert InboundEvent.objects.get(pk=event.pk).status == S.RECEIVED
    InboundEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(minutes=5)
    )

    requeued = tasks.sweep_inbound_events.delay().get()
    again = tasks.sweep_inbound_events.delay().get()

    event.refresh_from_db()
    assert (requeued, again) == (1, 0)
    assert event.status == S.PROCESSED
    assert event.attempts == 1
    assert Message.objects.count() == 1


def test_a_recent_event_is_left_to_its_own_task(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        store()

    assert tasks.sweep_inbound_events.delay().get() == 0


def test_processing_twice_changes_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event, _ = store()

    services.inbound_event_process(event_id=event.pk)

    event.refresh_from_db()
    assert event.attempts == 1
    assert Message.objects.count() == 1


def test_an_email_without_sender_fails_with_a_clear_reason_and_is_kept(
    db, django_capture_on_commit_callbacks
):
    raw = b"Subject: no sender here\r\nMessage-ID: <nosender@x>\r\n\r\nbody\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        event, _ = store(raw)

    event.refresh_from_db()
    assert event.status == S.FAILED
    assert "sender" in event.error.lower()
    assert bytes(event.raw) == raw
    assert Message.objects.count() == 0


def test_binary_garbage_never_escapes_as_an_exception(db, django_capture_on_commit_callbacks):
    raw = bytes(range(256)) * 64
    with django_capture_on_commit_callbacks(execute=True):
        event, _ = store(raw)

    event.refresh_from_db()
    assert event.status in (S.FAILED, S.PROCESSED)
    assert event.provider_id.startswith("sha256:")


def test_a_failed_event_can_be_processed_again_from_the_admin(
    admin_client, django_capture_on_commit_callbacks
):
    raw = b"Subject: no sender\r\nMessage-ID: <again@x>\r\n\r\nbody\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        event, _ = store(raw)

    response = admin_client.post(
        "/admin/channels_app/inboundevent/",
        {"action": "process_again", "_selected_action": [event.pk]},
    )

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.attempts == 2


def test_the_original_email_can_be_downloaded_by_staff_only(admin_client, client, db):
    event, _ = store()
    url = f"/admin/channels_app/inboundevent/{event.pk}/raw/"

    response = admin_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response.content == SIMPLE
    assert client.get(url).status_code == 302  # to the login page


@pytest.mark.parametrize("path", sorted(p.name for p in FIXTURES.glob("*.eml")))
def test_every_real_world_sample_ingests_without_an_exception(
    db, django_capture_on_commit_callbacks, path
):
    raw = (FIXTURES / path).read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        event, _ = store(raw)

    event.refresh_from_db()
    assert event.status in (S.PROCESSED, S.IGNORED), event.error


def test_one_drain_task_processes_a_whole_burst(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        for i in range(5):
            store(SIMPLE.replace(b"<abc-123@", f"<burst-{i}@".encode()))
    assert InboundEvent.objects.filter(status=S.RECEIVED).count() == 5

    done = tasks.process_inbound_events.delay(batch=10).get()

    assert done == 5
    assert not InboundEvent.objects.filter(status=S.RECEIVED).exists()
    assert Message.objects.count() == 5


def test_a_drain_out_of_time_hands_the_rest_to_a_fresh_task(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        for i in range(4):
            store(SIMPLE.replace(b"<abc-123@", f"<slice-{i}@".encode()))

    # No time at all: it processes nothing itself and queues a successor (eager here).
    tasks.process_inbound_events.delay(batch=10, seconds=0)

    assert not InboundEvent.objects.filter(status=S.RECEIVED).exists()
    assert Message.objects.count() == 4


def test_many_deliveries_in_one_commit_queue_a_single_drain(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for i in range(3):
            store(SIMPLE.replace(b"<abc-123@", f"<one-{i}@".encode()))
    for callback in callbacks[:1]:
        callback()  # the first schedules the drain, which processes all three (eagerly here)

    assert not InboundEvent.objects.filter(status=S.RECEIVED).exists()
    assert Message.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_failed_attempt_never_overwrites_what_another_worker_did_meanwhile(monkeypatch):
    """The failed work's rollback frees the event: another worker may process it before the
    failure is recorded. The failure is then left unrecorded, not written over the success."""
    from channels_app.services import ingest

    event = InboundEvent.objects.create(
        channel="email", source="test", provider_id="race", raw=SIMPLE, size=len(SIMPLE)
    )
    real_apply, calls = ingest._apply, []

    def fails_first(items, stored):
        calls.append(stored.pk)
        if len(calls) == 1:
            raise RuntimeError("deadlock detected")
        return real_apply(items, stored)

    def another_worker_meanwhile(*args, **kwargs):  # runs between the rollback and the record
        ingest.inbound_event_process(event_id=event.pk, skip_locked=True)

    monkeypatch.setattr(ingest, "_apply", fails_first)
    monkeypatch.setattr(ingest.logger, "exception", another_worker_meanwhile)

    ingest.inbound_event_process(event_id=event.pk, skip_locked=True)

    event.refresh_from_db()
    assert (event.status, event.attempts, event.error) == (S.PROCESSED, 1, "")
    assert Ticket.objects.count() == 1


def test_a_bad_email_in_a_batch_fails_alone_and_the_others_are_processed(
    db, django_capture_on_commit_callbacks
):
    good = [SIMPLE.replace(b"<abc-123@", f"<batch-{i}@".encode()) for i in range(3)]
    bad = b"Subject: no sender here\r\nMessage-ID: <nosender-batch@x>\r\n\r\nbody\r\n"
    with django_capture_on_commit_callbacks(execute=False):
        ids = [store(raw)[0].pk for raw in (good[0], bad, *good[1:])]

    with django_capture_on_commit_callbacks(execute=True):
        done = services.inbound_events_process_batch(event_ids=ids)

    statuses = dict(InboundEvent.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == [S.PROCESSED, S.FAILED, S.PROCESSED, S.PROCESSED]
    assert sorted(event.pk for event in done) == sorted(ids)
    assert "sender" in InboundEvent.objects.get(pk=ids[1]).error.lower()
    assert Message.objects.count() == 3
    assert set(InboundEvent.objects.values_list("attempts", flat=True)) == {1}


def test_a_batch_leaves_events_already_processed_alone(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event, _ = store()
    event.refresh_from_db()
    processed_at = event.processed_at

    assert services.inbound_events_process_batch(event_ids=[event.pk]) == []
    event.refresh_from_db()
    assert (event.attempts, event.processed_at) == (1, processed_at)
    assert Message.objects.count() == 1


def test_ingest_email_stores_and_processes_a_folder_in_batches(
    db, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    def mail(i: int) -> bytes:
        raw = SIMPLE.replace(b"<abc-123@", f"<f-{i}@".encode())
        return raw.replace(b"joao@", f"joao{i}@".encode())

    for i in range(30):  # more than one chunk of the command
        (tmp_path / f"{i:02}.eml").write_bytes(mail(i))
    (tmp_path / "dup.eml").write_bytes(mail(3))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("ingest_email", str(tmp_path), verbosity=0)

    assert InboundEvent.objects.count() == 30
    assert not InboundEvent.objects.exclude(status=S.PROCESSED).exists()
    assert Message.objects.count() == 30
    assert Ticket.objects.count() == 30
    assert sorted(Message.objects.values_list("author_customer__identities__value", flat=True)) == (
        sorted(f"joao{i}@cliente.com.br" for i in range(30))
    )


def test_a_message_stored_twice_under_two_provider_ids_in_one_batch_is_received_once(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        first, _ = store()
        second, _ = services.inbound_event_store(
            channel="email", source="imap", provider_id="imap:suporte:4711", raw=SIMPLE
        )

    with django_capture_on_commit_callbacks(execute=True):
        done = services.inbound_events_process_batch(event_ids=[first.pk, second.pk])

    assert sorted(event.pk for event in done) == [first.pk, second.pk]
    assert Message.objects.count() == 1
    second.refresh_from_db()
    assert second.status == S.PROCESSED
    assert any("duplicate of message" in note for note in second.notes)


def test_a_batch_knows_its_new_and_known_senders_and_their_organization(
    db, django_capture_on_commit_callbacks
):
    from tickets.models import Customer, CustomerIdentity, Organization

    acme = Organization.objects.create(name="Cliente SA", domain="Cliente.com.br")
    known = Customer.objects.create(name="Maria")
    CustomerIdentity.objects.create(customer=known, kind="email", value="maria@cliente.com.br")

    def mail(n: int, sender: bytes) -> bytes:
        raw = SIMPLE.replace(b"<abc-123@", f"<senders-{n}@".encode())
        return raw.replace(b"joao@cliente.com.br", sender)

    # Two new messages of one new sender, one of a known customer, one of another new sender.
    raws = [mail(0, b"ana@cliente.com.br"), mail(1, b"maria@cliente.com.br"),
            mail(2, b"ana@cliente.com.br"), mail(3, b"rui@outro.example")]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False):
        ids = [store(raw)[0].pk for raw in raws]
    with django_capture_on_commit_callbacks(execute=True):
        services.inbound_events_process_batch(event_ids=ids)

    authors = [
        Message.objects.get(external_id=f"<senders-{n}@cliente.com.br>").author_customer
        for n in range(4)
    ]
    assert authors[0] == authors[2] != authors[1]
    assert authors[1] == known
    assert CustomerIdentity.objects.filter(value="ana@cliente.com.br").count() == 1
    assert authors[0].organization == acme
    assert authors[3].organization is None
    assert Customer.objects.count() == 3
