"""Trend alerts: an unusual rise in the volume of new tickets of one channel, tag or subject
cluster, measured against the same hour in the previous weeks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class TrendAlert(models.Model):
    class Dimension(models.TextChoices):
        CHANNEL = "channel", _("Channel")
        TAG = "tag", _("Tag")
        SUBJECT = "subject", _("Subject")

    dimension = models.CharField(_("what"), max_length=16, choices=Dimension.choices)
    value = models.CharField(_("which"), max_length=64)
    window_start = models.DateTimeField(_("hour starting at"))
    window_end = models.DateTimeField(_("hour ending at"))
    count = models.PositiveIntegerField(_("new tickets in that hour"))
    baseline = models.FloatField(_("baseline (average of the same hour in previous weeks)"))
    baseline_weeks = models.PositiveSmallIntegerField(_("weeks in the baseline"))
    created_at = models.DateTimeField(_("raised at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    muted_until = models.DateTimeField(
        _("muted until"),
        null=True,
        blank=True,
        help_text=_("No new alert for the same channel or tag before then."),
    )

    class Meta:
        ordering = ["-window_start", "-id"]
        verbose_name = _("trend alert")
        verbose_name_plural = _("trend alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "value", "window_start"], name="trend_alert_once_per_hour"
            )
        ]
        indexes = [
            models.Index(
                fields=["-created_at"],
                name="trend_alert_open",
                condition=Q(acknowledged_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_dimension_display()} {self.value}: {self.count}"

    def summary(self) -> str:
        """What rose, by how much, against what baseline, in a sentence."""
        return gettext(
            "%(what)s “%(value)s”: %(count)s new tickets in the hour from %(start)s, against "
            "%(baseline)s on average in the same hour of the previous %(weeks)s weeks."
        ) % {
            "what": self.get_dimension_display(),
            "value": self.value,
            "count": self.count,
            "start": date_format(timezone.localtime(self.window_start), "SHORT_DATETIME_FORMAT"),
            "baseline": number_format(self.baseline, 1),
            "weeks": self.baseline_weeks,
        }

    @property
    def rise(self) -> float | None:
        """How many times the baseline (None when the baseline is zero)."""
        return self.count / self.baseline if self.baseline else None


# The dashboard's filters, as TicketFacts columns (the organization is answered live).
FILTER_COLUMNS = ["team_id", "assignee_id", "tier", "channel", "segment"]
CREATED_FIGURES = [
    "first_response_seconds", "first_response_business", "created_day", "created_slot"
]  # fmt: skip
SOLVED_FIGURES = [
    "resolution_seconds", "resolution_business", "replies", "reopen_count", "inbound", "solved_day"
]  # fmt: skip


class TicketFacts(models.Model):
    """The dashboard's rollup of one ticket (merged tickets have none): its filters, its
    timestamps and what the clocks and the conversation came to, so the figures of a range read
    one narrow table instead of joining tickets, customers, clocks and messages. A row is a pure
    function of the ticket, its customer, its clocks and its messages (manager/rollups.py), rebuilt
    whole when any of them changes: after the domain events that mark the ticket, and by
    `manage.py manager_rollup_rebuild`."""

    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    team_id = models.IntegerField(null=True)
    tier = models.CharField(max_length=2)
    assignee_id = models.IntegerField(null=True)
    channel = models.CharField(max_length=16)
    segment = models.CharField(max_length=16)
    organization_id = models.IntegerField(null=True)
    reopen_count = models.PositiveIntegerField(default=0)
    is_open = models.BooleanField(default=False)  # new, open, pending or on hold
    created_at = models.DateTimeField()
    # In the desk's time zone: the day, and the hour of the week (Monday 00h is 0).
    created_day = models.DateField()
    created_slot = models.PositiveSmallIntegerField()
    solved_at = models.DateTimeField(null=True, help_text="Set while solved or closed.")
    solved_day = models.DateField(null=True)
    first_response_seconds = models.FloatField(null=True)  # wall-clock
    first_response_business = models.IntegerField(null=True)  # its clock, once stopped
    resolution_seconds = models.FloatField(null=True)
    resolution_business = models.IntegerField(null=True)
    replies = models.PositiveIntegerField(default=0)  # agents' messages (not notes)
    inbound = models.PositiveIntegerField(default=0)  # the customer's messages
    first_message_at = models.DateTimeField(null=True)  # messages, not notes
    last_message_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # A range's created and solved tickets: their figures and every filter in the index,
            # read without visiting the table (PostgreSQL; autovacuum keeps the pages visible).
            models.Index(
                fields=["created_at"],
                include=[*FILTER_COLUMNS, *CREATED_FIGURES],
                name="manager_facts_created_with",
            ),
            models.Index(
                fields=["solved_at"],
                include=[*FILTER_COLUMNS, *SOLVED_FIGURES],
                name="manager_facts_solved_with",
                condition=Q(solved_at__isnull=False),
            ),
            models.Index(
                fields=["last_message_at", "first_message_at"], name="manager_facts_messages"
            ),
            # The backlog: its age and workload without visiting the table (PostgreSQL).
            models.Index(
                fields=["created_at"],
                include=FILTER_COLUMNS,
                name="manager_facts_open",
                condition=Q(is_open=True),
            ),
            # One agent's tickets of a range, without reading the whole desk's.
            models.Index(fields=["assignee_id", "created_at"], name="manager_facts_agent_created"),
            models.Index(
                fields=["assignee_id", "solved_at"],
                name="manager_facts_agent_solved",
                condition=Q(solved_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"facts of ticket {self.ticket_id}"


class ActivityFigures(models.Model):
    """Additive figures per day (in the desk's time zone) and per combination of the tickets'
    team, tier, channel and customer segment: messages written that day and SLA clocks decided
    that day. A day's rows are recomputed whole from the messages and clocks of that day
    (manager/rollups.py)."""

    day = models.DateField()
    team_id = models.IntegerField(null=True)
    tier = models.CharField(max_length=2)
    channel = models.CharField(max_length=16)
    segment = models.CharField(max_length=16)
    replies = models.PositiveIntegerField(default=0)
    inbound = models.PositiveIntegerField(default=0)
    # Gaps between a customer's message of that day and their previous one on the ticket.
    contact_gaps = models.PositiveIntegerField(default=0)
    contact_gap_seconds = models.FloatField(default=0)
    # Clocks met (stopped that day, never breached) and missed (breach recorded that day).
    met_first_response = models.PositiveIntegerField(default=0)
    missed_first_response = models.PositiveIntegerField(default=0)
    met_next_response = models.PositiveIntegerField(default=0)
    missed_next_response = models.PositiveIntegerField(default=0)
    met_resolution = models.PositiveIntegerField(default=0)
    missed_resolution = models.PositiveIntegerField(default=0)
    # Response clocks (first or next) stopped that day: business seconds, wall-clock seconds.
    responses = models.PositiveIntegerField(default=0)
    response_business_n = models.PositiveIntegerField(default=0)
    response_business_sum = models.FloatField(default=0)
    response_wall_sum = models.FloatField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"activity of {self.day}"


class HeldDailyActivity(ActivityFigures):
    """The activity per assignee of the tickets too (who holds them now; a few thousand rows a
    day at a million tickets): what the dashboard reads for one agent's figures. DailyActivity
    is its sum over the assignees."""

    assignee_id = models.IntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["assignee_id", "day"], name="manager_held_activity")]


class DailyActivity(ActivityFigures):
    """The activity of the whole desk, a few hundred rows a day whatever the volume: what the
    dashboard reads unless one agent is asked for."""

    class Meta:
        indexes = [models.Index(fields=["day"], name="manager_activity_day")]


class AgentDailyActivity(models.Model):
    """The per-agent table's additive figures per day and per team, tier, assignee, channel and
    segment of the tickets: replies the agent wrote, clocks of the tickets they hold met and
    missed."""

    day = models.DateField()
    agent_id = models.IntegerField(null=True)
    team_id = models.IntegerField(null=True)
    tier = models.CharField(max_length=2)
    channel = models.CharField(max_length=16)
    segment = models.CharField(max_length=16)
    assignee_id = models.IntegerField(null=True)  # who holds the tickets now
    replies = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    missed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="manager_agent_activity_day"),
            models.Index(fields=["assignee_id", "day"], name="manager_agent_activity_held"),
        ]

    def __str__(self) -> str:
        return f"activity of agent {self.agent_id} on {self.day}"


class DailyEscalation(models.Model):
    """Escalations per day, step (tier before and after) and reason, and per team, tier,
    assignee, channel and segment of the tickets as they are now."""

    day = models.DateField()
    team_id = models.IntegerField(null=True)
    tier = models.CharField(max_length=2)
    channel = models.CharField(max_length=16)
    segment = models.CharField(max_length=16)
    assignee_id = models.IntegerField(null=True)  # who holds the tickets now
    from_tier = models.CharField(max_length=2)
    to_tier = models.CharField(max_length=2)
    reason = models.TextField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="manager_escalation_day")]

    def __str__(self) -> str:
        return f"{self.from_tier} → {self.to_tier} on {self.day}: {self.count}"


# The rollups' generation: a migration that clears them names a new one, so that a worker still
# on the previous release, which writes its own name, cannot make cleared rollups read as built.
CATCH_UP = "catch-up-2"
# Present while a rebuild runs (and for a while after one failed): nothing starts another.
REBUILDING = "rebuilding"


class RollupState(models.Model):
    """One row: how far the periodic catch-up of the rollup has read (tickets updated since)."""

    name = models.CharField(max_length=32, unique=True)
    refreshed_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.refreshed_until}"
