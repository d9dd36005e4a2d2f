"""The email channel: parse stored RFC 5322 messages, send replies through Django's mail backend."""

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from email import policy
from email.parser import BytesHeaderParser

from django.conf import settings
from django.http import HttpRequest

from tickets.inbound import SENDER_AUTH, SENDER_AUTHENTICATED
from tickets.memo import batch_memo
from tickets.models import Message

from ..base import BaseChannelAdapter, ChannelError, DeliveryUpdate, Ignored, ParsedItem
from .authentication import SenderAuthentication, sender_authentication
from .parse import ParsedEmail, parse_email

# compat32: the raw header value, unfolded below; the default policy's header objects cost ten
# times as much, for a value we only compare.
_header_parser = BytesHeaderParser(policy=policy.compat32)
OUR_MESSAGE_ID_PREFIX = "<jornada."  # see outbound._give_message_ids


def _mailboxes(mailbox_model) -> dict[str, tuple[int, bool]]:
    """Our addresses (lower-case) -> (mailbox id, whether its mail server is trusted)."""
    rows = mailbox_model.objects.values_list("address", "pk", "trusts_mta")
    return {address.lower(): (pk, trusts) for address, pk, trusts in rows}


def _authenticate(parsed: ParsedEmail, event, mailboxes: dict) -> SenderAuthentication:
    trusted_mailbox = next(
        (
            address
            for address, (pk, trusts) in mailboxes.items()
            if trusts and pk == event.mailbox_id
        ),
        "",
    )
    return sender_authentication(
        from_address=parsed.from_address,
        from_count=parsed.from_count,
        results=parsed.authentication_results,
        trusted_authserv_ids=frozenset(
            name.strip().lower() for name in settings.JORNADA["TRUSTED_AUTHSERV_IDS"]
        ),
        esp_verdict=(event.headers or {}).get("esp_verdict"),
        trusted_mailbox=trusted_mailbox,
    )


def _delivery_report(parsed: ParsedEmail, auth: SenderAuthentication) -> list[ParsedItem]:
    """A bounce changes our message's status only when our own mail system sent it (a mailbox
    whose server is trusted), or when it is a standard DSN from a mail system whose sender is
    authenticated: anyone can write "undeliverable" in an email."""
    bounce = parsed.bounce
    if not bounce.permanent:
        return [Ignored(f"delivery delayed ({bounce.status or bounce.action}); not a failure yet")]
    if not bounce.original_message_ids:
        return [Ignored("bounce without the id of the message that bounced")]
    if not (auth.by == "mailbox" or (auth.authenticated and parsed.standard_dsn)):
        return [
            Ignored(
                "delivery report not linked: its sender is not authenticated as a mail system "
                f"({auth.reason})"
            )
        ]
    reason = " ".join(
        part for part in (bounce.status, bounce.diagnostic, ", ".join(bounce.recipients)) if part
    )
    return [DeliveryUpdate(bounce.original_message_ids, Message.DeliveryStatus.FAILED, reason)]


def email_provider_id(raw: bytes) -> str:
    """The id that recognises the same email however it reaches us (IMAP, webhook, file): its
    Message-ID, or a hash of its bytes when it has none."""
    try:
        value = _header_parser.parsebytes(raw).get("Message-ID", "") or ""
        message_id = "".join(str(value).splitlines()).strip()
        # Bytes that are not ASCII come as surrogates: as the default policy shows them.
        message_id = message_id.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except Exception:
        message_id = ""
    well_formed = message_id.startswith("<") and message_id.endswith(">") and len(message_id) > 2
    if well_formed and not any(char.isspace() for char in message_id):
        return f"msgid:{message_id}"[:255]
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


class EmailAdapter(BaseChannelAdapter):
    channel = "email"

    def verify(self, request: HttpRequest) -> None:
        """ESP webhooks are verified by django-anymail's views; IMAP and files need no check."""

    def parse(self, event) -> list[ParsedItem]:
        from channels_app.models import Mailbox

        parsed = parse_email(bytes(event.raw))
        mailboxes = batch_memo("email.mailboxes", lambda: _mailboxes(Mailbox))
        auth = _authenticate(parsed, event, mailboxes)
        if parsed.bounce is not None:
            return _delivery_report(parsed, auth)
        if parsed.from_address in mailboxes:
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
        metadata[SENDER_AUTHENTICATED] = auth.authenticated
        metadata[SENDER_AUTH] = auth.metadata()
        esp_verdict = (event.headers or {}).get("esp_verdict") or {}
        if esp_verdict.get("spam_detected") is not None:
            metadata["spam_detected"] = esp_verdict["spam_detected"]
        envelope_recipient = (event.headers or {}).get("envelope_recipient")
        recipients = parsed.message.recipients
        if envelope_recipient:  # an ESP's: a Bcc to a note address is in no header
            recipients = (*recipients, str(envelope_recipient).lower())
        return [replace(parsed.message, metadata=metadata, recipients=recipients)]

    def send(self, message: Message) -> str:
        from .outbound import send_email_message

        return send_email_message(message)

    def send_batch(self, messages: list[Message]) -> Iterator[tuple[Message, str | ChannelError]]:
        from .outbound import send_email_messages

        return send_email_messages(messages)


__all__ = ["ChannelError", "EmailAdapter", "email_provider_id"]
