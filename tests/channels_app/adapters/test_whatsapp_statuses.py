"""Delivery statuses from Meta (sent, delivered, read, failed) on our outbound messages: forward
only, in whatever order they come, failures with their code and title, statuses of messages we do
not know, and statuses that arrive before our own API call has answered."""

import pytest
from django.utils import timezone

from channels_app import services
from channels_app.models import InboundEvent
from tests.channels_app import whatsapp_support as wa
from tickets import services as ticket_services
from tickets.models import Message, Ticket

D = Message.DeliveryStatus
S = InboundEvent.Status


@pytest.fixture
def sent(n1_agent, whatsapp, deliver, django_capture_on_commit_callbacks) -> Message:
    """Our reply to a customer, accepted by the (fake) Graph API as wamid.FAKE0001."""
    deliver(wa.text("Preciso de ajuda", timestamp=timezone.now().timestamp() - 60))
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_services.message_reply(
            ticket=Ticket.objects.get(), by=n1_agent, body_text="Claro, me diga."
        )
    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == (D.SENT, "wamid.FAKE0001")
    return message


def status_of(message: Message) -> str:
    message.refresh_from_db()
    return message.delivery_status


def test_delivered_then_read_move_the_message_forward(sent, deliver):
    deliver(wa.status(sent.external_id, "delivered"))
    assert status_of(sent) == D.DELIVERED

    deliver(wa.status(sent.external_id, "read"))
    assert status_of(sent) == D.READ
    history = [step["status"] for step in sent.metadata["delivery_history"]]
    assert history == ["sent", "delivered", "read"]


def test_read_before_delivered_stays_read(sent, deliver):
    deliver(wa.status(sent.external_id, "read"))
    deliver(wa.status(sent.external_id, "delivered"))
    deliver(wa.status(sent.external_id, "sent"))

    assert status_of(sent) == D.READ
    events = InboundEvent.objects.filter(provider_id__startswith="status:")
    assert events.count() == 3
    assert all(event.status == S.PROCESSED for event in events)


def test_a_failure_is_recorded_with_its_code_and_title(sent, deliver):
    error = {
        "code": 131026,
        "title": "Message undeliverable",
        "message": "Message undeliverable",
        "error_data": {"details": "The recipient's phone number is not a WhatsApp number."},
    }

    deliver(wa.status(sent.external_id, "failed", errors=[error]))

    sent.refresh_from_db()
    assert sent.delivery_status == D.FAILED
    assert sent.delivery_error == (
        "Message undeliverable (code 131026): "
        "The recipient's phone number is not a WhatsApp number."
    )


def test_a_voice_message_played_counts_as_read(sent, deliver):
    deliver(wa.status(sent.external_id, "played"))

    assert status_of(sent) == D.READ


def test_the_same_status_delivered_twice_is_stored_once(sent, deliver):
    for _ in range(3):
        deliver(wa.status(sent.external_id, "delivered"))

    assert InboundEvent.objects.filter(provider_id__startswith="status:").count() == 1


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("message_status__sent.json", D.SENT),
        ("message_status__delivered.json", D.DELIVERED),
        ("message_status__read.json", D.READ),
        ("message_status__played.json", D.READ),
        ("message_status__with_tracker.json", D.SENT),
    ],
)
def test_the_real_status_samples_update_our_message(sent, deliver, sample, expected):
    Message.objects.filter(pk=sent.pk).update(external_id="wamid.xyzxyz")

    deliver(wa.fixture(sample))

    assert status_of(sent) == expected
    assert InboundEvent.objects.get(provider_id__startswith="status:").status == S.PROCESSED


def test_a_status_of_a_message_we_do_not_know_is_ignored_with_a_note(db, whatsapp, deliver):
    deliver(wa.fixture("message_status__delivered.json"))

    event = InboundEvent.objects.get()
    assert event.status == S.IGNORED
    assert event.notes == ["delivery status delivered for unknown message(s) wamid.xyzxyz"]
    assert event.error == ""


