"""The SMS channel through a Twilio-compatible provider: inbound messages and delivery statuses
from its webhooks (stored as urlencoded form bodies), replies through its REST API. Numbers are
E.164, so the person who texts is the one who calls and writes on WhatsApp."""

import mimetypes
from urllib.parse import parse_qs

from django.conf import settings
from django.urls import reverse

from tickets.identities import InvalidIdentity, normalize_phone
from tickets.inbound import InboundAttachment, NormalizedMessage
from tickets.models import CustomerIdentity, Message

from ..base import (
    ACTIVE_CONTENT_TYPES,
    BaseChannelAdapter,
    ChannelError,
    DeliveryUpdate,
    Ignored,
    ParsedItem,
    part_sent,
    sent_part_ids,
    without_nul,
)
from . import twilio

CHANNEL = "sms"
BODY_LIMIT = 1600  # Twilio's limit for one message (it splits it into segments itself)
MAX_MEDIA = 10
PROGRESS = "sms_parts"
STATUSES = {
    "sent": Message.DeliveryStatus.SENT,
    "delivered": Message.DeliveryStatus.DELIVERED,
    "read": Message.DeliveryStatus.READ,
    "undelivered": Message.DeliveryStatus.FAILED,
    "failed": Message.DeliveryStatus.FAILED,
    "canceled": Message.DeliveryStatus.FAILED,
}


def form_fields(raw: bytes) -> dict[str, str]:
    fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    return without_nul({key: values[0] for key, values in fields.items()})


def provider_id_for(fields: dict[str, str]) -> str:
    sid = fields.get("MessageSid") or fields.get("SmsSid") or ""
    if twilio.is_status_callback(fields):
        return f"status:{sid}:{fields.get('MessageStatus') or fields.get('SmsStatus')}"
    return f"sms:{sid}"


def status_callback_url() -> str:
    base = settings.TWILIO_WEBHOOK_BASE_URL
    return f"{base}{reverse('channels_app:sms-twilio-status')}" if base else ""


def _phone(value: str, what: str) -> str:
    try:
        return normalize_phone(value)
    except InvalidIdentity as exc:
        raise ChannelError(f"SMS {what} is not a phone number: {value!r}", permanent=True) from exc


