"""Services on agents' access: deactivating and activating an agent's account, adding them to a
team and removing them from one.

Each publishes an event (`agent.deactivated`, `agent.activated`, `agent.team_added`,
`agent.team_removed`) so that whatever depends on what an agent may see re-checks at once: the
agent's open websockets (workspace.live) re-read their access or close. These changes belong to
no ticket, so they write no TicketEvent; the admin's log records who made them there.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .. import events
from ..models import AgentProfile, Team
from ._common import agent_profile


def _locked_user(agent: AbstractBaseUser) -> AbstractBaseUser:
    agent_profile(agent)  # NotAnAgent for anyone else
    return get_user_model().objects.select_for_update().get(pk=agent.pk)


def _locked_profile(agent: AbstractBaseUser) -> AgentProfile:
    return AgentProfile.objects.select_for_update().get(pk=agent_profile(agent).pk)


def _by_id(by: AbstractBaseUser | None) -> int | None:
    return by.pk if by is not None else None


@transaction.atomic
def agent_deactivate(*, agent: AbstractBaseUser, by: AbstractBaseUser | None) -> bool:
    """The agent can no longer sign in, and every session they have is ended (also when the
    account was already inactive). False when it was inactive already: nothing is published."""
    user = _locked_user(agent)
    was_active = user.is_active
    if was_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    agent.is_active = False
    ended = _end_sessions(user)
    if was_active:
        events.publish(
            events.AgentDeactivated(agent_id=user.pk, sessions_ended=ended, by_id=_by_id(by))
        )
    return was_active


@transaction.atomic
def agent_activate(*, agent: AbstractBaseUser, by: AbstractBaseUser | None) -> bool:
    """The agent may sign in again. False when the account was active already."""
    user = _locked_user(agent)
    agent.is_active = True
    if user.is_active:
        return False
    user.is_active = True
    user.save(update_fields=["is_active"])
    events.publish(events.AgentActivated(agent_id=user.pk, by_id=_by_id(by)))
    return True


@transaction.atomic
def agent_team_add(*, agent: AbstractBaseUser, team: Team, by: AbstractBaseUser | None) -> bool:
    """The agent joins the team and sees its tickets. False when they were in it already."""
    profile = _locked_profile(agent)
    if profile.teams.filter(pk=team.pk).exists():
        return False
    profile.teams.add(team)
    events.publish(events.AgentTeamAdded(agent_id=agent.pk, team_id=team.pk, by_id=_by_id(by)))
    return True


@transaction.atomic
def agent_team_remove(*, agent: AbstractBaseUser, team: Team, by: AbstractBaseUser | None) -> bool:
    """The agent leaves the team and no longer sees its tickets (unless assigned to them).
    False when they were not in it."""
    profile = _locked_profile(agent)
    if not profile.teams.filter(pk=team.pk).exists():
        return False
    profile.teams.remove(team)
    events.publish(events.AgentTeamRemoved(agent_id=agent.pk, team_id=team.pk, by_id=_by_id(by)))
    return True


def _end_sessions(user: AbstractBaseUser) -> int:
    """Delete every unexpired stored session signed in as this user; how many there were.

    Django keeps no index of sessions by user, so they are all read: fine for an act as rare as
    deactivating someone. An engine that cannot list its sessions (cache, signed cookies) ends
    none here; an inactive user is refused by every authentication check all the same."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    user_id = user._meta.pk.value_to_string(user)
    rows = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    ended = 0
    for key, data in rows.values_list("session_key", "session_data").iterator():
        store = store_class(key)
        if store.decode(data).get(SESSION_KEY) == user_id:
            store.delete()
            ended += 1
    return ended
