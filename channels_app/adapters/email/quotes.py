"""Split an email's text into the new reply and the quoted history, with mail-parser-reply.

mail-parser-reply (1.36) knows English, German, Spanish, French and others but not Portuguese, so
the quote headers our customers' clients write ("Em qua., 12 de nov. de 2025 às 10:31, Maria
<maria@x.com> escreveu:", Outlook's "De: / Enviado: / Para: / Assunto:") are added here through
the library's own per-language lookup, without touching its module-level tables.
"""

import logging

from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE
from mailparser_reply.parser import EmailMessage

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "pt", "de", "es", "fr", "separators")
# The quote-header and signature regexes of the library are not linear on every input: above this
# size the text is not split (the whole text is the reply).
MAX_SPLIT_CHARS = 200_000
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
    """mail-parser-reply's EmailMessage, with Portuguese, and signatures that must close a line."""

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
    try:
        message = _MultilingualEmailMessage(
            text=text,
            languages=[
                lang for lang in LANGUAGES if lang in MAIL_LANGUAGES or lang in EXTRA_LANGUAGES
            ],
            keep_hyphen_lists=True,  # "- item" lines are lists, not signatures
        ).read()
    except Exception:  # a third-party regex library on untrusted text: never fail the parse
        logger.warning(
            "mail-parser-reply failed; keeping the whole text as the reply", exc_info=True
        )
        return text, ""
    replies = message.replies
    if not replies or replies[0].headers:
        # Nothing before the first quote header (a bare forward, a top-quoted history): there is
        # no separate new part.
        return text, ""
    first = replies[0]
    reply = first.body.strip()
    if not reply:
        return text, ""
    rest = [first.signatures, *first.disclaimers, *(item.content for item in replies[1:])]
    return reply, "\n\n".join(part for part in rest if part).strip()
