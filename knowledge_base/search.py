"""Article search, one interface over two engines.

PostgreSQL: the stored, GIN-indexed `search_document` (search_document.py) against a tsquery in
the language's accent-insensitive configuration. Every word also matches as the start of a word
(results follow as one types, and a last word still being typed also by its first letters);
articles with every word come first, then those with all but one, each group by ts_rank (title
A > summary B > body C); ts_headline marks the matches in the snippet. One query, two when the
first finds fewer articles than asked for.

Elsewhere (SQLite): accent-folded substring matching of crudely stemmed words in Python over the
language's articles, ranked by the field that matched. Good enough for a laptop's demo data.

Only published articles are searched; audience "public" (the portal, customers, the API) sees
public ones, "agents" internal ones too."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Func, QuerySet, Value
from django.db.models.functions import Concat
from django.utils.safestring import SafeString

from .models import Article
from .search_document import config_for
from .text import (
    MARK_START,
    MARK_STOP,
    STEM_MAX,
    STOP_WORDS,
    crude_stem,
    fold,
    folded_words,
    markdown_plain,
    marked_html,
    query_words,
    snippet_around,
)

AUDIENCES = ("public", "agents")
# The fallback reads at most this many of the language's articles (newest first).
FALLBACK_CANDIDATES = 2000
FIELD_WEIGHTS = (("title", 1.0), ("summary", 0.4), ("body", 0.1))
# A last word this long or longer is also matched by its start while it is being typed.
PARTIAL_MIN = 4


@dataclass(frozen=True)
class SearchHit:
    article: Article
    title: str
    url: str
    snippet: SafeString  # HTML-safe: escaped text and <mark> around the matches
    score: float


def visible_articles(*, audience: str) -> QuerySet[Article]:
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    articles = Article.objects.filter(status=Article.Status.PUBLISHED)
    if audience == "public":
        articles = articles.filter(visibility=Article.Visibility.PUBLIC)
    return articles


def search(*, query: str, language: str, audience: str, limit: int) -> list[SearchHit]:
    words = query_words(query)
    articles = visible_articles(audience=audience).filter(language=language)
    if not words or limit <= 0:
        return []
    if connection.vendor == "postgresql":
        partial = not query[-1:].isspace()
        return _full_text(articles, words, config_for(language), limit, partial)
    return _fallback(articles, words, limit)


def _hit(article: Article, snippet: str, score: float) -> SearchHit:
    return SearchHit(
        article=article,
        title=article.title,
        url=article.get_absolute_url(),
        snippet=marked_html(snippet),
        score=round(score, 4),
    )


# --- PostgreSQL ----------------------------------------------------------------------------------


class _PlainText(Func):
    """SQL twin of text.markdown_plain over summary and body: links keep their text, Markdown
    marks go."""

    output_field = Article._meta.get_field("body")

    def __init__(self):
        text = Concat(F("summary"), Value(" "), F("body"), output_field=self.output_field)
        links = Func(
            text,
            Value(r"!?\[([^\]]*)\]\([^)]*\)"),
            Value(r"\1"),
            Value("g"),
            function="regexp_replace",
            output_field=self.output_field,
        )
        super().__init__(links, Value("#*_`>|~"), Value(""), function="translate")


def _full_text(
    articles: QuerySet[Article], words: list[str], config: str, limit: int, partial: bool
) -> list[SearchHit]:
    """Articles with every word first (one query); when they are fewer than `limit`, those with
    all the words but one (with one or two words: any of them), in a second query. Never
    ranking articles by one word alone when there are more keeps a common word ("não",
    "pedido": most articles have them) from making PostgreSQL rank nearly the whole table."""
    terms = [_term(word) for word in words]
    if partial and len(words[-1]) >= PARTIAL_MIN:
        # A word still being typed ("cancelamen") may not stem like the whole word would
        # ("cancel"): its start also counts.
        start = words[-1][: max(PARTIAL_MIN - 1, min(STEM_MAX, len(words[-1]) - 2))]
        terms[-1] = f"({terms[-1]} | {_term(start)})"
    hits = _ranked(articles, " & ".join(terms), config, limit, bonus=1.0)
    if len(hits) < limit and len(terms) > 1:
        found = articles.exclude(pk__in=[hit.article.pk for hit in hits])
        if len(terms) <= 2:
            some = " | ".join(terms)
        else:
            some = " | ".join(
                "(" + " & ".join(terms[:i] + terms[i + 1 :]) + ")" for i in range(len(terms))
            )
        hits += _ranked(found, some, config, limit - len(hits), bonus=0.0)
    return hits


def _term(word: str) -> str:
    # Words are \w+ only, so nothing in them is tsquery syntax; `:*` also matches word starts.
    return f"{word}:*"


def _ranked(
    articles: QuerySet[Article], tsquery: str, config: str, limit: int, *, bonus: float
) -> list[SearchHit]:
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank

    query = SearchQuery(tsquery, search_type="raw", config=config)
    found = (
        articles.filter(search_document=query)
        .annotate(
            score=SearchRank(F("search_document"), query),
            # ts_headline is costly: PostgreSQL computes it after the LIMIT, on the hits only.
            headline=SearchHeadline(
                _PlainText(),
                query,
                config=config,
                start_sel=MARK_START,
                stop_sel=MARK_STOP,
                max_words=30,
                min_words=12,
                max_fragments=2,
            ),
        )
        .defer("body", "search_document")
        .order_by("-score", "-views", "-id")[:limit]
    )
    return [_hit(a, a.headline.replace(" ... ", " … "), bonus + a.score) for a in found]


# --- The fallback --------------------------------------------------------------------------------


def _fallback(articles: QuerySet[Article], words: list[str], limit: int) -> list[SearchHit]:
    folded = [fold(word) for word in words]
    stems = [crude_stem(word) for word in folded if word not in STOP_WORDS] or [
        crude_stem(word) for word in folded
    ]
    candidates = articles.defer("search_document").order_by("-updated_at", "-id")
    scored = []
    for article in candidates[:FALLBACK_CANDIDATES]:
        texts = {name: folded_words(getattr(article, name)) for name, _weight in FIELD_WEIGHTS}
        score, matched = 0.0, 0
        for stem in stems:
            weights = [weight for name, weight in FIELD_WEIGHTS if f" {stem}" in texts[name]]
            if weights:
                matched += 1
                score += max(weights)
        if matched:
            complete = 1.0 if matched == len(stems) else 0.0
            scored.append((complete + score / (len(stems) + 1), article))
    scored.sort(key=lambda pair: (-pair[0], -pair[1].views, -pair[1].pk))
    return [
        _hit(article, snippet_around(markdown_plain(f"{article.summary} {article.body}"), stems), s)
        for s, article in scored[:limit]
    ]
