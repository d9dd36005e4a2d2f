"""The text an agent reads: plain text from HTML, format=flowed undone, and the new reply split
from the quoted history (with mail-parser-reply).

mail-parser-reply (1.36) knows English, German, Spanish, French and others but not Portuguese, so
the quote headers our customers' clients write ("Em qua., 12 de nov. de 2025 às 10:31, Maria
<maria@x.com> escreveu:", Outlook's "De: / Enviado: / Para: / Assunto:") are added here through
the library's own per-language lookup, without touching its module-level tables.
"""

import logging
import re
from html import unescape
from html.parser import HTMLParser
from typing import ClassVar

import nh3
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE
from mailparser_reply.parser import EmailMessage

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "pt", "de", "es", "fr", "separators")
# The library's quote-header regexes are quadratic in the length of a line ("On ... wrote:" is
# tried with two lazy wildcards). No quote header is long, so longer lines are swapped for short
# placeholders while the library runs, and put back afterwards. Above MAX_SPLIT_CHARS the text is
# not split at all (the whole text is the reply).
MAX_LINE_CHARS = 300
MAX_SPLIT_CHARS = 100_000
_PLACEHOLDER = re.compile("\ue010(\\d+)\ue011")
# A closing formula ("Thanks,", "Atenciosamente") only starts a signature when nothing but
# punctuation and a name follow it on its line: "Thanks, but it still fails" is the message.
SIGNATURE_LINE_REST = r"[ \t]*[,.!:;-]*(?:[ \t]+[A-ZÀ-ÖØ-Þ][\w'’.-]*){0,4}[ \t]*$"

_Q = QUOTED_MATCH_INCLUDE
PORTUGUESE = {
    # Gmail / Apple Mail / Thunderbird pt: "Em <data>, <nome> <email> escreveu:", possibly
    # wrapped over two lines.
    "wrote_header": r"^(" + _Q + r"Em\s(?:.+?\s?.+?)\s?escreveu:)$",
    "from_header": (
        r"((?:(?:^|\n|\n"
        + _Q
        + r")[* ]*(?:De|Enviad[oa](?: em)?|Data de envio|Para|Cc|Cco|Assunto|Data):[ *]*"
        + r"(?:\s{,2}).*){2,}(?:\n.*){,1})"
    ),
    "disclaimers": ["Aviso:", "Aviso legal:", "Confidencialidade:"],
    "signatures": [
        r"Atenciosamente",
        r"Att\.?",
        r"Abra(?:ç|c)os?",
        r"Um abra(?:ç|c)o",
        r"Cordialmente",
        r"Obrigad[oa]",
        r"Sauda(?:ç|c)(?:õ|o)es",
        r"Grat[oa]",
    ],
    "sent_from": r"Enviado d[oe] meu|Enviado do (?:E-?mail|Outlook)|Obter o Outlook para",
}
# Lines that start a forwarded or quoted message, whatever the language around them.
SEPARATORS = {
    "wrote_header": [
        r"^(" + _Q + r"-{2,} ?(?:Forwarded message|Mensagem (?:original|encaminhada)) ?-{2,})$",
        r"^(" + _Q + r"-{2,} ?(?:Original Message|Message d'origine|Mensaje original) ?-{2,})$",
        r"^(" + _Q + r"(?:Begin forwarded message|In[íi]cio da mensagem reencaminhada"
        r"|In[íi]cio da mensagem encaminhada):)$",
    ],
}
EXTRA_LANGUAGES = {"pt": PORTUGUESE, "separators": SEPARATORS}


