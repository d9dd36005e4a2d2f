"""Delivery status notifications (bounces): RFC 3464 multipart/report DSNs, and the non-standard
plain-text bounces some servers still send. Reads a message the standard library already parsed."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser

# A well-formed Message-ID: "<left@right>", no spaces, no nested brackets.
MESSAGE_ID = re.compile(r"<([^<>\s@]+@[^<>\s@]+)>")
DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
ENCLOSED_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
ENCLOSED_HEADERS_TYPES = frozenset({"text/rfc822-headers", "message/global-headers"})
ACTIONS = ("failed", "delayed", "delivered", "relayed", "expanded")  # most important first
DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})
DIAGNOSTIC_MAX = 1000
MAX_PARTS = 500

STATUS_CODE = re.compile(r"(?<![\d.])([45]\.\d{1,3}\.\d{1,3})(?![\d.])")
BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status notification|failure|failed|has failed|problem|incomplete)"
    r"|returned mail|mail delivery (?:failed|failure|subsystem)|failure notice"
    r"|could not be delivered|non-?delivery|delivery notification"
    r"|n[ãa]o (?:foi )?entregue|falha (?:na|de) entrega|no se (?:ha )?podido entregar"
    r"|unzustellbar|non remis",
    re.IGNORECASE,
)
DELAY_WORDS = re.compile(
    r"\(delay\)|\bdelayed\b|\bwarning\b|will (?:keep|continue) trying|still (?:undelivered|trying)"
    r"|not yet been delivered|temporar",
    re.IGNORECASE,
)
# Where a plain-text bounce starts quoting the message that bounced.
ORIGINAL_MARKER = re.compile(
    r"^[ \t>*-]*(?:original message|(?:this is )?a copy of the message|below this line is a copy"
    r"|original message follows|returned message|undelivered message"
    r"|headers of the original message|mensagem original)\b",
    re.IGNORECASE | re.MULTILINE,
)
TEXT_MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
ADDRESS = r"[^\s<>@,;:\"'()\[\]]+@[^\s<>@,;:\"'()\[\]]+\.[^\s<>@,;:\"'()\[\]]+"
ADDRESS_ANYWHERE = re.compile(ADDRESS)
# "<user@host>: host ... said: 550 ..." (Postfix), "<user@host>... Deferred" (Sendmail), or an
# address alone on its line (Gmail).
TEXT_RECIPIENT = re.compile(
    r"^[ \t]*<?(" + ADDRESS + r")>?[ \t]*(?::|\.\.\.|$)", re.IGNORECASE | re.MULTILINE
)
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class BounceReport:
    original_message_ids: tuple[str, ...]  # Message-IDs ("<...>") of our message(s) that bounced
    recipients: tuple[str, ...]  # failed recipients
    action: str  # failed, delayed, delivered, relayed, expanded (lower-case)
    status: str  # e.g. "5.1.1" ("" if unknown)
    diagnostic: str  # Diagnostic-Code text or the human explanation, trimmed to ~1000 chars
    permanent: bool  # True for failed/5.x.x; False for delayed/4.x.x


def message_ids(value: str) -> list[str]:
    """The well-formed Message-IDs in a header value, in order ("<invalid." ones are dropped)."""
    return [f"<{found}>" for found in MESSAGE_ID.findall(value or "")]


def parse_bounce(message: Message, *, text: str, sender: str, subject: str) -> BounceReport | None:
    """The bounce report `message` carries, or None when it is not a bounce. `text` is the
    message's human-readable text, `sender` its lower-cased From address."""
    parts = list(_parts(message))
    dsn_parts = [part for part in parts if part.get_content_type() in DSN_TYPES]
    is_report = message.get_content_type() == "multipart/report"
    report_type = str(message.get_param("report-type", "") or "").lower() if is_report else ""
    failed_header = " ".join(_headers(message, "X-Failed-Recipients"))
    if not (dsn_parts or (is_report and report_type == "delivery-status") or failed_header):
        daemon = sender.partition("@")[0] in DAEMON_LOCAL_PARTS or _null_return_path(message)
        if not (daemon and BOUNCE_SUBJECT.search(subject or "")):
            return None

    entries = [entry for part in dsn_parts for entry in _dsn_entries(part)]
    explanation = _explanation(text)
    action, recipients, status, diagnostic = _from_entries(entries)
    if not recipients:
        recipients = _unique(a.lower() for a in ADDRESS_ANYWHERE.findall(failed_header))
    if not recipients:
        recipients = _unique(a.lower() for a in TEXT_RECIPIENT.findall(explanation))
        recipients = [r for r in recipients if r != sender]
    if not status:
        found = STATUS_CODE.search(diagnostic or explanation)
        status = found.group(1) if found else ""
    if not action:  # a plain-text bounce: the status class, else its words, tell
        if status:
            delayed = status.startswith("4")
        else:
            delayed = bool(DELAY_WORDS.search(f"{subject}\n{explanation[:2000]}"))
        action = "delayed" if delayed else "failed"
    if not diagnostic:
        diagnostic = explanation
    if action == "failed":
        permanent = True
    elif action in ACTIONS:
        permanent = False
    else:
        permanent = status.startswith("5")
    return BounceReport(
        original_message_ids=tuple(_original_ids(message, parts, text)),
        recipients=tuple(recipients),
        action=action,
        status=status,
        diagnostic=_trim(diagnostic),
        permanent=permanent,
    )


