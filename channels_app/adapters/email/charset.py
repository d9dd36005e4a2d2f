"""Bytes of unknown or mislabeled encoding turned into text: the declared charset when it is
right, UTF-8 or Windows-1252 when it is not (what mail software gets wrong in practice)."""

import codecs
import re

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
_SURROGATE_RUN = re.compile("[\udc80-\udcff]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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


def unsurrogate(value: str) -> str:
    """Raw 8-bit bytes the parser kept as surrogate escapes, decoded as UTF-8 or Windows-1252."""
    if not value:
        return ""
    value = _SURROGATE_RUN.sub(
        lambda run: decode_bytes(run.group().encode("ascii", "surrogateescape")), value
    )
    return _LONE_SURROGATE.sub("\ufffd", value).replace("\x00", "")


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
