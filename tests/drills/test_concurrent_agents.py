"""Drill: 20 agents work the same 50 new tickets at once, each in its own thread with its own
PostgreSQL connection, through the services: claim, tag, change the priority, add a note. No
update is lost (every tag and every note is there), exactly one claim wins each ticket, and the
audit trail is complete: each change is one TicketEvent, and each event starts where the one
before it ended."""

import random
import threading
import time
from collections import Counter, defaultdict

import pytest
from django.db import connection

from tests.tickets.factories import AgentFactory, make_ticket
from tickets import services
from tickets.errors import AlreadyClaimed
from tickets.models import Message, Ticket, TicketEvent, Tier

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

AGENTS, TICKETS = 20, 50
E = TicketEvent.Kind


def chain_is_whole(events: list[TicketEvent], start) -> bool:
    """Each change starts from where the previous one left the ticket."""
    before = start
    for event in events:
        if event.before != before:
            return False
        before = event.after
    return True


def test_twenty_agents_on_fifty_tickets_lose_no_update_and_leave_a_whole_audit_trail(teams):
    started = time.monotonic()
    agents = [
        AgentFactory(user__username=f"agente{i:02d}", tier=Tier.N1, teams=[teams[Tier.N1]]).user
        for i in range(AGENTS)
    ]
    tickets = [make_ticket(team=teams[Tier.N1], subject=f"Chamado {n}") for n in range(TICKETS)]
    start = threading.Barrier(AGENTS)
    won: dict[int, list[int]] = defaultdict(list)
    errors: list[BaseException] = []

    def work(index: int, agent) -> None:
        rng = random.Random(index)
        order = tickets[:]
        rng.shuffle(order)
        try:
            start.wait(timeout=30)
            for ticket in order:
                try:
                    services.ticket_claim(ticket=ticket, by=agent)
                    won[ticket.pk].append(agent.pk)
                except AlreadyClaimed:
                    pass
                services.ticket_tag(ticket=ticket, by=agent, add=[f"agente-{index:02d}"])
                services.ticket_change_priority(
                    ticket=ticket, priority=rng.choice(Ticket.Priority.values), by=agent
                )
                services.note_add(ticket=ticket, by=agent, body_text=f"Nota do agente {index}")
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, a)) for i, a in enumerate(agents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not errors, errors[0]
    every_tag = sorted(f"agente-{i:02d}" for i in range(AGENTS))
    for ticket in Ticket.objects.filter(pk__in=[t.pk for t in tickets]):
        events = list(ticket.events.order_by("pk"))
        by_kind = defaultdict(list)
        for event in events:
            by_kind[event.kind].append(event)
        [claimed] = by_kind[E.CLAIMED]  # one winner...
        assert won[ticket.pk] == [ticket.assignee_id] == [claimed.actor_id]  # ...the assignee
        assert [(e.before, e.after) for e in by_kind[E.STATUS_CHANGED]] == [("new", "open")]
        assert sorted(ticket.tags.values_list("name", flat=True)) == every_tag
        assert len(by_kind[E.TAGS_CHANGED]) == AGENTS
        assert chain_is_whole(by_kind[E.TAGS_CHANGED], start=[])
        assert by_kind[E.TAGS_CHANGED][-1].after == every_tag
        assert chain_is_whole(by_kind[E.PRIORITY_CHANGED], start="normal")
        last_priority = (
            by_kind[E.PRIORITY_CHANGED][-1].after if by_kind[E.PRIORITY_CHANGED] else "normal"
        )
        assert ticket.priority == last_priority
        notes = Message.objects.filter(ticket=ticket, kind=Message.Kind.INTERNAL_NOTE)
        assert Counter(notes.values_list("author_user_id", flat=True)) == Counter(
            a.pk for a in agents
        )
        assert sorted(e.data["message_id"] for e in by_kind[E.NOTE_ADDED]) == sorted(
            notes.values_list("pk", flat=True)
        )
    print(f"\ndrill concurrent agents: {AGENTS * TICKETS * 4} service calls, "
          f"{time.monotonic() - started:.1f}s")  # fmt: skip
