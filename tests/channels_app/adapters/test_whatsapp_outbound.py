"""Agent replies on WhatsApp, sent by the real HTTP client to a fake Graph API on loopback:
what Meta receives, retries on 5xx/429 and none on 4xx, Graph errors recorded on the message,
the 24-hour window and message templates."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from channels_app import services, tasks
from channels_app.models import WhatsAppTemplate
from tests.channels_app import whatsapp_support as wa
from tests.channels_app.fake_providers import GRAPH_TOKEN, graph_error
from tickets import services as ticket_services
from tickets.errors import WhatsAppWindowClosed
from tickets.inbound import InboundAttachment
from tickets.models import Message, Ticket

D = Message.DeliveryStatus


@pytest.fixture
def conversation(n1_agent, whatsapp, deliver) -> Ticket:
    """A ticket opened by the customer's WhatsApp message a minute ago."""
    deliver(wa.text("Minha internet caiu", timestamp=timezone.now().timestamp() - 60))
    return Ticket.objects.get()


@pytest.fixture
def reply(n1_agent, django_capture_on_commit_callbacks):
    """An agent's reply, delivered as after the commit (Celery runs eagerly here)."""

    def reply(ticket, body="Vamos verificar, um momento.", **kwargs) -> Message:
        with django_capture_on_commit_callbacks(execute=True):
            message = ticket_services.message_reply(
                ticket=ticket, by=n1_agent, body_text=body, **kwargs
            )
        message.refresh_from_db()
        return message

    return reply


def test_a_reply_is_posted_to_the_business_number_the_customer_wrote_to(
    conversation, reply, whatsapp
):
    message = reply(conversation)

    [request] = whatsapp.sent("/messages")
    assert request.path == f"/v21.0/{wa.PHONE_NUMBER_ID}/messages"
    assert request.headers["authorization"] == f"Bearer {GRAPH_TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": wa.CUSTOMER_WA_ID,
        "type": "text",
        "text": {"body": "Vamos verificar, um momento.", "preview_url": False},
    }
    assert message.channel == "whatsapp"
    assert message.delivery_status == D.SENT
    assert message.external_id == "wamid.FAKE0001"


def test_a_customer_without_the_ninth_digit_is_answered_on_the_wa_id_they_use(
    n1_agent, whatsapp, deliver, reply
):
    deliver(wa.text("oi", wa_id="551187654321"))

    reply(Ticket.objects.get())

    assert whatsapp.messages_sent()[0]["to"] == "551187654321"


def test_a_reply_to_a_quoted_message_carries_the_context(conversation, reply, whatsapp):
    quoted = conversation.messages.get().external_id

    reply(conversation, metadata={"in_reply_to": quoted})

    assert whatsapp.messages_sent()[0]["context"] == {"message_id": quoted}


def test_an_image_is_uploaded_then_sent_with_the_text_as_caption(conversation, reply, whatsapp):
    photo = InboundAttachment("roteador.png", "image/png", b"\x89PNG fake image")

    message = reply(conversation, "Reinicie o roteador assim", attachments=[photo])

    [upload] = whatsapp.sent("/media")
    assert upload.path == f"/v21.0/{wa.PHONE_NUMBER_ID}/media"
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="messaging_product"\r\n\r\nwhatsapp' in upload.body
    assert b'filename="roteador.png"' in upload.body
    assert b"\x89PNG fake image" in upload.body
    [sent] = whatsapp.messages_sent()
    assert sent["type"] == "image"
    assert sent["image"] == {"caption": "Reinicie o roteador assim", "id": "upload1"}
    assert message.delivery_status == D.SENT


def test_a_document_after_a_long_text_goes_as_text_then_file(conversation, reply, whatsapp):
    text = "Segue o passo a passo. " * 60  # longer than a caption may be
    manual = InboundAttachment("manual.pdf", "application/pdf", b"%PDF-1.4")

    reply(conversation, text, attachments=[manual])

    first, second = whatsapp.messages_sent()
    assert first["type"] == "text"
    assert first["text"]["body"] == text.strip()
    assert second["type"] == "document"
    assert second["document"] == {"filename": "manual.pdf", "id": "upload2"}


