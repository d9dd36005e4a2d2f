"""The demo help center (demo.knowledge_base, run by seed_demo): an online shop's pt-BR FAQ of
about 30 articles in categories and sections, some with English translations; safe to run
twice."""

import pytest

from demo.knowledge_base import seed_knowledge_base
from knowledge_base.models import Article, ArticleVersion, Category, Deflection, SearchMiss
from knowledge_base.selectors import articles_search, categories_for_portal

pytestmark = pytest.mark.django_db


def counts():
    models = (Article, ArticleVersion, Category, SearchMiss, Deflection)
    return {model.__name__: model.objects.count() for model in models}


def test_the_faq_covers_a_shops_usual_questions_in_portuguese():
    seed_knowledge_base()

    portuguese = Article.objects.filter(language="pt-br", status="published")
    assert 28 <= portuguese.filter(visibility="public").count() <= 40
    assert portuguese.filter(visibility="internal").exists()
    names = {c.name for c in categories_for_portal(language="pt-br")}
    assert {"Pedidos", "Entrega", "Trocas e devoluções", "Pagamentos e notas fiscais"} <= names
    for query, title in [
        ("cancelamento", "Como cancelar um pedido"),
        ("boleto vencido", "Segunda via do boleto"),
        ("pix", "Pagamento com Pix"),
        ("nota fiscal", "Como obter a nota fiscal"),
        ("senha", "Esqueci minha senha"),
        ("devolucao", "Como postar a devolução"),
        ("desistencia da compra", "Desistir da compra em 7 dias"),
    ]:
        hits = articles_search(query=query, language="pt-br")
        assert title in [hit.title for hit in hits[:3]], query


def test_some_articles_have_english_translations_in_their_group():
    seed_knowledge_base()

    english = Article.objects.filter(language="en")
    assert english.count() >= 5
    for article in english:
        assert Article.objects.filter(
            translation_group=article.translation_group, language="pt-br"
        ).exists()
    assert categories_for_portal(language="en")[0].featured.all()


def test_every_category_has_featured_public_articles():
    seed_knowledge_base()

    for category in categories_for_portal(language="pt-br"):
        if category.slug != "atendimento-interno":
            assert category.featured.all(), category.name


def test_running_twice_changes_nothing():
    assert seed_knowledge_base() > 30
    before = counts()

    assert seed_knowledge_base() == 0
    assert counts() == before
