"""The MIME tree of an email and the parts that make its body: parsed once, walked once, text
parts decoded (charset repair, format=flowed), alternatives chosen, the rest handed to the
attachment collector."""

import logging
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser

from .attachments import AttachmentCollector
from .bounce import DSN_TYPES
from .charset import decode_text
from .headers import POLICY, param
from .quotes import html_to_text, unflow

logger = logging.getLogger(__name__)

MAX_DEPTH = 40  # MIME nesting followed; deeper parts are not read (with a warning)
MAX_PARTS = 2000  # MIME parts looked at; the rest of a pathological message is ignored


def parse_mime(raw: bytes) -> tuple[Message, list[str]]:
    """The standard library's tree of the message, and warnings about what had to be repaired."""
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


@dataclass
class Segment:
    text: str | None = None
    html: str | None = None


class BodyCollector:
    """Walks the MIME tree once: the parts that make the message's body, in order, and the rest
    as attachments (in `files`)."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.files = AttachmentCollector(self.warnings)
        self._parts = 0

    def walk(self, part: Message, depth: int) -> list[Segment]:
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
                return [Segment(text=text)]
            return [Segment(html=text)]
        self.files.add(part)
        return []

    def _multipart(self, part: Message, depth: int) -> list[Segment]:
        children = part.get_payload()
        if not isinstance(children, list):  # a multipart with no boundary found: keep its text
            text = self._text(part)
            return [Segment(text=text)] if text.strip() else []
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
                    self.files.add(child)
            return segments
        segments = []
        for child in children:
            segments += self.walk(child, depth + 1)
        return segments

    def _alternative(self, children: list[Message], depth: int) -> list[Segment]:
        plain: str | None = None
        rich: list[Segment] = []
        for child in children:
            content_type = child.get_content_type()
            if content_type == "text/plain" and not self._is_attachment(child):
                plain = self._text(child)
            elif (content_type == "text/html" and not self._is_attachment(child)) or (
                child.get_content_maintype() == "multipart"
            ):
                rich = self.walk(child, depth + 1) or rich
            else:  # text/calendar, text/enriched...: kept as files
                self.files.add(child)
        if not rich:
            return [Segment(text=plain)] if plain is not None else []
        html = "\n".join(_segment_html(segment) for segment in rich)
        if plain is None or not plain.strip():
            plain = "\n\n".join(_segment_text(segment) for segment in rich)
        return [Segment(text=plain, html=html)]

    @staticmethod
    def _related_root(part: Message, children: list[Message]) -> Message:
        start = param(part, "start").strip("<>")
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
        text, warning = decode_text(data, param(part, "charset"))
        if warning:
            self.warnings.append(warning)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if param(part, "format").lower() == "flowed":
            text = unflow(text, delsp=param(part, "delsp").lower() == "yes")
        return text


def _segment_text(segment: Segment) -> str:
    if segment.text is not None:
        return segment.text
    return html_to_text(segment.html or "")


def _segment_html(segment: Segment) -> str:
    if segment.html is not None:
        return segment.html
    escaped = (segment.text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<div style="white-space: pre-wrap">{escaped}</div>'


def join_segments(segments: list[Segment]) -> tuple[str, str]:
    """(body_text, body_html) of the message's body parts, in order."""
    texts = [_segment_text(segment).strip("\n").rstrip() for segment in segments]
    body_text = "\n\n".join(text for text in texts if text.strip())
    body_html = ""
    if any(segment.html is not None for segment in segments):
        body_html = "\n".join(_segment_html(segment) for segment in segments)
    return body_text.replace("\x00", ""), body_html.replace("\x00", "")
