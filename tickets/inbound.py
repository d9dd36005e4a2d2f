"""What a channel adapter hands to the core: one message, already parsed and normalized."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# What a channel found out about the sender, kept in the message's metadata: True when the
# channel proved who sent it (email: DMARC passed in alignment at a receiving host the operator
# trusts, or a mailbox whose mail server the operator trusts), False when it could not. Only an
# authenticated sender may choose where replies go, or write an internal note by email.
SENDER_AUTHENTICATED = "sender_authenticated"
SENDER_AUTH = "sender_auth"  # {"reason": ..., and what the channel checked (dmarc, spf, dkim)}


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    is_inline: bool = False


@dataclass(frozen=True)
class NormalizedMessage:
    channel: str  # Channel value: email, whatsapp, chat, web, sms, phone, api
    sender_kind: str  # CustomerIdentity.Kind of the sender
    sender_value: str
    sender_name: str = ""
    subject: str = ""
    body_text: str = ""
    body_html: str = ""  # untrusted: sanitized before it is stored
    external_id: str = ""  # the provider's message id (email Message-ID, WhatsApp wamid, ...)
    reply_to_ids: tuple[str, ...] = ()  # provider ids this message answers (In-Reply-To, context)
    recipients: tuple[str, ...] = ()  # where it was delivered (email: To, Cc, Delivered-To...)
    sent_at: datetime | None = None
    is_auto_reply: bool = False
    language: str = ""  # the sender's language when the channel knows it (a form's page language)
    attachments: tuple[InboundAttachment, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
