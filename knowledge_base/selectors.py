"""Reads of the knowledge base. Only published articles ever leave it."""

import re

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from .models import Article

# PostgreSQL text search configuration per article language: stems words the way the language
# does ("boletos" finds "boleto"). Other languages are searched word for word.
SEARCH_CONFIGS = {"pt-br": "portuguese", "en": "english"}
MAX_WORDS = 8


def published_articles() -> QuerySet[Article]:
    return Article.objects.filter(status=Article.Status.PUBLISHED)


def article_get_published(*, language: str, slug: str) -> Article:
    article = published_articles().filter(language=language, slug=slug).first()
    if article is None:
        raise Http404
    return article


def article_search(*, query: str, language: str | None = None, limit: int = 10) -> list[Article]:
    """Published articles matching every word of `query` (also as the start of a word, so that
    results follow as an agent types), best first; an empty query gives the latest ones. One
    query: PostgreSQL full-text search ranked title > summary > text, elsewhere a substring
    match with title matches first."""
    articles = published_articles()
    if language:
        articles = articles.filter(language=language)
    words = re.findall(r"\w+", query)[:MAX_WORDS]
    if not words:
        return list(articles.order_by("-updated_at", "-id")[:limit])
    if connection.vendor == "postgresql":
        articles = _full_text(articles, words, SEARCH_CONFIGS.get(language or "", "simple"))
    else:
        articles = _substring(articles, words)
    return list(articles[:limit])


def _full_text(articles: QuerySet[Article], words: list[str], config: str) -> QuerySet[Article]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    vector = (
        SearchVector("title", weight="A", config=config)
        + SearchVector("summary", weight="B", config=config)
        + SearchVector("body", weight="C", config=config)
    )
    # Words are \w+ only, so nothing in them is tsquery syntax; `:*` also matches word starts.
    search = SearchQuery(
        " & ".join(f"{word}:*" for word in words), search_type="raw", config=config
    )
    return (
        articles.annotate(document=vector, rank=SearchRank(vector, search))
        .filter(document=search)
        .order_by("-rank", "-updated_at", "-id")
    )


def _substring(articles: QuerySet[Article], words: list[str]) -> QuerySet[Article]:
    for word in words:
        articles = articles.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        )
    in_title = Q()
    for word in words:
        in_title &= Q(title__icontains=word)
    return articles.annotate(
        title_match=Case(
            When(in_title, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("title_match", "-updated_at", "-id")
