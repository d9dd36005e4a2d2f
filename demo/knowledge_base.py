"""The demo help center: an online shop's FAQ in pt-BR (with English translations of the most
read articles) in categories and sections, written through knowledge_base.services, plus a
little history to look at: view counts, feedback, content gaps and suggestion sessions.
Idempotent: categories, sections and articles are matched by slug and kept."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from knowledge_base import services
from knowledge_base.models import Article, ArticleFeedback, Category, Deflection, Section

from .content.kb_articles import ARTICLES
from .content.kb_categories import (
    CATEGORIES_EN,
    CATEGORIES_PT,
    SEARCH_GAPS,
    SECTION_TRANSLATIONS,
)
from .content.kb_translations import TRANSLATIONS_EN

# Who looks after the articles: overdue reviews show on their KB page.
OWNERS = ("n1.solver", "n2.analyst")
# Suggestion sessions of the last weeks: (days ago, submitted a request anyway).
DEFLECTIONS = [(d, d % 3 == 0) for d in range(1, 25)]


def _sections(language: str, categories) -> dict[tuple[str, str], Section]:
    sections = {}
    for position, (slug, name, description, category_sections) in enumerate(categories):
        category, _created = Category.objects.get_or_create(
            language=language,
            slug=slug,
            defaults={"name": name, "description": description, "position": position},
        )
        for section_position, (section_slug, section_name) in enumerate(category_sections):
            sections[slug, section_slug] = Section.objects.get_or_create(
                category=category,
                slug=section_slug,
                defaults={"name": section_name, "position": section_position},
            )[0]
    return sections


def seed_knowledge_base() -> int:
    """Create what is missing; answers how many articles were created."""
    users = get_user_model().objects.in_bulk(OWNERS, field_name="username")
    owners = [users[name] for name in OWNERS if name in users] or [None]
    sections_pt = _sections("pt-br", CATEGORIES_PT)
    sections_en = _sections("en", CATEGORIES_EN)
    today = timezone.localdate()
    created = 0
    articles: dict[str, Article] = {}
    for n, spec in enumerate(ARTICLES):
        article = Article.objects.filter(language="pt-br", slug=spec.slug).first()
        if article is None:
            owner = owners[n % len(owners)]
            article = services.article_create(
                by=owner,
                language="pt-br",
                title=spec.title,
                summary=spec.summary,
                body=spec.body,
                slug=spec.slug,
                section=sections_pt[spec.category, spec.section],
                visibility="internal" if spec.internal else "public",
                tags=spec.tags,
                owner=owner,
                review_by=(
                    today + timedelta(days=spec.review_in_days)
                    if spec.review_in_days is not None
                    else today + timedelta(days=180)
                ),
                publish=True,
            )
            Article.objects.filter(pk=article.pk).update(views=spec.views)
            created += 1
            if spec.featured:
                article.section.category.featured.add(article)
        articles[spec.slug] = article
    for spec in ARTICLES:
        for other in spec.related:
            if other in articles:
                services.article_link_related(
                    article=articles[spec.slug], other=articles[other], by=None
                )
    for pt_slug, (slug, title, summary, body) in TRANSLATIONS_EN.items():
        original = articles[pt_slug]
        if Article.objects.filter(language="en", slug=slug).exists():
            continue
        spec = next(spec for spec in ARTICLES if spec.slug == pt_slug)
        section = sections_en[SECTION_TRANSLATIONS[spec.category, spec.section]]
        english = services.article_create(
            by=original.owner,
            language="en",
            title=title,
            summary=summary,
            body=body,
            slug=slug,
            section=section,
            translation_of=original,
            owner=original.owner,
            review_by=today + timedelta(days=180),
            publish=True,
        )
        Article.objects.filter(pk=english.pk).update(views=spec.views // 10)
        section.category.featured.add(english)
        created += 1
    if created:
        _measurements(articles)
    return created


def _measurements(articles: dict[str, Article]) -> None:
    """Feedback, content gaps and suggestion sessions, once (with the articles)."""
    for n, slug in enumerate(("como-cancelar-um-pedido", "pedido-atrasado", "frete-gratis")):
        for reader in range(6):
            ArticleFeedback.objects.get_or_create(
                article=articles[slug],
                reader=f"demo-{reader}",
                defaults={
                    "helpful": reader > n,
                    "comment": "Faltou dizer o prazo do estorno." if reader == 0 else "",
                },
            )
    for query, times in SEARCH_GAPS:
        for _ in range(times):
            services.search_miss_record(query=query, language="pt-br")
    now = timezone.now()
    for days_ago, submitted in DEFLECTIONS:
        at = now - timedelta(days=days_ago)
        Deflection.objects.get_or_create(
            token=f"demo-deflection-{days_ago}",
            defaults={
                "reader": "demo",
                "language": "pt-br",
                "query": "cancelar pedido",
                "shown": 2,
                "article_ids": [articles["como-cancelar-um-pedido"].pk],
                "created_at": at,
                "updated_at": at,
                "submitted_at": at if submitted else None,
            },
        )
