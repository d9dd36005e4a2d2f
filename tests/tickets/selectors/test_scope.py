"""The tickets an agent may see (tickets.selectors.ticket_scope_for_agent), narrowed to one team
and/or one assignee: the same tickets as the whole reach filtered, with the visibility rule
written for that case."""

import itertools

import pytest

from tests.tickets.factories import AgentFactory, TeamFactory, make_ticket
from tickets.models import Ticket, Tier
from tickets.selectors import ticket_scope_for_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(teams, n1_agent, customer):
    """A ticket for every (team, assignee) pair an N1 agent can meet: their team, another team,
    no team; themselves, a colleague of the other team, nobody."""
    other_team = TeamFactory(name="Financeiro", tier=Tier.N1)
    colleague = AgentFactory(user__username="fin", tier=Tier.N1, teams=[other_team]).user
    team_choices = {"mine": teams[Tier.N1], "other": other_team, "none": None}
    assignee_choices = {"me": n1_agent, "colleague": colleague, "nobody": None}
    for (team_key, team), (who, assignee) in itertools.product(
        team_choices.items(), assignee_choices.items()
    ):
        make_ticket(customer=customer, subject=f"{team_key} {who}", team=team, assignee=assignee)
    return {"teams": team_choices, "assignees": assignee_choices}


def subjects(tickets):
    return set(tickets.values_list("subject", flat=True))


def test_narrowed_reach_holds_the_same_tickets_as_the_reach_filtered(n1_agent, manager, desk):
    team_ids = [None, *(team.pk for team in desk["teams"].values() if team)]
    assignee_ids = [None, *(user.pk for user in desk["assignees"].values() if user)]
    for agent in (n1_agent, manager):
        for team_id, assignee_id in itertools.product(team_ids, assignee_ids):
            narrowing = {"team_id": team_id, "assignee_id": assignee_id}
            expected = ticket_scope_for_agent(agent=agent).filter(
                **{key: value for key, value in narrowing.items() if value is not None}
            )
            narrowed = ticket_scope_for_agent(agent=agent, **narrowing)
            assert subjects(narrowed) == subjects(expected), (agent.username, narrowing)


def test_an_agents_own_team_or_self_as_assignee_needs_no_visibility_condition(n1_agent, desk):
    own_team = ticket_scope_for_agent(agent=n1_agent, team_id=desk["teams"]["mine"].pk)
    assert subjects(own_team) == {"mine me", "mine colleague", "mine nobody"}
    themselves = ticket_scope_for_agent(agent=n1_agent, assignee_id=n1_agent.pk)
    assert subjects(themselves) == {"mine me", "other me", "none me"}
    for narrowed in (own_team, themselves):
        assert " OR " not in str(narrowed.query)


def test_another_team_is_seen_only_where_the_agent_is_its_assignee_without_an_or(n1_agent, desk):
    other = ticket_scope_for_agent(agent=n1_agent, team_id=desk["teams"]["other"].pk)
    assert subjects(other) == {"other me"}
    assert " OR " not in str(other.query)
    colleague = desk["assignees"]["colleague"].pk
    nothing = ticket_scope_for_agent(
        agent=n1_agent, team_id=desk["teams"]["other"].pk, assignee_id=colleague
    )
    assert not nothing.exists()


def test_a_colleagues_tickets_are_those_of_the_agents_teams_and_the_unrouted(n1_agent, desk):
    colleague = desk["assignees"]["colleague"].pk
    theirs = ticket_scope_for_agent(agent=n1_agent, assignee_id=colleague)
    assert subjects(theirs) == {"mine colleague", "none colleague"}


def test_a_manager_narrowed_sees_the_whole_team(manager, desk):
    other = ticket_scope_for_agent(agent=manager, team_id=desk["teams"]["other"].pk)
    assert subjects(other) == {"other me", "other colleague", "other nobody"}
    assert Ticket.objects.count() == 9
