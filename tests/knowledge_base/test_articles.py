"""Knowledge base articles: only published ones are found or shown, by language, best first."""

import pytest
from django.db import IntegrityError

from knowledge_base.models import Article
from knowledge_base.selectors import article_search
from tests.knowledge_base.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def titles(articles):
    return [article.title for article in articles]


def test_search_finds_only_published_articles():
    ArticleFactory(title="Segunda via do boleto")
    ArticleFactory(title="Boleto vencido (rascunho)", status=Article.Status.DRAFT)

    assert titles(article_search(query="boleto")) == ["Segunda via do boleto"]


def test_search_keeps_to_the_language_asked():
    ArticleFactory(title="Trocar a senha", body="Como trocar a senha do portal.")
    ArticleFactory(title="Change the password", body="Senha means password.", language="en")

    assert titles(article_search(query="senha", language="pt-br")) == ["Trocar a senha"]
    assert titles(article_search(query="password", language="en")) == ["Change the password"]


def test_every_word_must_match_also_as_the_start_of_a_word():
    ArticleFactory(title="Segunda via do boleto", body="Acesse o portal do cliente.")
    ArticleFactory(title="Boleto registrado", body="Prazo de compensação.")

    assert titles(article_search(query="bole portal", language="pt-br")) == [
        "Segunda via do boleto"
    ]


def test_a_match_in_the_title_ranks_first():
    ArticleFactory(title="Prazo de entrega", body="Sobre o reembolso: veja a política.")
    ArticleFactory(title="Reembolso", body="Como pedir o dinheiro de volta.")

    assert titles(article_search(query="reembolso", language="pt-br")) == [
        "Reembolso",
        "Prazo de entrega",
    ]


def test_search_text_is_never_query_syntax():
    ArticleFactory(title="Boleto", body="Texto.")

    for query in ["boleto & | ! :* ( ) ' \"", "<->", "%_\\"]:
        assert titles(article_search(query=query)) in (["Boleto"], [])


def test_an_empty_search_gives_the_latest_published_up_to_the_limit():
    for n in range(4):
        ArticleFactory(title=f"Artigo {n}")
    ArticleFactory(title="Rascunho", status=Article.Status.DRAFT)

    latest = article_search(query="  ", limit=3)

    assert len(latest) == 3
    assert "Rascunho" not in titles(latest)


def test_search_costs_one_query(django_assert_num_queries):
    for n in range(5):
        ArticleFactory(title=f"Boleto {n}")

    with django_assert_num_queries(1):
        article_search(query="boleto", language="pt-br")


def test_a_slug_is_unique_per_language_only():
    ArticleFactory(title="Senha", slug="senha")
    ArticleFactory(title="Senha (en)", slug="senha", language="en")

    with pytest.raises(IntegrityError):
        ArticleFactory(title="Outra", slug="senha")


# --- The public page -----------------------------------------------------------------------------


def test_anyone_reads_a_published_article(client):
    article = ArticleFactory(
        title="Segunda via", slug="segunda-via", summary="Pelo portal.", body="Passo 1.\n\nPasso 2."
    )

    response = client.get("/portal/kb/pt-br/segunda-via/")

    body = response.content.decode()
    assert response.status_code == 200
    assert article.get_absolute_url() == "/portal/kb/pt-br/segunda-via/"
    assert "<h1>Segunda via</h1>" in body
    assert "<p>Passo 1.</p>" in body
    assert 'lang="pt-br"' in body


def test_a_draft_is_not_found(client):
    ArticleFactory(slug="em-breve", status=Article.Status.DRAFT)

    assert client.get("/portal/kb/pt-br/em-breve/").status_code == 404


def test_an_article_is_found_only_in_its_own_language(client):
    ArticleFactory(slug="senha")

    assert client.get("/portal/kb/en/senha/").status_code == 404
    assert client.get("/portal/kb/xx/senha/").status_code == 404


def test_the_article_text_is_escaped(client):
    ArticleFactory(slug="x", body="<script>alert(1)</script> veja https://example.com/ajuda")

    body = client.get("/portal/kb/pt-br/x/").content.decode()

    assert "<script>alert(1)" not in body
    assert '<a href="https://example.com/ajuda" rel="nofollow">' in body