class _MultilingualEmailMessage(EmailMessage):
    """mail-parser-reply's EmailMessage, with Portuguese, and signatures that must close a line.
    The library builds and compiles its three patterns for every message; they depend only on
    the languages and options, the same for every message here, so they are built once."""

    _compiled: ClassVar[dict[tuple, re.Pattern]] = {}

    def _pattern(self, name: str) -> re.Pattern:
        key = (name, tuple(self.languages), self.keep_hyphen_lists, self.default_language)
        pattern = self._compiled.get(key)
        if pattern is None:
            pattern = self._compiled[key] = getattr(EmailMessage, name).fget(self)
        return pattern

    HEADER_REGEX = property(lambda self: self._pattern("HEADER_REGEX"))
    SIGNATURE_REGEX = property(lambda self: self._pattern("SIGNATURE_REGEX"))
    DISCLAIMERS_REGEX = property(lambda self: self._pattern("DISCLAIMERS_REGEX"))

    def _get_language_regex(self, language: str, regex_key: str) -> str:
        if language in EXTRA_LANGUAGES:
            value = EXTRA_LANGUAGES[language].get(regex_key, "")
            pattern = "|".join(value) if isinstance(value, list) else value
        else:
            pattern = super()._get_language_regex(language=language, regex_key=regex_key)
        if regex_key == "signatures" and pattern:
            pattern = f"(?:{pattern}){SIGNATURE_LINE_REST}"
        return pattern


def split_reply(text: str) -> tuple[str, str]:
    """(reply_text, quoted_text): the new part of a message (quoted history, signature and
    disclaimers removed) and the rest. Never raises: on any trouble the whole text is the reply."""
    if not text or not text.strip() or len(text) > MAX_SPLIT_CHARS:
        return text, ""
    long_lines: list[str] = []

    def shorten(line: str) -> str:
        if len(line) <= MAX_LINE_CHARS:
            return line
        long_lines.append(line.strip())
        return f"\ue010{len(long_lines) - 1}\ue011"

    lines = text.replace("\ue010", "").replace("\ue011", "").replace("\r\n", "\n").split("\n")
    safe = "\n".join(shorten(line) for line in lines)
    safe = re.sub(r"\n[ \t]*(?:\n[ \t]*){2,}", "\n\n", safe)  # long blank runs are slow, too
    try:
        reply, quoted = _split(safe)
    except Exception:  # a third-party regex library on untrusted text: never fail the parse
        logger.warning("mail-parser-reply failed; the whole text is the reply", exc_info=True)
        return text, ""
    if not reply:
        return text, ""

    def restore(value: str) -> str:
        return _PLACEHOLDER.sub(lambda found: long_lines[int(found.group(1))], value)

    return restore(reply), restore(quoted)


def _split(text: str) -> tuple[str, str]:
    message = _MultilingualEmailMessage(
        text=text,
        languages=[lang for lang in LANGUAGES if lang in MAIL_LANGUAGES or lang in EXTRA_LANGUAGES],
        keep_hyphen_lists=True,  # "- item" lines are lists, not signatures
    ).read()
    replies = message.replies
    if not replies or replies[0].headers:
        # Nothing before the first quote header (a bare forward, a top-quoted history): there is
        # no separate new part.
        return "", ""
    first = replies[0]
    rest = [first.signatures, *first.disclaimers, *(item.content for item in replies[1:])]
    return first.body.strip(), "\n\n".join(part for part in rest if part).strip()


# --- format=flowed ----------------------------------------------------------------------------


def unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676 format=flowed: soft line breaks (a line ending in a space) joined again."""
    lines: list[str] = []
    current: tuple[int, str] | None = None
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if current is not None and current[0] == depth:
            current = (depth, current[1] + content)
        else:
            if current is not None:
                lines.append(_quoted_line(*current))
            current = (depth, content)
        if not flowed:
            lines.append(_quoted_line(*current))
            current = None
    if current is not None:
        lines.append(_quoted_line(*current))
    return "\n".join(lines)


def _quoted_line(depth: int, content: str) -> str:
    return f"{'>' * depth} {content}" if depth else content


# --- HTML to text ----------------------------------------------------------------------------

HTML_PARSER_MAX = 2_000_000  # above this, HTML becomes text by tag stripping only (fast path)

_QUOTE_OPEN, _QUOTE_CLOSE = "\ue000", "\ue001"  # private-use markers, removed from the input
_SKIP_TAGS = frozenset({"head", "script", "style", "title", "template", "noscript"})
_PARAGRAPH_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "pre", "hr", "form"}
)
_BLOCK_TAGS = _PARAGRAPH_TAGS | frozenset(
    {
        "address", "article", "aside", "center", "dd", "details", "dialog", "div", "dt",
        "fieldset", "figcaption", "figure", "footer", "header", "li", "main", "nav", "section",
        "summary", "tr", "caption",
    }
)  # fmt: skip


class _HTMLText(HTMLParser):
    """Readable text from HTML: paragraphs and line breaks kept, lists as "- ", blockquotes as
    "> " quotes, link targets after their text, no tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pending = 0  # line breaks owed before the next text
        self.pending_markers = ""
        self.prefix = ""  # a list marker, written with the item's first text
        self.skip = 0
        self.pre = 0
        self.lists: list[list] = []  # [tag, counter]
        self.links: list[tuple[str, int]] = []  # (href, index in out where the link text starts)

    def _break(self, count: int) -> None:
        self.pending = max(self.pending, count)

    def _emit(self, text: str) -> None:
        if self.pending or self.pending_markers:
            if self.out:
                self.out.append("\n" * self.pending)
            self.out.append(self.pending_markers)
            self.pending, self.pending_markers = 0, ""
        self.out.append(self.prefix + text)
        self.prefix = ""

    def _at_line_start(self) -> bool:
        last = next((chunk for chunk in reversed(self.out) if chunk), "")
        return not last or last.endswith("\n") or bool(self.pending)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
            return
        if self.skip:
            return
        attributes = dict(attrs)
        if tag == "br":
            self.pending += 1
            return
        if tag == "blockquote":
            self._break(2)
            self.pending_markers += _QUOTE_OPEN
            return
        if tag in _BLOCK_TAGS:
            self._break(2 if tag in _PARAGRAPH_TAGS else 1)
        if tag in ("ul", "ol"):
            self.lists.append([tag, 0])
        elif tag == "li":
            marker = "- "
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] += 1
                marker = f"{self.lists[-1][1]}. "
            self.prefix = marker
        elif tag == "pre":
            self.pre += 1
        elif tag in ("td", "th") and not self._at_line_start():
            self._emit(" ")
        elif tag == "img":
            alt = (attributes.get("alt") or "").strip()
            if alt:
                self._emit(f"[{alt}]")
        elif tag == "a":
            self.links.append(("".join((attributes.get("href") or "").split()), len(self.out)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "blockquote":
            self._break(2)
            self.pending_markers += _QUOTE_CLOSE
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            shown = "".join("".join(self.out[start:]).split())
            if href.lower().startswith(("http://", "https://")) and shown and shown != href:
                self._emit(f" ({href})")
        if tag in _BLOCK_TAGS:
            self._break(2 if tag in _PARAGRAPH_TAGS else 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        data = data.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, "").replace("\xa0", " ")
        if self.pre:
            self._emit(data)
            return
        data = re.sub(r"\s+", " ", data)
        if self._at_line_start():
            data = data.lstrip()
        if data:
            self._emit(data)

    def text(self) -> str:
        lines, depth = [], 0
        for line in "".join(self.out).split("\n"):
            while line[:1] in (_QUOTE_OPEN, _QUOTE_CLOSE) and line:
                depth = depth + 1 if line[0] == _QUOTE_OPEN else max(0, depth - 1)
                line = line[1:]
            line = line.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, "").rstrip()
            lines.append(f"{'> ' * depth}{line}" if line.strip() else "")
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML email body."""
    if not markup or not markup.strip():
        return ""
    if len(markup) <= HTML_PARSER_MAX:
        parser = _HTMLText()
        try:
            parser.feed(markup)
            parser.close()
            return parser.text()
        except Exception:  # HTMLParser on hostile markup: fall through to tag stripping
            logger.warning("HTML body could not be converted; stripping tags", exc_info=True)
    text = nh3.clean(re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>", "\n", markup), tags=set())
    text = unescape(text).replace("\xa0", " ")
    text = "\n".join(" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()