def test_a_text_longer_than_whatsapp_allows_is_split(conversation, reply, whatsapp):
    paragraphs = [f"Parágrafo {n}. " + "x" * 900 for n in range(8)]

    message = reply(conversation, "\n".join(paragraphs))

    bodies = [m["text"]["body"] for m in whatsapp.messages_sent()]
    assert len(bodies) == 2
    assert all(len(body) <= 4096 for body in bodies)
    assert "\n".join(bodies) == "\n".join(paragraphs)
    assert message.external_id == "wamid.FAKE0001"  # the first part carries the statuses


def retry(message: Message, *, last: bool = False) -> Message:
    """Run the delivery task again, as its scheduled retry would (the last one: no more)."""
    tasks.deliver_message.apply(args=[message.pk], retries=6 if last else 1)
    message.refresh_from_db()
    return message


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(500, graph_error(131000, "Something went wrong"), id="500"),
        pytest.param(503, b"<html>Service Unavailable</html>", id="503-not-json"),
        pytest.param(429, graph_error(130429, "Rate limit hit"), id="429"),
        pytest.param(400, graph_error(131056, "Pair rate limit hit"), id="400-rate-limit-code"),
    ],
)
def test_a_temporary_graph_failure_is_retried_until_it_passes(
    conversation, reply, whatsapp, status, body
):
    whatsapp.script("/messages", status, body)

    message = reply(conversation)

    assert message.delivery_status == D.QUEUED  # a retry is on its way
    assert cache.get(f"{tasks.RETRYING}{message.pk}")
    assert retry(message).delivery_status == D.SENT
    assert len(whatsapp.sent("/messages")) == 2
    assert message.delivery_error == ""


def test_a_temporary_failure_on_the_last_attempt_fails_the_reply(conversation, reply, whatsapp):
    whatsapp.script("/messages", 500, graph_error(131000, "Something went wrong"), times=2)
    message = reply(conversation)

    message = retry(message, last=True)

    assert message.delivery_status == D.FAILED
    assert message.delivery_error == "Something went wrong (code 131000)"


def test_a_refusal_is_not_retried_and_its_code_and_title_are_shown(conversation, reply, whatsapp):
    whatsapp.script(
        "/messages",
        400,
        graph_error(
            131047,
            "Re-engagement message",
            details="More than 24 hours have passed since the recipient last replied.",
        ),
    )

    message = reply(conversation)

    assert len(whatsapp.sent("/messages")) == 1
    assert message.delivery_status == D.FAILED
    assert message.delivery_error == (
        "Re-engagement message (code 131047): "
        "More than 24 hours have passed since the recipient last replied."
    )


def test_an_expired_access_token_fails_the_reply_at_once(conversation, reply, whatsapp):
    error = json.loads((wa.FIXTURES / "graph_errors" / "expired_access_token_190.json").read_text())
    whatsapp.script("/messages", 401, {"error": error})

    message = reply(conversation)

    assert len(whatsapp.sent("/messages")) == 1
    assert message.delivery_status == D.FAILED
    assert message.delivery_error.startswith("Error validating access token")
    assert "(code 190)" in message.delivery_error


def test_a_graph_api_that_cannot_be_reached_is_retried_then_the_reply_fails(
    conversation, reply, settings
):
    settings.WHATSAPP_API_BASE = "http://127.0.0.1:9/v21.0"  # discard port: nobody listens

    message = reply(conversation)

    assert message.delivery_status == D.QUEUED
    message = retry(message, last=True)
    assert message.delivery_status == D.FAILED
    assert "talking to 127.0.0.1" in message.delivery_error


