"""Two tickets routed at the same moment never both take an agent's last slot (PostgreSQL, real
threads, each with its own connection and transaction)."""

import threading

import pytest
from django.db import connection, connections

from automation.engine import Work, process
from automation.models import TeamRouting
from tests.automation.conftest import online_agent, ticket_in
from tests.tickets.factories import TeamFactory
from tickets.models import Ticket, Tier

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


def route_at_once(ticket_ids):
    """Each id (or list of ids: one batch) routed by a thread of its own, all at once."""
    barrier = threading.Barrier(len(ticket_ids))
    errors = []

    def work(ids):
        try:
            barrier.wait()
            process([Work(pk, {"created"}) for pk in (ids if isinstance(ids, list) else [ids])])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(pk,)) for pk in ticket_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "policy", [TeamRouting.Policy.LEAST_LOADED, TeamRouting.Policy.ROUND_ROBIN]
)
def test_two_tickets_at_once_never_both_take_the_last_slot(policy):
    team = TeamFactory(name="Atendimento N1", tier=Tier.N1)
    TeamRouting.objects.create(team=team, policy=policy)
    agent = online_agent(team, username="ana", capacity=2)
    ticket_in(team, assignee=agent)  # one slot left
    tickets = [ticket_in(team) for _ in range(2)]

    for _ in range(3):  # a few rounds: the race must be lost every time
        route_at_once([t.pk for t in tickets])
        assigned = Ticket.objects.filter(pk__in=[t.pk for t in tickets], assignee=agent).count()
        assert assigned == 1
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(assignee=None)


@pytest.mark.django_db(transaction=True)
def test_a_burst_spreads_over_agents_without_exceeding_any_capacity():
    team = TeamFactory(name="Atendimento N1", tier=Tier.N1)
    TeamRouting.objects.create(team=team, policy=TeamRouting.Policy.LEAST_LOADED)
    agents = [online_agent(team, username=f"a{i}", capacity=3) for i in range(3)]
    tickets = [ticket_in(team) for _ in range(12)]

    route_at_once([t.pk for t in tickets])

    loads = [Ticket.objects.filter(assignee=a).count() for a in agents]
    assert loads == [3, 3, 3]
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], assignee=None).count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_share_the_agents_without_exceeding_any_capacity():
    team = TeamFactory(name="Atendimento N1", tier=Tier.N1)
    TeamRouting.objects.create(team=team, policy=TeamRouting.Policy.LEAST_LOADED)
    agents = [online_agent(team, username=f"a{i}", capacity=3) for i in range(2)]
    ticket_in(team, assignee=agents[0])
    tickets = [ticket_in(team) for _ in range(8)]

    route_at_once([[t.pk for t in tickets[:4]], [t.pk for t in tickets[4:]]])

    assert [Ticket.objects.filter(assignee=a).count() for a in agents] == [3, 3]
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], assignee=None).count() == 3
