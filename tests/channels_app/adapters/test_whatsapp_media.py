"""Media of inbound WhatsApp messages, fetched after the message is stored (media id -> URL ->
bytes, with the access token) from a fake Graph API: retries, size and type limits, and a media
URL that must not send our token, or us, anywhere else."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app import services, tasks
from channels_app.models import InboundEvent
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.fake_providers import GRAPH_TOKEN, FakeGraph, graph_error
from tickets.models import Message

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg" * 100


def image(media_id: str = "777", mime_type: str = "image/jpeg", **extra) -> dict:
    return wa.inbound(wa.message("image", {"id": media_id, "mime_type": mime_type, **extra}))


def the_message() -> Message:
    return Message.objects.get()


def lookup(graph: FakeGraph, media_id: str, **changes) -> dict:
    """What Graph answers for GET /{media_id}, changed as given."""
    content, mime_type = graph.media.get(media_id, (JPEG, "image/jpeg"))
    return {
        "messaging_product": "whatsapp",
        "url": f"{graph.base_url}/whatsapp_business/attachments/?mid={media_id}",
        "mime_type": mime_type,
        "sha256": hashlib.sha256(content).hexdigest(),
        "file_size": len(content),
        "id": media_id,
    } | changes


def retry(message: Message, *, last: bool = False) -> Message:
    tasks.fetch_message_media.apply(args=[message.pk], retries=5 if last else 1)
    message.refresh_from_db()
    return message


def test_an_image_is_fetched_with_the_token_and_attached(db, whatsapp, deliver):
    whatsapp.media["777"] = (JPEG, "image/jpeg")

    deliver(image(caption="Foto do erro"))

    message = the_message()
    assert message.body_text == "Foto do erro"
    assert message.metadata["media"] == {
        "status": "stored",
        "attempts": 1,
        "items": [
            {"id": "777", "kind": "image", "mime_type": "image/jpeg", "sha256": "", "filename": ""}
        ],
    }
    attachment = message.attachments.get()
    assert (attachment.filename, attachment.size) == ("whatsapp-image-777.jpg", len(JPEG))
    lookup_request, download = [r for r in whatsapp.requests if r.method == "GET"]
    assert lookup_request.path == "/v21.0/777"
    assert download.path.startswith("/whatsapp_business/attachments/?mid=777")
    for request in (lookup_request, download):
        assert request.headers["authorization"] == f"Bearer {GRAPH_TOKEN}"


def test_a_temporary_failure_leaves_the_media_pending_and_a_retry_fetches_it(db, whatsapp, deliver):
    whatsapp.media["777"] = (JPEG, "image/jpeg")
    whatsapp.script("/v21.0/777", 503, graph_error(2, "Service temporarily unavailable"))

    deliver(image())

    message = the_message()
    assert message.metadata["media"]["status"] == "pending"
    assert "Service temporarily unavailable" in message.metadata["media"]["error"]
    message = retry(message)
    assert message.metadata["media"]["status"] == "stored"
    assert "error" not in message.metadata["media"]
    assert message.attachments.count() == 1


def test_a_temporary_failure_on_the_last_attempt_marks_the_media_failed(db, whatsapp, deliver):
    whatsapp.script("/v21.0/777", 500, graph_error(131000, "Something went wrong"), times=2)
    deliver(image())

    message = retry(the_message(), last=True)

    assert message.metadata["media"]["status"] == "failed"
    assert message.metadata["media"]["error"] == "Something went wrong (code 131000)"
    assert not message.attachments.exists()


def test_media_meta_no_longer_has_fails_without_retrying(db, whatsapp, deliver):
    deliver(image("404404"))

    message = the_message()
    assert message.metadata["media"]["status"] == "failed"
    assert "(code 100)" in message.metadata["media"]["error"]
    assert len(whatsapp.requests) == 1


def test_a_file_over_the_size_limit_is_not_downloaded(db, whatsapp, deliver, settings):
    settings.JORNADA = {**settings.JORNADA, "ATTACHMENT_MAX_BYTES": 100}
    whatsapp.media["777"] = (JPEG, "image/jpeg")

    deliver(image())

    message = the_message()
    assert message.metadata["media"]["status"] == "failed"
    assert "the limit is 100 bytes" in message.metadata["media"]["error"]
    assert [r.path for r in whatsapp.requests] == ["/v21.0/777"]


def test_a_file_larger_than_announced_is_cut_off_and_refused(db, whatsapp, deliver, settings):
    settings.JORNADA = {**settings.JORNADA, "ATTACHMENT_MAX_BYTES": 100}
    whatsapp.media["777"] = (JPEG, "image/jpeg")
    whatsapp.script("/v21.0/777", 200, lookup(whatsapp, "777", file_size=50))

    deliver(image())

    message = the_message()
    assert message.metadata["media"]["status"] == "failed"
    assert "over the limit of 100" in message.metadata["media"]["error"]
    assert not message.attachments.exists()


@pytest.mark.parametrize(
    ("kind", "announced", "served"),
    [
        ("image", "image/jpeg", "text/html"),
        ("image", "image/svg+xml", "image/svg+xml"),
        ("document", "application/x-msdownload", "application/x-msdownload"),
        ("video", "video/mp4", "application/javascript"),
    ],
)
def test_a_type_we_do_not_accept_is_refused(db, whatsapp, deliver, kind, announced, served):
    whatsapp.media["777"] = (b"<script>alert(1)</script>", served)
    media = {"id": "777", "mime_type": announced}

    deliver(wa.inbound(wa.message(kind, media)))

    message = the_message()
    assert message.metadata["media"]["status"] == "failed"
    assert "is not accepted" in message.metadata["media"]["error"]
    assert not message.attachments.exists()


def test_a_document_keeps_its_name_and_any_harmless_type(db, whatsapp, deliver):
    whatsapp.media["888"] = (b"a;b\n1;2\n", "text/csv")
    document = {"id": "888", "mime_type": "text/csv", "filename": "extrato.csv"}

    deliver(wa.inbound(wa.message("document", document)))

    attachment = the_message().attachments.get()
    assert (attachment.filename, attachment.content_type) == ("extrato.csv", "text/csv")


def test_a_file_that_does_not_match_its_digest_is_not_attached(db, whatsapp, deliver):
    whatsapp.media["777"] = (JPEG, "image/jpeg")
    whatsapp.script("/v21.0/777", 200, lookup(whatsapp, "777", sha256="ab" * 32), times=2)
    deliver(image())

    message = retry(the_message(), last=True)

    assert message.metadata["media"]["status"] == "failed"
    assert "SHA-256" in message.metadata["media"]["error"]
    assert not message.attachments.exists()


def test_a_media_url_elsewhere_is_refused_and_never_requested(db, whatsapp, deliver):
    with FakeGraph() as elsewhere:
        whatsapp.script(
            "/v21.0/777", 200, lookup(whatsapp, "777", url=f"{elsewhere.base_url}/steal")
        )

        deliver(image())

        assert not elsewhere.requests
    message = the_message()
    assert message.metadata["media"]["status"] == "failed"
    assert "outside Meta's media hosts" in message.metadata["media"]["error"]


def test_a_media_host_that_resolves_inside_our_network_is_refused(db, whatsapp, deliver, settings):
    settings.WHATSAPP_MEDIA_HOSTS = ["localhost"]
    url = f"https://localhost:{whatsapp.httpd.server_address[1]}/whatsapp_business/x"
    whatsapp.script("/v21.0/777", 200, lookup(whatsapp, "777", url=url))

    deliver(image())

    message = the_message()
    assert message.metadata["media"]["status"] == "failed"
    assert "non-public address" in message.metadata["media"]["error"]
    assert [r.path for r in whatsapp.requests] == ["/v21.0/777"]


def test_an_invalid_media_id_never_reaches_the_graph_url(db, whatsapp, deliver):
    deliver(image("../../me/accounts"))

    message = the_message()
    assert message.metadata["media"]["status"] == "failed"
    assert not whatsapp.requests


def test_a_lost_media_task_is_found_by_the_sweeper_and_runs_once(
    db, whatsapp, client, django_capture_on_commit_callbacks
):
    whatsapp.media["777"] = (JPEG, "image/jpeg")
    # Processed, but the media task never reached the broker.
    with django_capture_on_commit_callbacks(execute=False):
        wa.post_webhook(client, image())
        services.inbound_event_process(event_id=InboundEvent.objects.get().pk)
    assert the_message().metadata["media"]["status"] == "pending"
    message = the_message()
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=30))

    swept = tasks.sweep_message_media.delay().get()
    again = tasks.sweep_message_media.delay().get()

    message.refresh_from_db()
    assert (swept, again) == (1, 0)
    assert message.metadata["media"]["status"] == "stored"
    assert message.attachments.count() == 1


def test_an_unexpected_error_while_fetching_still_counts_as_an_attempt(db, whatsapp, deliver):
    whatsapp.media["777"] = (JPEG, "image/jpeg")
    deliver(image())
    message = the_message()
    media = {**message.metadata["media"], "status": "pending", "items": ["not a media item"]}
    Message.objects.filter(pk=message.pk).update(metadata={**message.metadata, "media": media})
    attempts = message.metadata["media"]["attempts"]

    with pytest.raises(services.RetryLater):
        services.message_media_fetch(message_id=message.pk)
    message.refresh_from_db()
    assert message.metadata["media"]["attempts"] == attempts + 1
    assert message.metadata["media"]["error"].startswith("AttributeError")

    assert services.message_media_fetch(message_id=message.pk, last_try=True) == "failed"
