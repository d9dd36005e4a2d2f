"""The dashboard's heaviest reads on connections of their own (manager.together): the same
figures as read one after the other on the request's connection, with the work really spread
(PostgreSQL, committed rows: other connections see nothing of a test's transaction)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from manager import rollups, selectors, together
from sla import metrics
from tests.tickets.factories import AgentFactory, TeamFactory, make_ticket
from tickets.models import Ticket, Tier

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel reads are PostgreSQL's"
)


@pytest.fixture
def pool_closed():
    yield
    together.close_connections()  # before the test database is dropped


@pytest.mark.django_db(transaction=True)
def test_reads_on_other_connections_give_the_figures_read_in_turn(settings, pool_closed):
    team = TeamFactory(name="Suporte", tier=Tier.N1)
    agents = [AgentFactory(user__username=f"a{n}", tier=Tier.N1, teams=[team]).user for n in (1, 2)]
    now = timezone.now().replace(microsecond=0)
    for n in range(12):
        make_ticket(
            team=team,
            assignee=agents[n % 2],
            status=Ticket.Status.SOLVED if n % 3 else Ticket.Status.OPEN,
            created_at=now - timedelta(days=n, hours=3),
            first_response_at=now - timedelta(days=n, hours=2, minutes=n),
            solved_at=now - timedelta(days=n, hours=1) if n % 3 else None,
        )
    rollups.rollups_rebuild()
    tz = rollups.desk_zone()
    today = timezone.localtime(now, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    filters = metrics.MetricFilters(start=today - timedelta(days=30), end=today + timedelta(days=1))
    threads = set()
    real = together._on_own_connection

    def spy(read):
        threads.add(threading.get_ident())
        return real(read)

    settings.JORNADA = {**settings.JORNADA, "DASHBOARD_DB_THREADS": 0}
    assert not together.in_parallel()
    in_turn = selectors.dashboard_figures(filters, now=now)

    settings.JORNADA = {**settings.JORNADA, "DASHBOARD_DB_THREADS": 2}
    together._on_own_connection = spy
    try:
        assert together.in_parallel()
        at_once = selectors.dashboard_figures(filters, now=now)
    finally:
        together._on_own_connection = real

    assert threads  # the reads ran on the pool's threads
    assert threading.get_ident() not in threads
    key = lambda row: (row.key is None, row.key or 0)  # noqa: E731
    for figures in (at_once, in_turn):  # the tables' order is the page's to choose
        figures.agents.sort(key=key)
        figures.teams.sort(key=key)
    assert at_once == in_turn
    assert at_once.volume.created == 12
    assert at_once.volume.solved == 8


def test_a_callers_transaction_keeps_every_read_on_its_connection(db, settings):
    settings.JORNADA = {**settings.JORNADA, "DASHBOARD_DB_THREADS": 2}

    assert connection.in_atomic_block
    assert not together.in_parallel()
