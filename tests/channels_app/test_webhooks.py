"""Inbound email from ESPs through django-anymail, over real HTTP (Django's test client):
/channels/email/inbound/<esp>/ verifies the ESP's signature or basic auth, stores the raw MIME as
an InboundEvent and the pipeline turns it into a ticket."""

import base64
import hashlib
import hmac
import json
import time
from email import policy
from email.parser import BytesParser

import pytest
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, EventType

from channels_app.adapters.email.webhooks import store_anymail_inbound
from channels_app.models import InboundEvent
from tickets.models import Message, Ticket

S = InboundEvent.Status
SIGNING_KEY = "key-mailgun-signing-0123456789"
BASIC_AUTH = "anymail:s3cret-webhook"
MAILGUN_URL = "/channels/email/inbound/mailgun/"
POSTMARK_URL = "/channels/email/inbound/postmark/"

RAW = (
    "From: =?utf-8?q?Jo=C3=A3o_Pereira?= <joao@cliente.com.br>\r\n"
    "To: suporte@jornada.example\r\n"
    "Subject: =?utf-8?q?Boleto_n=C3=A3o_chegou?=\r\n"
    "Message-ID: <esp-1@cliente.com.br>\r\n"
    "Date: Mon, 23 Nov 2026 10:00:00 -0300\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Olá, o boleto de novembro não chegou no meu email.\r\n"
)


def basic_auth(credentials: str = BASIC_AUTH) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def mailgun_form(raw: str = RAW, *, key: str = SIGNING_KEY, token: str = "a" * 50) -> dict:
    """What Mailgun's forward() route posts for raw MIME, with the legacy signature fields."""
    timestamp = str(int(time.time()))
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "body-mime": raw,
        "recipient": "suporte@jornada.example",
        "sender": "joao@cliente.com.br",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }


