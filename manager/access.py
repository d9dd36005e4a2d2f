"""Who reaches the managers' dashboards and which teams each one sees: managers (and superusers)
every team, team leads the teams they lead, everyone else nothing (403)."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied

from tickets.models import AgentProfile, Team


@dataclass(frozen=True)
class DashboardScope:
    """`team_ids` is None for a manager (every team, and tickets with no team)."""

    team_ids: list[int] | None

    @property
    def sees_everything(self) -> bool:
        return self.team_ids is None

    def teams(self):
        teams = Team.objects.order_by("tier", "name")
        return teams if self.team_ids is None else teams.filter(pk__in=self.team_ids)


def dashboard_scope(*, user: AbstractBaseUser) -> DashboardScope:
    if not user.is_authenticated:
        raise PermissionDenied
    if user.is_superuser:
        return DashboardScope(team_ids=None)
    try:
        profile = user.agent_profile
    except AgentProfile.DoesNotExist:
        raise PermissionDenied from None
    if profile.is_manager:
        return DashboardScope(team_ids=None)
    led = list(profile.led_teams.values_list("pk", flat=True))
    if not led:
        raise PermissionDenied
    return DashboardScope(team_ids=led)
