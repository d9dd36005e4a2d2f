"""The parts of an email that are files: their bytes, a safe file name, and whether the body
shows them inline. An attached email (message/rfc822) is kept as the bytes of an .eml file."""

import base64
import binascii
import io
import mimetypes
import quopri
import re
from dataclasses import dataclass
from email import message as legacy_message
from email import policy
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser

from tickets.inbound import InboundAttachment

from .bounce import ENCLOSED_MESSAGE_TYPES
from .charset import unsurrogate
from .headers import CONTROL, POLICY, header_text, one_line, raw_values

# Enclosed messages are written back byte for byte: no refolding of their headers.
GENERATOR_POLICY = policy.default.clone(refold_source="none")
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


@dataclass
class _Attachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str
    disposition: str


class AttachmentCollector:
    """The file parts met while walking the MIME tree, in order. Problems are appended to the
    `warnings` list it is given."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        self._attachments: list[_Attachment] = []

    def add(self, part: Message) -> None:
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
                content_id=one_line(unsurrogate(content_id)).strip("<>").strip(),
                disposition=disposition,
            )
        )

    def inbound(self, body_html: str) -> list[InboundAttachment]:
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

    def _filename(self, part: Message, content_type: str, content: bytes) -> str:
        try:
            name = part.get_filename() or ""
        except Exception:
            name = ""
        raw = raw_values(part, "Content-Disposition") + raw_values(part, "Content-Type")
        if any("\\" in value for value in raw):
            name = _legacy_filename(part) or name
        name = CONTROL.sub("", unsurrogate(name))
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
                subject = one_line(header_text(headers, "Subject"))
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


def _legacy_filename(part: Message) -> str:
    """policy=default reads filename="C:\\TEMP\\x.png" as a quoted string and drops the
    backslashes ("C:TEMPx.png"); the legacy (compat32) parser keeps them, so the base name can be
    found."""
    legacy = legacy_message.Message()
    for header in ("Content-Disposition", "Content-Type"):
        for value in raw_values(part, header):
            legacy[header] = value
    try:
        return str(make_header(decode_header(legacy.get_filename() or "")))
    except Exception:
        return ""