def _parts(message: Message) -> Iterator[Message]:
    """Every MIME part, without entering enclosed messages (message/rfc822 is one part)."""
    stack = [message]
    seen = 0
    while stack and seen < MAX_PARTS:
        part = stack.pop(0)
        seen += 1
        yield part
        if part.get_content_maintype() == "multipart":
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(sub for sub in payload if isinstance(sub, Message))


def _headers(message: Message, name: str) -> list[str]:
    """Every value of a header, unfolded; none when it cannot be read."""
    try:
        values = message.get_all(name) or []
        return [_clean(" ".join(str(value).split())) for value in values]
    except Exception:  # a malformed header in a machine-written report: treat as absent
        return []


def _header(message: Message, name: str) -> str:
    values = _headers(message, name)
    return values[0] if values else ""


def _clean(value: str) -> str:
    return _SURROGATES.sub("\ufffd", value).replace("\x00", "")


def _null_return_path(message: Message) -> bool:
    return any(value.replace(" ", "") == "<>" for value in _headers(message, "Return-Path"))


def _dsn_entries(part: Message) -> list[dict[str, str]]:
    """One dict per recipient block of a message/delivery-status part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = [block for block in payload if isinstance(block, Message)]
    else:
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:
            data = b""
        parser = BytesParser(policy=policy.default)
        blocks = [
            parser.parsebytes(chunk, headersonly=True)
            for chunk in re.split(rb"\r?\n[ \t]*\r?\n", data)
            if chunk.strip()
        ]
    entries = []
    for block in blocks:
        recipient = _typed_value(_header(block, "Final-Recipient")) or _typed_value(
            _header(block, "Original-Recipient")
        )
        action = (_header(block, "Action").lower().split() or [""])[0]
        if not (recipient or action):
            continue  # the per-message block (Reporting-MTA, Arrival-Date)
        status = STATUS_CODE.search(_header(block, "Status")) or re.search(
            r"\d\.\d{1,3}\.\d{1,3}", _header(block, "Status")
        )
        entries.append(
            {
                "recipient": recipient.strip("<>").lower(),
                "action": action,
                "status": status.group(0) if status else "",
                "diagnostic": _typed_value(_header(block, "Diagnostic-Code")),
            }
        )
    return entries


def _typed_value(value: str) -> str:
    """'rfc822; user@host' -> 'user@host'; 'smtp; 550 ...' -> '550 ...'."""
    if ";" in value:
        value = value.split(";", 1)[1]
    return value.strip()


def _from_entries(entries: list[dict[str, str]]) -> tuple[str, list[str], str, str]:
    if not entries:
        return "", [], "", ""
    actions = [entry["action"] for entry in entries if entry["action"]]
    known = [action for action in ACTIONS if action in actions]
    action = known[0] if known else (actions[0] if actions else "")
    chosen = [entry for entry in entries if entry["action"] == action] if action else entries
    recipients = _unique(entry["recipient"] for entry in chosen if entry["recipient"])
    status = next((entry["status"] for entry in chosen if entry["status"]), "")
    diagnostic = next((entry["diagnostic"] for entry in chosen if entry["diagnostic"]), "")
    return action, recipients, status, diagnostic


def _explanation(text: str) -> str:
    """The human part of a bounce: its text before the quoted original message."""
    marker = ORIGINAL_MARKER.search(text or "")
    return (text[: marker.start()] if marker else text or "").strip()


def _original_ids(message: Message, parts: list[Message], text: str) -> list[str]:
    ids: list[str] = []
    for part in parts:
        content_type = part.get_content_type()
        if content_type in ENCLOSED_MESSAGE_TYPES:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                ids += message_ids(_header(payload[0], "Message-ID"))
        elif content_type in ENCLOSED_HEADERS_TYPES:
            ids += _enclosed_headers_ids(part)
    if not ids and text:
        marker = ORIGINAL_MARKER.search(text)
        quoted = text[marker.end() :] if marker else text
        ids += [found for found in TEXT_MESSAGE_ID.findall(quoted) if MESSAGE_ID.fullmatch(found)]
    if not ids:
        ids += message_ids(" ".join(_headers(message, "In-Reply-To")))
        ids += list(reversed(message_ids(" ".join(_headers(message, "References")))))
    return _unique(ids)


def _enclosed_headers_ids(part: Message) -> list[str]:
    """The Message-ID in a text/rfc822-headers part (the headers of the message that bounced)."""
    try:
        data = part.get_payload(decode=True) or b""
        headers = BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
    except Exception:
        return []
    return message_ids(_header(headers, "Message-ID"))


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))


def _trim(value: str) -> str:
    value = re.sub(r"\s+", " ", value).strip()
    return value if len(value) <= DIAGNOSTIC_MAX else value[: DIAGNOSTIC_MAX - 1].rstrip() + "…"
