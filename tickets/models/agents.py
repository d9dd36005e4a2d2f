"""Agents, their teams and tiers, and whether they can take live chats now."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Tier, tier_rank


class Team(models.Model):
    """A queue of tickets worked by agents of one tier."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices, default=Tier.N1)
    description = models.TextField(_("description"), blank=True)
    leads = models.ManyToManyField(
        "AgentProfile",
        verbose_name=_("team leads"),
        related_name="led_teams",
        blank=True,
        help_text=_("Agents who receive this team's escalations, follow-ups and alerts."),
    )

    class Meta:
        ordering = ["tier", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return f"{self.name} ({self.tier})"


class AgentProfile(models.Model):
    class N1Role(models.TextChoices):
        SOLVER = "solver", _("Solver (fixes on first contact)")
        DISPATCHER = "dispatcher", _("Dispatcher (triages and routes)")

    class Availability(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="agent_profile",
        on_delete=models.CASCADE,
    )
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices, default=Tier.N1)
    n1_role = models.CharField(
        _("N1 role"),
        max_length=16,
        choices=N1Role.choices,
        blank=True,
        help_text=_("Only for N1 agents."),
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), related_name="agents", blank=True)
    languages = models.CharField(
        _("languages"),
        max_length=64,
        default="pt-br",
        help_text=_("Comma-separated language codes the agent answers in."),
    )
    is_manager = models.BooleanField(
        _("manager"), default=False, help_text=_("Sees every team and the dashboards.")
    )
    # Set by the agent (the top bar's switch) and by their workspace's live connection, which
    # also stamps last_seen_at: "online" counts only while that stamp is recent.
    availability = models.CharField(
        _("availability"),
        max_length=8,
        choices=Availability.choices,
        default=Availability.OFFLINE,
    )
    chat_capacity = models.PositiveSmallIntegerField(
        _("live chats at once"),
        default=3,
        help_text=_("How many live chats the agent can hold at the same time (0: none)."),
    )
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(tier="N1") | Q(n1_role=""), name="agent_n1_role_only_for_n1"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.tier})"

    def can_hold_tier(self, tier: str) -> bool:
        return tier_rank(self.tier) >= tier_rank(tier)
