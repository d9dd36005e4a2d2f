"""The knowledge base as a source of answers for customers (tickets.registries.answer_suggestions,
registered in KnowledgeBaseConfig.ready()): the chat's bot offers these articles before a person
joins. Public, published articles only (selectors.articles_search with audience "public"), their
snippets as plain text."""

from html import unescape

from django.utils.html import strip_tags

from tickets.registries import AnswerSource, Suggestion, answer_suggestions

from . import selectors

SNIPPET_CHARS = 200


def _plain(text: str) -> str:
    """The search's snippet is HTML (escaped text, <mark> around the matches): the chat shows
    text only."""
    text = " ".join(unescape(strip_tags(str(text))).split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"


def suggest(*, query: str, language: str, limit: int = 3) -> list[Suggestion]:
    hits = selectors.articles_search(query=query, language=language, audience="public", limit=limit)
    return [
        Suggestion(title=hit.title, url=hit.url, snippet=_plain(hit.snippet), score=hit.score)
        for hit in hits
    ]


def register() -> None:
    answer_suggestions.register(AnswerSource(name="knowledge_base", order=10, suggest=suggest))
