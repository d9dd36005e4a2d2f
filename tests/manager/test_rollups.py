"""The dashboard's rollups give the figures sla.metrics computes live: on the hand-computed desk
of tests/sla/test_metrics.py (business hours, a holiday, a breach, an escalation), narrowed or not,
rebuilt from scratch or refreshed ticket by ticket after the domain events marked them; and the
page reads them in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from manager import pending, rollups, selectors
from manager.models import REBUILDING, DailyActivity, RollupState, TicketFacts
from manager.tasks import refresh_rollups
from sla import metrics
from sla import models as sla_models
from tests.sla.conftest import clock, committed  # noqa: F401  (fixtures the desk needs)
from tests.sla.test_metrics import desk, whole_range  # noqa: F401
from tests.tickets.factories import TeamFactory, make_ticket
from tickets import services
from tickets.models import Ticket, Tier


@pytest.fixture(autouse=True)
def forget_calendar_hours():
    """sla.models keeps built calendars by (pk, updated_at): under the desk's frozen clock a
    rolled-back calendar's pk and time come back in the next test's calendar (SQLite reuses
    ids), which would then read these tests' hours."""
    yield
    sla_models._HOURS_BY_VERSION.clear()


def live(filters):
    return selectors.DashboardFigures(
        frt=metrics.first_response_time(filters),
        resolution=metrics.resolution_time(filters),
        volume=metrics.volume(filters),
        responsiveness=metrics.responsiveness(filters),
        compliance=metrics.sla_compliance(filters),
        backlog=metrics.backlog(filters, now=timezone.now()),
        escalations=metrics.escalations(filters),
        heatmap=metrics.volume_heatmap(filters),
        agents=metrics.figures_by(filters, group="assignee"),
        teams=metrics.figures_by(filters, group="team"),
    )


def assert_rolled_up_as_live(filters, now):
    """Every figure of the page read from the rollups equals the live one; returns them."""
    rolled = selectors.dashboard_figures(filters, now=now)
    computed = live(filters)
    assert rolled.from_rollup
    assert rolled.frt == computed.frt
    assert rolled.resolution == computed.resolution
    assert vars(rolled.volume) == vars(computed.volume)
    assert rolled.responsiveness == computed.responsiveness
    assert rolled.compliance == computed.compliance
    assert rolled.heatmap == computed.heatmap
    assert rolled.escalations == computed.escalations
    assert rolled.backlog.open == computed.backlog.open
    assert rolled.backlog.overdue == computed.backlog.overdue
    assert rolled.backlog.age.median == pytest.approx(computed.backlog.age.median, abs=5)
    assert rolled.backlog.age.p90 == pytest.approx(computed.backlog.age.p90, abs=5)
    key = lambda row: (row.key is None, row.key or 0)  # noqa: E731
    assert sorted(rolled.agents, key=key) == sorted(computed.agents, key=key)
    assert sorted(rolled.teams, key=key) == sorted(computed.teams, key=key)
    return rolled


@pytest.fixture
def now():
    return timezone.now()


def test_rebuilt_rollups_give_the_live_figures(desk, now):  # noqa: F811
    rollups.rollups_rebuild()
    filters = whole_range()

    assert selectors.rollup_answers(filters)
    rolled = assert_rolled_up_as_live(filters, now)
    assert rolled.backlog.open == 1  # C
    assert rolled.escalations[0].to_tier == "N2"


@pytest.mark.parametrize(
    "narrowing", [{"tier": Tier.N2}, {"channel": "email"}, {"segment": "new"}, {"tier": "N3"}]
)
def test_rollups_narrowed_give_the_live_figures(desk, now, narrowing):  # noqa: F811
    rollups.rollups_rebuild()
    filters = whole_range(**narrowing)

    rolled = selectors.dashboard_figures(filters, now=now)
    computed = live(filters)

    assert rolled.from_rollup
    assert rolled.frt == computed.frt
    assert vars(rolled.volume) == vars(computed.volume)
    assert rolled.compliance == computed.compliance
    assert rolled.responsiveness == computed.responsiveness


