"""Words and snippets for search: accent folding, a crude stemmer for databases without full-text
search, the plain text of an article's Markdown, and highlighted snippets made HTML-safe."""

import html
import re
import unicodedata

from django.utils.safestring import SafeString, mark_safe

# Highlight markers: PostgreSQL's ts_headline and the fallback put these around matches; they
# become <mark> only after the text around them is escaped (see marked_html).
MARK_START = "\ue000"
MARK_STOP = "\ue001"
MIN_WORD = 2
MAX_WORDS = 8

# Markdown syntax that would show as noise in a snippet: images and links keep their text only.
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_NOISE = re.compile(r"[#*_`>|~]+")
_WORD = re.compile(r"\w+")

# Words a search skips when nothing else would be found by them alone (pt-BR and en).
_STOP_WORDS = """a o as os e de da do das dos em no na nos nas um uma uns umas para pra por com como
meu minha meus minhas seu sua que se ao aos the an to of in on for my how and or is it i do does
can what"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
# Longest first; the stem keeps at least STEM_MIN characters.
_ENDINGS = """amentos amento imentos imento mentos mento mente acoes acao icoes icao coes cao ando
endo indo ados adas idos idas ado ada ido ida aram eram iram ar er ir ou ei am em as es os is ing
ed s a o e"""
_SUFFIXES = sorted(_ENDINGS.split(), key=len, reverse=True)
STEM_MIN = 4
STEM_MAX = 6


def fold(text: str) -> str:
    """Lower case without accents: "Não" -> "nao"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def crude_stem(word: str) -> str:
    """A folded word without its commonest Portuguese/English ending, cut at STEM_MAX letters,
    to match as the start of words: "cancelamento", "cancelar", "cancellation" all give
    "cancel"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= STEM_MIN:
            return word[: -len(suffix)][:STEM_MAX]
    return word[:STEM_MAX]


def folded_words(text: str) -> str:
    """The folded words of `text`, each after a space: `" " + stem in folded_words(text)`
    tells whether a word of the text starts with the stem."""
    return " " + " ".join(_WORD.findall(fold(text)))


def query_words(query: str) -> list[str]:
    """The words of a search as typed (at most MAX_WORDS, none shorter than MIN_WORD)."""
    return [word for word in _WORD.findall(query) if len(word) >= MIN_WORD][:MAX_WORDS]


def markdown_plain(text: str) -> str:
    """Markdown as plain words for snippets (PostgreSQL does the same in SQL: search.py)."""
    return " ".join(_MD_NOISE.sub(" ", _MD_LINK.sub(r"\1", text)).split())


def marked_html(text: str) -> SafeString:
    """Escape `text` and turn the highlight markers in it into <mark> elements, always balanced,
    whatever markers the text held before (an article could contain the marker characters)."""
    parts: list[str] = []
    open_mark = False
    for piece in re.split(f"([{MARK_START}{MARK_STOP}])", text):
        if piece == MARK_START:
            if not open_mark:
                parts.append("<mark>")
                open_mark = True
        elif piece == MARK_STOP:
            if open_mark:
                parts.append("</mark>")
                open_mark = False
        else:
            parts.append(html.escape(piece))
    if open_mark:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # every piece of text above is escaped


def snippet_around(text: str, stems: list[str], words: int = 24) -> str:
    """A window of `text` around its first word containing one of `stems`, matches between
    the markers (the fallback's ts_headline)."""
    text = text.replace(MARK_START, "").replace(MARK_STOP, "")
    tokens = list(_WORD.finditer(text))
    if not tokens:
        return ""
    hits = [
        i for i, token in enumerate(tokens) if any(fold(token.group()).startswith(s) for s in stems)
    ]
    first = hits[0] if hits else 0
    start = max(0, first - words // 3)
    end = min(len(tokens), start + words)
    begin, finish = tokens[start].start(), tokens[end - 1].end()
    out, cursor = [], begin
    for i in hits:
        if start <= i < end:
            token = tokens[i]
            out += [text[cursor : token.start()], MARK_START, token.group(), MARK_STOP]
            cursor = token.end()
    out.append(text[cursor:finish])
    prefix = "… " if begin > 0 else ""
    suffix = " …" if finish < len(text) else ""
    return prefix + "".join(out) + suffix
