""" "At risk now": tickets past their SLA warning time, least time left first, each linking to
the ticket, within the reader's teams; the list reloads itself on SLA pushes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.tickets.factories import AgentFactory, make_ticket
from tickets.models import Ticket, Tier


@pytest.fixture
def risky(teams):
    now = timezone.now()

    def ticket(subject, team, due, warn, **changes):
        return make_ticket(
            team=team,
            subject=subject,
            sla_due_at=now + due,
            sla_warn_at=now + warn,
            **changes,
        )

    n1, n2 = teams[Tier.N1], teams[Tier.N2]
    return {
        "late": ticket("Atrasado", n1, -timedelta(hours=1), -timedelta(hours=2)),
        "soon": ticket("Quase", n1, timedelta(minutes=30), -timedelta(minutes=5)),
        "calm": ticket("Tranquilo", n1, timedelta(minutes=20), timedelta(minutes=2)),
        "other": ticket("Outra equipe", n2, timedelta(minutes=10), -timedelta(minutes=1)),
        "solved": ticket(
            "Resolvido",
            n1,
            -timedelta(hours=1),
            -timedelta(hours=2),
            status=Ticket.Status.SOLVED,
        ),
    }


def numbers(response):
    return [t.number for t in response.context["at_risk"]]


def test_manager_sees_tickets_past_their_warning_time_least_time_left_first(client, manager, risky):
    client.force_login(manager)

    response = client.get("/manager/")

    assert numbers(response) == [risky[k].number for k in ("late", "other", "soon")]
    body = response.content.decode()
    assert f'href="/agent/tickets/{risky["soon"].number}/"' in body
    assert 'hx-trigger="jornada:sla from:body, every 60s"' in body


def test_team_lead_sees_only_their_teams_at_risk(client, teams, risky):
    lead = AgentFactory(tier=Tier.N1, teams=[teams[Tier.N1]])
    teams[Tier.N1].leads.add(lead)
    client.force_login(lead.user)

    response = client.get("/manager/at-risk/")

    assert numbers(response) == [risky["late"].number, risky["soon"].number]


def test_the_list_alone_keeps_the_filters(client, manager, risky, teams):
    client.force_login(manager)

    response = client.get(f"/manager/at-risk/?team={teams[Tier.N2].pk}")

    assert numbers(response) == [risky["other"].number]
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card at-risk" id="at-risk"')
    assert f"/manager/at-risk/?team={teams[Tier.N2].pk}" in body


def test_agents_get_403_on_the_list_too(client, n1_agent):
    client.force_login(n1_agent)

    assert client.get("/manager/at-risk/").status_code == 403
