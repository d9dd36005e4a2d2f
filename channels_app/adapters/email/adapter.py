"""The email channel: parse stored RFC 5322 messages, send replies through Django's mail backend."""

import hashlib
from dataclasses import replace
from email import policy
from email.parser import BytesHeaderParser

from django.http import HttpRequest

from tickets.models import Message

from ..base import BaseChannelAdapter, ChannelError, DeliveryUpdate, Ignored, ParsedItem
from .parse import parse_email

_header_parser = BytesHeaderParser(policy=policy.default)
OUR_MESSAGE_ID_PREFIX = "<jornada."  # see outbound.message_id_for


def _own_addresses(mailbox_model) -> frozenset[str]:
    return frozenset(a.lower() for a in mailbox_model.objects.values_list("address", flat=True))


def email_provider_id(raw: bytes) -> str:
    """The id that recognises the same email however it reaches us (IMAP, webhook, file): its
    Message-ID, or a hash of its bytes when it has none."""
    try:
        message_id = str(_header_parser.parsebytes(raw).get("Message-ID", "") or "").strip()
    except Exception:
        message_id = ""
    if message_id.startswith("<") and message_id.endswith(">") and len(message_id) > 2:
        return f"msgid:{message_id}"[:255]
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


class EmailAdapter(BaseChannelAdapter):
    channel = "email"

    def verify(self, request: HttpRequest) -> None:
        """ESP webhooks are verified by django-anymail's views; IMAP and files need no check."""

    def parse(self, event) -> list[ParsedItem]:
        from channels_app.models import Mailbox

        parsed = parse_email(bytes(event.raw))
        if parsed.bounce is not None:
            bounce = parsed.bounce
            if not bounce.permanent:
                return [
                    Ignored(
                        f"delivery delayed ({bounce.status or bounce.action}); not a failure yet"
                    )
                ]
            if not bounce.original_message_ids:
                return [Ignored("bounce without the id of the message that bounced")]
            reason = " ".join(
                part
                for part in (bounce.status, bounce.diagnostic, ", ".join(bounce.recipients))
                if part
            )
            return [
                DeliveryUpdate(bounce.original_message_ids, Message.DeliveryStatus.FAILED, reason)
            ]
        if parsed.from_address in _own_addresses(Mailbox):
            return [
                Ignored(f"sent from our own address {parsed.from_address}: not a customer message")
            ]
        if (
            parsed.message_id.startswith(OUR_MESSAGE_ID_PREFIX)
            and Message.objects.filter(
                channel=self.channel,
                direction=Message.Direction.OUTBOUND,
                external_id=parsed.message_id,
            ).exists()
        ):
            return [Ignored("our own outbound message came back")]
        metadata = dict(parsed.message.metadata)
        metadata["inbound_event_id"] = event.pk
        # Oldest first, as in a References header: what our reply's References continues.
        metadata["references"] = list(reversed(parsed.message.reply_to_ids))
        if event.mailbox_id:
            metadata["mailbox_id"] = event.mailbox_id
        return [replace(parsed.message, metadata=metadata)]

    def send(self, message: Message) -> str:
        from .outbound import send_email_message

        return send_email_message(message)


__all__ = ["ChannelError", "EmailAdapter", "email_provider_id"]
