"""The chat's HTTP side: the frame page (who may embed it), the long-poll fallback, uploads, the
offline form, the transcript download and the files of a conversation. Each visitor reaches only
their own conversation."""

import json
import struct
import zlib

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from channels_app.adapters.chat import tokens
from channels_app.adapters.chat.api import OFFLINE_PER_ADDRESS
from channels_app.models import ChatChannel, ChatContactClaim
from tests.channels_app.chat_support import SHOP_ORIGIN, client_id
from tickets import services
from tickets.models import Attachment, Channel, CustomerIdentity, Message, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chat_stack")]


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def api(channel, name):
    return reverse(f"chat-{name}", args=[channel.public_key])


def send(client, channel, frame, **headers):
    response = client.post(
        api(channel, "send"), json.dumps(frame), content_type="application/json", **headers
    )
    return response, response.json()


def hello(client, channel, token=None):
    _response, frames = send(client, channel, {"type": "hello", "token": token, "lang": "pt-br"})
    return frames[0]


def chat_message(client, channel, token, text):
    _response, frames = send(
        client,
        channel,
        {"type": "message", "token": token, "client_id": client_id(), "text": text},
    )
    return frames[0]


# --- the frame -----------------------------------------------------------------------------------


def test_the_frame_may_be_embedded_by_the_channels_origins_only(client, chat_channel):
    ChatChannel.objects.filter(pk=chat_channel.pk).update(
        allowed_origins=f"{SHOP_ORIGIN}\nhttps://x.example; script-src *"
    )

    url = reverse("chat-widget-frame", args=[chat_channel.public_key])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    # A line that is no origin never reaches the header.
    assert response["Content-Security-Policy"] == f"frame-ancestors 'self' {SHOP_ORIGIN}"
    assert response.context["greeting"] == "Olá! Como podemos ajudar?"
    assert response.context["ws_path"] == f"/ws/chat/?key={chat_channel.public_key}"


def test_the_frame_speaks_english_when_asked(client, chat_channel):
    url = reverse("chat-widget-frame", args=[chat_channel.public_key])

    response = client.get(url, {"lang": "en"})

    assert response.context["language"] == "en"
    assert response.context["greeting"] == "Hi! How can we help?"


def test_every_other_page_keeps_x_frame_options_deny(client, chat_channel):
    for url in ("/accounts/login/", reverse("chat-transcript"), api(chat_channel, "poll")):
        assert client.get(url)["X-Frame-Options"] == "DENY", url


def test_an_unknown_or_inactive_key_has_no_frame(client, chat_channel):
    assert client.get(reverse("chat-widget-frame", args=["nope"])).status_code == 404
    ChatChannel.objects.filter(pk=chat_channel.pk).update(is_active=False)
    url = reverse("chat-widget-frame", args=[chat_channel.public_key])
    assert client.get(url).status_code == 404


# --- long polling --------------------------------------------------------------------------------


def test_the_long_poll_fallback_speaks_the_same_protocol(client, chat_channel, n1_agent):
    welcome = hello(client, chat_channel)
    assert welcome["type"] == "welcome"
    token = welcome["token"]

    ack = chat_message(client, chat_channel, token, "Sem websocket por aqui")

    assert ack["type"] == "ack"
    ticket = Message.objects.get(pk=ack["id"]).ticket
    reply = services.message_reply(ticket=ticket, by=n1_agent, body_text="Recebido!")
    polled = client.get(api(chat_channel, "poll"), {"token": token, "after": ack["id"], "wait": 0})
    frames = polled.json()["frames"]
    assert [f["id"] for f in frames if f["type"] == "message"][-1] == reply.pk
    assert frames[-1]["type"] == "state"


