"""The agent inbox's reads (tickets.selectors.inbox): views, counts, filters, sorts with keyset
pages, scope. The page itself is tested in tests/workspace/test_inbox.py."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from tests.tickets.factories import (
    CustomerFactory,
    OrganizationFactory,
    TeamFactory,
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


def test_sla_at_risk_lists_open_tickets_past_their_warning_time(teams, n1_agent):
    now, team = timezone.now(), teams[Tier.N1]
    overdue = make_ticket(
        team=team,
        status=S.OPEN,
        sla_due_at=now - timedelta(hours=3),
        sla_warn_at=now - timedelta(hours=4),
    )
    warned = make_ticket(
        team=team, sla_due_at=now + timedelta(hours=2), sla_warn_at=now - timedelta(minutes=1)
    )
    make_ticket(  # due soon, but its policy warns later than this
        team=team, sla_due_at=now + timedelta(minutes=20), sla_warn_at=now + timedelta(minutes=5)
    )
    make_ticket(team=team)  # no SLA running
    make_ticket(
        team=team,
        status=S.SOLVED,
        sla_due_at=now - timedelta(hours=1),
        sla_warn_at=now - timedelta(hours=2),
    )

    page = inbox_page(agent=n1_agent, view="sla")

    assert [t.number for t in page.tickets] == [overdue.number, warned.number]  # most urgent first
    assert page.sort == "sla"
    assert counts_of(page)["sla"] == 2


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
