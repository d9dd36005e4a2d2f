"""Reads of the knowledge base, scoped to who reads: only published articles leave it, and
internal ones only for agents (audience "agents"); customers, anonymous readers and the public
API read with audience "public"."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from tickets import selectors as ticket_selectors

from .models import Article, ArticleVersion, Category, SearchMiss, Section
from .search import SearchHit, search, visible_articles

__all__ = [
    "SearchHit",
    "article_get_for_reader",
    "article_translations",
    "articles_due_for_review",
    "articles_latest",
    "articles_related",
    "articles_search",
    "articles_top",
    "audience_for",
    "categories_for_portal",
    "category_get_for_portal",
    "content_gaps",
    "visible_articles",
]


def audience_for(user: AbstractBaseUser) -> str:
    """Agents read internal articles too; everyone else only public ones."""
    return "agents" if ticket_selectors.is_agent(user) else "public"


def _public(language: str) -> QuerySet[Article]:
    return visible_articles(audience="public").filter(language=language)


def _portal_categories(language: str) -> QuerySet[Category]:
    """Categories with at least one public published article (one of internal articles only
    stays out of sight)."""
    public = _public(language).filter(section__category=OuterRef("pk"))
    return Category.objects.filter(Exists(public), language=language)


def categories_for_portal(*, language: str) -> list[Category]:
    """The language's categories in order, each with `sections` and `featured` (public
    published articles, most read first) prefetched. Three queries."""
    featured = _public(language).defer("body", "search_document").order_by("-views", "title")
    return list(
        _portal_categories(language).prefetch_related(
            "sections", Prefetch("featured", queryset=featured)
        )
    )


def category_get_for_portal(*, language: str, slug: str) -> Category:
    """A category with its sections, each with its public published `articles` prefetched."""
    articles = _public(language).defer("body", "search_document").order_by("title", "id")
    sections = Section.objects.prefetch_related(Prefetch("articles", queryset=articles))
    category = (
        _portal_categories(language)
        .filter(slug=slug)
        .prefetch_related(Prefetch("sections", queryset=sections))
        .first()
    )
    if category is None:
        raise Http404
    return category


def articles_top(*, language: str, limit: int = 6) -> list[Article]:
    """The most read public published articles of a language."""
    return list(
        _public(language).defer("body", "search_document").order_by("-views", "title", "id")[:limit]
    )


def articles_latest(*, language: str, audience: str, limit: int = 10) -> list[Article]:
    articles = visible_articles(audience=audience).filter(language=language)
    return list(articles.defer("search_document").order_by("-updated_at", "-id")[:limit])


def articles_search(
    *, query: str, language: str, audience: str = "public", limit: int = 10
) -> list[SearchHit]:
    """Published articles of `language` matching `query`, best first (see search.py); an empty
    query finds nothing. Audience "public" never sees internal articles, nor their snippets."""
    return search(query=query, language=language, audience=audience, limit=limit)


def article_get_for_reader(*, user: AbstractBaseUser, language: str, slug: str) -> Article:
    """A published article this reader may read (internal ones: agents only), or 404, with
    its section, category and tags."""
    article = (
        visible_articles(audience=audience_for(user))
        .select_related("section__category")
        .prefetch_related("tags")
        .defer("search_document")
        .filter(language=language, slug=slug)
        .first()
    )
    if article is None:
        raise Http404
    return article


def article_translations(*, article: Article, audience: str) -> list[Article]:
    """The same article in the other languages, as this audience may read them."""
    return list(
        visible_articles(audience=audience)
        .filter(translation_group=article.translation_group)
        .exclude(pk=article.pk)
        .only("title", "slug", "language")
        .order_by("language")
    )


def articles_related(*, article: Article, audience: str) -> list[Article]:
    return list(
        visible_articles(audience=audience)
        .filter(related=article)
        .only("title", "slug", "language", "summary")
        .order_by("title")
    )


# --- For agents ----------------------------------------------------------------------------------


def article_get_for_agent(*, agent: AbstractBaseUser, pk: int) -> Article:
    """Any article (drafts too) for an agent; 404 for anyone else."""
    if not ticket_selectors.is_agent(agent):
        raise Http404
    article = (
        Article.objects.select_related("section__category", "owner", "author")
        .prefetch_related("tags")
        .defer("search_document")
        .filter(pk=pk)
        .first()
    )
    if article is None:
        raise Http404
    return article


def article_versions(*, article: Article) -> list[ArticleVersion]:
    return list(article.versions.select_related("created_by").order_by("-number"))


def article_latest_version(*, article: Article) -> ArticleVersion | None:
    return article.versions.order_by("-number").first()


def articles_due_for_review(
    *, owner: AbstractBaseUser | None = None, limit: int = 100
) -> list[Article]:
    """Articles whose review date has come (oldest first): one owner's, or everyone's."""
    articles = Article.objects.filter(review_by__lte=timezone.localdate())
    if owner is not None:
        articles = articles.filter(Q(owner=owner) | Q(owner=None, author=owner))
    return list(
        articles.select_related("owner")
        .defer("body", "search_document")
        .order_by("review_by", "id")[:limit]
    )


def articles_for_agents(*, query: str = "", language: str | None = None, limit: int = 50):
    """The agents' list of articles, drafts included, newest first, by title words."""
    articles = Article.objects.select_related("owner").defer("body", "search_document")
    if language:
        articles = articles.filter(language=language)
    for word in query.split()[:8]:
        articles = articles.filter(title__icontains=word)
    return list(articles.order_by("-updated_at", "-id")[:limit])


def content_gaps(*, language: str | None = None, limit: int = 50) -> list[SearchMiss]:
    """Searches that found nothing, the most frequent first."""
    misses = SearchMiss.objects.all()
    if language:
        misses = misses.filter(language=language)
    return list(misses.order_by("-count", "-last_seen")[:limit])
