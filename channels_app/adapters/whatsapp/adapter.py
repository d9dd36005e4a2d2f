"""The WhatsApp Cloud API channel: webhook signatures, parsing, replies and media."""

import hashlib
import hmac
import json

from django.conf import settings
from django.http import HttpRequest

from tickets.inbound import InboundAttachment
from tickets.models import Message

from ..base import BaseChannelAdapter, ChannelError, ParsedItem
from . import media, outbound
from .parse import parse_payload, status_provider_ids

SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature_valid(body: bytes, header: str, secret: str) -> bool:
    """X-Hub-Signature-256 is "sha256=" + HMAC-SHA256 of the raw body with the app secret."""
    if not (secret and header.startswith("sha256=") and header.isascii()):
        return False  # compare_digest refuses non-ASCII str: a forged header must not be a 500
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(header[len("sha256=") :].strip().lower().encode(), expected)


class WhatsAppAdapter(BaseChannelAdapter):
    channel = "whatsapp"

    def verify(self, request: HttpRequest) -> None:
        header = request.headers.get(SIGNATURE_HEADER, "")
        if not signature_valid(request.body, header, settings.WHATSAPP_APP_SECRET):
            raise ChannelError("Bad or missing X-Hub-Signature-256", permanent=True)

    def parse(self, event) -> list[ParsedItem]:
        try:
            payload = json.loads(bytes(event.raw))
        except ValueError as exc:
            raise ChannelError(f"Not JSON: {exc}", permanent=True) from exc
        try:
            return parse_payload(payload, event_id=event.pk)
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            # Signed by Meta yet not in the shape we read: no retry will change that.
            raise ChannelError(
                f"Malformed WhatsApp webhook: {exc.__class__.__name__}: {exc}", permanent=True
            ) from exc

    def send(self, message: Message) -> str:
        return outbound.send_whatsapp_message(message)

    def fetch_media(self, message: Message) -> list[InboundAttachment]:
        items = (message.metadata.get("media") or {}).get("items") or []
        return [media.fetch_media_item(item) for item in items]

    def status_provider_ids(self, external_id: str) -> list[str]:
        return status_provider_ids(external_id)

    def part_ids(self, message: Message) -> list[str]:
        return outbound.part_ids(message)
