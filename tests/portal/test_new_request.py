"""A new request from the portal goes through the web channel's pipeline: stored as an
InboundEvent first (nothing is lost), processed at once, and the customer reads its number."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_app.models import InboundEvent
from channels_app.services import inbound_event_store, portal_provider_id
from tickets.models import Channel, Ticket


def send(client, **fields):
    data = {
        "subject": "Quero cancelar meu pedido",
        "body": "Comprei por engano, pedido 4411.",
        "submission_id": str(uuid.uuid4()),
        **fields,
    }
    return client.post("/portal/requests/new/", data), data["submission_id"]


def test_the_form_asks_for_suggestions_as_the_subject_is_typed(maria_client):
    body = maria_client.get("/portal/requests/new/").content.decode()

    assert 'data-suggest-url="/api/v1/kb/suggest"' in body
    assert 'data-suggest-mode="panel"' in body
    assert 'role="status" aria-live="polite"' in body
    assert '<label for="id_subject">' in body


def test_a_new_request_becomes_a_ticket_through_the_pipeline(maria_client, maria, teams):
    response, submission_id = send(maria_client)

    assert response.status_code == 302
    assert response["Location"] == f"/portal/requests/sent/{submission_id}/"
    event = InboundEvent.objects.get()
    assert (event.channel, event.source, event.status) == ("web", "portal", "processed")
    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.channel, ticket.subject) == (
        maria, Channel.WEB, "Quero cancelar meu pedido",
    )  # fmt: skip
    message = ticket.messages.get()
    assert (message.author_customer, message.body_text) == (
        maria, "Comprei por engano, pedido 4411.",
    )  # fmt: skip
    sent = maria_client.get(response["Location"]).content.decode()
    assert f"#{ticket.number}" in sent
    assert f"/portal/requests/{ticket.number}/" in sent


def test_the_request_takes_the_pages_language(maria_client, teams):
    maria_client.post("/i18n/setlang/", {"language": "pt-br", "next": "/portal/"})

    send(maria_client)

    assert Ticket.objects.get().language == "pt-br"


def test_the_same_form_sent_twice_is_one_request(maria_client, teams):
    submission_id = str(uuid.uuid4())

    send(maria_client, submission_id=submission_id)
    send(maria_client, submission_id=submission_id)

    assert Ticket.objects.count() == 1
    assert InboundEvent.objects.count() == 1


def test_files_come_with_the_request(maria_client, teams):
    send(maria_client, attachments=[SimpleUploadedFile("nota.pdf", b"%PDF-1.4", "application/pdf")])

    (attachment,) = Ticket.objects.get().messages.get().attachments.all()
    assert (attachment.filename, attachment.size) == ("nota.pdf", 8)


def test_a_file_over_the_limit_is_refused_before_anything_is_stored(maria_client, settings):
    settings.JORNADA = {**settings.JORNADA, "ATTACHMENT_MAX_BYTES": 10}

    response, _ = send(
        maria_client, attachments=[SimpleUploadedFile("grande.pdf", b"x" * 11, "application/pdf")]
    )

    assert response.status_code == 400
    assert "is larger than" in response.content.decode()
    assert not InboundEvent.objects.exists()


def test_a_request_not_processed_yet_is_shown_as_received(maria_client, maria):
    submission_id = str(uuid.uuid4())
    inbound_event_store(
        channel="web",
        source="portal",
        provider_id=portal_provider_id(submission_id),
        raw=b"{}",
        headers={"portal_user": maria.user.pk},
    )
    InboundEvent.objects.update(status=InboundEvent.Status.RECEIVED)

    body = maria_client.get(f"/portal/requests/sent/{submission_id}/").content.decode()

    assert "are registering it" in body
    assert 'http-equiv="refresh"' in body


def test_another_customers_submission_is_404(client, maria_client, joao, teams):
    _, submission_id = send(maria_client)
    client.force_login(joao.user)

    assert client.get(f"/portal/requests/sent/{submission_id}/").status_code == 404


@pytest.mark.parametrize("missing", ["subject", "body"])
def test_subject_and_description_are_required(maria_client, missing):
    response, _ = send(maria_client, **{missing: ""})

    assert response.status_code == 400
    assert not InboundEvent.objects.exists()
