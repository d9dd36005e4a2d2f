"""Inbox search: subject, messages, customer name, email, phone and ticket number, always inside
the agent's scope; on PostgreSQL through the full-text indexes."""

import pytest
from django.db import connection
from django.test import override_settings

from tests.tickets.factories import (
    CustomerFactory,
    CustomerIdentityFactory,
    TeamFactory,
    make_ticket,
)
from tickets import services
from tickets.models import Customer, CustomerIdentity, Message, Ticket, Tier
from tickets.selectors import search
from tickets.selectors.inbox import inbox_page


def found(agent, q, **kwargs):
    return {t.number for t in inbox_page(agent=agent, view="open", q=q, **kwargs).tickets}


@pytest.fixture
def desk(teams, n1_agent):
    team = teams[Tier.N1]
    maria = CustomerFactory(name="Maria Conceição Souza")
    CustomerIdentityFactory(customer=maria, value="maria.souza@example.com")
    CustomerIdentityFactory(
        customer=maria, kind=CustomerIdentity.Kind.WHATSAPP, value="+5511987654321"
    )
    boleto = make_ticket(team=team, subject="Boleto vencido", customer=CustomerFactory())
    from_maria = make_ticket(team=team, subject="Pedido", customer=maria)
    with_message = make_ticket(team=team, subject="Ajuda", customer=CustomerFactory())
    services.note_add(ticket=with_message, body_text="O roteador reinicia sozinho", by=n1_agent)
    foreign = make_ticket(
        team=TeamFactory(name="Financeiro"), subject="Boleto vencido de novo", customer=maria
    )
    return {"boleto": boleto, "maria": from_maria, "message": with_message, "foreign": foreign}


def test_search_finds_by_subject(n1_agent, desk):
    assert found(n1_agent, "boleto vencido") == {desk["boleto"].number}


def test_search_finds_by_message_text(n1_agent, desk):
    assert found(n1_agent, "roteador") == {desk["message"].number}


def test_search_finds_by_customer_name_email_and_phone(n1_agent, desk):
    assert found(n1_agent, "conceição") == {desk["maria"].number}
    assert found(n1_agent, "Maria.Souza@example.com") == {desk["maria"].number}
    assert found(n1_agent, "(11) 98765-4321") == {desk["maria"].number}


def test_a_phone_number_is_found_with_or_without_the_ninth_digit(n1_agent, desk):
    # WhatsApp may deliver a Brazilian mobile without its ninth digit: the same person.
    assert found(n1_agent, "+55 11 8765-4321") == {desk["maria"].number}
    assert found(n1_agent, "11 98765 4321") == {desk["maria"].number}


def test_every_word_must_match(n1_agent, desk):
    assert found(n1_agent, "boleto roteador") == set()


def test_search_never_reaches_past_the_agents_scope(n1_agent, desk):
    # The other team's ticket matches subject and customer, yet stays invisible.
    assert desk["foreign"].number not in found(n1_agent, "boleto")
    assert desk["foreign"].number not in found(n1_agent, "maria.souza@example.com")
    page = inbox_page(agent=n1_agent, q=f"#{desk['foreign'].number}")
    assert page.jump_to is None


def test_search_combines_with_view_and_filters(n1_agent, desk):
    assert found(n1_agent, "boleto", filters={"priority": "urgent"}) == set()


def test_a_ticket_number_jumps_straight_to_the_ticket(client, n1_agent, desk):
    client.force_login(n1_agent)
    number = desk["boleto"].number

    assert inbox_page(agent=n1_agent, q=f"#{number}").jump_to == number
    assert inbox_page(agent=n1_agent, q=str(number)).jump_to == number
    response = client.get("/agent/", {"q": f"#{number}"})
    assert response.status_code == 302
    assert response["Location"] == f"/agent/tickets/{number}/"
    htmx = client.get("/agent/", {"q": str(number)}, HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == f"/agent/tickets/{number}/"


def test_an_unknown_number_is_searched_as_text(client, n1_agent, desk):
    client.force_login(n1_agent)

    response = client.get("/agent/", {"q": "#999999"})

    assert response.status_code == 200
    assert "No tickets match this search here." in response.content.decode()


@pytest.mark.parametrize("q", ["?", "%", "a", "_", "&|!:*()", "' OR 1=1 --", "x:* | y\\"])
def test_odd_input_never_breaks_the_page(client, n1_agent, desk, q):
    client.force_login(n1_agent)

    assert client.get("/agent/", {"q": q}).status_code == 200


@pytest.mark.parametrize("q", ["?", "%", "a", "_", "&|!:*()"])
def test_a_query_without_words_finds_nothing(n1_agent, desk, q):
    assert found(n1_agent, q) == set()


def test_words_are_cleaned_for_the_search_syntax():
    assert search.words("  Não,  CONSIGO!! o_boleto #12 a ") == ["não", "consigo", "boleto", "12"]
    assert search.ticket_number("# 1234") == 1234
    assert search.ticket_number("1234 5") is None


@override_settings(JORNADA={**search.settings.JORNADA, "SEARCH_MATCH_LIMIT": 2})
def test_a_search_cut_at_the_limit_says_so(teams, n1_agent):
    for _ in range(3):
        ticket = make_ticket(team=teams[Tier.N1], subject="Outro assunto")
        services.note_add(ticket=ticket, body_text="Impressora sem tinta", by=n1_agent)

    page = inbox_page(agent=n1_agent, q="impressora")

    assert page.search_truncated
    assert len(page.tickets) == 2


@pytest.mark.services
def test_postgresql_searches_through_the_full_text_indexes(teams, n1_agent):
    assert connection.vendor == "postgresql"
    team = teams[Tier.N1]
    accented = make_ticket(team=team, subject="Não consigo acessar a conta")
    plain = make_ticket(team=team, subject="Outro")
    services.note_add(ticket=plain, body_text="Ja tentei, nao funciona a INSTALAÇÃO", by=n1_agent)

    # Accents folded both ways, and word beginnings match.
    assert found(n1_agent, "nao") == {accented.number, plain.number}
    assert found(n1_agent, "não acess") == {accented.number}
    assert found(n1_agent, "instalacao") == {plain.number}
    # Messages match whole words only (a prefix over millions of messages is too costly).
    assert found(n1_agent, "instal") == set()
    assert found(n1_agent, "consig") == {accented.number}  # subjects do take prefixes
    assert found(n1_agent, "conta inexistente") == set()

    # The queries search.py writes are the ones the index expressions answer.
    matches = search._matcher(["nao"])
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        for model, column, index in [
            (Message, "body_text", "message_body_fts"),
            (Ticket, "subject", "ticket_subject_fts"),
            (Customer, "name", "customer_name_fts"),
        ]:
            plan = model.objects.filter(matches(column)).order_by().values("pk").explain()
            assert index in plan, plan
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = on")