def test_a_retry_after_a_partial_send_sends_only_what_is_missing(conversation, reply, whatsapp):
    files = [
        InboundAttachment("a.jpg", "image/jpeg", b"\xff\xd8 a"),
        InboundAttachment("b.jpg", "image/jpeg", b"\xff\xd8 b"),
    ]
    # The first image goes out; the second upload fails once.
    whatsapp.script("/media", 200, {"id": "media-a"})
    whatsapp.script("/media", 502, graph_error(2, "Service temporarily unavailable"))

    message = reply(conversation, "Fotos", attachments=files)
    assert message.delivery_status == D.QUEUED
    message = retry(message)

    sent = whatsapp.messages_sent()
    assert [m["image"]["id"] for m in sent] == ["media-a", sent[1]["image"]["id"]]
    assert sent[0]["image"]["caption"] == "Fotos"
    assert "caption" not in sent[1]["image"]
    assert message.delivery_status == D.SENT
    assert message.external_id == "wamid.FAKE0001"


def test_without_an_access_token_the_reply_fails_clearly(conversation, reply, settings):
    settings.WHATSAPP_ACCESS_TOKEN = ""

    message = reply(conversation)

    assert message.delivery_status == D.FAILED
    assert "WHATSAPP_ACCESS_TOKEN" in message.delivery_error


# --- The 24-hour customer-service window ------------------------------------------------------


def age_inbound(ticket: Ticket, hours: float) -> None:
    ticket.messages.filter(direction="inbound").update(
        created_at=timezone.now() - timedelta(hours=hours)
    )


def test_free_text_after_the_window_closed_is_refused_with_a_code(conversation, n1_agent, whatsapp):
    age_inbound(conversation, 25)

    with translation.override("en"), pytest.raises(WhatsAppWindowClosed) as refused:
        ticket_services.message_reply(ticket=conversation, by=n1_agent, body_text="Olá?")

    assert refused.value.code == "whatsapp_window_closed"
    assert "24 hours" in refused.value.message
    assert not Message.objects.filter(direction="outbound").exists()
    assert not whatsapp.requests


def test_free_text_just_inside_the_window_is_sent(conversation, reply, whatsapp):
    age_inbound(conversation, 23.9)

    assert reply(conversation).delivery_status == D.SENT


def test_the_window_is_the_customers_on_any_of_their_tickets(conversation, n1_agent, deliver):
    age_inbound(conversation, 30)
    other = ticket_services.ticket_create(
        customer=conversation.customer, subject="Outro assunto", channel="whatsapp"
    )
    deliver(wa.text("Também queria saber da fatura"))  # joins the open conversation

    message = ticket_services.message_reply(
        ticket=other, by=n1_agent, body_text="Claro!", channel="whatsapp"
    )

    assert message.channel == "whatsapp"


def test_whatsapp_free_text_to_a_customer_who_never_wrote_there_is_refused(
    n1_agent, ticket, whatsapp
):
    with pytest.raises(WhatsAppWindowClosed):
        ticket_services.message_reply(
            ticket=ticket, by=n1_agent, body_text="Oi", channel="whatsapp"
        )


def test_the_window_setting_is_respected(conversation, n1_agent, settings):
    settings.JORNADA = {**settings.JORNADA, "WHATSAPP_WINDOW_HOURS": 1}
    age_inbound(conversation, 2)

    with pytest.raises(WhatsAppWindowClosed):
        ticket_services.message_reply(ticket=conversation, by=n1_agent, body_text="Oi")


# --- Message templates ------------------------------------------------------------------------


@pytest.fixture
def template(db) -> WhatsAppTemplate:
    return WhatsAppTemplate.objects.create(
        name="retomar_atendimento",
        language="pt_BR",
        body="Olá {{1}}, sobre o chamado {{2}}: podemos continuar por aqui?",
    )


def test_a_template_goes_out_after_the_window_closed(
    conversation, n1_agent, template, whatsapp, django_capture_on_commit_callbacks
):
    age_inbound(conversation, 48)

    with django_capture_on_commit_callbacks(execute=True):
        message = services.whatsapp_template_send(
            ticket=conversation, by=n1_agent, template=template, params=["Maria", "#1001"]
        )

    message.refresh_from_db()
    assert message.body_text == "Olá Maria, sobre o chamado #1001: podemos continuar por aqui?"
    assert message.metadata["whatsapp_template"]["name"] == "retomar_atendimento"
    assert message.delivery_status == D.SENT
    [sent] = whatsapp.messages_sent()
    assert sent["type"] == "template"
    assert sent["template"] == {
        "name": "retomar_atendimento",
        "language": {"code": "pt_BR"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Maria"},
                    {"type": "text", "text": "#1001"},
                ],
            }
        ],
    }