@pytest.fixture
def anymail_settings(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": BASIC_AUTH}
    return settings


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST like an ESP would, then run what the commit sets off (processing)."""

    def post(url, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **extra)

    return post


# --- Mailgun ---------------------------------------------------------------------------------


def test_a_signed_mailgun_email_is_stored_raw_and_opens_a_ticket(db, anymail_settings, post):
    response = post(MAILGUN_URL, mailgun_form(), **basic_auth())

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.channel == "email"
    assert event.source == "anymail:mailgun"
    assert event.provider_id == "msgid:<esp-1@cliente.com.br>"
    assert event.status == S.PROCESSED, event.error
    stored = BytesParser(policy=policy.default).parsebytes(bytes(event.raw))
    assert stored["Message-ID"] == "<esp-1@cliente.com.br>"
    assert "boleto de novembro" in stored.get_content()
    ticket = Ticket.objects.get()
    assert ticket.subject == "Boleto não chegou"
    assert ticket.channel == "email"
    message = ticket.messages.get()
    assert message.external_id == "<esp-1@cliente.com.br>"
    assert message.author_customer.name == "João Pereira"
    assert "boleto de novembro" in message.body_text


def test_the_mailgun_body_mime_is_kept_byte_for_byte(db, anymail_settings, post):
    post(MAILGUN_URL, mailgun_form(), **basic_auth())

    assert bytes(InboundEvent.objects.get().raw) == RAW.encode()


def test_the_same_mailgun_email_posted_twice_makes_one_message(db, anymail_settings, post):
    first = post(MAILGUN_URL, mailgun_form(token="a" * 50), **basic_auth())
    second = post(MAILGUN_URL, mailgun_form(token="b" * 50), **basic_auth())  # a redelivery

    assert (first.status_code, second.status_code) == (200, 200)
    assert InboundEvent.objects.count() == 1
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda form: {**form, "signature": "0" * 64}, id="wrong-signature"),
        pytest.param(lambda form: mailgun_form(key="someone-elses-key"), id="wrong-key"),
        pytest.param(lambda form: {**form, "token": "c" * 50}, id="token-swapped"),
        pytest.param(
            lambda form: {k: v for k, v in form.items() if k != "signature"}, id="no-signature"
        ),
    ],
)
def test_a_mailgun_post_with_a_bad_signature_is_refused_and_stores_nothing(
    db, anymail_settings, post, tamper
):
    response = post(MAILGUN_URL, tamper(mailgun_form()), **basic_auth())

    assert 400 <= response.status_code < 500
    assert not InboundEvent.objects.exists()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param({}, id="no-basic-auth"),
        pytest.param(basic_auth("anymail:wrong"), id="wrong-basic-auth"),
    ],
)
def test_a_mailgun_post_without_the_basic_auth_is_refused_and_stores_nothing(
    db, anymail_settings, post, auth
):
    response = post(MAILGUN_URL, mailgun_form(), **auth)

    assert 400 <= response.status_code < 500
    assert not InboundEvent.objects.exists()
    assert not Ticket.objects.exists()


def test_an_unknown_esp_is_not_found(db, anymail_settings, post):
    response = post("/channels/email/inbound/nosuchesp/", mailgun_form(), **basic_auth())

    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_a_known_esp_nobody_configured_is_not_found_rather_than_an_error(db, settings, post):
    settings.ANYMAIL = {}

    response = post(MAILGUN_URL, mailgun_form(), **basic_auth())

    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_the_webhook_answers_only_post(db, anymail_settings, client):
    response = client.get(MAILGUN_URL, **basic_auth())

    assert response.status_code == 405
    assert not InboundEvent.objects.exists()


# --- Postmark --------------------------------------------------------------------------------


def postmark_payload(**changes) -> dict:
    """Postmark's inbound JSON (parsed fields, as its inbound webhook posts them)."""
    payload = {
        "FromName": "Maria Souza",
        "MessageStream": "inbound",
        "From": "maria@cliente.com.br",
        "FromFull": {"Email": "maria@cliente.com.br", "Name": "Maria Souza", "MailboxHash": ""},
        "To": "suporte@jornada.example",
        "ToFull": [{"Email": "suporte@jornada.example", "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": "suporte@jornada.example",
        "Subject": "Segunda via da fatura",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Mon, 23 Nov 2026 10:05:00 -0300",
        "TextBody": "Bom dia, preciso da segunda via da fatura de outubro.",
        "HtmlBody": "<p>Bom dia, preciso da segunda via da fatura de outubro.</p>",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": "<maria@cliente.com.br>"},
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "MIME-Version", "Value": "1.0"},
            {"Name": "Message-ID", "Value": "<postmark-1@cliente.com.br>"},
        ],
        "Attachments": [
            {
                "Name": "fatura-outubro.pdf",
                "Content": base64.b64encode(b"%PDF-1.4 fatura").decode(),
                "ContentType": "application/pdf",
                "ContentLength": 15,
            }
        ],
    }
    payload.update(changes)
    return payload


def post_postmark(post, payload, **auth):
    return post(POSTMARK_URL, json.dumps(payload), content_type="application/json", **auth)


def test_a_postmark_email_with_basic_auth_opens_a_ticket(db, anymail_settings, post):
    response = post_postmark(post, postmark_payload(), **basic_auth())

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.source == "anymail:postmark"
    assert event.provider_id == "msgid:<postmark-1@cliente.com.br>"
    assert event.status == S.PROCESSED, event.error
    ticket = Ticket.objects.get()
    assert ticket.subject == "Segunda via da fatura"
    message = ticket.messages.get()
    assert message.external_id == "<postmark-1@cliente.com.br>"
    assert message.author_customer.identities.get().value == "maria@cliente.com.br"
    assert "segunda via da fatura de outubro" in message.body_text
    [attachment] = message.attachments.all()
    assert attachment.filename == "fatura-outubro.pdf"
    assert attachment.content_type == "application/pdf"
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"%PDF-1.4 fatura"


def test_a_postmark_email_with_the_raw_mime_keeps_it(db, anymail_settings, post):
    payload = postmark_payload(RawEmail=RAW)

    response = post_postmark(post, payload, **basic_auth())

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.provider_id == "msgid:<esp-1@cliente.com.br>"
    assert Ticket.objects.get().subject == "Boleto não chegou"


def test_the_same_email_through_mailgun_and_postmark_is_one_message(db, anymail_settings, post):
    post(MAILGUN_URL, mailgun_form(), **basic_auth())
    post_postmark(post, postmark_payload(RawEmail=RAW), **basic_auth())

    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param({}, id="no-basic-auth"),
        pytest.param(basic_auth("anymail:wrong"), id="wrong-basic-auth"),
    ],
)
def test_a_postmark_post_without_the_basic_auth_is_refused_and_stores_nothing(
    db, anymail_settings, post, auth
):
    response = post_postmark(post, postmark_payload(), **auth)

    assert 400 <= response.status_code < 500
    assert not InboundEvent.objects.exists()
    assert not Ticket.objects.exists()


