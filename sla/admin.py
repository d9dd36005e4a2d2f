"""Admin for business calendars and SLA policies (the clocks are shown read-only). Saving a
calendar or a policy recomputes the clocks of every open ticket, in the background."""

from datetime import timedelta

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.registries import routing_inputs_changed

from . import tasks
from .calendar import holiday_names
from .display import duration_text
from .forms import WEEKDAY_LABELS, BusinessCalendarForm
from .models import BusinessCalendar, EscalationStep, SLAPolicy, Target, TicketSLA

UPCOMING_DAYS = 120


class RecomputesOpenTickets:
    """After a change of rules, open tickets follow them (a Celery task, after the commit), and
    so do the routing hooks (automation's rules may read business hours)."""

    def _recompute(self, request) -> None:
        transaction.on_commit(tasks.recompute_open_tickets.delay)
        routing_inputs_changed()
        self.message_user(
            request,
            gettext("The SLA clocks of open tickets are being recomputed with the new rules."),
            messages.INFO,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._recompute(request)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._recompute(request)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._recompute(request)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(RecomputesOpenTickets, admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ["name", "time_zone", "hours_summary", "holidays_summary", "policy_count"]
    search_fields = ["name"]
    readonly_fields = ["upcoming_closed_days"]

    fieldsets = [
        (None, {"fields": ["name", "time_zone"]}),
        (_("Opening hours"), {"fields": [f"day_{index}" for index in range(7)]}),
        (
            _("Holidays and closed days"),
            {
                "fields": [
                    "holiday_country",
                    "holiday_subdivision",
                    "optional_holidays",
                    "closed_dates_text",
                    "upcoming_closed_days",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("policies")

    @admin.display(description=_("opening hours"))
    def hours_summary(self, calendar):
        if calendar.is_always_open:
            return gettext("24 × 7")
        return "; ".join(
            f"{WEEKDAY_LABELS[index][:3]} "
            + ", ".join(f"{start}–{end}" for start, end in intervals)
            for index, intervals in enumerate(calendar.weekly_hours)
            if intervals
        )

    @admin.display(description=_("holidays"))
    def holidays_summary(self, calendar):
        parts = [calendar.holiday_country, calendar.holiday_subdivision]
        return "/".join(part for part in parts if part) or "—"

    @admin.display(description=_("policies"))
    def policy_count(self, calendar):
        return len(calendar.policies.all())

    @admin.display(description=_("closed days ahead"))
    def upcoming_closed_days(self, calendar):
        """The next closed weekdays (public holidays, chosen optional days, own dates), so that an
        administrator can check the calendar does what they mean."""
        if calendar.pk is None:
            return "—"
        today = timezone.localdate()
        end = today + timedelta(days=UPCOMING_DAYS)
        language = "pt_BR" if translation.get_language() == "pt-br" else "en_US"
        names = holiday_names(
            calendar.holiday_country, calendar.holiday_subdivision, today, end, language
        )
        own = {entry["date"]: entry.get("name", "") for entry in calendar.closed_dates}
        closed = calendar.hours.closed
        rows = []
        for offset in range(UPCOMING_DAYS + 1):
            day = today + timedelta(days=offset)
            if day in closed:
                name = names.get(day) or own.get(day.isoformat()) or gettext("optional day off")
                rows.append((day.strftime("%d/%m/%Y"), name))
        if not rows:
            return gettext("No closed day in the next %(days)d days.") % {"days": UPCOMING_DAYS}
        return format_html_join("", "<div>{} · {}</div>", rows)


def _minutes(value: int | None) -> str:
    return duration_text(timedelta(minutes=value)) if value else "—"


class EscalationStepInline(admin.TabularInline):
    """What the policy does on a warning or a breach, in position order (run after the timer
    records it, through the ticket services; each step shows on the ticket's timeline)."""

    model = EscalationStep
    extra = 0
    fields = ["stage", "position", "action", "priority", "team"]
    verbose_name = _("escalation step")
    verbose_name_plural = _("Escalation steps (on a warning or a breach)")


@admin.register(SLAPolicy)
class SLAPolicyAdmin(RecomputesOpenTickets, admin.ModelAdmin):
    inlines = [EscalationStepInline]
    list_display = [
        "name",
        "position",
        "is_active",
        "conditions",
        "first_response",
        "next_response",
        "resolution",
        "calendar",
        "escalate_on_breach",
        "step_count",
    ]
    list_display_links = ["name"]
    list_select_related = ["calendar"]
    list_filter = ["is_active", "priority", "segment", "channel", "tier", "calendar"]
    search_fields = ["name"]
    ordering = ["position", "id"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "position"]}),
        (
            _("Applies to tickets of"),
            {
                "fields": [("priority", "segment"), ("channel", "tier")],
                "description": _("An empty condition matches any ticket."),
            },
        ),
        (
            _("Targets (business time of the calendar)"),
            {
                "fields": [
                    "calendar",
                    "first_response_minutes",
                    "next_response_minutes",
                    "resolution_minutes",
                ]
            },
        ),
        (
            _("Warning and escalation"),
            {"fields": [("warn_before", "warn_unit"), "escalate_on_breach"]},
        ),
    ]

    @admin.display(description=_("applies to"))
    def conditions(self, policy):
        parts = [
            policy.get_priority_display() if policy.priority else "",
            policy.get_segment_display() if policy.segment else "",
            policy.get_channel_display() if policy.channel else "",
            policy.tier,
        ]
        return " · ".join(str(part) for part in parts if part) or gettext("any ticket")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(steps=Count("escalation_steps"))

    @admin.display(description=_("escalation steps"), ordering="steps")
    def step_count(self, policy):
        return policy.steps

    @admin.display(description=Target.FIRST_RESPONSE.label)
    def first_response(self, policy):
        return _minutes(policy.first_response_minutes)

    @admin.display(description=Target.NEXT_RESPONSE.label)
    def next_response(self, policy):
        return _minutes(policy.next_response_minutes)

    @admin.display(description=Target.RESOLUTION.label)
    def resolution(self, policy):
        return _minutes(policy.resolution_minutes)


@admin.register(TicketSLA)
class TicketSLAAdmin(admin.ModelAdmin):
    """Read-only: clocks are computed from the tickets, never edited."""

    list_display = [
        "ticket",
        "target",
        "policy",
        "started_at",
        "due_at",
        "paused_at",
        "stopped_at",
        "warned_at",
        "breached_at",
    ]
    list_filter = ["target", ("breached_at", admin.EmptyFieldListFilter), "policy"]
    list_select_related = ["ticket", "policy"]
    search_fields = ["ticket__number"]
    date_hierarchy = "due_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
