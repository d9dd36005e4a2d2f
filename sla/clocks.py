"""The SLA clocks of a ticket, worked out from its audit trail.

A ticket's clocks are a function of what happened to it (TicketEvents: created, replies, customer
messages, status changes) and of the targets of the policy that applies now. Deriving them from
the whole trail, instead of nudging stored clocks event by event, makes every recomputation
idempotent: a late, repeated or lost domain event, a priority change or a backfill all end in the
same clocks.

The rules:
- first response: runs from creation until the first agent reply (a message, not a note), or until
  the ticket is solved or closed without one. It does not pause.
- next response: starts at a customer message once no response clock is running (an agent has
  replied, or the ticket was solved) and stops at the next agent reply or when the ticket is
  solved or closed. Each such message after a reply starts a new cycle.
- resolution: counts while the ticket is new or open. Pending and on hold pause it; solved and
  closed stop it; a reopened ticket resumes it, the time it spent solved counting as paused.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from tickets.models import Ticket, TicketEvent

from .calendar import ZERO, BusinessHours
from .models import Target

S = Ticket.Status
E = TicketEvent.Kind
COUNTING = frozenset({S.NEW, S.OPEN})
DONE = frozenset({S.SOLVED, S.CLOSED})
STATUS_KINDS = frozenset({E.STATUS_CHANGED, E.REOPENED, E.MERGED})
# The audit rows the clocks depend on.
RELEVANT_EVENTS = frozenset({*STATUS_KINDS, E.REPLY_SENT, E.MESSAGE_RECEIVED})


@dataclass(frozen=True)
class Step:
    """One relevant audit row: when, what, the status it led to, whether it was an auto-reply."""

    at: datetime
    kind: str
    status: str | None = None
    auto_reply: bool = False


@dataclass(frozen=True)
class ClockState:
    started_at: datetime
    stopped_at: datetime | None
    paused_at: datetime | None
    paused: timedelta
    due_at: datetime | None
    warn_at: datetime | None
    business: timedelta | None = None  # business time it ran, pauses excluded, once stopped


@dataclass
class _Clock:
    started_at: datetime
    stopped_at: datetime | None = None
    off_since: datetime | None = None  # paused (or, for resolution, also solved) since
    paused: timedelta = ZERO

    @property
    def running(self) -> bool:
        return self.stopped_at is None and self.off_since is None

    def stop(self, at: datetime) -> None:
        if self.stopped_at is None:
            self.stopped_at = at


class _Walk:
    def __init__(self, created_at: datetime, hours: BusinessHours):
        self.hours = hours
        self.status = S.NEW
        self.first = _Clock(created_at)
        self.next: _Clock | None = None
        self.resolution = _Clock(created_at)

    def reply(self, at: datetime) -> None:
        self.first.stop(at)
        if self.next is not None:
            self.next.stop(at)

    def customer_message(self, at: datetime) -> None:
        awaiting = self.first.stopped_at is None or (
            self.next is not None and self.next.stopped_at is None
        )
        if not awaiting:
            self.next = _Clock(at)

    def status_change(self, at: datetime, status: str) -> None:
        if status == self.status:
            return
        clock = self.resolution
        if clock.off_since is not None:
            clock.paused += self.hours.between(clock.off_since, at)
        clock.off_since = None if status in COUNTING else at
        if status in DONE:
            self.first.stop(at)
            if self.next is not None:
                self.next.stop(at)
        self.status = status

    def resolution_state(self) -> _Clock:
        clock = self.resolution
        if self.status in DONE:
            return _Clock(clock.started_at, stopped_at=clock.off_since, paused=clock.paused)
        return clock


def derive_clocks(
    *,
    created_at: datetime,
    steps: Iterable[Step],
    first_response_at: datetime | None,
    targets: Mapping[str, int],
    warn_leads: Mapping[str, timedelta],
    hours: BusinessHours,
) -> dict[str, ClockState]:
    """The clocks of a ticket for the targets given (business minutes per target), each with its
    due time and warning time; a target without a clock yet (next response before any customer
    message after a reply) is left out."""
    walk = _Walk(created_at, hours)
    for step in steps:
        if step.kind == E.REPLY_SENT:
            walk.reply(step.at)
        elif step.kind == E.MESSAGE_RECEIVED and not step.auto_reply:
            walk.customer_message(step.at)
        elif step.kind in STATUS_KINDS and step.status in S.values:
            walk.status_change(step.at, step.status)
    if first_response_at is not None:  # e.g. answered on a ticket merged into this one
        walk.first.stop(max(first_response_at, created_at))
    clocks = {
        Target.FIRST_RESPONSE: walk.first,
        Target.NEXT_RESPONSE: walk.next,
        Target.RESOLUTION: walk.resolution_state(),
    }
    return {
        target: _state(clock, timedelta(minutes=minutes), warn_leads.get(target, ZERO), hours)
        for target, minutes in targets.items()
        if (clock := clocks[target]) is not None
    }


def _state(clock: _Clock, target: timedelta, lead: timedelta, hours: BusinessHours) -> ClockState:
    paused_now = clock.stopped_at is None and clock.off_since is not None
    due_at = warn_at = None
    if not paused_now:
        due_at = hours.add(clock.started_at, target + clock.paused)
        if ZERO < lead < target:
            warn_at = hours.add(clock.started_at, target - lead + clock.paused)
    return ClockState(
        started_at=clock.started_at,
        stopped_at=clock.stopped_at,
        paused_at=clock.off_since if paused_now else None,
        paused=clock.paused,
        due_at=due_at,
        warn_at=warn_at,
        business=(
            None
            if clock.stopped_at is None
            else max(hours.between(clock.started_at, clock.stopped_at) - clock.paused, ZERO)
        ),
    )