def test_one_agents_figures_come_from_the_rollups_as_live(desk, now, n1_agent, n2_agent):  # noqa: F811
    """Narrowed to the tickets an agent holds (one agent holds A and B, another C, whose
    escalation and missed clocks are theirs): the cards, the escalations and both tables."""
    Ticket.objects.filter(pk__in=[desk["a"].pk, desk["b"].pk]).update(assignee=n1_agent)
    Ticket.objects.filter(pk=desk["c"].pk).update(assignee=n2_agent)
    rollups.rollups_rebuild()
    for agent in (n1_agent.pk, n2_agent.pk):
        filters = whole_range(agent=agent)
        assert selectors.rollup_answers(filters)
        rolled = assert_rolled_up_as_live(filters, now)
        assert rolled.volume.created == (2 if agent == n1_agent.pk else 1)
    # Combined with the other filters, matching some of the agent's tickets or none.
    for narrowing in ({"tier": Tier.N2}, {"channel": "email", "segment": "new"}, {"tier": "N3"}):
        for agent in (n1_agent.pk, n2_agent.pk):
            assert_rolled_up_as_live(whole_range(agent=agent, **narrowing), now)


def test_an_organization_or_a_partial_day_is_answered_live(desk):  # noqa: F811
    rollups.rollups_rebuild()

    assert not selectors.rollup_answers(whole_range(organization=1))
    shifted = whole_range()
    partial = metrics.MetricFilters(start=shifted.start + timedelta(hours=1), end=shifted.end)
    assert not selectors.rollup_answers(partial)


def test_nothing_is_read_from_rollups_never_built(desk):  # noqa: F811
    assert not RollupState.objects.exists()
    assert not selectors.rollup_answers(whole_range())


def test_refresh_recomputes_a_changed_ticket_and_its_days(desk, now):  # noqa: F811
    rollups.rollups_rebuild()
    other = TeamFactory(name="Outra fila", tier=Tier.N1)
    ticket = desk["a"]
    services.ticket_assign(ticket=ticket, team=other, assignee=None, by=None)

    rollups.rollups_refresh(ticket_ids=[ticket.pk])

    filters = whole_range(team=other.pk)
    rolled = selectors.dashboard_figures(filters, now=now)
    assert rolled.volume.solved == 1
    assert vars(rolled.volume) == vars(live(filters).volume)
    assert rolled.compliance == live(filters).compliance
    assert TicketFacts.objects.get(ticket=ticket).team_id == other.pk


def test_periodic_refresh_catches_up_tickets_updated_since(db, teams):
    refresh_rollups()  # the first run only records where it starts
    ticket = make_ticket(team=teams[Tier.N1])
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())

    assert refresh_rollups() >= 1
    assert TicketFacts.objects.filter(ticket=ticket).exists()


def test_periodic_refresh_builds_rollups_missing_on_a_desk_with_tickets(desk, now):  # noqa: F811
    """After an upgrade, a restore or a migration that cleared them: built whole, once."""
    assert not RollupState.objects.exists()

    assert refresh_rollups() == 3

    assert TicketFacts.objects.count() == 3
    assert DailyActivity.objects.exists()
    filters = whole_range()
    assert selectors.rollup_answers(filters)
    assert vars(selectors.dashboard_figures(filters, now=now).volume) == vars(live(filters).volume)


def test_rollups_being_rebuilt_are_not_read(desk, monkeypatch):  # noqa: F811
    rollups.rollups_rebuild()
    seen = []
    real = rollups._refresh_days

    def during(days):
        seen.append(selectors.rollup_answers(whole_range()))
        return real(days)

    monkeypatch.setattr(rollups, "_refresh_days", during)
    rollups.rollups_rebuild()

    assert seen
    assert not any(seen)  # half-built: the dashboard answers live
    assert selectors.rollup_answers(whole_range())


def test_subscriber_marks_tickets_without_touching_the_database(
    db, teams, customer, django_capture_on_commit_callbacks, monkeypatch
):
    marked = []
    monkeypatch.setattr(pending, "tickets_refresh_later", lambda ids: marked.extend(ids))

    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(team=teams[Tier.N1], customer=customer)
        services.ticket_change_status(ticket=ticket, to_status=Ticket.Status.OPEN, by=None)

    assert ticket.pk in marked


def test_rebuild_command_prints_what_it_built(desk, capsys):  # noqa: F811
    from django.core.management import call_command

    call_command("manager_rollup_rebuild")

    assert "Rebuilt: 3 tickets" in capsys.readouterr().out
    assert DailyActivity.objects.exists()