def test_the_fallback_refuses_a_token_it_did_not_sign(client, chat_channel):
    response, frames = send(
        client, chat_channel, {"type": "message", "token": "forged", "client_id": "a", "text": "x"}
    )
    assert response.status_code == 403
    assert frames["code"] == "bad_token"
    response = client.get(api(chat_channel, "poll"), {"token": "forged", "wait": 0})
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_the_fallback_refuses_other_origins(client, chat_channel):
    response, frames = send(
        client, chat_channel, {"type": "hello"}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert frames["code"] == "origin_refused"


# --- files ---------------------------------------------------------------------------------------


def upload(client, channel, token, name, content, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        api(channel, "upload"),
        {
            "token": token,
            "client_id": client_id(),
            "file": SimpleUploadedFile(name, content, content_type=content_type),
        },
    )


def test_an_image_is_stored_and_acknowledged_like_a_message(client, chat_channel):
    token = hello(client, chat_channel)["token"]

    response = upload(client, chat_channel, token, "print.png", png(), "image/png")

    assert response.status_code == 200
    message = Message.objects.get(pk=response.json()["id"])
    [attachment] = message.attachments.all()
    assert (attachment.filename, attachment.content_type) == ("print.png", "image/png")


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("page.html", b"<script>alert(1)</script>", "text/html"),
        ("logo.svg", b"<svg onload=alert(1)>", "image/svg+xml"),
        ("fake.png", b"<html><script>alert(1)</script>", "image/png"),  # says PNG, is not
        ("setup.pdf", b"MZ\x90\x00", "application/pdf"),
    ],
)
def test_files_other_than_images_and_pdf_are_refused(
    client, chat_channel, name, content, content_type
):
    token = hello(client, chat_channel)["token"]

    response = upload(client, chat_channel, token, name, content, content_type)

    assert response.status_code == 400
    assert response.json()["code"] == "file_type"
    assert not Attachment.objects.exists()


def test_files_over_the_attachment_limit_are_refused(client, chat_channel, settings):
    settings.JORNADA = {**settings.JORNADA, "ATTACHMENT_MAX_BYTES": 50}
    token = hello(client, chat_channel)["token"]

    response = upload(client, chat_channel, token, "big.png", png() + b"\x00" * 60, "image/png")

    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"


