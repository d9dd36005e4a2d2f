import mailbox
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from channels_app.models import InboundEvent, Mailbox
from tickets import events
from tickets.models import Message

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
SAMPLES = ["mikelmail_reply_in-reply-to_references.eml", "djhelpdesk_multipart_alternative_qp.eml"]


def ingest(*args):
    out = StringIO()
    call_command("ingest_email", *map(str, args), stdout=out, verbosity=0)
    return out.getvalue()


def test_eml_files_become_tickets_with_a_summary(db, settings):
    settings.LANGUAGE_CODE = "en"

    output = ingest(*(FIXTURES / name for name in SAMPLES))

    assert "2 message(s) read: 2 stored, 0 already there." in output
    assert "Processed: 2, ignored: 0, failed: 0." in output
    assert Message.objects.count() == 2


def test_a_maildir_and_an_mbox_are_read_message_by_message(db, tmp_path):
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add((FIXTURES / SAMPLES[0]).read_bytes())
    mbox = mailbox.mbox(tmp_path / "archive.mbox", create=True)
    mbox.add((FIXTURES / SAMPLES[1]).read_bytes())
    mbox.flush()

    ingest(tmp_path / "Maildir", tmp_path / "archive.mbox")

    assert InboundEvent.objects.count() == 2
    assert Message.objects.count() == 2


def test_running_twice_stores_nothing_new(db):
    ingest(FIXTURES / SAMPLES[0])

    output = ingest(FIXTURES / SAMPLES[0])

    assert "0 stored, 1 already there" in output
    assert Message.objects.count() == 1


def test_failures_are_listed_with_their_reason(db, tmp_path):
    broken = tmp_path / "no-sender.eml"
    broken.write_bytes(b"Subject: hello\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n")

    output = ingest(broken)

    assert "failed: 1" in output
    assert f"{broken}: " in output
    assert InboundEvent.objects.get().status == InboundEvent.Status.FAILED


def test_messages_can_be_attributed_to_a_mailbox(db):
    support = Mailbox.objects.create(name="Suporte", address="suporte@jornada.example")

    ingest("--mailbox", "SUPORTE@jornada.example", FIXTURES / SAMPLES[0])

    assert InboundEvent.objects.get().mailbox == support
    assert Message.objects.get().metadata["mailbox_id"] == support.pk


def test_a_missing_path_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="Not found"):
        ingest(tmp_path / "nowhere.eml")


def test_the_imported_messages_events_are_delivered_together(transactional_db):
    batches = []

    @events.subscribe_batch(events.MessageCreated)
    def collect(batch):
        batches.append([event.message_id for event in batch])

    try:
        ingest(*(FIXTURES / name for name in SAMPLES))
    finally:
        events.unsubscribe(collect)

    # One delivery for both (within the half-second hold): one SLA sync, one push, one
    # acknowledgement task for the import, not one per message.
    assert batches == [list(Message.objects.order_by("pk").values_list("pk", flat=True))]


def test_queued_messages_are_handed_to_the_workers_from_the_first_chunk(db, monkeypatch):
    from channels_app import services
    from channels_app.management.commands import ingest_email

    stored_when_asked = []
    monkeypatch.setattr(ingest_email, "CHUNK", 1)
    monkeypatch.setattr(
        services,
        "schedule_processing_after_accept",
        lambda: stored_when_asked.append(InboundEvent.objects.count()),
    )
    monkeypatch.setattr(services, "schedule_processing", lambda: True)

    call_command("ingest_email", *(str(FIXTURES / n) for n in SAMPLES), queue=True, verbosity=0)

    assert stored_when_asked == [1, 2]  # not only once all were stored
    assert Message.objects.count() == 0  # left to the workers
