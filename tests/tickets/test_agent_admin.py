"""The admin changes an agent's access through the services: unticking "active" on the user's
page deactivates them (their sessions end, the event is published), and teams changed on the
agent profile's page or in the user page's inline are added and removed one by one, each with
its event."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.tickets.factories import AgentFactory, TeamFactory
from tickets import events
from tickets.models import AgentProfile, Tier


@pytest.fixture
def admin_(admin_client, admin_user, django_capture_on_commit_callbacks):
    """The superuser's client; each of its requests runs its after-commit work (the admin's
    transaction is the test's savepoint)."""

    def post(path, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(path, data)
        assert response.status_code == 302, response.context and _errors(response)
        return response

    return post


def _errors(response):
    context = response.context
    inlines = [formset.formset.errors for formset in context.get("inline_admin_formsets", [])]
    return context["adminform"].form.errors, inlines


def user_page(user, *, active=True, teams=()):
    """What the user's change page posts back, with its agent profile inline."""
    profile = user.agent_profile
    data = {
        "username": user.username,
        "email": user.email,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "agent_profile-TOTAL_FORMS": "1",
        "agent_profile-INITIAL_FORMS": "1",
        "agent_profile-MIN_NUM_FORMS": "0",
        "agent_profile-MAX_NUM_FORMS": "1",
        "agent_profile-0-id": profile.pk,
        "agent_profile-0-user": user.pk,
        "agent_profile-0-tier": profile.tier,
        "agent_profile-0-n1_role": profile.n1_role,
        "agent_profile-0-languages": profile.languages,
        "agent_profile-0-teams": [team.pk for team in teams],
    }
    if active:
        data["is_active"] = "on"
    return data


def change_url(model_admin_name, pk):
    return reverse(f"admin:{model_admin_name}_change", args=[pk])


def test_unticking_active_deactivates_the_agent_through_the_service(
    admin_, received, teams, n1_agent, admin_user
):
    tab = Client()
    tab.force_login(n1_agent)

    admin_(change_url("auth_user", n1_agent.pk), user_page(n1_agent, active=False, teams=[]))

    n1_agent.refresh_from_db()
    assert not n1_agent.is_active
    assert tab.get("/agent/").status_code == 302  # signed out
    assert not Session.objects.filter(pk=tab.session.session_key).exists()
    deactivated = [e for e in received if isinstance(e, events.AgentDeactivated)]
    assert deactivated == [
        events.AgentDeactivated(agent_id=n1_agent.pk, sessions_ended=1, by_id=admin_user.pk)
    ]


def test_ticking_active_again_activates_the_agent(admin_, received, n1_agent):
    type(n1_agent).objects.filter(pk=n1_agent.pk).update(is_active=False)
    teams = list(n1_agent.agent_profile.teams.all())

    admin_(change_url("auth_user", n1_agent.pk), user_page(n1_agent, teams=teams))

    n1_agent.refresh_from_db()
    assert n1_agent.is_active
    assert [e.name for e in received] == ["agent.activated"]


def test_teams_changed_in_the_user_page_go_through_the_services(admin_, received, teams, n1_agent):
    sales = TeamFactory(name="Vendas N1", tier=Tier.N1)

    admin_(change_url("auth_user", n1_agent.pk), user_page(n1_agent, teams=[sales]))

    assert list(n1_agent.agent_profile.teams.all()) == [sales]
    assert [(e.name, e.team_id) for e in received] == [
        ("agent.team_added", sales.pk),
        ("agent.team_removed", teams[Tier.N1].pk),
    ]


def test_teams_changed_on_the_agent_profile_page_go_through_the_services(admin_, received, teams):
    profile = AgentFactory(tier=Tier.N2, teams=[teams[Tier.N2]])
    experts = teams[Tier.N3]

    admin_(
        change_url("tickets_agentprofile", profile.pk),
        {
            "user": profile.user_id,
            "tier": "N2",
            "n1_role": "",
            "languages": "pt-br",
            "teams": [experts.pk],
        },
    )

    assert list(profile.teams.all()) == [experts]
    assert {(e.name, e.team_id) for e in received} == {
        ("agent.team_added", experts.pk),
        ("agent.team_removed", teams[Tier.N2].pk),
    }


def test_new_agent_profile_joins_its_teams_through_the_service(
    admin_, received, teams, django_user_model
):
    user = django_user_model.objects.create_user(username="nova")

    admin_(
        reverse("admin:tickets_agentprofile_add"),
        {
            "user": user.pk,
            "tier": "N1",
            "n1_role": "solver",
            "languages": "pt-br",
            "teams": [teams[Tier.N1].pk],
        },
    )

    assert list(AgentProfile.objects.get(user=user).teams.all()) == [teams[Tier.N1]]
    assert [(e.name, e.agent_id) for e in received] == [("agent.team_added", user.pk)]


def test_saving_the_user_page_unchanged_publishes_nothing(admin_, received, teams, n1_agent):
    admin_(change_url("auth_user", n1_agent.pk), user_page(n1_agent, teams=[teams[Tier.N1]]))

    assert received == []
    assert n1_agent.agent_profile.teams.count() == 1
