"""The knowledge base as a source of answers for customers (tickets.registries.answer_suggestions,
registered in KnowledgeBaseConfig.ready()): the chat's bot offers these articles before a person
joins. Public, published articles only; snippets as plain text.

It uses the knowledge base's own search (`selectors.articles_search`, with its ranking and
audiences) when there is one, and otherwise looks for the question's longer words one by one,
ranking articles by how many of them they contain."""

import re
from html import unescape

from django.utils.html import strip_tags

from tickets.registries import AnswerSource, Suggestion, answer_suggestions

from . import selectors

SNIPPET_CHARS = 200
MIN_WORD = 4  # shorter words ("como", "de", "a") say little about the question
MAX_WORDS = 6


def _plain(text: str) -> str:
    text = " ".join(unescape(strip_tags(str(text))).split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"


def suggest(*, query: str, language: str, limit: int = 3) -> list[Suggestion]:
    search = getattr(selectors, "articles_search", None)
    if search is not None:
        hits = search(query=query, language=language, audience="public", limit=limit)
        return [
            Suggestion(title=hit.title, url=hit.url, snippet=_plain(hit.snippet), score=hit.score)
            for hit in hits
        ]
    return _by_words(query=query, language=language, limit=limit)


def _by_words(*, query: str, language: str, limit: int) -> list[Suggestion]:
    words = sorted(set(re.findall(rf"\w{{{MIN_WORD},}}", query.lower())), key=len, reverse=True)
    found: dict[int, tuple[int, object]] = {}
    for word in words[:MAX_WORDS]:
        for article in selectors.article_search(query=word, language=language, limit=limit * 3):
            count, _ = found.get(article.pk, (0, article))
            found[article.pk] = (count + 1, article)
    best = sorted(found.values(), key=lambda item: -item[0])[:limit]
    return [
        Suggestion(
            title=article.title,
            url=article.get_absolute_url(),
            snippet=_plain(article.summary or article.body),
            score=float(count),
        )
        for count, article in best
    ]


def register() -> None:
    answer_suggestions.register(AnswerSource(name="knowledge_base", order=10, suggest=suggest))
