"""Inbox search: subject, messages, customer name, email, phone and ticket number, always inside
the agent's scope; on PostgreSQL through the full-text indexes. The search box on the inbox page
is tested in tests/workspace/test_search_page.py."""

import pytest
from django.db import connection
from django.test import override_settings

from tests.tickets.factories import (
    make_ticket,
)
from tickets import services
from tickets.models import Customer, Message, Ticket, Tier
from tickets.selectors import search
from tickets.selectors.inbox import inbox_page


def found(agent, q, **kwargs):
    return {t.number for t in inbox_page(agent=agent, view="open", q=q, **kwargs).tickets}


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