class SmsAdapter(BaseChannelAdapter):
    channel = CHANNEL

    def verify(self, request) -> None:
        """The webhook view checks X-Twilio-Signature against the URL it was called on."""

    def parse(self, event) -> list[ParsedItem]:
        try:
            fields = form_fields(bytes(event.raw))
        except UnicodeDecodeError as exc:
            raise ChannelError(f"Unreadable SMS webhook: {exc}", permanent=True) from exc
        sid = fields.get("MessageSid") or fields.get("SmsSid")
        if not sid:
            raise ChannelError("SMS webhook without MessageSid", permanent=True)
        try:
            if twilio.is_status_callback(fields):
                return [self._status(sid, fields)]
            return [self._message(sid, fields, event.pk)]
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            # Signed by Twilio yet not in the shape we read: no retry will change that.
            raise ChannelError(
                f"Malformed SMS webhook: {exc.__class__.__name__}: {exc}", permanent=True
            ) from exc

    @staticmethod
    def _status(sid: str, fields: dict[str, str]) -> ParsedItem:
        name = fields.get("MessageStatus") or fields.get("SmsStatus") or ""
        if name not in STATUSES:
            return Ignored(f"SMS status {name!r} for {sid}: still on its way")
        error = ""
        if STATUSES[name] == Message.DeliveryStatus.FAILED:
            code = fields.get("ErrorCode") or ""
            detail = fields.get("ErrorMessage") or name
            error = f"{detail} (code {code})" if code else detail
        return DeliveryUpdate((sid,), STATUSES[name], error)

    @staticmethod
    def _message(sid: str, fields: dict[str, str], event_id: int) -> NormalizedMessage:
        sender = _phone(fields.get("From", ""), "sender")
        count = min(int(fields.get("NumMedia") or 0), MAX_MEDIA)
        items = [
            {"url": fields[f"MediaUrl{i}"], "mime_type": fields.get(f"MediaContentType{i}", "")}
            for i in range(count)
            if fields.get(f"MediaUrl{i}")
        ]
        metadata = {
            "sms": {
                "from": sender,
                "to": fields.get("To", ""),
                "segments": fields.get("NumSegments", ""),
                "messaging_service_sid": fields.get("MessagingServiceSid", ""),
            },
            "inbound_event_id": event_id,
        }
        if items:
            metadata["media"] = {"status": "pending", "items": items}
        body = fields.get("Body", "")
        return NormalizedMessage(
            channel=CHANNEL,
            sender_kind="phone",
            sender_value=sender,
            subject=(body.strip().splitlines() or [""])[0][:80],
            body_text=body,
            external_id=sid[:255],
            metadata=metadata,
        )

    def send(self, message: Message) -> str:
        if message.attachments.exists():
            raise ChannelError(
                "SMS cannot carry attachments: send them by email or WhatsApp.",
                permanent=True,
                code="sms_attachments",
            )
        to, sender = self._route(message)
        fields = {"To": to, **sender}
        if callback := status_callback_url():
            fields["StatusCallback"] = callback
        # `sent_text`: what the customer gets when it must differ from what agents read (a
        # survey's personal link).
        body = (message.metadata.get("sent_text") or message.body_text).strip()
        chunks = [body[i : i + BODY_LIMIT] for i in range(0, len(body), BODY_LIMIT)] or [""]
        progress = dict(message.metadata.get(PROGRESS) or {})
        for index, chunk in enumerate(chunks):
            key = f"part:{index}"
            if not progress.get(key):
                progress[key] = twilio.send_sms({**fields, "Body": chunk})
                part_sent(message, progress_key=PROGRESS, part=key, provider_id=progress[key])
        return progress["part:0"]

    def part_ids(self, message: Message) -> list[str]:
        return sent_part_ids(message, PROGRESS)

    @staticmethod
    def _route(message: Message) -> tuple[str, dict[str, str]]:
        """Who to text, and from which number: the one the customer texted on this ticket."""
        last = (
            Message.objects.filter(
                ticket_id=message.ticket_id,
                channel=CHANNEL,
                direction=Message.Direction.INBOUND,
                author_customer_id=message.ticket.customer_id,
            )
            .order_by("-created_at", "-id")
            .values_list("metadata", flat=True)
            .first()
        )
        details = (last or {}).get("sms") or {}
        to = details.get("from") or (
            CustomerIdentity.objects.filter(
                customer_id=message.ticket.customer_id, kind__in=("phone", "whatsapp")
            )
            .order_by("kind", "pk")  # phone before whatsapp
            .values_list("value", flat=True)
            .first()
        )
        if not to:
            raise ChannelError(
                "The customer has no phone number.", permanent=True, code="no_address"
            )
        if details.get("to"):
            return to, {"From": details["to"]}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            return to, {"MessagingServiceSid": settings.TWILIO_MESSAGING_SERVICE_SID}
        if settings.TWILIO_FROM_NUMBER:
            return to, {"From": settings.TWILIO_FROM_NUMBER}
        raise ChannelError(
            "Set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID.", permanent=True, code="config"
        )

    def fetch_media(self, message: Message) -> list[InboundAttachment]:
        limit = settings.JORNADA["ATTACHMENT_MAX_BYTES"]
        files = []
        for position, item in enumerate((message.metadata.get("media") or {}).get("items") or []):
            response = twilio.download(item["url"], max_bytes=limit)
            content_type = (
                response.headers.get("content-type") or item.get("mime_type") or ""
            ).split(";")[0].strip().lower() or "application/octet-stream"
            if content_type in ACTIVE_CONTENT_TYPES:
                raise ChannelError(
                    f"MMS media of type {content_type} is not accepted",
                    permanent=True,
                    code="media_type",
                )
            extension = mimetypes.guess_extension(content_type) or ""
            files.append(
                InboundAttachment(
                    filename=f"mms-{message.external_id}-{position + 1}{extension}",
                    content_type=content_type,
                    content=response.body,
                )
            )
        return files

    def status_provider_ids(self, external_id: str) -> list[str]:
        return [f"status:{external_id}:{name}" for name in STATUSES]
