"""The knowledge base's public pages under /portal/kb/: home, categories, search, articles. Public
published articles for everyone; internal ones open for agents only (404 for customers and
anonymous readers) and never appear in lists or results; drafts never."""

import pytest

from knowledge_base.models import Article, SearchMiss
from tests.knowledge_base.factories import (
    ArticleFactory,
    CategoryFactory,
    SectionFactory,
    internal_article,
)

pytestmark = pytest.mark.django_db


def get(client, url, **params):
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


def page(client, url, **params):
    response = get(client, url, **params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def shop():
    pedidos = CategoryFactory(name="Pedidos", slug="pedidos", description="Tudo sobre pedidos.")
    cancelar = SectionFactory(category=pedidos, name="Cancelamento", slug="cancelamento")
    public = ArticleFactory(
        title="Como cancelar um pedido",
        slug="cancelar",
        section=cancelar,
        views=10,
        body="Você pode cancelar antes do envio.",
    )
    secret = internal_article(title="Estorno manual", slug="estorno", section=cancelar, views=99)
    draft = ArticleFactory(
        title="Rascunho de troca", slug="troca", section=cancelar, status=Article.Status.DRAFT
    )
    pedidos.featured.add(public, secret, draft)
    return {"category": pedidos, "public": public, "secret": secret, "draft": draft}


def test_the_help_center_home_shows_categories_featured_and_most_read(client, shop):
    body = page(client, "/portal/kb/", lang="pt-br")

    assert "Pedidos" in body
    assert "/portal/kb/pt-br/c/pedidos/" in body
    assert "Como cancelar um pedido" in body
    assert "Estorno manual" not in body
    assert "Rascunho de troca" not in body


def test_a_category_page_lists_its_sections_public_articles(client, shop):
    body = page(client, "/portal/kb/pt-br/c/pedidos/")

    assert "<h1>Pedidos</h1>" in body
    assert "Cancelamento" in body
    assert "Como cancelar um pedido" in body
    assert "Estorno manual" not in body
    assert "Rascunho de troca" not in body


def test_an_unknown_category_is_not_found(client, shop):
    assert get(client, "/portal/kb/en/c/pedidos/").status_code == 404


def test_a_category_of_internal_articles_only_stays_out_of_sight(client, shop):
    interno = CategoryFactory(name="Procedimentos internos", slug="interno")
    internal_article(title="Estorno no adquirente", section=SectionFactory(category=interno))

    assert "Procedimentos internos" not in page(client, "/portal/kb/", lang="pt-br")
    assert get(client, "/portal/kb/pt-br/c/interno/").status_code == 404


def test_search_results_show_public_articles_with_marked_snippets(client, shop):
    body = page(client, "/portal/kb/search/", q="cancelar", lang="pt-br")

    assert "Como cancelar um pedido" in body
    assert "<mark>" in body
    assert "Estorno" not in body
    assert not SearchMiss.objects.exists()


def test_a_search_that_finds_nothing_is_recorded_as_a_content_gap(client, shop):
    page(client, "/portal/kb/search/", q="Garantia  estendida", lang="pt-br")
    page(client, "/portal/kb/search/", q="garantia estendida", lang="pt-br")

    [gap] = SearchMiss.objects.all()
    assert (gap.query, gap.language, gap.count) == ("garantia estendida", "pt-br", 2)


def test_a_search_finding_only_an_internal_article_is_a_gap_for_the_public(client, shop):
    body = page(client, "/portal/kb/search/", q="estorno", lang="pt-br")

    assert "Estorno manual" not in body
    assert SearchMiss.objects.filter(query="estorno").exists()


def test_anyone_reads_a_published_article_rendered_from_markdown(client):
    article = ArticleFactory(
        title="Segunda via",
        slug="segunda-via",
        summary="Pelo portal.",
        body="## Passos\n\n1. Entre\n2. **Baixe** o boleto\n\nVeja https://example.com/ajuda",
    )

    body = page(client, "/portal/kb/pt-br/segunda-via/")

    assert article.get_absolute_url() == "/portal/kb/pt-br/segunda-via/"
    assert "<h1>Segunda via</h1>" in body
    assert "<h3>Passos</h3>" in body
    assert "<strong>Baixe</strong>" in body
    assert '<a href="https://example.com/ajuda" rel="noopener nofollow">' in body
    assert 'lang="pt-br"' in body
    assert "css/kb.css" in body  # the print layout


def test_the_article_text_is_sanitized(client):
    ArticleFactory(
        slug="x",
        body='<script>alert(1)</script> <iframe src="https://evil.example"></iframe> '
        "[clique](javascript:alert(1)) ![img](https://example.com/a.png)",
    )

    body = page(client, "/portal/kb/pt-br/x/")

    assert "<script>alert(1)" not in body
    assert "<iframe src=" not in body
    assert 'href="javascript:' not in body
    assert '<img src="https://example.com/a.png" alt="img">' in body


def test_reading_an_article_counts_a_view(client):
    article = ArticleFactory(slug="x")

    page(client, "/portal/kb/pt-br/x/")
    page(client, "/portal/kb/pt-br/x/")

    article.refresh_from_db()
    assert article.views == 2


def test_the_article_page_offers_its_translations(client):
    pt = ArticleFactory(title="Trocar a senha", slug="trocar-senha")
    ArticleFactory(
        title="Change your password",
        slug="change-password",
        language="en",
        translation_group=pt.translation_group,
    )

    body = page(client, "/portal/kb/pt-br/trocar-senha/")

    assert 'href="/portal/kb/en/change-password/"' in body
    assert 'hreflang="en"' in body
    assert ">English</a>" in body


def test_an_internal_or_draft_translation_is_not_offered(client):
    pt = ArticleFactory(title="Trocar a senha", slug="trocar-senha")
    internal_article(slug="change", language="en", translation_group=pt.translation_group)

    assert "/portal/kb/en/change/" not in page(client, "/portal/kb/pt-br/trocar-senha/")


def test_related_articles_show_on_both_articles(client):
    a = ArticleFactory(title="Prazo de entrega", slug="prazo")
    b = ArticleFactory(title="Pedido atrasado", slug="atrasado")
    hidden = internal_article(title="Transportadora interna", slug="transp")
    a.related.add(b, hidden)

    assert "Pedido atrasado" in page(client, "/portal/kb/pt-br/prazo/")
    assert "Prazo de entrega" in page(client, "/portal/kb/pt-br/atrasado/")
    assert "Transportadora interna" not in page(client, "/portal/kb/pt-br/prazo/")


def test_a_draft_is_not_found(client):
    ArticleFactory(slug="em-breve", status=Article.Status.DRAFT)

    assert get(client, "/portal/kb/pt-br/em-breve/").status_code == 404


def test_an_article_is_found_only_in_its_own_language(client):
    ArticleFactory(slug="senha")

    assert get(client, "/portal/kb/en/senha/").status_code == 404
    assert get(client, "/portal/kb/xx/senha/").status_code == 404


# --- Internal articles: outsiders ------------------------------------------------------------


def test_an_internal_article_is_not_found_for_anonymous_readers(client):
    internal_article(slug="estorno")

    assert get(client, "/portal/kb/pt-br/estorno/").status_code == 404


def test_an_internal_article_is_not_found_for_customers(client, customer_user):
    internal_article(slug="estorno")
    client.force_login(customer_user)

    assert get(client, "/portal/kb/pt-br/estorno/").status_code == 404


def test_feedback_on_an_internal_article_is_refused_to_customers(client, customer_user):
    article = internal_article(slug="estorno")
    client.force_login(customer_user)

    response = client.post("/portal/kb/pt-br/estorno/feedback/", {"helpful": "yes"})

    assert response.status_code == 404
    assert not article.feedback.exists()


def test_agents_read_an_internal_article_marked_as_such(client, n1_agent):
    internal_article(title="Estorno manual", slug="estorno")
    client.force_login(n1_agent)

    body = page(client, "/portal/kb/pt-br/estorno/")

    assert "Estorno manual" in body
    assert "Internal article" in body
    assert 'name="robots" content="noindex"' in body


# --- Feedback ---------------------------------------------------------------------------------


def test_a_reader_says_an_article_helped_with_a_comment(client):
    article = ArticleFactory(slug="pix")

    response = client.post(
        "/portal/kb/pt-br/pix/feedback/", {"helpful": "no", "comment": "Faltou o QR Code."}
    )

    assert response.status_code == 302
    assert response["Location"] == "/portal/kb/pt-br/pix/#feedback"
    [feedback] = article.feedback.all()
    assert (feedback.helpful, feedback.comment) == (False, "Faltou o QR Code.")


def test_answering_again_replaces_the_readers_first_answer(client):
    article = ArticleFactory(slug="pix")

    client.post("/portal/kb/pt-br/pix/feedback/", {"helpful": "no"})
    client.post("/portal/kb/pt-br/pix/feedback/", {"helpful": "yes"})
    client.logout()
    client.post("/portal/kb/pt-br/pix/feedback/", {"helpful": "yes"})

    assert sorted(article.feedback.values_list("helpful", flat=True)) == [True, True]


def test_feedback_without_an_answer_is_not_recorded(client):
    article = ArticleFactory(slug="pix")

    client.post("/portal/kb/pt-br/pix/feedback/", {"comment": "?"})

    assert not article.feedback.exists()


def test_the_article_page_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    article = ArticleFactory(slug="pix")
    for n in range(5):
        article.related.add(ArticleFactory(title=f"Relacionado {n}"))

    # session-less anonymous: article (+ tags), view count, translations, related, files
    with django_assert_max_num_queries(6):
        page(client, "/portal/kb/pt-br/pix/")


# --- Sitemap ----------------------------------------------------------------------------------


def test_the_sitemap_lists_public_published_articles_only(client, shop):
    ArticleFactory(title="Change password", slug="change-password", language="en")

    body = page(client, "/sitemap.xml")

    assert "http://testserver/portal/kb/pt-br/cancelar/" in body
    assert "http://testserver/portal/kb/en/change-password/" in body
    assert "/estorno/" not in body
    assert "/troca/" not in body
    assert "<lastmod>" in body
    assert "http://testserver/portal/kb/pt-br/c/pedidos/" in body
