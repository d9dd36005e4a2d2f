"""GET /api/v1/kb/suggest?q=...&lang=pt-br: public published articles as one types, in one
JSON shape; internal articles and drafts never, not even in snippets; throttled per address."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from knowledge_base.models import Article
from tests.knowledge_base.factories import ArticleFactory, internal_article

pytestmark = pytest.mark.django_db
URL = "/api/v1/kb/suggest"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def suggest(client, **params):
    return client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")


def test_suggest_answers_public_articles_in_the_documented_shape(client):
    ArticleFactory(
        title="Como cancelar um pedido", slug="cancelar-pedido", body="Cancele pelo portal."
    )

    response = suggest(client, q="cancelar", lang="pt-BR")

    assert response.status_code == 200
    [result] = response.json()["results"]
    assert set(result) >= {"title", "url", "snippet", "score"}
    assert result["title"] == "Como cancelar um pedido"
    assert result["url"] == "http://testserver/portal/kb/pt-br/cancelar-pedido/"
    assert isinstance(result["score"], float)


def test_suggest_never_shows_internal_articles_or_drafts(client):
    ArticleFactory(title="Cancelar pedido", body="Pelo portal.")
    internal_article(title="Cancelar pedido sem multa", body="Segredo: código interno XPTO.")
    ArticleFactory(title="Cancelar (rascunho)", body="Rascunho XPTO.", status=Article.Status.DRAFT)

    body = suggest(client, q="cancelar xpto", lang="pt-br").content.decode()

    assert "Cancelar pedido" in body
    assert "XPTO" not in body
    assert "sem multa" not in body
    assert "rascunho" not in body


def test_suggest_snippets_are_escaped_with_marks_only(client):
    ArticleFactory(title="Boleto", body="<img src=x onerror=alert(1)> pague o boleto hoje")

    [result] = suggest(client, q="boleto", lang="pt-br").json()["results"]

    assert "<mark>boleto</mark>" in result["snippet"].lower()
    assert "<" not in result["snippet"].replace("<mark>", "").replace("</mark>", "")


def test_suggest_keeps_to_the_language_asked(client):
    ArticleFactory(title="Trocar a senha", body="Senha do portal.")
    ArticleFactory(title="Change the password", slug="password", language="en", body="Senha.")

    titles = [r["title"] for r in suggest(client, q="senha", lang="en").json()["results"]]

    assert titles == ["Change the password"]


def test_an_empty_query_suggests_nothing(client):
    ArticleFactory(title="Boleto")

    assert suggest(client, q=" ", lang="pt-br").json() == {"results": []}


def test_an_unknown_language_is_an_error_in_the_api_shape(client):
    response = suggest(client, q="boleto", lang="xx")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"lang"}
    assert error["message"]


@override_settings(
    REST_FRAMEWORK={
        "EXCEPTION_HANDLER": "api.errors.exception_handler",
        "NUM_PROXIES": 0,
        "DEFAULT_THROTTLE_RATES": {"kb_suggest": "3/min", "kb_deflection": "3/min"},
    }
)
def test_suggest_is_throttled_per_address_whatever_x_forwarded_for_says():
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert suggest(client, q="boleto", lang="pt-br").status_code == 200
    forged = client.get(URL, {"q": "boleto"}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    neighbour = Client(REMOTE_ADDR="203.0.113.8").get(URL, {"q": "boleto"})

    assert forged.status_code == 429
    assert forged.json()["error"]["code"] == "throttled"
    assert neighbour.status_code == 200


def test_suggest_costs_one_query(client, django_assert_num_queries):
    for n in range(5):
        ArticleFactory(title=f"Boleto {n}")

    with django_assert_num_queries(1):
        response = suggest(client, q="boleto", lang="pt-br")

    assert len(response.json()["results"]) == 5
