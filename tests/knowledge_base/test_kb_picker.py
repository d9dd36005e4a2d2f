"""The knowledge base's picker in the ticket page's reply box (GET /agent/tickets/<n>/kb/):
published articles in the ticket's language, for agents who may see the ticket."""

import html

import pytest

from knowledge_base.models import Article
from tests.knowledge_base.factories import ArticleFactory
from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from tickets.models import Customer, Tier

# Session, user, agent profile, the agent's teams and the ticket (its scope), the articles, the
# unread notifications badge (a context processor runs for fragments too).
PICKER_QUERIES = 7


def kb(ticket, q=""):
    return f"/agent/tickets/{ticket.number}/kb/?q={q}"


def get(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def agent_client(client, n1_agent):
    client.force_login(n1_agent)
    return client


@pytest.fixture
def vip_ticket(teams):
    customer = CustomerFactory(name="Maria da Silva", segment=Customer.Segment.VIP)
    return make_ticket(customer=customer, team=teams[Tier.N1])


def test_the_kb_picker_offers_published_articles_in_the_tickets_language(agent_client, vip_ticket):
    ArticleFactory(
        title="Como emitir a segunda via", slug="segunda-via", summary="Acesse o portal."
    )
    ArticleFactory(title="Segunda via rascunho", status=Article.Status.DRAFT)
    ArticleFactory(title="Second copy", language="en")

    body = get(agent_client, kb(vip_ticket, q="segunda")).content.decode()

    assert "Como emitir a segunda via" in body
    assert (
        'data-insert-text="Como emitir a segunda via\nhttp://testserver/portal/kb/pt-br/segunda-via/"'
        in (html.unescape(body).replace("&#10;", "\n"))
    )
    assert 'data-insert-text="Acesse o portal."' in body
    assert "rascunho" not in body
    assert "Second copy" not in body


def test_the_kb_picker_costs_a_fixed_number_of_queries(
    agent_client, vip_ticket, django_assert_max_num_queries
):
    for _ in range(10):
        ArticleFactory()

    with django_assert_max_num_queries(PICKER_QUERIES):
        response = get(agent_client, kb(vip_ticket))

    assert response.content.decode().count("Insert link") == 10


def test_the_kb_picker_is_scoped_to_tickets_the_agent_sees(client, vip_ticket):
    outsider = AgentFactory(tier=Tier.N1, teams=[TeamFactory(name="Financeiro")]).user
    client.force_login(outsider)

    assert client.get(kb(vip_ticket)).status_code == 404


def test_customers_never_reach_the_kb_picker(client, vip_ticket):
    user = UserFactory(username="maria")
    Customer.objects.filter(pk=vip_ticket.customer_id).update(user=user)
    client.force_login(user)

    assert client.get(kb(vip_ticket)).status_code == 403
