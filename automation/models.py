"""Routing policies of teams, agents' routing profile (skills, ticket capacity), triggers (rules
run on domain events) and time-based rules (run by the clock), with the record of which time
rule already acted on which ticket."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import AgentProfile, Team, Ticket


class TeamRouting(models.Model):
    """How a team's new tickets find an agent."""

    class Policy(models.TextChoices):
        MANUAL = "manual", _("Manual: a dispatcher assigns")
        ROUND_ROBIN = "round_robin", _("Round-robin among online agents")
        LEAST_LOADED = "least_loaded", _("Least loaded, within each agent's capacity")

    team = models.OneToOneField(
        Team, verbose_name=_("team"), related_name="routing", on_delete=models.CASCADE
    )
    policy = models.CharField(
        _("assignment policy"), max_length=16, choices=Policy.choices, default=Policy.MANUAL
    )
    # Round-robin: the user id of the agent who got the last ticket.
    last_assignee_id = models.IntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("team routing")
        verbose_name_plural = _("team routing")

    def __str__(self) -> str:
        return f"{self.team.name}: {self.get_policy_display()}"


class AgentRouting(models.Model):
    """What routing knows of an agent besides the core profile (tier, teams, languages,
    availability, chat capacity): their skills and how many open tickets they may hold."""

    profile = models.OneToOneField(
        AgentProfile, verbose_name=_("agent"), related_name="routing", on_delete=models.CASCADE
    )
    skills = models.CharField(
        _("skills"),
        max_length=255,
        blank=True,
        help_text=_("Comma-separated tags the agent handles, e.g. fiscal, boleto."),
    )
    ticket_capacity = models.PositiveSmallIntegerField(
        _("open tickets at once"),
        default=20,
        help_text=_("Routing gives the agent no more open tickets than this (0: none)."),
    )

    class Meta:
        verbose_name = _("agent routing")
        verbose_name_plural = _("agent routing")

    def __str__(self) -> str:
        return str(self.profile)

    @property
    def skill_set(self) -> set[str]:
        return {s.strip().lower() for s in self.skills.split(",") if s.strip()}


class Rule(models.Model):
    """A trigger: on the events it listens to, when all its conditions hold, its actions run in
    order. Rules run by position; one that matches with `stop` set ends the run."""

    class Event(models.TextChoices):
        CREATED = "created", _("Ticket created")
        UPDATED = "updated", _("Ticket updated")
        MESSAGE = "message", _("Message received")

    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("position"), default=100, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    events = models.JSONField(_("events"), default=list, help_text=_("created, updated, message"))
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    stop = models.BooleanField(_("stop the rules after this one"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")

    def __str__(self) -> str:
        return self.name


class TimeRule(models.Model):
    """A rule run by the clock: tickets in `status` for `after` (calendar hours or business
    days) get the actions, once per episode (the stretch of time the condition holds)."""

    class Condition(models.TextChoices):
        PENDING = "pending", _("Pending (waiting on the customer)")
        SOLVED = "solved", _("Solved")
        UNASSIGNED = "unassigned", _("New and unassigned")

    class Unit(models.TextChoices):
        MINUTES = "minutes", _("minutes")
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")
        BUSINESS_DAYS = "business_days", _("business days")

    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    condition = models.CharField(_("condition"), max_length=16, choices=Condition.choices)
    after = models.PositiveIntegerField(_("after"))
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices, default=Unit.HOURS)
    actions = models.JSONField(_("actions"), default=list)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("time-based rule")
        verbose_name_plural = _("time-based rules")

    def __str__(self) -> str:
        return self.name


class TimeRuleRun(models.Model):
    """A time rule acted on a ticket for the episode that began at `episode`: written in the
    same transaction as the actions, so a restarted worker never acts twice."""

    rule = models.ForeignKey(TimeRule, related_name="runs", on_delete=models.CASCADE)
    ticket = models.ForeignKey(Ticket, related_name="+", on_delete=models.CASCADE)
    episode = models.DateTimeField()
    ran_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "episode"], name="time_rule_once_per_episode"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} @ {self.ticket_id} ({self.episode:%Y-%m-%d %H:%M})"


# A row whose rules failed this many times is held for a person (automation/queue.py).
RULE_WORK_MAX_ATTEMPTS = 5


class RuleWork(models.Model):
    """Triggers to run on a ticket: written by `publish()` inside the transaction of the change
    (automation/queue.py), so it commits or rolls back with it, and deleted by the drain that
    ran them in the same transaction as the rules' work. A row that kept failing stays, held,
    for a person (the admin lists it)."""

    id = models.BigAutoField(primary_key=True)
    ticket_id = models.BigIntegerField()
    kinds = models.JSONField(default=list)  # created, updated, message
    depth = models.PositiveSmallIntegerField(default=0)
    skip = models.JSONField(default=list, blank=True)  # ids of the rules that caused the events
    created_at = models.DateTimeField(default=timezone.now)
    # Set after a failed run: not tried again before then (None: at once).
    due_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # What a drain takes, oldest first, without walking the held rows.
            models.Index(
                fields=["id"],
                name="rulework_runnable",
                condition=Q(attempts__lt=RULE_WORK_MAX_ATTEMPTS),
            ),
            models.Index(fields=["ticket_id"], name="rulework_ticket"),
        ]
        verbose_name = _("rules to run")
        verbose_name_plural = _("rules to run")

    def __str__(self) -> str:
        return f"#{self.ticket_id}: {', '.join(self.kinds)} ({self.depth})"
