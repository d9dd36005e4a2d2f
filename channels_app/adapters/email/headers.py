"""Reading a parsed email's headers: raw values with their 8-bit bytes repaired, decoded text,
address lists, the sender, the date, parameters, and whether a machine wrote the email."""

import base64
import re
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.utils import collapse_rfc2231_value, getaddresses, parseaddr, parsedate_to_datetime

from channels_app.adapters.base import ChannelError

from .bounce import DAEMON_LOCAL_PARTS, BounceReport
from .charset import unsurrogate


class _ParsedOnceRegistry(HeaderRegistry):
    """The standard header factory, remembering what it parsed. policy=default parses a header
    again on every read (a part's Content-Type about ten times while it is parsed and walked) and
    builds a new class each time; the same values (Content-Type: text/plain; charset=utf-8,
    MIME-Version...) also repeat from one email to the next. Header objects are immutable, so
    one parse can be handed out again."""

    MAX_VALUE_CHARS = 200  # longer values (rare, and heavier to keep) are parsed every time
    MAX_ENTRIES = 2048  # then the memory starts afresh

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}
        self._parsed: dict[tuple[str, str], object] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = super().__getitem__(name)
            if len(self._classes) >= self.MAX_ENTRIES:
                self._classes.clear()
            self._classes[key] = cls
        return cls

    def __call__(self, name: str, value: str):
        if len(value) > self.MAX_VALUE_CHARS:
            return super().__call__(name, value)
        key = (name, value)
        header = self._parsed.get(key)
        if header is None:
            header = super().__call__(name, value)
            if len(self._parsed) >= self.MAX_ENTRIES:
                self._parsed.clear()
            self._parsed[key] = header
        return header


POLICY = policy.default.clone(header_factory=_ParsedOnceRegistry())
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def raw_values(msg: Message, name: str) -> list[str]:
    """The header's values as they were in the source, unfolded, raw 8-bit bytes decoded."""
    wanted = name.lower()
    try:
        items = msg.raw_items()
        values = [str(value) for key, value in items if key.lower() == wanted]
    except Exception:
        return []
    return [unsurrogate("".join(value.splitlines())) for value in values]


def header_text(msg: Message, name: str) -> str:
    values = raw_values(msg, name)
    if not values:
        return ""
    try:
        text = str(POLICY.header_factory(name, values[0]))
    except Exception:  # the header parser choked: RFC 2047 words decoded the old way
        try:
            text = str(make_header(decode_header(values[0])))
        except Exception:
            text = values[0]
    return unsurrogate(text)


def one_line(value: str) -> str:
    return " ".join(CONTROL.sub(" ", value).split())


def addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header (all occurrences), valid ones only."""
    pairs: list[tuple[str, str]] = []
    for value in raw_values(msg, name):
        simple = one_mailbox(value)
        try:
            if simple is not None:
                found = [simple]
            else:
                header = POLICY.header_factory("to", value)  # any name parses as an address list
                found = [(item.display_name, item.addr_spec) for item in header.addresses]
        except Exception:
            try:
                found = getaddresses([value])
            except Exception:
                found = []
        for display_name, address in found:
            address = unsurrogate(address).strip().strip("<>")
            if re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", address):
                pairs.append((one_line(unsurrogate(display_name or "")), address))
    return pairs


# The shapes of most From headers, read without the standard library's full RFC 5322 parser
# (a third of parse_email's time on ordinary mail). Anything else, or anything these could
# read differently (quoted pairs, comments, groups, several addresses, non-ASCII words...), goes
# to the full parser. The display name read here equals the full parser's up to whitespace runs,
# which callers collapse (one_line).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR_SPEC = rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_BASE64 = r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
_SIMPLE_MAILBOX = re.compile(
    rf"""[ \t]*(?:
        (?P<bare>{_ADDR_SPEC})
      | (?:
            "(?P<quoted>[^"\\\x00-\x1f\x7f]*)"[ \t]*
          | =\?(?P<charset>[A-Za-z0-9_-]+)\?(?:[qQ]\?(?P<q>[!-~]*?)|[bB]\?(?P<b>{_BASE64}))\?=[ \t]+
          | (?P<phrase>{_ATEXT}(?:[ \t]+{_ATEXT})*)[ \t]*
        )?<(?P<angle>{_ADDR_SPEC})>
    )[ \t]*""",
    re.VERBOSE,
)
_Q_ESCAPE = re.compile(rb"=([a-fA-F0-9]{2})")
_EW_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "iso-8859-1", "latin1", "windows-1252"})


def one_mailbox(value: str) -> tuple[str, str] | None:
    """(display name, address) of a header holding one plain mailbox, as the standard library's
    parser reads it; None when the value needs that parser."""
    found = _SIMPLE_MAILBOX.fullmatch(value)
    if found is None or "=?" in value.partition("<")[2] or "=?" in (found["bare"] or ""):
        return None
    if found["bare"]:
        return "", found["bare"]
    address = found["angle"]
    if found["quoted"] is not None:
        name = found["quoted"]
        return (name, address) if "=?" not in name else None
    if found["phrase"] is not None:
        return (found["phrase"], address) if "=?" not in found["phrase"] else None
    if found["charset"] is None:
        return "", address
    charset = found["charset"].lower()
    if charset not in _EW_CHARSETS:
        return None
    try:
        if found["q"] is not None:
            if "?" in found["q"]:
                return None
            data = _Q_ESCAPE.sub(
                lambda escape: bytes.fromhex(escape.group(1).decode()),
                found["q"].encode("ascii").replace(b"_", b" "),
            )
        else:
            data = base64.b64decode(found["b"], validate=True)
        name = data.decode(charset)
    except (ValueError, UnicodeError):
        return None
    # The full parser refuses a name with a line break (and addresses() then reads the raw value)
    return (name, address) if "\r" not in name and "\n" not in name else None


def sender(msg: Message) -> tuple[str, str]:
    pairs = addresses(msg, "From")
    if not pairs:
        shown = header_text(msg, "From")[:100]
        reason = f"unusable From header {shown!r}" if shown else "no From header"
        raise ChannelError(
            f"Email without a sender address ({reason}).", permanent=True, code="no_sender"
        )
    name, address = pairs[0]
    if not name:  # "MAILER-DAEMON@host (Mail Delivery System)": the comment is the name
        try:
            name = one_line(parseaddr(raw_values(msg, "From")[0])[0])
        except Exception:
            name = ""
    return name.strip("\"' "), address.lower()


def date(msg: Message) -> str:
    value = one_line(" ".join(raw_values(msg, "Date")[:1]))
    if not value:
        return ""
    try:
        return parsedate_to_datetime(value).isoformat()
    except Exception:  # ValueError, TypeError, OverflowError... on dates seen in the wild
        return value


def format_address(name: str, address: str) -> str:
    if not name:
        return address
    if re.search(r'[,;:<>@"()\[\]\\]', name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def auto_reason(msg: Message, sender: str, bounce: BounceReport | None) -> str:
    """Why this email was written by a machine (RFC 3834 and common practice), or ""."""
    if msg.get_content_type() == "multipart/report":
        report_type = param(msg, "report-type").lower()
        if report_type == "disposition-notification":
            return "disposition notification (read receipt)"
        if bounce is not None or report_type == "delivery-status":
            return "delivery status notification"
        return f"multipart/report ({report_type or 'unknown type'})"
    if bounce is not None:
        return "delivery status notification"
    auto_submitted = re.match(r"[a-z0-9-]+", header_text(msg, "Auto-Submitted").strip().lower())
    if auto_submitted and auto_submitted.group() != "no":
        return f"Auto-Submitted: {auto_submitted.group()}"
    precedence = header_text(msg, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        values = raw_values(msg, name)
        if values and values[0].strip().lower() not in ("no", "false", "0"):
            return name
    if raw_values(msg, "X-Auto-Response-Suppress"):
        return "X-Auto-Response-Suppress"
    local_part = sender.partition("@")[0]
    if local_part in DAEMON_LOCAL_PARTS:
        return f"{local_part} sender"
    if any(value.replace(" ", "") == "<>" for value in raw_values(msg, "Return-Path")):
        return "empty Return-Path"
    return ""


def param(part: Message, name: str, header: str = "content-type") -> str:
    try:
        value = part.get_param(name, None, header=header)
    except Exception:
        return ""
    if isinstance(value, tuple):  # an RFC 2231 value
        value = collapse_rfc2231_value(value)
    return unsurrogate(str(value or "")).strip()
