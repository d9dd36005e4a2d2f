"""SLA data: business calendars, policies (which tickets, which targets) and the per-ticket clocks
the timers read. The flows that move the clocks live in sla/services.py."""

import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel, Customer, Team, Ticket, Tier

from .calendar import (
    BusinessHours,
    CalendarError,
    ClosedDays,
    parse_weekly_hours,
)

WORKDAYS_8_TO_18 = [[["08:00", "18:00"]]] * 5 + [[], []]
ALL_DAY_EVERY_DAY = [[["00:00", "24:00"]]] * 7


# Calendars in use, kept per process and per saved version (pk, updated_at): building one parses
# its hours and its holiday rules.
_HOURS_BY_VERSION: dict[tuple[int, datetime], BusinessHours] = {}


def default_time_zone() -> str:
    return settings.TIME_ZONE


def default_weekly_hours() -> list:
    return [list(day) for day in WORKDAYS_8_TO_18]


class BusinessCalendar(models.Model):
    """When the clock of an SLA runs: opening hours per weekday in a time zone, minus the public
    holidays of a country (and state), chosen optional days off and the company's own dates."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone)
    weekly_hours = models.JSONField(
        _("weekly hours"),
        default=default_weekly_hours,
        help_text=_("Opening intervals per weekday, Monday first."),
    )
    holiday_country = models.CharField(
        _("holidays of country"),
        max_length=2,
        blank=True,
        default="BR",
        help_text=_("ISO code, e.g. BR. Empty: no public holidays."),
    )
    holiday_subdivision = models.CharField(
        _("and of state"),
        max_length=40,
        blank=True,
        help_text=_("e.g. SP for São Paulo's state holidays. Empty: national holidays only."),
    )
    optional_holidays = models.JSONField(
        _("also closed on"),
        default=list,
        blank=True,
        help_text=_("Optional days off the company observes, e.g. Carnival, Corpus Christi."),
    )
    closed_dates = models.JSONField(
        _("other closed dates"),
        default=list,
        blank=True,
        help_text=_("The company's own days off: municipal holidays, collective leave."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError({"time_zone": _("Unknown time zone.")})
        try:
            self.build_hours()
        except (CalendarError, TypeError, ValueError, KeyError) as exc:
            raise ValidationError(str(exc)) from exc

    # -- business-time arithmetic (sla/calendar.py), built once per saved version ----------
    def build_hours(self) -> BusinessHours:
        return BusinessHours(
            time_zone=self.time_zone,
            weekly=parse_weekly_hours(self.weekly_hours),
            closed=ClosedDays(
                country=self.holiday_country.upper(),
                subdivision=self.holiday_subdivision,
                optional=frozenset(self.optional_holidays),
                extra=frozenset(closed_date_values(self.closed_dates)),
            ),
        )

    @property
    def hours(self) -> BusinessHours:
        if self.pk is None:
            return self.build_hours()
        key = (self.pk, self.updated_at)
        hours = _HOURS_BY_VERSION.get(key)
        if hours is None:
            if len(_HOURS_BY_VERSION) >= 64:
                _HOURS_BY_VERSION.clear()
            hours = _HOURS_BY_VERSION[key] = self.build_hours()
        return hours

    @property
    def is_always_open(self) -> bool:
        return self.hours.always_open

    def add_business_time(self, start: datetime, minutes: float) -> datetime:
        return self.hours.add(start, timedelta(minutes=minutes))

    def business_minutes_between(self, a: datetime, b: datetime) -> float:
        return self.hours.between(a, b) / timedelta(minutes=1)


def closed_date_values(entries: list) -> list[date]:
    """Stored closed dates are {"date": "2026-12-24", "name": "..."}."""
    return [date.fromisoformat(entry["date"]) for entry in entries]


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SLAPolicy(models.Model):
    """Targets for the tickets that match its conditions. The active policy with the lowest
    position that matches a ticket applies (an empty condition matches anything)."""

    class WarnUnit(models.TextChoices):
        MINUTES = "minutes", _("minutes before the due time")
        PERCENT = "percent", _("percent of the target before the due time")

    name = models.CharField(_("name"), max_length=120, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(
        _("position"), default=100, help_text=_("Lower positions are tried first.")
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Ticket.Priority.choices, blank=True
    )
    segment = models.CharField(
        _("customer segment"), max_length=16, choices=Customer.Segment.choices, blank=True
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        related_name="policies",
        on_delete=models.PROTECT,
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response within (minutes)"),
        null=True,
        blank=True,
        help_text=_("After each customer message that follows an agent's reply."),
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"),
        null=True,
        blank=True,
        help_text=_("Paused while the ticket is pending or on hold."),
    )
    warn_before = models.PositiveIntegerField(_("warn before"), default=20)
    warn_unit = models.CharField(
        _("warn unit"), max_length=8, choices=WarnUnit.choices, default=WarnUnit.PERCENT
    )
    escalate_on_breach = models.BooleanField(
        _("escalate on breach"),
        default=False,
        help_text=_(
            "Move the ticket up one tier (N1 → N2 → N3) when a target is missed (the same as an "
            'escalation step "escalate the tier" on breach).'
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_unit="minutes") | Q(warn_before__lte=100),
                name="sla_policy_warn_percent_at_most_100",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not any(self.target_minutes(target) for target in Target.values):
            raise ValidationError(_("Give at least one target."))
        if self.warn_unit == self.WarnUnit.PERCENT and self.warn_before > 100:
            raise ValidationError({"warn_before": _("A percentage goes up to 100.")})

    def matches(self, ticket: Ticket, segment: str) -> bool:
        return all(
            not wanted or wanted == actual
            for wanted, actual in (
                (self.priority, ticket.priority),
                (self.segment, segment),
                (self.channel, ticket.channel),
                (self.tier, ticket.tier),
            )
        )

    def target_minutes(self, target: str) -> int | None:
        return getattr(self, f"{target}_minutes")

    def warn_lead(self, target_minutes: int) -> timedelta:
        """How much business time before the due time the warning fires."""
        if self.warn_unit == self.WarnUnit.PERCENT:
            minutes = target_minutes * self.warn_before / 100
        else:
            minutes = self.warn_before
        return timedelta(minutes=min(minutes, target_minutes))


class EscalationStep(models.Model):
    """What an SLA policy does to a ticket when one of its clocks reaches its warning time or
    misses its due time. The steps run after the warning or breach is recorded, as queued work,
    through the ticket services (sla/escalation.py), in position order."""

    class Stage(models.TextChoices):
        WARNING = "warning", _("On warning")
        BREACH = "breach", _("On breach")

    class Action(models.TextChoices):
        NOTIFY = "notify", _("Notify the assignee and the team leads")
        RAISE_PRIORITY = "raise_priority", _("Raise the priority")
        REASSIGN_TEAM = "reassign_team", _("Reassign to a team")
        ESCALATE_TIER = "escalate_tier", _("Escalate the tier")

    policy = models.ForeignKey(
        SLAPolicy,
        verbose_name=_("policy"),
        related_name="escalation_steps",
        on_delete=models.CASCADE,
    )
    stage = models.CharField(_("when"), max_length=8, choices=Stage.choices)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    priority = models.CharField(
        _("raise the priority to"),
        max_length=8,
        choices=Ticket.Priority.choices,
        blank=True,
        help_text=_("Empty: one level up. A priority is never lowered."),
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        related_name="+",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("For a reassignment: the team that takes the ticket."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["policy", "stage", "position", "id"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.get_action_display()}"

    def clean(self) -> None:
        if self.action == self.Action.REASSIGN_TEAM and self.team_id is None:
            raise ValidationError({"team": _("Choose the team that takes the ticket.")})


class TicketSLA(models.Model):
    """One SLA clock of a ticket: a target (first response, next response, resolution) with when
    it started, when it is due (business time, pauses excluded), and what happened to it.
    A clock runs until stopped; `paused_at` is set while the ticket is pending or on hold."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), related_name="sla_clocks", on_delete=models.CASCADE
    )
    target = models.CharField(_("target"), max_length=16, choices=Target.choices)
    policy = models.ForeignKey(
        SLAPolicy, verbose_name=_("policy"), related_name="clocks", on_delete=models.PROTECT
    )
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"))
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(
        _("due at"), null=True, blank=True, help_text=_("Empty while paused.")
    )
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("business time paused (seconds)"), default=0)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    business_seconds = models.PositiveIntegerField(
        _("business time taken (seconds)"),
        null=True,
        blank=True,
        help_text=_("Once stopped: the business time it ran, pauses excluded (for reports)."),
    )
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    breach_recorded_at = models.DateTimeField(
        _("breach recorded at"),
        null=True,
        blank=True,
        help_text=_(
            "When the timer recorded the breach (the breach itself is dated at the due time): "
            "the difference is the timer's lag. A warning is recorded at its warned-at time."
        ),
    )
    # When the policy's escalation steps of the warning / the breach ran (None: still to run,
    # or nothing to run yet). A lost task leaves them None: the timer queues them again.
    warning_steps_at = models.DateTimeField(_("warning steps run at"), null=True, blank=True)
    breach_steps_at = models.DateTimeField(_("breach steps run at"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last computed at"), default=timezone.now)

    class Meta:
        ordering = ["ticket", "target"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target"], name="sla_clock_unique_target")
        ]
        indexes = [
            # Reports: clocks decided (stopped, or breached) in a date range, per target.
            models.Index(fields=["target", "stopped_at"], name="sla_clock_target_stopped"),
            models.Index(
                fields=["breached_at"],
                name="sla_clock_breached",
                condition=Q(breached_at__isnull=False),
            ),
            # What the timer task looks for: running clocks that may breach or need a warning.
            models.Index(
                fields=["due_at"],
                name="sla_clock_breach_due",
                condition=Q(
                    stopped_at__isnull=True, breached_at__isnull=True, due_at__isnull=False
                ),
            ),
            models.Index(
                fields=["warn_at"],
                name="sla_clock_warn_due",
                condition=Q(
                    stopped_at__isnull=True,
                    warned_at__isnull=True,
                    breached_at__isnull=True,
                    warn_at__isnull=False,
                ),
            ),
            # Recorded warnings and breaches whose escalation steps have not run yet.
            models.Index(
                fields=["breach_recorded_at"],
                name="sla_clock_breach_steps_due",
                condition=Q(breached_at__isnull=False, breach_steps_at__isnull=True),
            ),
            models.Index(
                fields=["warned_at"],
                name="sla_clock_warning_steps_due",
                condition=Q(warned_at__isnull=False, warning_steps_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} · #{self.ticket_id}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None and self.paused_at is None
