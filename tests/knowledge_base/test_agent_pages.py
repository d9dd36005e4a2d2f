"""The agents' knowledge base under /agent/kb/ and "create a draft article from this answer" on
the ticket page. Agents only: customers get 403, anonymous visitors the login page, and a ticket
outside the agent's scope 404."""

import datetime

import pytest
from django.utils import timezone

from knowledge_base import services
from knowledge_base.models import Article, Deflection, SearchMiss
from tests.knowledge_base.factories import ArticleFactory
from tests.tickets.factories import AgentFactory, TeamFactory
from tickets import services as ticket_services
from tickets.models import Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, n1_agent):
    client.force_login(n1_agent)
    return client


def page(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_surfaces_an_owners_stale_articles(agent_client, n1_agent, n2_agent):
    today = timezone.localdate()
    ArticleFactory(title="Frete antigo", owner=n1_agent, review_by=today)
    ArticleFactory(title="Frete de outro", owner=n2_agent, review_by=today)
    ArticleFactory(title="Frete em dia", owner=n1_agent, review_by=today + datetime.timedelta(1))

    body = page(agent_client, "/agent/kb/")
    mine, everyone = body.split('id="due-title"')[1].split("</section>")[0].split("<details>")

    assert "Frete antigo" in mine
    assert "Frete de outro" not in mine
    assert "Frete de outro" in everyone
    assert "Frete em dia" not in mine + everyone


def test_the_dashboard_shows_content_gaps_and_the_deflection_rate(agent_client):
    SearchMiss.objects.create(language="pt-br", query="garantia estendida", count=7)
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    for n, submitted in enumerate([None, None, None, long_ago]):
        Deflection.objects.create(
            token=f"t{n}",
            reader="r",
            language="pt-br",
            shown=2,
            created_at=long_ago,
            updated_at=long_ago,
            submitted_at=submitted,
        )

    body = page(agent_client, "/agent/kb/")

    assert "garantia estendida" in body
    assert 'data-deflection-rate="0.75"' in body
    assert "75%" in body


def test_an_agent_writes_publishes_and_compares_versions(agent_client):
    response = agent_client.post(
        "/agent/kb/new/",
        {
            "language": "pt-br",
            "visibility": "public",
            "title": "Pix",
            "body": "Linha 1\nLinha 2",
            "summary": "",
            "note": "",
        },
    )
    article = Article.objects.get()
    assert response["Location"] == f"/agent/kb/articles/{article.pk}/"
    assert not article.is_published

    agent_client.post(
        f"/agent/kb/articles/{article.pk}/edit/",
        {"title": "Pix", "summary": "", "body": "Linha 1\nLinha dois", "note": "", "publish": "1"},
    )
    article.refresh_from_db()
    assert article.is_published
    assert article.body == "Linha 1\nLinha dois"

    body = page(agent_client, f"/agent/kb/articles/{article.pk}/diff/", **{"from": 1, "to": 2})
    assert '<span class="kb-diff-removed">− Linha 2</span>' in body
    assert '<span class="kb-diff-added">+ Linha dois</span>' in body
    assert '<span class="kb-diff-same">  Linha 1</span>' in body


def test_the_article_page_shows_history_and_a_pending_draft(agent_client, n1_agent):
    article = services.article_create(
        by=n1_agent, language="pt-br", title="Pix", body="Publicado.", publish=True
    )
    services.article_save_draft(
        article=article, by=n1_agent, title="Pix", summary="", body="Rascunho."
    )

    body = page(agent_client, f"/agent/kb/articles/{article.pk}/")

    assert "Version 2 is a draft" in body
    assert "Rascunho." in body  # the preview shows the latest version
    assert "Publish the latest version" in body


def test_an_agent_translates_an_article(agent_client, n1_agent):
    article = services.article_create(
        by=n1_agent, language="pt-br", title="Pix", body="Pague.", publish=True
    )

    assert "Pague." in page(agent_client, f"/agent/kb/articles/{article.pk}/translate/en/")
    agent_client.post(
        f"/agent/kb/articles/{article.pk}/translate/en/",
        {"title": "Pix payments", "summary": "", "body": "Pay.", "note": ""},
    )

    english = Article.objects.get(language="en")
    assert english.translation_group == article.translation_group
    assert agent_client.get(f"/agent/kb/articles/{article.pk}/translate/xx/").status_code == 404


def test_customers_are_refused_the_agents_pages(client, customer_user):
    article = ArticleFactory()
    client.force_login(customer_user)

    for url in ("/agent/kb/", "/agent/kb/new/", f"/agent/kb/articles/{article.pk}/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/agent/kb/articles/{article.pk}/unpublish/").status_code == 403
    article.refresh_from_db()
    assert article.is_published


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get("/agent/kb/")["Location"].startswith("/accounts/login/")


# --- "Create a draft article from this answer" ------------------------------------------------


def test_the_ticket_page_offers_a_draft_article_from_an_answer(client, ticket, n1_agent):
    reply = ticket_services.message_reply(ticket=ticket, by=n1_agent, body_text="Faça assim.")
    client.force_login(n1_agent)

    body = page(client, f"/agent/tickets/{ticket.number}/")

    action = f"/agent/tickets/{ticket.number}/messages/{reply.pk}/kb-draft/"
    assert body.count("/kb-draft/") == 1
    assert action in body


def test_posting_it_creates_the_draft_and_opens_the_editor(client, ticket, n1_agent):
    reply = ticket_services.message_reply(ticket=ticket, by=n1_agent, body_text="Faça assim.")
    client.force_login(n1_agent)

    response = client.post(f"/agent/tickets/{ticket.number}/messages/{reply.pk}/kb-draft/")

    article = Article.objects.get()
    assert response["Location"] == f"/agent/kb/articles/{article.pk}/edit/"
    assert article.body == "Faça assim."


def test_an_agent_outside_the_tickets_teams_cannot_draft_from_its_answers(client, ticket, n1_agent):
    reply = ticket_services.message_reply(ticket=ticket, by=n1_agent, body_text="Faça assim.")
    outsider = AgentFactory(tier=Tier.N1, teams=[TeamFactory(name="Financeiro")]).user
    client.force_login(outsider)

    response = client.post(f"/agent/tickets/{ticket.number}/messages/{reply.pk}/kb-draft/")

    assert response.status_code == 404
    assert not Article.objects.exists()


def test_a_message_of_another_ticket_is_not_found(client, ticket, n1_agent, teams):
    from tests.tickets.factories import make_ticket

    other = make_ticket(team=teams[Tier.N1])
    reply = ticket_services.message_reply(ticket=other, by=n1_agent, body_text="Outro.")
    client.force_login(n1_agent)

    response = client.post(f"/agent/tickets/{ticket.number}/messages/{reply.pk}/kb-draft/")

    assert response.status_code == 404
