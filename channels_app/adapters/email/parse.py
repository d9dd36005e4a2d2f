"""Parse one raw RFC 5322 email into what the core needs: a NormalizedMessage, plus what the email
channel itself acts on (bounce reports, auto-reply detection, recipients).

MIME is the standard library's (`email`, policy=default); the modules beside this one add what
real mail needs on top: charset fallbacks for mislabeled parts and raw 8-bit headers (charset),
header reading and loop detection, RFC 3834 (headers), the body and its MIME walk (body), files
and attached emails (attachments), threading ids (references) and the reply/quote split (quotes).
"""

import logging
from dataclasses import asdict, dataclass

from tickets.inbound import NormalizedMessage

from . import headers
from .authentication import (
    AUTHENTICATION_RESULTS,
    AuthenticationResults,
    parse_authentication_results,
)
from .body import BodyCollector, join_segments, parse_mime
from .bounce import DAEMON_LOCAL_PARTS, BounceReport, parse_bounce
from .charset import decode_bytes, decode_text
from .quotes import html_to_text, split_reply
from .references import message_id as read_message_id
from .references import reply_to_ids

__all__ = [
    "BounceReport",
    "ParsedEmail",
    "decode_bytes",
    "decode_text",
    "html_to_text",
    "parse_email",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParsedEmail:
    message: NormalizedMessage
    message_id: str
    from_address: str
    to_addresses: tuple[str, ...]  # To + Cc + Delivered-To/X-Original-To addresses, lower-cased
    auto_reason: str  # "" when a human wrote it; else why it is automatic
    bounce: BounceReport | None
    warnings: tuple[str, ...]
    from_count: int = 1  # addresses in its From header(s): DMARC vouches for one only
    authentication_results: tuple[AuthenticationResults, ...] = ()  # top (latest) first
    # A bounce in the standard form (RFC 3464: multipart/report with a delivery-status part)
    # from a mail system (MAILER-DAEMON, postmaster, or the empty return path of bounces).
    standard_dsn: bool = False


def _standard_dsn(msg, sender: str, bounce: BounceReport | None) -> bool:
    if bounce is None or msg.get_content_type() != "multipart/report":
        return False
    if headers.param(msg, "report-type").lower() != "delivery-status":
        return False
    null_path = any(v.replace(" ", "") == "<>" for v in headers.raw_values(msg, "Return-Path"))
    return null_path or sender.partition("@")[0] in DAEMON_LOCAL_PARTS


def _authentication_results(msg) -> tuple[AuthenticationResults, ...]:
    return tuple(
        parse_authentication_results(value)
        for value in headers.raw_values(msg, AUTHENTICATION_RESULTS)[:50]
    )


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse a raw email. Raises ChannelError(code="no_sender", permanent=True) when it has no
    usable From address; any other damage is repaired or reported in `warnings`."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw or b"")
    msg, warnings = parse_mime(raw)
    sender_name, sender = headers.sender(msg)
    subject = headers.one_line(headers.header_text(msg, "Subject"))
    message_id = read_message_id(msg)
    if not message_id:
        warnings.append(
            "The email has no Message-ID: a second delivery of it cannot be recognised."
        )

    collector = BodyCollector()
    try:
        segments = collector.walk(msg, 0)
    except Exception:  # the stdlib tree of a damaged message: keep what was collected
        logger.warning("email body could not be read", exc_info=True)
        segments = []
        warnings.append("Part of the email's body could not be read.")
    warnings += collector.warnings
    body_text, body_html = join_segments(segments)

    try:
        bounce = parse_bounce(msg, text=body_text, sender=sender, subject=subject)
    except Exception:
        logger.warning("bounce report could not be read", exc_info=True)
        bounce = None
        warnings.append("The delivery report in this email could not be read.")
    auto_reason = headers.auto_reason(msg, sender, bounce)
    reply_text, quoted_text = split_reply(body_text)
    attachments = collector.files.inbound(body_html)
    warnings = list(dict.fromkeys(warnings))

    format_address = headers.format_address
    metadata = {
        "from": format_address(sender_name, sender),
        "to": [format_address(*pair) for pair in headers.addresses(msg, "To")],
        "cc": [format_address(*pair) for pair in headers.addresses(msg, "Cc")],
        "reply_to": ", ".join(format_address(*pair) for pair in headers.addresses(msg, "Reply-To")),
        "date": headers.date(msg),
        "message_id": message_id,
        "reply_text": reply_text,
        "quoted_text": quoted_text,
    }
    if auto_reason:
        metadata["auto_reason"] = auto_reason
    if bounce is not None:
        metadata["bounce"] = asdict(bounce)
    if warnings:
        metadata["warnings"] = warnings

    recipients = [
        address.lower()
        for name in headers.RECIPIENT_HEADERS
        for _, address in headers.addresses(msg, name)
    ]
    normalized = NormalizedMessage(
        channel="email",
        sender_kind="email",
        sender_value=sender,
        sender_name=sender_name,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        external_id=message_id,
        reply_to_ids=tuple(reply_to_ids(msg)),
        recipients=tuple(dict.fromkeys(recipients)),
        sent_at=None,
        is_auto_reply=bool(auto_reason),
        attachments=tuple(attachments),
        metadata=metadata,
    )
    return ParsedEmail(
        message=normalized,
        message_id=message_id,
        from_address=sender,
        to_addresses=tuple(dict.fromkeys(recipients)),
        auto_reason=auto_reason,
        bounce=bounce,
        warnings=tuple(warnings),
        from_count=len(headers.addresses(msg, "From")),
        authentication_results=_authentication_results(msg),
        standard_dsn=_standard_dsn(msg, sender, bounce),
    )
