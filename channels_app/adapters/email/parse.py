"""Parse one raw RFC 5322 email into what the core needs: a NormalizedMessage, plus what the email
channel itself acts on (bounce reports, auto-reply detection, recipients).

MIME is the standard library's (`email`, policy=default); this module adds what real mail needs on
top: charset fallbacks for mislabeled parts and raw 8-bit headers, readable text from HTML-only
mail, attachment names, loop detection (RFC 3834) and the reply/quote split.
"""

import base64
import binascii
import codecs
import io
import logging
import mimetypes
import quopri
import re
from dataclasses import asdict, dataclass
from email import message as legacy_message
from email import policy
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value, getaddresses, parseaddr, parsedate_to_datetime

from channels_app.adapters.base import ChannelError
from tickets.inbound import InboundAttachment, NormalizedMessage

from .bounce import (
    DAEMON_LOCAL_PARTS,
    DSN_TYPES,
    ENCLOSED_MESSAGE_TYPES,
    BounceReport,
    message_ids,
    parse_bounce,
)
from .quotes import html_to_text, split_reply, unflow

__all__ = ["BounceReport", "ParsedEmail", "decode_bytes", "html_to_text", "parse_email"]

logger = logging.getLogger(__name__)

POLICY = policy.default
# Enclosed messages are written back byte for byte: no refolding of their headers.
GENERATOR_POLICY = policy.default.clone(refold_source="none")
MAX_DEPTH = 40  # MIME nesting followed; deeper parts are not read (with a warning)
MAX_PARTS = 2000  # MIME parts looked at; the rest of a pathological message is ignored
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")

