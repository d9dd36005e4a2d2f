"""The portal's reads of the knowledge base (the contract the portal pages build on)."""

import pytest

from knowledge_base.models import Article
from knowledge_base.selectors import articles_top, categories_for_portal
from tests.knowledge_base.factories import (
    ArticleFactory,
    CategoryFactory,
    SectionFactory,
    internal_article,
)

pytestmark = pytest.mark.django_db


def test_categories_with_public_articles_come_in_order_with_sections_and_featured(
    django_assert_num_queries,
):
    second = CategoryFactory(name="Pagamentos", position=2)
    first = CategoryFactory(name="Pedidos", position=1)
    CategoryFactory(name="Orders", language="en")
    CategoryFactory(name="Interna", position=3)  # of internal articles only: not shown
    entrega = SectionFactory(category=first, name="Entrega")
    pix = SectionFactory(category=second, name="Pix")
    read = ArticleFactory(title="Rastreio", views=9, section=entrega)
    unread = ArticleFactory(title="Prazo", section=entrega)
    first.featured.add(
        unread, read, internal_article(), ArticleFactory(status=Article.Status.DRAFT)
    )
    second.featured.add(ArticleFactory(title="Pix", section=pix))

    with django_assert_num_queries(3):
        categories = categories_for_portal(language="pt-br")
        shown = [
            (c.name, [s.name for s in c.sections.all()], [a.title for a in c.featured.all()])
            for c in categories
        ]

    assert shown == [
        ("Pedidos", ["Entrega"], ["Rastreio", "Prazo"]),
        ("Pagamentos", ["Pix"], ["Pix"]),
    ]


def test_the_top_articles_are_the_most_read_public_published_ones():
    ArticleFactory(title="Pouco lido", views=1)
    ArticleFactory(title="Muito lido", views=50)
    internal_article(title="Interno lido", views=99)
    ArticleFactory(title="Rascunho lido", views=99, status=Article.Status.DRAFT)
    ArticleFactory(title="Read in English", views=99, language="en")

    assert [a.title for a in articles_top(language="pt-br")] == ["Muito lido", "Pouco lido"]
    assert len(articles_top(language="pt-br", limit=1)) == 1
