"""The agent inbox page (/agent/): the list, its filters and bulk form, scope and query counts."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from tickets.models import Tag, Tier
from tickets.selectors.inbox import inbox_page


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()


def test_sla_column_says_time_left_or_overdue(client, teams, n1_agent):
    now, team = timezone.now(), teams[Tier.N1]
    make_ticket(
        team=team,
        subject="Atrasado",
        sla_due_at=now - timedelta(hours=2, minutes=5),
        sla_warn_at=now - timedelta(hours=3),
    )
    make_ticket(
        team=team,
        subject="Quase",
        sla_due_at=now + timedelta(minutes=30),
        sla_warn_at=now - timedelta(minutes=1),
    )
    client.force_login(n1_agent)

    body = client.get("/agent/?view=sla").content.decode()

    assert 'class="sla overdue"' in body
    assert "overdue by 2\xa0hours<" in body
    assert 'class="sla at-risk"' in body
    assert "in 29\xa0minutes<" in body


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("status", "archived"),
        ("priority", "asap"),
        ("tier", "N9"),
        ("channel", "fax"),
        ("team", "x1"),
        ("assignee", "-3"),
        ("customer", "joão"),
        ("organization", "99999999999999999999999"),
        ("created_from", "2026-13-01"),
        ("updated_to", "yesterday"),
    ],
)
def test_an_invalid_filter_value_is_explained_and_left_out(client, n1_agent, queue, name, value):
    client.force_login(n1_agent)

    response = client.get("/agent/", {name: value})

    assert response.status_code == 200
    assert "is not a valid" in response.content.decode()
    page = inbox_page(agent=n1_agent, filters={name: value})
    assert len(page.errors) == 1
    assert value in page.errors[0]
    assert len(page.tickets) == 4  # the view, unfiltered


# --- The page ------------------------------------------------------------------------------------


def test_the_inbox_page_costs_the_same_queries_for_5_or_40_tickets(
    client, teams, customer, n1_agent, django_assert_max_num_queries
):
    client.force_login(n1_agent)
    for _ in range(5):
        make_ticket(customer=customer, team=teams[Tier.N1]).tags.add(
            Tag.objects.get_or_create(name="vip")[0]
        )
    client.get("/agent/")  # counts computed once, then kept
    # 14 queries on SQLite; PostgreSQL adds a savepoint and a SET LOCAL around message search.
    with django_assert_max_num_queries(17) as small:
        client.get("/agent/?sort=priority&q=conta")
    for _ in range(35):
        make_ticket(customer=CustomerFactory(), team=teams[Tier.N1], assignee=n1_agent)
    with django_assert_max_num_queries(17) as large:
        response = client.get("/agent/?sort=priority&q=conta")

    assert response.status_code == 200
    assert response.content.decode().count('name="ticket" value=') == 40
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_page_has_the_list_filters_and_bulk_form(client, n1_agent, queue):
    client.force_login(n1_agent)

    body = client.get("/agent/").content.decode()

    assert 'id="ticket-list"' in body
    assert 'id="bulk-form"' in body
    assert 'method="post"' in body
    assert f'value="{queue["urgent"].pk}" form="bulk-form"' in body
    assert "css/inbox.css" in body


def test_an_htmx_request_for_the_list_gets_the_list_alone(client, n1_agent, queue):
    client.force_login(n1_agent)

    response = client.get(
        "/agent/?priority=urgent", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ticket-list"
    )
    body = response.content.decode()

    assert body.lstrip().startswith('<div id="ticket-list"')
    assert "<html" not in body
    assert queue["urgent"].subject in body
    assert queue["new"].subject not in body


def test_customers_are_refused_the_inbox(client, db):
    client.force_login(UserFactory(username="cliente"))

    assert client.get("/agent/").status_code == 403
    assert client.post("/agent/bulk/", {"ticket": "1", "action": "assign"}).status_code == 403
    assert client.post("/agent/views/", {"name": "x"}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get("/agent/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_manager_sees_every_team(client, queue):
    manager = AgentFactory(tier=Tier.N3, is_manager=True).user
    client.force_login(manager)

    body = client.get("/agent/?view=open").content.decode()

    assert queue["other_team"].subject in body


def test_customer_filter_names_only_a_customer_with_a_ticket_the_agent_may_see(
    client, teams, n1_agent
):
    stranger = CustomerFactory(name="Joana Sigilosa")
    make_ticket(customer=stranger, team=TeamFactory(name="Financeiro"))
    known = CustomerFactory(name="Maria Visível")
    make_ticket(customer=known, team=teams[Tier.N1])
    client.force_login(n1_agent)

    hidden = client.get("/agent/", {"customer": stranger.pk}).content.decode()
    shown = client.get("/agent/", {"customer": known.pk}).content.decode()

    assert "Joana Sigilosa" not in hidden
    assert f'name="customer" value="{stranger.pk}"' in hidden  # the id typed stays in its field
    assert "Customer: Maria Visível" in shown


def test_organization_filter_names_only_an_organization_the_agent_may_see_a_ticket_of(
    client, teams, n1_agent
):
    secret = OrganizationFactory(name="Indústria Reservada")
    make_ticket(customer=CustomerFactory(organization=secret), team=TeamFactory(name="Financeiro"))
    known = OrganizationFactory(name="Padaria Aberta")
    make_ticket(customer=CustomerFactory(organization=known), team=teams[Tier.N1])
    client.force_login(n1_agent)

    hidden = client.get("/agent/", {"organization": secret.pk}).content.decode()
    shown = client.get("/agent/", {"organization": known.pk}).content.decode()

    assert "Indústria Reservada" not in hidden
    assert "Organization: Padaria Aberta" in shown