# Labels mail software writes that Python's codec registry does not know, or knows as a smaller
# charset than the one mailers actually use (WHATWG Encoding Standard).
CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "x-gbk": "gbk",
    "gb2312": "gbk",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso8859-8",
    "x-mac-roman": "mac-roman",
    "cp-850": "cp850",
}
# Codecs that are not charsets, even if Python can "decode" with them.
NOT_CHARSETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"})
# Single-byte charsets decode any bytes, so a UTF-8 text mislabeled as one of them never fails:
# valid UTF-8 with non-ASCII bytes is taken as UTF-8.
SINGLE_BYTE = re.compile(
    r"^(?:ascii|latin-1|iso8859-\d+|cp125\d|cp874|cp437|cp85\d|koi8-[a-z]+|mac-[a-z]+)$"
)
# The labels that mean "Western European" in practice: decoded as Windows-1252 (a superset).
WESTERN = frozenset({"ascii", "iso8859-1", "latin-1", "cp1252"})
DEFAULT_NAMES = {
    "application/ms-tnef": "winmail.dat",
    "application/vnd.ms-tnef": "winmail.dat",
    "application/pkcs7-signature": "smime.p7s",
    "application/x-pkcs7-signature": "smime.p7s",
    "application/pkcs7-mime": "smime.p7m",
    "application/x-pkcs7-mime": "smime.p7m",
    "application/pgp-signature": "signature.asc",
    "application/pgp-encrypted": "encrypted.asc",
    "text/calendar": "invite.ics",
    "text/rfc822-headers": "original-headers.txt",
    "message/global-headers": "original-headers.txt",
    "message/disposition-notification": "disposition-notification.txt",
}
_MIME_TYPES = mimetypes.MimeTypes()  # the built-in table only: same names on every system
_SURROGATE_RUN = re.compile("[\udc80-\udcff]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ParsedEmail:
    message: NormalizedMessage
    message_id: str
    from_address: str
    to_addresses: tuple[str, ...]  # To + Cc + Delivered-To/X-Original-To addresses, lower-cased
    auto_reason: str  # "" when a human wrote it; else why it is automatic
    bounce: BounceReport | None
    warnings: tuple[str, ...]


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse a raw email. Raises ChannelError(code="no_sender", permanent=True) when it has no
    usable From address; any other damage is repaired or reported in `warnings`."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw or b"")
    msg, warnings = _parse_mime(raw)
    sender_name, sender = _sender(msg)
    subject = _one_line(_header_text(msg, "Subject"))
    message_id = _message_id(msg)
    if not message_id:
        warnings.append(
            "The email has no Message-ID: a second delivery of it cannot be recognised."
        )

    collector = _BodyCollector()
    try:
        segments = collector.walk(msg, 0)
    except Exception:  # the stdlib tree of a damaged message: keep what was collected
        logger.warning("email body could not be read", exc_info=True)
        segments = []
        warnings.append("Part of the email's body could not be read.")
    warnings += collector.warnings
    body_text, body_html = _join_segments(segments)

    try:
        bounce = parse_bounce(msg, text=body_text, sender=sender, subject=subject)
    except Exception:
        logger.warning("bounce report could not be read", exc_info=True)
        bounce = None
        warnings.append("The delivery report in this email could not be read.")
    auto_reason = _auto_reason(msg, sender, bounce)
    reply_text, quoted_text = split_reply(body_text)
    attachments = collector.attachments(body_html)
    warnings = list(dict.fromkeys(warnings))

    metadata = {
        "from": _format_address(sender_name, sender),
        "to": [_format_address(*pair) for pair in _addresses(msg, "To")],
        "cc": [_format_address(*pair) for pair in _addresses(msg, "Cc")],
        "reply_to": ", ".join(_format_address(*pair) for pair in _addresses(msg, "Reply-To")),
        "date": _date(msg),
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
        address.lower() for name in RECIPIENT_HEADERS for _, address in _addresses(msg, name)
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
        reply_to_ids=tuple(_reply_to_ids(msg)),
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
    )


# --- MIME and headers ---------------------------------------------------------------------------


def _parse_mime(raw: bytes) -> tuple[Message, list[str]]:
    warnings: list[str] = []
    try:
        msg = BytesParser(policy=POLICY).parsebytes(raw)
    except Exception:  # e.g. RecursionError on absurd nesting: fall back to the headers
        logger.warning("email MIME structure could not be parsed", exc_info=True)
        warnings.append(
            "The email's MIME structure could not be parsed; only its headers were read."
        )
        try:
            msg = BytesParser(policy=POLICY).parsebytes(raw, headersonly=True)
        except Exception:
            msg = Message(policy=POLICY)
    defects = []
    for part in _limited_walk(msg):
        defects += [type(defect).__name__ for defect in getattr(part, "defects", ())]
    if defects:
        warnings.append("Malformed MIME repaired: " + ", ".join(dict.fromkeys(defects)) + ".")
    return msg, warnings


def _limited_walk(msg: Message):
    stack, seen = [msg], 0
    while stack and seen < MAX_PARTS:
        part = stack.pop()
        seen += 1
        yield part
        if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
            stack.extend(sub for sub in part.get_payload() if isinstance(sub, Message))


def decode_bytes(data: bytes) -> str:
    """Text of unknown encoding: UTF-8 when it is valid UTF-8, else Windows-1252 (what "Latin-1"
    means in practice), else Latin-1, which decodes anything."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _unsurrogate(value: str) -> str:
    """Raw 8-bit bytes the parser kept as surrogate escapes, decoded as UTF-8 or Windows-1252."""
    if not value:
        return ""
    value = _SURROGATE_RUN.sub(
        lambda run: decode_bytes(run.group().encode("ascii", "surrogateescape")), value
    )
    return _LONE_SURROGATE.sub("\ufffd", value).replace("\x00", "")


def _raw_values(msg: Message, name: str) -> list[str]:
    """The header's values as they were in the source, unfolded, raw 8-bit bytes decoded."""
    wanted = name.lower()
    try:
        items = msg.raw_items()
        values = [str(value) for key, value in items if key.lower() == wanted]
    except Exception:
        return []
    return [_unsurrogate("".join(value.splitlines())) for value in values]


def _header_text(msg: Message, name: str) -> str:
    values = _raw_values(msg, name)
    if not values:
        return ""
    try:
        text = str(POLICY.header_factory(name, values[0]))
    except Exception:  # the header parser choked: RFC 2047 words decoded the old way
        try:
            text = str(make_header(decode_header(values[0])))
        except Exception:
            text = values[0]
    return _unsurrogate(text)


def _one_line(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header (all occurrences), valid ones only."""
    pairs: list[tuple[str, str]] = []
    for value in _raw_values(msg, name):
        try:
            header = POLICY.header_factory("to", value)  # any name parses as an address list
            found = [(item.display_name, item.addr_spec) for item in header.addresses]
        except Exception:
            try:
                found = getaddresses([value])
            except Exception:
                found = []
        for display_name, address in found:
            address = _unsurrogate(address).strip().strip("<>")
            if re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", address):
                pairs.append((_one_line(_unsurrogate(display_name or "")), address))
    return pairs


def _sender(msg: Message) -> tuple[str, str]:
    pairs = _addresses(msg, "From")
    if not pairs:
        shown = _header_text(msg, "From")[:100]
        reason = f"unusable From header {shown!r}" if shown else "no From header"
        raise ChannelError(
            f"Email without a sender address ({reason}).", permanent=True, code="no_sender"
        )
    name, address = pairs[0]
    if not name:  # "MAILER-DAEMON@host (Mail Delivery System)": the comment is the name
        try:
            name = _one_line(parseaddr(_raw_values(msg, "From")[0])[0])
        except Exception:
            name = ""
    return name.strip("\"' "), address.lower()


def _message_id(msg: Message) -> str:
    value = " ".join(_raw_values(msg, "Message-ID")[:1]).strip()
    if not value:
        return ""
    ids = message_ids(value)
    if ids:
        return ids[0]
    bracketed = re.search(r"<([^<>\s]+)>", value)
    if bracketed:
        return f"<{bracketed.group(1)}>"
    token = value.split()[0].strip("<>")
    return f"<{token}>" if token else ""


def _reply_to_ids(msg: Message) -> list[str]:
    """In-Reply-To first, then References newest first; well-formed ids only, each once."""
    in_reply_to = message_ids(" ".join(_raw_values(msg, "In-Reply-To")))
    references = message_ids(" ".join(_raw_values(msg, "References")))
    return list(dict.fromkeys([*in_reply_to, *reversed(references)]))


def _date(msg: Message) -> str:
    value = _one_line(" ".join(_raw_values(msg, "Date")[:1]))
    if not value:
        return ""
    try:
        return parsedate_to_datetime(value).isoformat()
    except Exception:  # ValueError, TypeError, OverflowError... on dates seen in the wild
        return value


def _format_address(name: str, address: str) -> str:
    if not name:
        return address
    if re.search(r'[,;:<>@"()\[\]\\]', name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def _auto_reason(msg: Message, sender: str, bounce: BounceReport | None) -> str:
    """Why this email was written by a machine (RFC 3834 and common practice), or ""."""
    if msg.get_content_type() == "multipart/report":
        report_type = _param(msg, "report-type").lower()
        if report_type == "disposition-notification":
            return "disposition notification (read receipt)"
        if bounce is not None or report_type == "delivery-status":
            return "delivery status notification"
        return f"multipart/report ({report_type or 'unknown type'})"
    if bounce is not None:
        return "delivery status notification"
    auto_submitted = re.match(r"[a-z0-9-]+", _header_text(msg, "Auto-Submitted").strip().lower())
    if auto_submitted and auto_submitted.group() != "no":
        return f"Auto-Submitted: {auto_submitted.group()}"
    precedence = _header_text(msg, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        values = _raw_values(msg, name)
        if values and values[0].strip().lower() not in ("no", "false", "0"):
            return name
    if _raw_values(msg, "X-Auto-Response-Suppress"):
        return "X-Auto-Response-Suppress"
    local_part = sender.partition("@")[0]
    if local_part in DAEMON_LOCAL_PARTS:
        return f"{local_part} sender"
    if any(value.replace(" ", "") == "<>" for value in _raw_values(msg, "Return-Path")):
        return "empty Return-Path"
    return ""


def _param(part: Message, name: str, header: str = "content-type") -> str:
    try:
        value = part.get_param(name, None, header=header)
    except Exception:
        return ""
    if isinstance(value, tuple):  # an RFC 2231 value
        value = collapse_rfc2231_value(value)
    return _unsurrogate(str(value or "")).strip()


# --- body and attachments -----------------------------------------------------------------------


@dataclass
class _Segment:
    text: str | None = None
    html: str | None = None


@dataclass
class _Attachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str
    disposition: str


class _BodyCollector:
    """Walks the MIME tree once: the parts that make the message's body, in order, and the rest
    as attachments."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self._attachments: list[_Attachment] = []
        self._parts = 0

    def walk(self, part: Message, depth: int) -> list[_Segment]:
        self._parts += 1
        if self._parts > MAX_PARTS:
            if self._parts == MAX_PARTS + 1:
                self.warnings.append(
                    f"The email has more than {MAX_PARTS} parts; the rest is ignored."
                )
            return []
        content_type = part.get_content_type()
        if part.get_content_maintype() == "multipart":
            return self._multipart(part, depth)
        if content_type in DSN_TYPES:
            return []  # read by the bounce parser
        if content_type in ("text/plain", "text/html") and not self._is_attachment(part, depth):
            text = self._text(part)
            if content_type == "text/plain":
                return [_Segment(text=text)]
            return [_Segment(html=text)]
        self._attach(part)
        return []

    def _multipart(self, part: Message, depth: int) -> list[_Segment]:
        children = part.get_payload()
        if not isinstance(children, list):  # a multipart with no boundary found: keep its text
            text = self._text(part)
            return [_Segment(text=text)] if text.strip() else []
        children = [child for child in children if isinstance(child, Message)]
        if depth >= MAX_DEPTH:
            self.warnings.append("The email is nested too deeply; inner parts were not read.")
            return []
        subtype = part.get_content_subtype()
        if subtype == "alternative":
            return self._alternative(children, depth)
        if subtype == "related" and children:
            root = self._related_root(part, children)
            segments = self.walk(root, depth + 1)
            for child in children:
                if child is root:
                    continue
                if child.get_content_maintype() == "multipart":
                    segments += self.walk(child, depth + 1)
                else:
                    self._attach(child)
            return segments
        segments = []
        for child in children:
            segments += self.walk(child, depth + 1)
        return segments

    def _alternative(self, children: list[Message], depth: int) -> list[_Segment]:
        plain: str | None = None
        rich: list[_Segment] = []
        for child in children:
            content_type = child.get_content_type()
            if content_type == "text/plain" and not self._is_attachment(child):
                plain = self._text(child)
            elif (content_type == "text/html" and not self._is_attachment(child)) or (
                child.get_content_maintype() == "multipart"
            ):
                rich = self.walk(child, depth + 1) or rich
            else:  # text/calendar, text/enriched...: kept as files
                self._attach(child)
        if not rich:
            return [_Segment(text=plain)] if plain is not None else []
        html = "\n".join(_segment_html(segment) for segment in rich)
        if plain is None or not plain.strip():
            plain = "\n\n".join(_segment_text(segment) for segment in rich)
        return [_Segment(text=plain, html=html)]

    @staticmethod
    def _related_root(part: Message, children: list[Message]) -> Message:
        start = _param(part, "start").strip("<>")
        if start:
            for child in children:
                if str(child.get("Content-ID", "")).strip().strip("<>") == start:
                    return child
        return children[0]

    @staticmethod
    def _is_attachment(part: Message, depth: int = 1) -> bool:
        """A text part is a file when it says so, or has a file name (not the top-level part:
        a one-part email is its own body)."""
        try:
            disposition = part.get_content_disposition()
            filename = part.get_filename()
        except Exception:
            return False
        return disposition == "attachment" or (bool(filename) and depth > 0)

    def _text(self, part: Message) -> str:
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        if data is None:
            payload = part.get_payload()
            data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        text, warning = decode_text(data, _param(part, "charset"))
        if warning:
            self.warnings.append(warning)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if _param(part, "format").lower() == "flowed":
            text = unflow(text, delsp=_param(part, "delsp").lower() == "yes")
        return text

    def _attach(self, part: Message) -> None:
        content_type = part.get_content_type()
        if content_type in ENCLOSED_MESSAGE_TYPES or isinstance(part.get_payload(), list):
            content = self._enclosed_message_bytes(part)  # message/*: parsed into a subtree
        else:
            try:
                content = part.get_payload(decode=True) or b""
            except Exception:
                content = b""
                self.warnings.append(f"An attachment ({content_type}) could not be decoded.")
        try:
            content_id = str(part.get("Content-ID", "") or "")
            disposition = part.get_content_disposition() or ""
        except Exception:
            content_id, disposition = "", ""
        self._attachments.append(
            _Attachment(
                filename=self._filename(part, content_type, content),
                content_type=content_type,
                content=content,
                content_id=_one_line(_unsurrogate(content_id)).strip("<>").strip(),
                disposition=disposition,
            )
        )

    def _filename(self, part: Message, content_type: str, content: bytes) -> str:
        try:
            name = part.get_filename() or ""
        except Exception:
            name = ""
        raw = _raw_values(part, "Content-Disposition") + _raw_values(part, "Content-Type")
        if any("\\" in value for value in raw):
            name = _legacy_filename(part) or name
        name = _CONTROL.sub("", _unsurrogate(name))
        name = re.split(r"[\\/]", name)[-1].strip()
        if name in ("", ".", ".."):
            return self._default_name(content_type, content)
        if len(name) > 200:
            stem, dot, extension = name.rpartition(".")
            name = f"{stem[: 190 - len(extension)]}.{extension}" if dot else name[:200]
        return name

    def _default_name(self, content_type: str, content: bytes) -> str:
        if content_type in DEFAULT_NAMES:
            return DEFAULT_NAMES[content_type]
        if content_type in ENCLOSED_MESSAGE_TYPES:  # named after its subject
            try:
                headers = BytesParser(policy=POLICY).parsebytes(content, headersonly=True)
                subject = _one_line(_header_text(headers, "Subject"))
            except Exception:
                subject = ""
            stem = re.sub(r'[\\/:*?"<>|]+', "_", subject).strip(" ._")[:80]
            return f"{stem or 'forwarded-message'}.eml"
        maintype = content_type.partition("/")[0]
        stem = maintype if maintype in ("image", "audio", "video") else "attachment"
        extension = _MIME_TYPES.guess_extension(content_type, strict=False) or ".bin"
        return f"{stem}-{len(self._attachments) + 1}{extension}"

    def _enclosed_message_bytes(self, part: Message) -> bytes:
        """An attached email (message/rfc822), as the bytes of an .eml file."""
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            try:
                return part.get_payload(decode=True) or b""
            except Exception:
                return b""
        buffer = io.BytesIO()
        try:
            BytesGenerator(buffer, mangle_from_=False, policy=GENERATOR_POLICY).flatten(inner)
            data = buffer.getvalue()
        except Exception:
            try:
                data = str(inner).encode("utf-8", "surrogateescape")
            except Exception:
                self.warnings.append("An attached email could not be kept.")
                return b""
        # Some mailers base64-encode message/rfc822 parts (RFC 2046 forbids it): undo that.
        encoding = str(part.get("Content-Transfer-Encoding", "") or "").strip().lower()
        try:
            if encoding == "base64":
                data = base64.b64decode(data)
            elif encoding == "quoted-printable":
                data = quopri.decodestring(data)
        except (binascii.Error, ValueError):
            pass
        return data

    def attachments(self, body_html: str) -> list[InboundAttachment]:
        """The attachments; inline when shown inside the message (disposition inline or an image
        the HTML body refers to by cid:)."""
        referenced = {match.lower() for match in re.findall(r"cid:([^\"'\s>)]+)", body_html or "")}
        return [
            InboundAttachment(
                filename=item.filename,
                content_type=item.content_type,
                content=item.content,
                content_id=item.content_id,
                is_inline=item.disposition == "inline"
                or (bool(item.content_id) and item.content_id.lower() in referenced),
            )
            for item in self._attachments
        ]


def _legacy_filename(part: Message) -> str:
    """policy=default reads filename="C:\\TEMP\\x.png" as a quoted string and drops the
    backslashes ("C:TEMPx.png"); the legacy (compat32) parser keeps them, so the base name can be
    found."""
    legacy = legacy_message.Message()
    for header in ("Content-Disposition", "Content-Type"):
        for value in _raw_values(part, header):
            legacy[header] = value
    try:
        return str(make_header(decode_header(legacy.get_filename() or "")))
    except Exception:
        return ""


def decode_text(data: bytes, charset: str) -> tuple[str, str]:
    """(text, warning): bytes of a text part decoded with its declared charset, falling back to
    UTF-8 then Windows-1252 when the label is unknown or wrong. Never raises."""
    if not data:
        return "", ""
    label = charset.strip().strip("\"'").lower()
    codec = _codec(label)
    if label and codec is None:
        warning = f"Unknown charset {label!r}; the text was decoded as UTF-8/Windows-1252."
        return decode_bytes(data), warning
    if codec is None or SINGLE_BYTE.match(codec):
        if not data.isascii():
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                warning = f"Text declared {label!r} was UTF-8." if label else ""
                return text, warning
        if codec is None or codec in WESTERN:
            return decode_bytes(data), ""
        return data.decode(codec, "replace"), ""
    try:
        return data.decode(codec), ""
    except (UnicodeError, LookupError, ValueError, TypeError):
        warning = f"Text declared {label!r} was not valid {label}; decoded with a fallback."
    if codec.startswith("utf") or _is_utf8(data):
        return decode_bytes(data), warning
    return data.decode(codec, "replace"), warning  # a multi-byte charset with a few bad bytes


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _codec(label: str) -> str | None:
    if not label:
        return None
    try:
        info = codecs.lookup(CHARSET_ALIASES.get(label, label))
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in NOT_CHARSETS:
        return None
    return info.name


def _segment_text(segment: _Segment) -> str:
    if segment.text is not None:
        return segment.text
    return html_to_text(segment.html or "")


def _segment_html(segment: _Segment) -> str:
    if segment.html is not None:
        return segment.html
    escaped = (segment.text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<div style="white-space: pre-wrap">{escaped}</div>'


def _join_segments(segments: list[_Segment]) -> tuple[str, str]:
    """(body_text, body_html) of the message's body parts, in order."""
    texts = [_segment_text(segment).strip("\n").rstrip() for segment in segments]
    body_text = "\n\n".join(text for text in texts if text.strip())
    body_html = ""
    if any(segment.html is not None for segment in segments):
        body_html = "\n".join(_segment_html(segment) for segment in segments)
    return body_text.replace("\x00", ""), body_html.replace("\x00", "")
