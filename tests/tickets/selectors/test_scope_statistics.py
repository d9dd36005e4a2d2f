"""The planner knows that an agent's visibility and the ticket's tier go together
(tickets/migrations/0018: extended statistics on team, assignee, tier and priority): asked for
the N2 urgent tickets an N1 agent may see, where the N1 team holds none, it expects next to no
rows instead of its independence guess (the guess made it walk every ticket newest first)."""

import json

import pytest
from django.db import connection

from tests.tickets.factories import make_ticket
from tickets.models import Ticket, Tier
from tickets.selectors import ticket_scope_for_agent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics"),
]


def estimated_rows(queryset) -> float:
    return json.loads(queryset.explain(format="json"))[0]["Plan"]["Plan Rows"]


def test_the_visibility_rule_and_the_tier_are_estimated_together(teams, n1_agent, customer):
    template = make_ticket(customer=customer)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Ticket._meta.concrete_fields
        if f.attname not in ("id", "number", "team_id", "tier", "priority")
    }
    # Half the desk in the N1 team (N1 tickets), the rest in the N2 and N3 teams; a quarter
    # of all urgent.
    priorities = ["urgent", "high", "normal", "low"]
    rows = []
    for n in range(4000):
        tier = (Tier.N1, Tier.N1, Tier.N2, Tier.N3)[n % 4]
        rows.append(
            Ticket(
                **fields, number=10_000 + n, team=teams[tier], tier=tier,
                priority=priorities[(n // 4) % 4],
            )
        )  # fmt: skip
    Ticket.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")

    seen = ticket_scope_for_agent(agent=n1_agent).filter(tier=Tier.N2, priority="urgent")

    assert not seen.exists()
    # Independent columns would give about 4,000 x 1/2 x 1/4 x 1/4 = 125.
    assert estimated_rows(seen) < 10
