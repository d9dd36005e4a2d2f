"""The agent inbox: views, counts, filters, sorts with keyset pages, scope, the page itself."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from tickets.models import Channel, Tag, Ticket, Tier
from tickets.selectors import inbox
from tickets.selectors.inbox import (
    SORTS,
    decode_cursor,
    encode_cursor,
    forget_view_counts,
    inbox_page,
)

S = Ticket.Status


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()


@pytest.fixture
def queue(teams, customer, n1_agent):
    now = timezone.now()

    def ticket(name, team=teams[Tier.N1], **changes):
        return make_ticket(customer=customer, team=team, subject=f"Assunto {name}", **changes)

    return {
        "mine": ticket("mine", assignee=n1_agent, status=S.OPEN),
        "new": ticket("new"),
        "pending": ticket("pending", status=S.PENDING),
        "solved": ticket("solved", status=S.SOLVED, solved_at=now),
        "old_solved": ticket("old_solved", status=S.SOLVED, solved_at=now - timedelta(days=30)),
        "urgent": ticket("urgent", priority="urgent"),
        "other_team": ticket("other_team", team=TeamFactory(name="Financeiro")),
    }


def numbers(page):
    return {ticket.number for ticket in page.tickets}


def counts_of(page):
    return {key: count for key, _, count in page.views}


# --- Views and counts ----------------------------------------------------------------------------


def test_each_view_shows_its_tickets_and_counts_them(n1_agent, queue):
    page = inbox_page(agent=n1_agent, view="mine")
    counts = counts_of(page)

    assert numbers(page) == {queue["mine"].number}
    assert counts["mine"] == 1
    assert counts["unassigned"] == 3  # new, pending, urgent (solved ones are not open)
    assert counts["team"] == 4
    assert counts["tier"] == 4
    assert counts["pending"] == 1
    assert counts["open"] == 4
    assert counts["solved"] == 1  # the one solved a month ago is not "recent"
    assert numbers(inbox_page(agent=n1_agent, view="solved")) == {queue["solved"].number}
    assert numbers(inbox_page(agent=n1_agent, view="pending")) == {queue["pending"].number}
    assert numbers(inbox_page(agent=n1_agent, view="unassigned")) == {
        queue[k].number for k in ("new", "pending", "urgent")
    }


@override_settings(JORNADA={**inbox.settings.JORNADA, "SLA_AT_RISK_MINUTES": 60})
def test_sla_at_risk_lists_open_tickets_due_within_the_horizon_or_overdue(teams, n1_agent):
    now, team = timezone.now(), teams[Tier.N1]
    overdue = make_ticket(team=team, status=S.OPEN, sla_due_at=now - timedelta(hours=3))
    soon = make_ticket(team=team, sla_due_at=now + timedelta(minutes=20))
    make_ticket(team=team, sla_due_at=now + timedelta(hours=5))  # not yet at risk
    make_ticket(team=team)  # no SLA running
    make_ticket(team=team, status=S.SOLVED, sla_due_at=now - timedelta(hours=1))

    page = inbox_page(agent=n1_agent, view="sla")

    assert [t.number for t in page.tickets] == [overdue.number, soon.number]  # most urgent first
    assert page.sort == "sla"
    assert counts_of(page)["sla"] == 2


def test_sla_column_says_time_left_or_overdue(client, teams, n1_agent):
    now, team = timezone.now(), teams[Tier.N1]
    make_ticket(team=team, subject="Atrasado", sla_due_at=now - timedelta(hours=2, minutes=5))
    make_ticket(team=team, subject="Quase", sla_due_at=now + timedelta(minutes=30))
    client.force_login(n1_agent)

    body = client.get("/agent/?view=sla").content.decode()

    assert 'class="sla overdue"' in body
    assert "overdue by 2\xa0hours<" in body
    assert 'class="sla at-risk"' in body
    assert "in 29\xa0minutes<" in body


def test_view_counts_are_kept_briefly_and_forgotten_on_demand(teams, n1_agent):
    make_ticket(team=teams[Tier.N1])
    assert counts_of(inbox_page(agent=n1_agent))["open"] == 1

    make_ticket(team=teams[Tier.N1])
    assert counts_of(inbox_page(agent=n1_agent))["open"] == 1  # cached
    forget_view_counts(agent=n1_agent)
    assert counts_of(inbox_page(agent=n1_agent))["open"] == 2


def test_an_agent_never_sees_another_teams_tickets(n1_agent, queue):
    page = inbox_page(agent=n1_agent, view="open")

    assert queue["other_team"].number not in numbers(page)
    assert counts_of(page)["open"] == 4


def test_an_unknown_view_falls_back_to_all_open(n1_agent, queue):
    assert inbox_page(agent=n1_agent, view="nonsense").view == "open"


# --- Filters -------------------------------------------------------------------------------------


@pytest.fixture
def varied(teams, n1_agent):
    team, other_team = teams[Tier.N1], TeamFactory(name="Cobrança", tier=Tier.N1)
    n1_agent.agent_profile.teams.add(other_team)
    org = OrganizationFactory(name="Padaria Pão Quente")
    org_customer = CustomerFactory(name="José", organization=org)
    tagged = make_ticket(team=team, priority="high", channel=Channel.WHATSAPP)
    tagged.tags.add(Tag.objects.create(name="boleto"))
    return {
        "tagged": tagged,
        "n2": make_ticket(team=team, tier=Tier.N2),
        "pending": make_ticket(team=team, status=S.PENDING),
        "other_team": make_ticket(team=other_team),
        "assigned": make_ticket(team=team, assignee=n1_agent),
        "org": make_ticket(team=team, customer=org_customer),
        "org_obj": org,
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "pending"}, "pending"),
        ({"priority": "high"}, "tagged"),
        ({"tier": "N2"}, "n2"),
        ({"channel": "whatsapp"}, "tagged"),
        ({"tag": "boleto"}, "tagged"),
    ],
)
def test_choice_and_tag_filters_narrow_the_view(n1_agent, varied, filters, expected):
    page = inbox_page(agent=n1_agent, view="open", filters=filters)

    assert numbers(page) == {varied[expected].number}
    assert not page.errors


def test_id_filters_narrow_the_view(n1_agent, varied):
    def only(**filters):
        return numbers(inbox_page(agent=n1_agent, filters={k: str(v) for k, v in filters.items()}))

    assert only(team=varied["other_team"].team_id) == {varied["other_team"].number}
    assert only(assignee=n1_agent.pk) == {varied["assigned"].number}
    assert only(customer=varied["org"].customer_id) == {varied["org"].number}
    assert only(organization=varied["org_obj"].pk) == {varied["org"].number}


def test_date_filters_are_whole_days_in_the_local_time_zone(teams, n1_agent):
    # 02:30 UTC on the 10th is still 23:30 on the 9th in São Paulo (UTC-3).
    late_evening = make_ticket(
        team=teams[Tier.N1], created_at=datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
    )
    next_day = make_ticket(
        team=teams[Tier.N1],
        created_at=datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
        updated_at=datetime(2026, 3, 12, 12, 0, tzinfo=UTC),
    )

    def only(**filters):
        return numbers(inbox_page(agent=n1_agent, filters=filters))

    assert only(created_to="2026-03-09") == {late_evening.number}
    assert only(created_from="2026-03-10") == {next_day.number}
    assert only(created_from="2026-03-09", created_to="2026-03-10") == {
        late_evening.number,
        next_day.number,
    }
    assert only(updated_from="2026-03-11", updated_to="2026-03-12") == {next_day.number}


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


# --- Sorts and keyset pages ----------------------------------------------------------------------


@pytest.fixture
def many(teams, n1_agent, monkeypatch):
    """23 open tickets with ties on every sort key (same times, same priorities, missing SLA)."""
    monkeypatch.setattr(inbox, "PAGE_SIZE", 4)
    base = timezone.now().replace(microsecond=0)
    tickets = []
    for i in range(23):
        tickets.append(
            make_ticket(
                team=teams[Tier.N1],
                priority=["urgent", "high", "normal", "low"][i % 4],
                updated_at=base - timedelta(minutes=i // 3),
                created_at=base - timedelta(hours=i % 5),
                sla_due_at=None if i % 3 == 0 else base + timedelta(minutes=10 * (i % 4)),
            )
        )
    return tickets


def all_pages(agent, sort, **kwargs):
    seen, cursor, pages = [], "", 0
    while True:
        page = inbox_page(agent=agent, view="open", sort=sort, cursor=cursor, **kwargs)
        seen += page.tickets
        pages += 1
        assert pages < 50, "paging does not end"
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor


RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
EXPECTED_ORDER = {
    "updated": lambda t: (-t.updated_at.timestamp(), -t.pk),
    "created": lambda t: (-t.created_at.timestamp(), -t.pk),
    "sla": lambda t: (t.sla_due_at is None, t.sla_due_at and t.sla_due_at.timestamp(), t.pk),
    "priority": lambda t: (RANK[t.priority], -t.updated_at.timestamp(), -t.pk),
}


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_paging_through_every_sort_shows_each_ticket_once_in_order(n1_agent, many, sort):
    seen = all_pages(n1_agent, sort)

    assert [t.pk for t in seen] == [t.pk for t in sorted(many, key=EXPECTED_ORDER[sort])]


def test_paging_works_under_filters_and_search(n1_agent, many):
    seen = all_pages(n1_agent, "sla", filters={"priority": "high"}, q="acessar")

    assert {t.pk for t in seen} == {t.pk for t in many if t.priority == "high"}
    assert len(seen) == len({t.pk for t in seen})


def test_a_cursor_made_for_another_sort_or_tampered_starts_over(n1_agent, many):
    first = inbox_page(agent=n1_agent, sort="updated")
    cursor = first.next_cursor

    assert inbox_page(agent=n1_agent, sort="created", cursor=cursor).tickets == (
        inbox_page(agent=n1_agent, sort="created").tickets
    )
    assert decode_cursor("updated", "not-a-cursor") is None
    assert decode_cursor("sla", encode_cursor("sla", ["yesterday", 3])) is None
    assert decode_cursor("priority", encode_cursor("priority", [True, None, 3])) is None
    moment = timezone.now()
    assert decode_cursor("sla", encode_cursor("sla", [None, 7])) == [None, 7]
    assert decode_cursor("updated", encode_cursor("updated", [moment, 7])) == [moment, 7]


@pytest.mark.services
@pytest.mark.parametrize(
    ("sort", "index"), [("priority", "ticket_open_priority"), ("sla", "ticket_open_sla")]
)
def test_postgresql_sorts_open_tickets_straight_from_an_index(db, sort, index):
    assert connection.vendor == "postgresql"
    keys = SORTS[sort].keys
    tickets = Ticket.objects.filter(status__in=inbox.OPEN).annotate(
        priority_rank=inbox.PRIORITY_RANK
    )
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off; SET enable_sort = off")
    try:
        plan = tickets.order_by(*inbox._ordering(keys)).values("pk")[:51].explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = on; SET enable_sort = on")

    assert index in plan, plan


def test_the_default_sort_depends_on_the_view(n1_agent, queue):
    assert inbox_page(agent=n1_agent, view="open").sort == "updated"
    assert inbox_page(agent=n1_agent, view="sla").sort == "sla"
    assert inbox_page(agent=n1_agent, view="open", sort="bogus").sort == "updated"


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
