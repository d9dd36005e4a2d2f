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


def store_anymail_inbound(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """anymail's `inbound` signal: called inside the webhook request, once per message."""
    from channels_app.services import inbound_events_store

    raw = _raw_mime_as_posted(event.esp_event) or event.message.as_bytes()
    inbound_events_store(
        channel="email",
        source=f"anymail:{esp_name.lower()}",
        items=[(email_provider_id(raw), raw)],
        headers={"esp": esp_name, "esp_event_id": event.event_id or ""},
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