def test_a_template_without_parameters_sends_no_components(
    conversation, n1_agent, whatsapp, django_capture_on_commit_callbacks
):
    hello = WhatsAppTemplate.objects.create(name="hello_world", language="en_US", body="Hello!")

    with django_capture_on_commit_callbacks(execute=True):
        services.whatsapp_template_send(ticket=conversation, by=n1_agent, template=hello, params=[])

    assert whatsapp.messages_sent()[0]["template"] == {
        "name": "hello_world",
        "language": {"code": "en_US"},
    }


@pytest.mark.parametrize(
    "params",
    [["Maria"], ["Maria", "#1", "extra"], ["Maria", ""], ["Maria", "linha\nquebrada"]],
    ids=["too-few", "too-many", "empty", "line-break"],
)
def test_template_parameters_must_fit_the_template(conversation, n1_agent, template, params):
    with pytest.raises(services.TemplateParametersInvalid) as refused:
        services.whatsapp_template_send(
            ticket=conversation, by=n1_agent, template=template, params=params
        )

    assert refused.value.code == "whatsapp_template_parameters"
    assert not Message.objects.filter(direction="outbound").exists()


def test_a_template_no_longer_offered_cannot_be_sent(conversation, n1_agent, template):
    template.is_active = False
    template.save()

    with pytest.raises(services.TemplateUnavailable):
        services.whatsapp_template_send(
            ticket=conversation, by=n1_agent, template=template, params=["a", "b"]
        )


def test_template_parameters_are_numbered_without_gaps(db):
    from django.core.exceptions import ValidationError

    broken = WhatsAppTemplate(name="quebrado", language="pt_BR", body="Oi {{1}} e {{3}}")

    with pytest.raises(ValidationError):
        broken.full_clean()
    assert WhatsAppTemplate(name="ok", body="{{2}} {{1}} {{1}}").parameter_count == 2


# --- Threading of a WhatsApp conversation ----------------------------------------------------


def test_a_second_message_joins_the_open_conversation(conversation, deliver):
    deliver(wa.text("Ainda sem internet"))

    assert Ticket.objects.count() == 1
    assert conversation.messages.count() == 2
    latest = conversation.messages.latest("pk")
    assert latest.threading_reason == "open whatsapp conversation"


def test_a_message_soon_after_solving_reopens_the_ticket(conversation, n1_agent, deliver):
    ticket_services.ticket_change_status(ticket=conversation, to_status="solved", by=n1_agent)

    deliver(wa.text("Voltou a cair"))

    conversation.refresh_from_db()
    assert Ticket.objects.count() == 1
    assert conversation.status == Ticket.Status.OPEN
    assert conversation.reopen_count == 1


def test_a_message_long_after_solving_opens_a_new_ticket(conversation, n1_agent, deliver, settings):
    settings.JORNADA = {**settings.JORNADA, "REOPEN_SOLVED_CONVERSATION_HOURS": 24}
    ticket_services.ticket_change_status(ticket=conversation, to_status="solved", by=n1_agent)
    Ticket.objects.filter(pk=conversation.pk).update(solved_at=timezone.now() - timedelta(hours=25))

    deliver(wa.text("Oi, outra dúvida"))

    conversation.refresh_from_db()
    assert conversation.status == Ticket.Status.SOLVED
    new = Ticket.objects.exclude(pk=conversation.pk).get()
    assert new.customer == conversation.customer
    assert new.messages.get().threading_reason == "new conversation"


def test_a_message_after_closing_opens_a_new_ticket(conversation, n1_agent, deliver):
    ticket_services.ticket_change_status(ticket=conversation, to_status="solved", by=n1_agent)
    ticket_services.ticket_change_status(ticket=conversation, to_status="closed", by=n1_agent)

    deliver(wa.text("Oi de novo"))

    assert Ticket.objects.count() == 2
