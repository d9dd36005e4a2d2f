"""SLA clocks as people read them: what is due when, how much business time is left (or by how
much it is late), paused, met and in how long."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext

from tickets.models import TicketEvent

from .calendar import ZERO
from .models import Target, TicketSLA


def duration_text(amount: timedelta) -> str:
    """3 h 05 min, 45 min, 2 d 4 h (days only past 48 hours; minutes rounded up so that a
    deadline never shows "0 min" while it is still ahead)."""
    minutes = max(0, -(-int(amount.total_seconds()) // 60))
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        days, hours = divmod(hours, 24)
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return ngettext("%(minutes)d min", "%(minutes)d min", minutes) % {"minutes": minutes}


@dataclass
class ClockView:
    clock: TicketSLA
    label: str
    state: str  # running, warned, breached, paused, met, missed
    left: timedelta | None  # business time to the due time; negative when overdue
    took: timedelta | None  # business time it took, for a stopped clock
    business_hours: bool  # False for a calendar open around the clock

    @property
    def due_at(self) -> datetime | None:
        return self.clock.due_at

    @property
    def overdue_text(self) -> str:
        return duration_text(-self.left) if self.left is not None and self.left < ZERO else ""

    @property
    def left_text(self) -> str:
        return duration_text(self.left) if self.left is not None and self.left >= ZERO else ""

    @property
    def took_text(self) -> str:
        return duration_text(self.took) if self.took is not None else ""


def clock_view(clock: TicketSLA, now: datetime) -> ClockView:
    hours = clock.policy.calendar.hours
    target = timedelta(minutes=clock.target_minutes)
    paused = timedelta(seconds=clock.paused_seconds)
    left = took = None
    if clock.stopped_at is not None:
        took = hours.between(clock.started_at, clock.stopped_at) - paused
        state = "missed" if clock.breached_at or took > target else "met"
    elif clock.paused_at is not None:
        left = target - (hours.between(clock.started_at, clock.paused_at) - paused)
        state = "paused"
    else:
        if now <= clock.due_at:
            left = hours.between(now, clock.due_at)
        else:
            # Overdue by business time; while closed right after the due time, by the clock.
            left = -(hours.between(clock.due_at, now) or now - clock.due_at)
        state = "breached" if left < ZERO or clock.breached_at else (
            "warned" if clock.warned_at else "running"
        )  # fmt: skip
    return ClockView(
        clock=clock,
        label=str(Target(clock.target).label),
        state=state,
        left=left,
        took=took,
        business_hours=not hours.always_open,
    )


def clock_views(clocks: list[TicketSLA], now: datetime | None = None) -> list[ClockView]:
    now = now or timezone.now()
    return [clock_view(clock, now) for clock in clocks]


def sla_event_text(event: TicketEvent) -> str:
    """For the ticket timeline: "First response · due 20/11/2026 14:00" for an SLA warning or
    breach entry (their details are stored in `data`)."""
    if event.kind not in (TicketEvent.Kind.SLA_WARNING, TicketEvent.Kind.SLA_BREACHED):
        return ""
    target = event.data.get("target", "")
    label = Target(target).label if target in Target.values else target
    due = event.data.get("due_at")
    text = str(label)
    if due:
        due_at = datetime.fromisoformat(due)
        when = formats.date_format(timezone.localtime(due_at), "SHORT_DATETIME_FORMAT")
        text = gettext("%(target)s · due %(when)s") % {"target": label, "when": when}
    if notified := event.data.get("notified"):
        # The policy's notification step: who was told.
        text += " · " + gettext("notified: %(names)s") % {"names": ", ".join(notified)}
    return text
