"""Article search behind one interface (knowledge_base.selectors.articles_search): published
articles of one language, best first, with HTML-safe highlighted snippets. The same behaviour
on SQLite (the fallback) and PostgreSQL (full-text search); the relevance of the Portuguese
configuration itself is in test_search_postgres.py."""

import pytest

from knowledge_base.models import Article
from knowledge_base.selectors import articles_search
from tests.knowledge_base.factories import ArticleFactory, internal_article

pytestmark = pytest.mark.django_db


def titles(hits):
    return [hit.title for hit in hits]


def test_search_finds_only_published_articles():
    ArticleFactory(title="Segunda via do boleto")
    ArticleFactory(title="Boleto vencido (rascunho)", status=Article.Status.DRAFT)

    assert titles(articles_search(query="boleto", language="pt-br")) == ["Segunda via do boleto"]


def test_internal_articles_are_found_by_agents_only():
    ArticleFactory(title="Boleto registrado")
    internal_article(title="Boleto: regra interna de desconto")

    public = articles_search(query="boleto", language="pt-br")
    agents = articles_search(query="boleto", language="pt-br", audience="agents")

    assert titles(public) == ["Boleto registrado"]
    assert sorted(titles(agents)) == ["Boleto registrado", "Boleto: regra interna de desconto"]


def test_internal_text_never_reaches_a_public_snippet():
    ArticleFactory(title="Boleto", body="Pague o boleto no banco.")
    internal_article(title="Senha do cofre", body="O boleto especial usa a senha 4321.")

    hits = articles_search(query="boleto", language="pt-br")
    snippets = " ".join(str(hit.snippet) for hit in hits)

    assert "4321" not in snippets
    assert "cofre" not in snippets


def test_search_keeps_to_the_language_asked():
    ArticleFactory(title="Trocar a senha", body="Como trocar a senha do portal.")
    ArticleFactory(title="Change the password", body="Senha means password.", language="en")

    assert titles(articles_search(query="senha", language="pt-br")) == ["Trocar a senha"]
    assert titles(articles_search(query="password", language="en")) == ["Change the password"]


def test_words_match_as_the_start_of_a_word_and_every_word_ranks_first():
    ArticleFactory(title="Segunda via do boleto", body="Acesse o portal do cliente.")
    ArticleFactory(title="Boleto registrado", body="Prazo de compensação.")

    assert titles(articles_search(query="bole portal", language="pt-br")) == [
        "Segunda via do boleto",
        "Boleto registrado",
    ]


def test_a_match_in_the_title_ranks_above_one_in_the_summary_above_one_in_the_body():
    ArticleFactory(title="Prazo de entrega", body="Sobre o reembolso: veja a política.")
    ArticleFactory(title="Reembolso", body="Como pedir o dinheiro de volta.")
    ArticleFactory(title="Trocas", summary="O reembolso sai em 5 dias.", body="Texto.")

    assert titles(articles_search(query="reembolso", language="pt-br")) == [
        "Reembolso",
        "Trocas",
        "Prazo de entrega",
    ]


def test_accents_and_word_forms_do_not_matter():
    ArticleFactory(title="Como cancelar um pedido", body="Não é possível após o envio.")

    assert titles(articles_search(query="cancelamento", language="pt-br")) == [
        "Como cancelar um pedido"
    ]
    assert titles(articles_search(query="nao", language="pt-br")) == ["Como cancelar um pedido"]
    assert titles(articles_search(query="APOS", language="pt-br")) == ["Como cancelar um pedido"]


def test_snippets_mark_the_matches_and_escape_everything_else():
    ArticleFactory(title="Pix", body="Pague com **Pix** <script>alert(1)</script> na hora.")

    [hit] = articles_search(query="pix", language="pt-br")

    assert "<mark>Pix</mark>" in hit.snippet
    assert "<script" not in hit.snippet
    assert "<" not in hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "**" not in hit.snippet


def test_marker_characters_in_an_article_cannot_unbalance_the_snippet():
    ArticleFactory(title="Pix", body="Pix \ue000 aberto \ue001\ue001 fechado \ue000")

    [hit] = articles_search(query="pix", language="pt-br")

    assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>")


def test_search_text_is_never_query_syntax():
    ArticleFactory(title="Boleto", body="Texto.")

    for query in ["boleto & | ! :* ( ) ' \"", "<->", "%_\\", "boleto:*B", "!!boleto"]:
        assert titles(articles_search(query=query, language="pt-br")) in (["Boleto"], [])


def test_an_empty_search_finds_nothing():
    ArticleFactory(title="Boleto")

    assert articles_search(query="  ", language="pt-br") == []


def test_hits_carry_the_article_its_address_and_a_score():
    article = ArticleFactory(title="Boleto", slug="boleto")

    [hit] = articles_search(query="boleto", language="pt-br")

    assert hit.article == article
    assert hit.url == "/portal/kb/pt-br/boleto/"
    assert hit.score > 0


def test_search_stops_at_the_limit():
    for n in range(5):
        ArticleFactory(title=f"Boleto {n}")

    assert len(articles_search(query="boleto", language="pt-br", limit=3)) == 3


def test_search_costs_one_query(django_assert_num_queries):
    for n in range(5):
        ArticleFactory(title=f"Boleto {n}")

    with django_assert_num_queries(1):
        articles_search(query="boleto", language="pt-br")
