"""The agent inbox: views, filters, keyset pages, scope and a bounded query count."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.tickets.factories import AgentFactory, TeamFactory, UserFactory, make_ticket
from tickets.inbox import PAGE_SIZE, decode_cursor, encode_cursor, inbox_page
from tickets.models import Ticket, Tier

S = Ticket.Status


@pytest.fixture
def queue(teams, customer, n1_agent):
    team = teams[Tier.N1]
    now = timezone.now()
    return {
        "mine": make_ticket(customer=customer, team=team, assignee=n1_agent, status=S.OPEN),
        "new": make_ticket(customer=customer, team=team),
        "pending": make_ticket(customer=customer, team=team, status=S.PENDING),
        "solved": make_ticket(customer=customer, team=team, status=S.SOLVED, solved_at=now),
        "old_solved": make_ticket(
            customer=customer, team=team, status=S.SOLVED, solved_at=now - timedelta(days=30)
        ),
        "urgent": make_ticket(customer=customer, team=team, priority="urgent"),
        "other_team": make_ticket(customer=customer, team=TeamFactory(name="Financeiro")),
    }


def numbers(page):
    return {ticket.number for ticket in page.tickets}


def test_each_view_shows_its_tickets_and_counts_them(n1_agent, queue):
    page = inbox_page(agent=n1_agent, view="mine")
    counts = {key: count for key, _, count in page.views}

    assert numbers(page) == {queue["mine"].number}
    assert counts["unassigned"] == 3  # new, pending, urgent (solved ones are not open)
    assert counts["pending"] == 1
    assert counts["solved"] == 1  # the one solved a month ago is not "recent"
    assert numbers(inbox_page(agent=n1_agent, view="solved")) == {queue["solved"].number}


def test_an_agent_never_sees_another_teams_tickets(n1_agent, queue):
    page = inbox_page(agent=n1_agent, view="open")

    assert queue["other_team"].number not in numbers(page)


def test_filters_narrow_the_view(n1_agent, queue):
    page = inbox_page(agent=n1_agent, view="open", filters={"priority": "urgent"})

    assert numbers(page) == {queue["urgent"].number}


def test_keyset_pages_cover_everything_once(teams, customer, n1_agent):
    created = {
        make_ticket(customer=customer, team=teams[Tier.N1]).number for _ in range(PAGE_SIZE + 7)
    }
    seen, cursor = [], ""
    while True:
        page = inbox_page(agent=n1_agent, view="open", cursor=cursor)
        seen += [t.number for t in page.tickets]
        if not page.next_cursor:
            break
        cursor = page.next_cursor

    assert len(seen) == len(set(seen)) == len(created)
    assert set(seen) == created


def test_a_tampered_cursor_is_ignored():
    assert decode_cursor("not-a-cursor") is None
    moment = timezone.now()
    assert decode_cursor(encode_cursor(moment, 7)) == (moment, 7)


def test_the_inbox_page_costs_the_same_queries_for_5_or_50_tickets(
    client, teams, customer, n1_agent, django_assert_max_num_queries
):
    client.force_login(n1_agent)
    for _ in range(5):
        make_ticket(customer=customer, team=teams[Tier.N1])
    client.get("/agent/")
    with django_assert_max_num_queries(10) as small:
        client.get("/agent/")
    for _ in range(45):
        make_ticket(customer=customer, team=teams[Tier.N1])
    with django_assert_max_num_queries(10) as large:
        response = client.get("/agent/")

    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_customers_are_refused_the_inbox(client, db):
    client.force_login(UserFactory(username="cliente"))

    assert client.get("/agent/").status_code == 403


def test_a_manager_sees_every_team(client, queue):
    manager = AgentFactory(tier=Tier.N3, is_manager=True).user
    client.force_login(manager)

    body = client.get("/agent/?view=open").content.decode()

    assert queue["other_team"].subject in body