def test_a_postmark_tracking_event_on_the_inbound_url_is_not_a_server_error(
    db, anymail_settings, post
):
    response = post_postmark(
        post,
        {"RecordType": "Delivery", "MessageID": "x", "Recipient": "a@b.example"},
        **basic_auth(),
    )

    assert response.status_code < 500
    assert not InboundEvent.objects.exists()


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailInsecureWebhookWarning")
def test_postmark_without_a_webhook_secret_is_not_an_open_door(db, settings, post):
    settings.ANYMAIL = {}

    response = post_postmark(post, postmark_payload())

    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


# --- what the ESP verified -----------------------------------------------------------------------
# Amazon SES's webhook view needs boto3, which this deployment does not install: its inbound
# event is handed to our signal receiver as anymail builds it (the SES notification itself).


def ses_event(raw: str, **verdicts: str) -> AnymailInboundEvent:
    """anymail's event for an SES receipt rule with an SNS action: its esp_event is SES's
    notification, whose receipt carries SES's own SPF, DKIM, DMARC and spam verdicts."""
    receipt = {
        "recipients": ["suporte@jornada.example"],
        "spfVerdict": {"status": verdicts.get("spf", "PASS")},
        "dkimVerdict": {"status": verdicts.get("dkim", "PASS")},
        "dmarcVerdict": {"status": verdicts.get("dmarc", "PASS")},
        "spamVerdict": {"status": verdicts.get("spam", "PASS")},
        "virusVerdict": {"status": "PASS"},
        "action": {"type": "SNS", "encoding": "BASE64", "topicArn": "arn:aws:sns:x:1:in"},
    }
    message = AnymailInboundMessage.parse_raw_mime(raw)
    message.envelope_recipient = "suporte@jornada.example"
    message.spam_detected = {"PASS": False, "FAIL": True}.get(verdicts.get("spam", "PASS"))
    return AnymailInboundEvent(
        event_type=EventType.INBOUND,
        event_id="ses-inbound-1",
        message=message,
        esp_event={"notificationType": "Received", "receipt": receipt, "mail": {}},
    )


def deliver_ses(capture, raw: str = RAW, **verdicts: str) -> Message:
    with capture(execute=True):
        store_anymail_inbound(None, event=ses_event(raw, **verdicts), esp_name="Amazon SES")
    return Message.objects.get()


def test_an_ses_dmarc_pass_verdict_authenticates_the_sender(db, django_capture_on_commit_callbacks):
    message = deliver_ses(django_capture_on_commit_callbacks)

    event = InboundEvent.objects.get()
    assert event.headers["esp_verdict"] == {
        "spam_detected": False,
        "spf": "pass",
        "dkim": "pass",
        "dmarc": "pass",
    }
    assert event.headers["envelope_recipient"] == "suporte@jornada.example"
    assert message.metadata["sender_authenticated"] is True
    assert message.metadata["sender_auth"]["by"] == "esp"


def test_an_ses_dmarc_failure_leaves_the_sender_unverified(db, django_capture_on_commit_callbacks):
    message = deliver_ses(django_capture_on_commit_callbacks, dmarc="FAIL")

    assert message.metadata["sender_authenticated"] is False
    assert message.metadata["sender_auth"]["dmarc"] == "dmarc=fail (ESP)"


def test_mail_the_esp_flags_as_spam_is_never_authenticated(db, django_capture_on_commit_callbacks):
    message = deliver_ses(django_capture_on_commit_callbacks, spam="FAIL")

    assert message.metadata["spam_detected"] is True
    assert message.metadata["sender_authenticated"] is False


def test_an_authentication_results_header_in_a_mailgun_post_counts_only_if_trusted(
    db, anymail_settings, post
):
    forged = "Authentication-Results: mx.jornada.example; dmarc=pass header.from=cliente.com.br\r\n"

    post(MAILGUN_URL, mailgun_form(forged + RAW), **basic_auth())

    message = Message.objects.get()
    assert message.metadata["sender_authenticated"] is False
    assert message.metadata["spam_detected"] is False  # Mailgun's X-Mailgun-Sflag, absent
