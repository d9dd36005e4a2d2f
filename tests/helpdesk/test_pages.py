import pytest

from tests.tickets.factories import AgentFactory, TeamFactory, UserFactory, make_ticket
from tickets.models import Customer


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_speaks_the_browser_language(client, db):
    portuguese = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9")
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert "Entrar no Jornada" in portuguese.content.decode()
    assert '<html lang="pt-br">' in portuguese.content.decode()
    assert "Log in to Jornada" in english.content.decode()


def test_language_switcher_sets_the_language(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})

    assert response.status_code == 302
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert "Log in to Jornada" in page.content.decode()


def test_agent_home_shows_counts_and_recent_tickets_of_their_teams(client, n1_agent, ticket, teams):
    other_team = TeamFactory(name="Financeiro", tier="N1")
    other_team_ticket = make_ticket(subject="Outro time", team=other_team)
    client.force_login(n1_agent)

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.content.decode()
    assert ticket.subject in body
    assert other_team_ticket.subject not in body


def test_customer_home_is_the_portal_with_only_their_own_requests(client, db):
    user = UserFactory(username="cliente@example.com")
    mine = make_ticket(customer=Customer.objects.create(name="Eu", user=user), subject="Meu boleto")
    theirs = make_ticket(subject="Pedido de outra pessoa")
    client.force_login(user)

    response = client.get("/", follow=True)

    assert response.redirect_chain == [("/portal/", 302)]
    body = response.content.decode()

    assert mine.subject in body
    assert theirs.subject not in body


@pytest.mark.parametrize(
    ("language", "text"), [("pt-BR", "Página não encontrada"), ("en", "Page not found")]
)
def test_missing_page_is_a_friendly_translated_404(client, db, language, text):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 404
    assert text in response.content.decode()


def test_unrouted_tickets_are_visible_to_every_agent(client, db):
    agent = AgentFactory(tier="N2").user
    unrouted = make_ticket(subject="Sem time ainda")  # no N1 team exists: it stays unrouted
    assert unrouted.team is None
    client.force_login(agent)

    assert unrouted.subject in client.get("/").content.decode()