def test_a_status_we_do_not_track_is_ignored(sent, deliver):
    deliver(wa.status(sent.external_id, "deleted"))

    assert status_of(sent) == D.SENT
    assert "not a delivery status we track" in InboundEvent.objects.latest("pk").notes[0]


def test_statuses_that_arrive_before_our_send_is_recorded_are_applied_after_it(
    n1_agent, whatsapp, deliver, django_capture_on_commit_callbacks
):
    deliver(wa.text("Oi"))
    # Meta can report on a message before its API call has answered us: the statuses wait.
    deliver(wa.status("wamid.FAKE0001", "sent"))
    deliver(wa.status("wamid.FAKE0001", "delivered"))
    assert InboundEvent.objects.filter(status=S.IGNORED).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_services.message_reply(
            ticket=Ticket.objects.get(), by=n1_agent, body_text="Olá!"
        )

    assert status_of(message) == D.DELIVERED
    assert InboundEvent.objects.filter(status=S.PROCESSED, message=message).count() == 2


def test_replaying_early_statuses_for_an_id_without_any_does_nothing(db, whatsapp):
    assert services.inbound_statuses_replay(channel="whatsapp", external_id="wamid.NONE") == 0
    assert services.inbound_statuses_replay(channel="email", external_id="<a@b>") == 0


LONG_REPLY = "Segue o passo a passo completo. " * 160  # over 4096 characters: two parts


@pytest.fixture
def sent_in_two_parts(n1_agent, whatsapp, deliver, django_capture_on_commit_callbacks):
    deliver(wa.text("Como configuro?", timestamp=timezone.now().timestamp() - 60))
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_services.message_reply(
            ticket=Ticket.objects.get(), by=n1_agent, body_text=LONG_REPLY
        )
    message.refresh_from_db()
    assert message.external_id == "wamid.FAKE0001"
    assert message.metadata["whatsapp_parts"]["text:1"] == "wamid.FAKE0002"
    return message


def test_a_failed_later_part_fails_the_whole_reply(sent_in_two_parts, deliver):
    error = {"code": 131047, "title": "Re-engagement message"}

    deliver(wa.status("wamid.FAKE0002", "failed", errors=[error]))

    sent_in_two_parts.refresh_from_db()
    assert sent_in_two_parts.delivery_status == D.FAILED
    assert sent_in_two_parts.delivery_error == "Re-engagement message (code 131047)"
    assert InboundEvent.objects.latest("pk").message == sent_in_two_parts


def test_only_the_first_part_moves_a_reply_to_delivered_and_read(sent_in_two_parts, deliver):
    deliver(wa.status("wamid.FAKE0002", "read"))
    assert status_of(sent_in_two_parts) == D.SENT

    deliver(wa.status("wamid.FAKE0001", "delivered"))
    assert status_of(sent_in_two_parts) == D.DELIVERED


def test_an_early_failure_of_a_later_part_is_applied_after_the_send(
    n1_agent, whatsapp, deliver, django_capture_on_commit_callbacks
):
    deliver(wa.text("Oi"))
    deliver(wa.status("wamid.FAKE0002", "failed", errors=[{"code": 131026, "title": "No"}]))
    assert InboundEvent.objects.filter(status=S.IGNORED).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_services.message_reply(
            ticket=Ticket.objects.get(), by=n1_agent, body_text=LONG_REPLY
        )

    assert status_of(message) == D.FAILED
    assert InboundEvent.objects.get(provider_id__endswith=":failed").message == message


def test_a_status_only_reaches_messages_of_its_own_channel(sent, deliver):
    Message.objects.filter(pk=sent.pk).update(channel="sms")

    deliver(wa.status(sent.external_id, "failed", errors=[{"code": 1, "title": "No"}]))

    assert status_of(sent) == D.SENT
    assert InboundEvent.objects.latest("pk").status == S.IGNORED
