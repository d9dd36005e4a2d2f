"""Two writers meeting on one ticket, with real PostgreSQL connections (one per thread)."""

import threading

import pytest
from django.db import connection, transaction

from tests.tickets.factories import AgentFactory, make_ticket
from tickets import services
from tickets.errors import AlreadyClaimed
from tickets.models import Ticket, TicketEvent, Tier

pytestmark = pytest.mark.services


def _in_thread(func, *args):
    """Run func in a thread with its own database connection; return (thread, outcome dict)."""
    outcome = {}

    def target():
        try:
            outcome["result"] = func(*args)
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def test_second_claim_waits_for_the_first_and_loses(transactional_db):
    ticket = make_ticket()
    first = AgentFactory(user__username="ana", tier=Tier.N1).user
    second = AgentFactory(user__username="bruno", tier=Tier.N1).user
    first_holds_lock = threading.Event()
    release_first = threading.Event()

    def claim_and_hold():
        with transaction.atomic():
            services.ticket_claim(ticket=ticket, by=first)
            first_holds_lock.set()
            release_first.wait(timeout=10)

    def claim_second():
        first_holds_lock.wait(timeout=10)
        return services.ticket_claim(ticket=ticket, by=second)

    thread_a, outcome_a = _in_thread(claim_and_hold)
    thread_b, outcome_b = _in_thread(claim_second)
    first_holds_lock.wait(timeout=10)
    thread_b.join(timeout=0.5)
    assert thread_b.is_alive(), "the second claim must wait on the row lock"
    release_first.set()
    thread_a.join(timeout=10)
    thread_b.join(timeout=10)

    assert "error" not in outcome_a
    assert isinstance(outcome_b.get("error"), AlreadyClaimed)
    ticket.refresh_from_db()
    assert ticket.assignee == first
    assert ticket.events.filter(kind=TicketEvent.Kind.CLAIMED).count() == 1


def test_many_agents_claiming_at_once_exactly_one_wins(transactional_db):
    ticket = make_ticket()
    agents = [AgentFactory(user__username=f"agent{i}", tier=Tier.N1).user for i in range(6)]
    start = threading.Barrier(len(agents))

    def claim(agent):
        start.wait(timeout=10)
        return services.ticket_claim(ticket=ticket, by=agent)

    runs = [_in_thread(claim, agent) for agent in agents]
    for thread, _ in runs:
        thread.join(timeout=30)

    winners = [outcome for _, outcome in runs if "result" in outcome]
    losers = [outcome for _, outcome in runs if isinstance(outcome.get("error"), AlreadyClaimed)]
    assert len(winners) == 1
    assert len(losers) == len(agents) - 1
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.assignee == winners[0]["result"].assignee
    assert ticket.events.filter(kind=TicketEvent.Kind.CLAIMED).count() == 1


def test_ticket_numbers_stay_unique_under_concurrent_creation(transactional_db):
    start = threading.Barrier(4)

    def create_tickets():
        start.wait(timeout=10)
        return [make_ticket().number for _ in range(10)]

    runs = [_in_thread(create_tickets) for _ in range(4)]
    for thread, _ in runs:
        thread.join(timeout=30)

    numbers = [n for _, outcome in runs for n in outcome["result"]]
    assert len(numbers) == len(set(numbers)) == 40
