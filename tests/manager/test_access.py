"""Who reaches /manager/: managers and superusers see every team, team leads their own teams,
other agents and customers are refused."""

import pytest

from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from tickets.models import Tier


@pytest.fixture
def lead(teams):
    profile = AgentFactory(user__username="lead", tier=Tier.N1, teams=[teams[Tier.N1]])
    teams[Tier.N1].leads.add(profile)
    return profile.user


def test_manager_sees_every_team(client, manager, teams):
    make_ticket(team=teams[Tier.N1])
    make_ticket(team=teams[Tier.N2])
    client.force_login(manager)

    response = client.get("/manager/")

    assert response.status_code == 200
    assert response.context["volume"].created == 2
    assert response.context["scope"].sees_everything


def test_superuser_without_profile_is_let_in(client, db):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    assert client.get("/manager/").status_code == 200


def test_team_lead_sees_only_the_teams_they_lead(client, lead, teams):
    make_ticket(team=teams[Tier.N1])
    make_ticket(team=teams[Tier.N2])
    make_ticket(team=None)
    client.force_login(lead)

    response = client.get("/manager/")

    assert response.status_code == 200
    assert response.context["volume"].created == 1
    assert list(response.context["form"].fields["team"].queryset) == [teams[Tier.N1]]


def test_team_lead_cannot_pick_another_team(client, lead, teams):
    make_ticket(team=teams[Tier.N2])
    client.force_login(lead)

    response = client.get(f"/manager/?team={teams[Tier.N2].pk}")

    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["volume"].created == 0


def test_agent_who_leads_nothing_gets_403(client, n1_agent):
    client.force_login(n1_agent)

    assert client.get("/manager/").status_code == 403


def test_customer_gets_403(client, db):
    user = UserFactory()
    CustomerFactory(user=user)
    client.force_login(user)

    assert client.get("/manager/").status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/manager/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_lead_of_a_team_they_do_not_work_in_still_sees_it(client, teams):
    profile = AgentFactory(tier=Tier.N2, teams=[teams[Tier.N2]])
    other = TeamFactory(name="Financeiro")
    other.leads.add(profile)
    make_ticket(team=other)
    client.force_login(profile.user)

    assert client.get("/manager/").context["volume"].created == 1