def test_rollup_page_takes_fewer_queries_than_live(
    client, manager, teams, n1_agent, django_assert_num_queries
):
    now = timezone.now()
    for _ in range(3):
        make_ticket(
            team=teams[Tier.N1],
            assignee=n1_agent,
            status=Ticket.Status.SOLVED,
            created_at=now - timedelta(hours=3),
            first_response_at=now - timedelta(hours=2),
            solved_at=now - timedelta(hours=1),
        )
    rollups.rollups_rebuild()
    client.force_login(manager)
    # Session, user, profile, notifications; the form's choices (3); whether the rollups are
    # built; FRT, resolution, conversations, the created and the solved tickets grouped (by
    # day, by hour of the week, by team and agent: one GROUPING SETS scan each), activity
    # totals, backlog age and overdue, escalations (9); the tables: workload, teams' and agents'
    # activity, then the names (5); at risk; trend alerts; the satisfaction card (2) and each
    # table's CSAT column (2), read from the surveys. SQLite groups in one query per
    # grouping (three more) and works out each percentile pair in three more queries (first
    # response, resolution here).
    # On PostgreSQL, +3 (dashbench): a savepoint, SET LOCAL work_mem and its release around
    # the rollups' reads (months of facts sorted in memory, not in temporary files).
    extra = 3 if connection.vendor == "postgresql" else 3 + 2 * 3
    with django_assert_num_queries(4 + 3 + 1 + 9 + 5 + 1 + 1 + 2 + 2 + extra):
        response = client.get("/manager/")

    assert response.status_code == 200
    assert response.context["volume"].solved == 3


def test_a_conversation_spanning_the_range_counts_live_and_rolled_up(db, teams, customer):
    """Messages before the range and after it, none inside: the conversation was open."""
    from tickets.models import Message

    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    filters = metrics.MetricFilters(start=start - timedelta(days=3), end=start - timedelta(days=1))
    ticket = make_ticket(
        team=teams[Tier.N1], customer=customer, created_at=start - timedelta(days=5)
    )
    for days_ago in (5, 0):
        Message.objects.create(
            ticket=ticket, direction="inbound", kind="message", channel="email",
            author_customer=customer, body_text="Olá", created_at=start - timedelta(days=days_ago),
        )  # fmt: skip

    rollups.rollups_rebuild()

    assert metrics.volume(filters).conversations == 1
    assert selectors.dashboard_figures(filters, now=timezone.now()).volume.conversations == 1
    outside = metrics.MetricFilters(start=start + timedelta(days=1), end=start + timedelta(days=2))
    assert metrics.volume(outside).conversations == 0


def test_no_second_rebuild_starts_while_one_runs(desk, monkeypatch):  # noqa: F811
    """Review finding: the command's rebuild took no lock, and the beat's refresh, seeing no
    rollups, started a second one on top of it."""
    beat = []

    def progress(_line):
        if not beat:
            beat.append(refresh_rollups())  # the beat's run, while the command's rebuild runs

    rollups.rollups_rebuild(progress=progress)

    assert beat == [0]
    assert not RollupState.objects.filter(name=REBUILDING).exists()
    assert selectors.rollup_answers(whole_range())


def test_a_failed_rebuild_is_not_retried_at_once_and_the_command_can_force_one(
    desk,  # noqa: F811
    monkeypatch,
):
    from django.core.management import CommandError, call_command

    def broken(_days):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rollups, "_refresh_days", broken)
    with pytest.raises(RuntimeError):
        refresh_rollups()
    monkeypatch.undo()

    assert refresh_rollups() == 0  # claimed less than an hour ago: no rebuild every 30 s
    with pytest.raises(CommandError, match="--force"):
        call_command("manager_rollup_rebuild")
    call_command("manager_rollup_rebuild", "--force")
    assert selectors.rollup_answers(whole_range())


def test_a_state_written_by_a_previous_release_does_not_make_cleared_rollups_read(desk, now):  # noqa: F811
    """Review finding: a worker still on the previous release, between the migration that
    clears the rollups and its restart, wrote its state row back ("catch-up"): the cleared
    rollups read as built. The generation's name changed."""
    RollupState.objects.create(name="catch-up", refreshed_until=timezone.now())

    assert not selectors.rollup_answers(whole_range())
    assert refresh_rollups() == 3  # built once, by itself
    assert_rolled_up_as_live(whole_range(), now)