def test_a_file_link_opens_for_its_visitor_only(client, chat_channel):
    token = hello(client, chat_channel)["token"]
    message_id = upload(client, chat_channel, token, "print.png", png(), "image/png").json()["id"]
    attachment = Attachment.objects.get(message_id=message_id)
    visitor = tokens.visitor_from_token(token, channel_id=chat_channel.pk)
    other = tokens.visitor_from_token(
        hello(Client(), chat_channel)["token"], channel_id=chat_channel.pk
    )

    def link(visitor_id):
        signed = tokens.file_link(attachment_id=attachment.pk, visitor=visitor_id)
        return reverse("chat-file", args=[signed])

    own = client.get(link(visitor.id))
    theirs = client.get(link(other.id))
    forged = client.get(reverse("chat-file", args=[f"{attachment.pk}:forged"]))

    assert own.status_code == 200
    assert b"".join(own.streaming_content) == png()
    assert own["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert (theirs.status_code, forged.status_code) == (404, 404)


# --- the transcript ------------------------------------------------------------------------------


def test_the_transcript_is_the_visitors_conversation_as_text(client, chat_channel, n1_agent):
    token = hello(client, chat_channel)["token"]
    ack = chat_message(client, chat_channel, token, "<b>Meu pedido</b> atrasou")
    ticket = Message.objects.get(pk=ack["id"]).ticket
    services.message_reply(ticket=ticket, by=n1_agent, body_text="Vou verificar.")
    services.note_add(ticket=ticket, by=n1_agent, body_text="Nota interna: cliente difícil")
    other_token = hello(Client(), chat_channel)["token"]
    chat_message(Client(), chat_channel, other_token, "Conversa de outra pessoa")

    response = client.get(reverse("chat-transcript"), {"token": token})

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="chat-{ticket.number}.txt"'
    text = response.content.decode()
    assert "<b>Meu pedido</b> atrasou" in text  # as typed: text, never markup
    assert "Vou verificar." in text
    assert "Nota interna" not in text
    assert "outra pessoa" not in text


def test_no_transcript_without_a_valid_token(client, chat_channel):
    assert client.get(reverse("chat-transcript"), {"token": "forged"}).status_code == 404
    token = hello(client, chat_channel)["token"]  # a visitor who never wrote
    assert client.get(reverse("chat-transcript"), {"token": token}).status_code == 404


# --- the offline form ----------------------------------------------------------------------------


def offline(client, channel, **fields):
    data = {"name": "Ana", "email": "ana@example.com", "message": "Liguem-me amanhã", **fields}
    return client.post(api(channel, "offline"), json.dumps(data), content_type="application/json")


def test_the_offline_form_opens_a_ticket_answered_by_email(
    client, chat_channel, n1_agent, django_capture_on_commit_callbacks, settings
):
    settings.DEFAULT_FROM_EMAIL = "suporte@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        response = offline(client, chat_channel)

    assert response.json() == {"ok": True}
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WEB
    assert ticket.messages.get().body_text == "Liguem-me amanhã"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.message_reply(ticket=ticket, by=n1_agent, body_text="Combinado.")
    assert reply.channel == Channel.EMAIL
    assert mail.outbox[-1].to == ["ana@example.com"]


def test_the_offline_form_checks_its_fields_and_its_rate(client, chat_channel):
    assert offline(client, chat_channel, email="não é email").status_code == 400
    assert offline(client, chat_channel, message="").status_code == 400
    answers = [offline(client, chat_channel).status_code for _ in range(OFFLINE_PER_ADDRESS + 1)]
    assert answers == [200] * OFFLINE_PER_ADDRESS + [429]


# --- claims, verification and the emailed transcript ---------------------------------------------


def test_an_email_typed_into_the_chat_gets_nothing_until_it_is_verified(
    client, chat_channel, django_capture_on_commit_callbacks
):
    token = hello(client, chat_channel)["token"]
    chat_message(client, chat_channel, token, "Quero o histórico por email")
    visitor = tokens.visitor_from_token(token, channel_id=chat_channel.pk)

    _r, frames = send(client, chat_channel, {"type": "email_transcript", "token": token})
    assert frames == [{"type": "transcript", "status": "unverified"}]
    with django_capture_on_commit_callbacks(execute=True):
        _r, frames = send(
            client,
            chat_channel,
            {"type": "contact", "token": token, "name": "Bia", "email": "Bia@Example.com"},
        )
    assert frames == [{"type": "contact", "email_verification": "sent"}]
    [link_mail] = mail.outbox
    assert link_mail.to == ["bia@example.com"]
    identity = CustomerIdentity.objects.get(kind="email", value="bia@example.com")
    assert not identity.verified
    _r, frames = send(client, chat_channel, {"type": "email_transcript", "token": token})
    assert frames == [{"type": "transcript", "status": "unverified"}]

    link = next(line for line in link_mail.body.splitlines() if "/chat/verify/" in line)
    assert client.get(link.strip().removeprefix("http://testserver")).status_code == 200

    identity.refresh_from_db()
    assert identity.verified
    assert identity.customer.identities.filter(kind="chat_visitor", value=str(visitor.id)).exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _r, frames = send(client, chat_channel, {"type": "email_transcript", "token": token})
    assert frames == [{"type": "transcript", "status": "sent"}]
    assert mail.outbox[0].to == ["bia@example.com"]
    assert "Quero o histórico por email" in mail.outbox[0].body


def test_a_claimed_email_of_another_customer_joins_them_only_once_verified(
    client, chat_channel, customer, django_capture_on_commit_callbacks
):
    services.customer_add_identity(customer=customer, kind="email", value="maria@x.com")
    token = hello(client, chat_channel)["token"]
    ack = chat_message(client, chat_channel, token, "Sou a Maria?")
    chat_customer = Message.objects.get(pk=ack["id"]).ticket.customer
    with django_capture_on_commit_callbacks(execute=True):
        send(client, chat_channel, {"type": "contact", "token": token, "email": "maria@x.com"})

    chat_customer.refresh_from_db()
    assert chat_customer.merged_into is None  # a claim merges no one
    assert not Ticket.objects.filter(customer=customer).exists()

    link = next(line for line in mail.outbox[0].body.splitlines() if "/chat/verify/" in line)
    client.get(link.strip().removeprefix("http://testserver"))

    chat_customer.refresh_from_db()
    assert chat_customer.merged_into_id == customer.pk  # proven: the same person
    assert Ticket.objects.filter(customer=customer, channel="chat").exists()


def test_a_verification_link_for_another_address_proves_nothing(client, chat_channel):
    token = hello(client, chat_channel)["token"]
    send(client, chat_channel, {"type": "contact", "token": token, "email": "bia@example.com"})
    claim_id = ChatContactClaim.objects.get().pk

    forged = tokens.verify_link(claim_id=claim_id, email="outra@example.com")
    response = client.get(reverse("chat-verify-email", args=[forged]))

    assert response.status_code == 400
    assert not CustomerIdentity.objects.filter(verified=True, kind="email").exists()
