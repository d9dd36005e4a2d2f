"""Agents' access changes through services: deactivating ends every session of the agent (and
only theirs), and each change publishes its event after commit, once; repeating a change that
already holds publishes nothing."""

import pytest
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import Client

from tests.tickets.factories import AgentFactory, TeamFactory, UserFactory
from tickets import events, services
from tickets.errors import NotAnAgent
from tickets.models import Tier


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def sign_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def signed_in(client: Client) -> bool:
    return client.get("/agent/").status_code == 200


def test_deactivating_an_agent_ends_all_their_sessions_and_only_theirs(n1_agent, manager):
    tabs = [sign_in(n1_agent), sign_in(n1_agent)]
    colleague = sign_in(manager)

    assert services.agent_deactivate(agent=n1_agent, by=manager) is True

    n1_agent.refresh_from_db()
    assert n1_agent.is_active is False
    assert not any(signed_in(tab) for tab in tabs)
    assert Session.objects.count() == 1
    assert signed_in(colleague)


def test_deactivation_is_published_after_commit_with_the_sessions_it_ended(
    received, n1_agent, manager, after_commit
):
    sign_in(n1_agent)
    with after_commit(execute=True):
        services.agent_deactivate(agent=n1_agent, by=manager)
        assert received == []

    assert received == [
        events.AgentDeactivated(agent_id=n1_agent.pk, sessions_ended=1, by_id=manager.pk)
    ]
    assert received[0].payload() == {
        "event": "agent.deactivated",
        "version": 1,
        "ticket_id": None,
        "by_id": manager.pk,
        "agent_id": n1_agent.pk,
        "sessions_ended": 1,
    }


def test_rolled_back_deactivation_keeps_the_agent_and_publishes_nothing(received, n1_agent):
    tab = sign_in(n1_agent)

    def deactivate_then_fail():
        with transaction.atomic():
            services.agent_deactivate(agent=n1_agent, by=None)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        deactivate_then_fail()

    n1_agent.refresh_from_db()
    assert (n1_agent.is_active, received) == (True, [])
    assert signed_in(tab)


def test_deactivating_an_inactive_agent_still_ends_sessions_but_publishes_nothing(
    received, n1_agent
):
    tab = sign_in(n1_agent)
    type(n1_agent).objects.filter(pk=n1_agent.pk).update(is_active=False)

    assert services.agent_deactivate(agent=n1_agent, by=None) is False

    assert received == []
    assert not Session.objects.exists()
    assert not signed_in(tab)


def test_activating_lets_the_agent_sign_in_again(received, n1_agent, manager, after_commit):
    with after_commit(execute=True):
        services.agent_deactivate(agent=n1_agent, by=manager)
        assert services.agent_activate(agent=n1_agent, by=manager) is True
        assert services.agent_activate(agent=n1_agent, by=manager) is False

    assert signed_in(sign_in(n1_agent))
    assert [event.name for event in received] == ["agent.deactivated", "agent.activated"]


def test_team_changes_change_what_the_agent_sees_and_are_published_once(
    received, teams, n1_agent, manager, after_commit
):
    sales, own = TeamFactory(name="Vendas N1", tier=Tier.N1), teams[Tier.N1]

    with after_commit(execute=True):
        assert services.agent_team_add(agent=n1_agent, team=sales, by=manager) is True
        assert services.agent_team_add(agent=n1_agent, team=sales, by=manager) is False
        assert services.agent_team_remove(agent=n1_agent, team=own, by=manager) is True
        assert services.agent_team_remove(agent=n1_agent, team=own, by=manager) is False

    assert list(n1_agent.agent_profile.teams.all()) == [sales]
    assert received == [
        events.AgentTeamAdded(agent_id=n1_agent.pk, team_id=sales.pk, by_id=manager.pk),
        events.AgentTeamRemoved(agent_id=n1_agent.pk, team_id=teams[Tier.N1].pk, by_id=manager.pk),
    ]


def test_agent_services_refuse_someone_who_is_not_an_agent(teams):
    customer_login = UserFactory()
    with pytest.raises(NotAnAgent):
        services.agent_deactivate(agent=customer_login, by=None)
    with pytest.raises(NotAnAgent):
        services.agent_team_add(agent=customer_login, team=teams[Tier.N1], by=None)
    customer_login.refresh_from_db()
    assert customer_login.is_active


def test_by_may_be_a_staff_user_without_an_agent_profile(received, admin_user, teams, after_commit):
    agent = AgentFactory(tier=Tier.N1).user

    with after_commit(execute=True):
        services.agent_team_add(agent=agent, team=teams[Tier.N1], by=admin_user)

    assert received[0].by_id == admin_user.pk
