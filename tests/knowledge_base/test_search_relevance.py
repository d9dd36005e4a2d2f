"""Search relevance on a pt-BR FAQ (tests/knowledge_base/faq_fixture.py): word forms (stemming),
accents and ranking, on PostgreSQL's full-text search and on the SQLite fallback alike. The
PostgreSQL-only checks are marked and skip elsewhere."""

import pytest
from django.db import connection

from knowledge_base.selectors import articles_search
from tests.knowledge_base.faq_fixture import (
    EXPECTED,
    EXPECTED_EN,
    EXPECTED_TYPING,
    INTERNAL,
    load_faq,
)

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search"
)


@pytest.fixture
def faq(db):
    load_faq()


@pytest.mark.parametrize(("query", "title"), EXPECTED.items())
def test_the_faq_answers_first(faq, query, title):
    hits = articles_search(query=query, language="pt-br")

    assert hits, f"{query!r} found nothing"
    assert hits[0].title == title


@pytest.mark.parametrize(("query", "title"), EXPECTED_TYPING.items())
def test_suggestions_follow_an_unfinished_last_word(faq, query, title):
    hits = articles_search(query=query, language="pt-br", limit=5)

    assert [hit.title for hit in hits][:1] == [title]


@pytest.mark.parametrize(("query", "title"), EXPECTED_EN.items())
def test_english_articles_are_searched_in_english(faq, query, title):
    hits = articles_search(query=query, language="en")

    assert [hit.title for hit in hits][:1] == [title]


def test_the_internal_article_never_answers_the_public(faq):
    for query in ("cancelamento", "estorno", "7788"):
        hits = articles_search(query=query, language="pt-br")
        assert INTERNAL[0] not in [hit.title for hit in hits]
        assert "7788" not in " ".join(str(hit.snippet) for hit in hits)


def test_agents_find_the_internal_article(faq):
    hits = articles_search(query="estorno manual", language="pt-br", audience="agents")

    assert hits[0].title == INTERNAL[0]


@postgres_only
def test_postgres_stems_portuguese_words_and_ignores_accents():
    """The configuration itself: unaccent before the Portuguese stemmer."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_tsvector('jornada_pt', 'cancelamento não Devolução'), "
            "to_tsquery('jornada_pt', 'cancelar & nao & devolucao')"
        )
        document, query = cursor.fetchone()

    assert "'cancel'" in document
    assert "'nao'" in document
    assert query == "'cancel' & 'nao' & 'devoluca'"


@postgres_only
def test_postgres_weighs_title_above_summary_above_body(faq):
    from tests.knowledge_base.factories import ArticleFactory

    ArticleFactory(title="Garantia", body="Texto sobre o lacre.")
    ArticleFactory(title="Assistência técnica", summary="Lacre rompido anula.", body="Texto.")
    ArticleFactory(title="Lacre de segurança", body="Texto.")

    titles = [hit.title for hit in articles_search(query="lacre", language="pt-br")]

    assert titles == ["Lacre de segurança", "Assistência técnica", "Garantia"]


@postgres_only
def test_postgres_snippets_come_from_ts_headline(faq):
    [hit, *_] = articles_search(query="rastreamento", language="pt-br")

    assert "<mark>rastreamento</mark>" in hit.snippet


@postgres_only
def test_postgres_search_uses_the_gin_index(faq):
    from knowledge_base.models import Article

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            plan = Article.objects.extra(
                where=["search_document @@ to_tsquery('jornada_pt', %s)"], params=["pix:*"]
            ).explain()
        finally:
            cursor.execute("SET enable_seqscan = on")

    assert "kb_article_search_document" in plan
