"""Inbound email from ESPs, through django-anymail: anymail checks each ESP's signature or basic
auth and normalizes the message; we store its raw MIME like any other delivery."""

import logging

from anymail.exceptions import AnymailConfigurationError
from anymail.signals import AnymailInboundEvent
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.brevo import BrevoInboundWebhookView
from anymail.webhooks.mailersend import MailerSendInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView
from anymail.webhooks.mailtrap import MailtrapInboundWebhookView
from anymail.webhooks.postal import PostalInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.resend import ResendInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .adapter import email_provider_id

logger = logging.getLogger(__name__)

INBOUND_VIEWS = {
    "amazon_ses": AmazonSESInboundWebhookView,
    "brevo": BrevoInboundWebhookView,
    "mailersend": MailerSendInboundWebhookView,
    "mailgun": MailgunInboundWebhookView,
    "mailjet": MailjetInboundWebhookView,
    "mailtrap": MailtrapInboundWebhookView,
    "postal": PostalInboundWebhookView,
    "postmark": PostmarkInboundWebhookView,
    "resend": ResendInboundWebhookView,
    "sendgrid": SendGridInboundWebhookView,
    "sparkpost": SparkPostInboundWebhookView,
}


# Where ESPs that forward the whole message put it (Mailgun "body-mime", SendGrid "email",
# Postmark "RawEmail"): kept as posted rather than as anymail re-serializes it.
RAW_MIME_FIELDS = ("body-mime", "email", "RawEmail")


def _raw_mime_as_posted(esp_event) -> bytes | None:
    if esp_event is None:
        return None
    fields = getattr(esp_event, "POST", esp_event)  # a request, a QueryDict or a JSON dict
    for name in RAW_MIME_FIELDS:
        try:
            value = fields.get(name)
        except AttributeError:
            return None
        if isinstance(value, str) and ":" in value[:1000]:  # looks like headers, not an address
            return value.encode("utf-8", errors="surrogateescape")
    return None


# Amazon SES's receipt verdicts (its SNS notification's "receipt" object).
SES_VERDICTS = {"spf": "spfVerdict", "dkim": "dkimVerdict", "dmarc": "dmarcVerdict"}


def esp_verdict(event: AnymailInboundEvent) -> dict:
    """What the ESP checked, as its signed webhook says (never a header of the message, which
    the sender writes): anymail's spam flag, and the ESP's own SPF/DKIM/DMARC fields where it
    sends them (Amazon SES: all three; SendGrid: SPF and DKIM). Lower-case results."""
    verdict: dict = {}
    if event.message is not None and event.message.spam_detected is not None:
        verdict["spam_detected"] = bool(event.message.spam_detected)
    esp_event = event.esp_event
    if isinstance(esp_event, dict) and isinstance(esp_event.get("receipt"), dict):
        receipt = esp_event["receipt"]
        for method, key in SES_VERDICTS.items():
            found = receipt.get(key)
            status = found.get("status") if isinstance(found, dict) else None
            if isinstance(status, str) and status:
                verdict[method] = status.lower()[:40]
    fields = getattr(esp_event, "POST", None)
    if fields is not None:  # SendGrid's inbound parse: "SPF" ("pass"), "dkim" ("{@d.com : pass}")
        for method, name in (("spf", "SPF"), ("dkim", "dkim")):
            value = fields.get(name)
            if isinstance(value, str) and value.strip():
                verdict[method] = value.strip().lower()[:200]
    return verdict


def store_anymail_inbound(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """anymail's `inbound` signal: called inside the webhook request, once per message."""
    from channels_app.services import inbound_events_store

    raw = _raw_mime_as_posted(event.esp_event) or event.message.as_bytes()
    headers = {
        "esp": esp_name,
        "esp_event_id": event.event_id or "",
        "esp_verdict": esp_verdict(event),
    }
    envelope_recipient = getattr(event.message, "envelope_recipient", None)
    if envelope_recipient:
        headers["envelope_recipient"] = str(envelope_recipient)[:254]
    inbound_events_store(
        channel="email",
        source=f"anymail:{esp_name.lower()}",
        items=[(email_provider_id(raw), raw)],
        headers=headers,
    )


@csrf_exempt
def inbound_email_webhook(request: HttpRequest, esp: str) -> HttpResponse:
    view_class = INBOUND_VIEWS.get(esp)
    if view_class is None:
        raise Http404
    if view_class.warn_if_no_basic_auth and not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        # This ESP is protected by basic auth alone: without a secret it would be an open door.
        logger.warning("Inbound webhook for %s refused: set ANYMAIL_WEBHOOK_SECRET", esp)
        raise Http404
    try:
        view = view_class.as_view()
        return view(request)
    except AnymailConfigurationError as exc:
        # An ESP nobody configured (no signing key...) is not an endpoint: say so, don't 500.
        logger.warning("Inbound webhook for %s is not configured: %s", esp, exc)
        raise Http404 from exc
