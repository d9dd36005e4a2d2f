"""Every change to SLA clocks: recompute them from a ticket's trail, record warnings and breaches
exactly once (in bulk: sla/recording.py), and queue the policies' escalation steps
(sla/escalation.py)."""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent
from tickets.rows import rows_update

from . import escalation, recording, selectors
from .clocks import RELEVANT_EVENTS, ClockState, Step, derive_clocks
from .models import SLAPolicy, Target, TicketSLA

logger = logging.getLogger(__name__)
E = TicketEvent.Kind
CLOCK_FIELDS = ["policy", "target_minutes", "started_at", "due_at", "warn_at", "paused_at",
                "paused_seconds", "stopped_at", "business_seconds", "warned_at",
                "breached_at", "breach_recorded_at", "warning_steps_at",
                "breach_steps_at"]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Recomputing clocks
# --------------------------------------------------------------------------------------------
def _steps_by_ticket(ticket_ids: Sequence[int]) -> dict[int, list[Step]]:
    rows = (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind__in=RELEVANT_EVENTS)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "kind", "after", "data__auto_reply", "created_at")
    )
    steps = defaultdict(list)
    for ticket_id, kind, after, auto_reply, at in rows:
        status = after if isinstance(after, str) else None
        steps[ticket_id].append(Step(at=at, kind=kind, status=status, auto_reply=bool(auto_reply)))
    return steps


def _desired(ticket: Ticket, policy: SLAPolicy | None, steps: list[Step]) -> dict[str, ClockState]:
    if policy is None:
        return {}
    targets = {t: m for t in Target.values if (m := policy.target_minutes(t))}
    return derive_clocks(
        created_at=ticket.created_at,
        steps=steps,
        first_response_at=ticket.first_response_at,
        targets=targets,
        warn_leads={target: policy.warn_lead(minutes) for target, minutes in targets.items()},
        hours=policy.calendar.hours,
    )


def _apply(clock: TicketSLA, policy: SLAPolicy, state: ClockState) -> bool:
    """Copy the computed state onto the row; a new start is a new cycle with no warning or
    breach yet. A clock that stopped stays as it was judged (a later priority change does not
    rewrite history). Returns whether anything changed."""
    if (
        clock.pk is not None
        and clock.stopped_at is not None
        and (clock.started_at, clock.stopped_at) == (state.started_at, state.stopped_at)
    ):
        return False
    values = {
        "target_minutes": policy.target_minutes(clock.target),
        "started_at": state.started_at,
        "due_at": state.due_at,
        "warn_at": state.warn_at,
        "paused_at": state.paused_at,
        "paused_seconds": int(state.paused.total_seconds()),
        "stopped_at": state.stopped_at,
        "business_seconds": None if state.business is None else int(state.business.total_seconds()),
    }
    if clock.pk is not None and clock.started_at != state.started_at:
        values.update(
            warned_at=None,
            breached_at=None,
            breach_recorded_at=None,
            warning_steps_at=None,
            breach_steps_at=None,
        )
    changed = clock.policy_id != policy.pk
    clock.policy = policy
    for name, value in values.items():
        if getattr(clock, name) != value:
            setattr(clock, name, value)
            changed = True
    return changed


@dataclass
class SyncResult:
    tickets: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    late_breaches: int = 0
    skipped: list[int] = field(default_factory=list)  # held by another transaction (skip_locked)


@transaction.atomic
def tickets_sla_sync(
    *, ticket_ids: Sequence[int], now: datetime | None = None, skip_locked: bool = False
) -> SyncResult:
    """Bring the clocks of these tickets in line with their trail and current policy, store each
    ticket's earliest running due time, and record the breach of any clock that stopped after
    its due time before the timer saw it (no escalation: it is over). Idempotent.

    `skip_locked`: a ticket another transaction holds (a message being received on it, a rule
    running) is left out, in `skipped`, for the caller to sync after the others, instead of
    waiting for it while holding their locks (which a drain receiving their messages waits
    for in turn)."""
    now = now or timezone.now()
    result = SyncResult()
    tickets = list(
        Ticket.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("customer")
        .only(
            "created_at", "status", "priority", "channel", "tier", "first_response_at",
            "sla_due_at", "sla_warn_at", "customer__segment",
        )
        .filter(pk__in=ticket_ids)
        .order_by("pk")
    )  # fmt: skip
    if skip_locked:
        result.skipped = sorted(set(ticket_ids) - {ticket.pk for ticket in tickets})
    if not tickets:
        return result
    ids = [ticket.pk for ticket in tickets]
    policies = selectors.policies_active()
    steps = _steps_by_ticket(ids)
    existing = defaultdict(dict)
    rows = TicketSLA.objects.select_for_update(of=("self",)).select_related("policy")
    for clock in rows.filter(ticket_id__in=ids):
        existing[clock.ticket_id][clock.target] = clock

    to_create, to_update, to_delete, clocks_by_ticket = [], [], [], {}
    for ticket in tickets:
        policy = selectors.policy_for_ticket(
            ticket=ticket, segment=ticket.customer.segment, policies=policies
        )
        desired = _desired(ticket, policy, steps.get(ticket.pk, []))
        have = existing[ticket.pk]
        to_delete += [clock.pk for target, clock in have.items() if target not in desired]
        kept = []
        for target, state in desired.items():
            clock = have.get(target) or TicketSLA(ticket_id=ticket.pk, target=target, synced_at=now)
            if _apply(clock, policy, state):
                (to_update if clock.pk else to_create).append(clock)
            kept.append(clock)
        clocks_by_ticket[ticket.pk] = kept

    if to_delete:
        result.deleted = TicketSLA.objects.filter(pk__in=to_delete).delete()[0]
    if to_create:
        TicketSLA.objects.bulk_create(to_create)
    if to_update:
        for clock in to_update:
            clock.synced_at = now
        rows_update(to_update, [*CLOCK_FIELDS, "synced_at"])
    # The resync compares the newest synced_at of a ticket's clocks with its updated_at.
    untouched = set(ids) - {clock.ticket_id for clock in (*to_create, *to_update)}
    if untouched:
        TicketSLA.objects.filter(ticket_id__in=untouched).update(synced_at=now)
    result.tickets, result.created, result.updated = len(ids), len(to_create), len(to_update)

    changed_due, changed_warn = {}, {}
    for ticket in tickets:
        due, warn = at_risk_times(clocks_by_ticket[ticket.pk])
        if due != ticket.sla_due_at:
            changed_due[ticket.pk] = due
        if warn != ticket.sla_warn_at:
            changed_warn[ticket.pk] = warn
    ticket_services.tickets_set_sla_due(
        due_at_by_ticket=changed_due, warn_at_by_ticket=changed_warn
    )
    for ticket in tickets:
        for clock in clocks_by_ticket[ticket.pk]:
            if _stopped_late(clock) and _record_breach(clock, stopped=True):
                result.late_breaches += 1
    return result


def at_risk_times(clocks: list[TicketSLA]) -> tuple[datetime | None, datetime | None]:
    """A ticket's earliest running due time, and when it becomes at risk: the earliest warning
    time of its running clocks (their due time for a clock without a warning). The timer warns
    at that same business-time moment, so a warned ticket is always in the "at risk" view."""
    running = [c for c in clocks if c.stopped_at is None and c.due_at is not None]
    due = min((c.due_at for c in running), default=None)
    warn = min((c.warn_at or c.due_at for c in running), default=None)
    return due, warn


def _stopped_late(clock: TicketSLA) -> bool:
    return (
        clock.breached_at is None
        and clock.stopped_at is not None
        and clock.due_at is not None
        and clock.stopped_at > clock.due_at
    )


def ticket_sla_sync(*, ticket_id: int) -> SyncResult:
    return tickets_sla_sync(ticket_ids=[ticket_id])


# --------------------------------------------------------------------------------------------
# Warnings and breaches
# --------------------------------------------------------------------------------------------
def _record_breach(clock: TicketSLA, *, stopped: bool) -> bool:
    """Mark the breach with a conditional update, so that of two workers (or a worker and a
    recomputation) exactly one records it; then the audit entry, at the due time."""
    candidates = TicketSLA.objects.filter(pk=clock.pk, breached_at=None, due_at=clock.due_at)
    if stopped:
        candidates = candidates.filter(stopped_at__gt=F("due_at"))
    else:
        candidates = candidates.filter(stopped_at=None, due_at__lte=timezone.now())
    recorded_at = timezone.now()
    # Found late (a clock that stopped after its due time, a backfill): no escalation steps.
    marked = candidates.update(
        breached_at=F("due_at"), breach_recorded_at=recorded_at, breach_steps_at=recorded_at
    )
    if not marked:
        return False
    clock.breached_at, clock.breach_recorded_at = clock.due_at, recorded_at
    ticket_services.ticket_record_sla_event(
        ticket_id=clock.ticket_id,
        kind=E.SLA_BREACHED,
        target=clock.target,
        due_at=clock.due_at,
        at=clock.due_at,
        policy=clock.policy.name,
    )
    return True


def _lock_clock_and_ticket(clock_id: int) -> tuple[TicketSLA | None, Ticket | None]:
    """The ticket's row lock first, then the clock as it is now: the lock order of a
    recomputation, so that the timer and a recomputation never deadlock (inserting the audit row
    needs a share lock on the ticket, which a recomputation's lock would block)."""
    ticket_id = TicketSLA.objects.filter(pk=clock_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        return None, None
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    clock = TicketSLA.objects.select_related("policy").filter(pk=clock_id).first()
    return clock, ticket


@transaction.atomic
def clock_record_breach(*, clock_id: int, escalate: bool = True) -> bool:
    """Record that a running clock missed its due time, once; its policy's escalation steps
    follow as queued work (`escalate=False`: a backfill, history is not news, no steps).
    Returns whether this call recorded it."""
    if escalate:
        return recording.clocks_record_breaches(clock_ids=[clock_id]).count == 1
    clock, ticket = _lock_clock_and_ticket(clock_id)
    if clock is None or ticket is None or clock.due_at is None:
        return False
    return _record_breach(clock, stopped=False)


def breach_reason(clock: TicketSLA) -> str:
    return escalation.escalation_reason(escalation.Stage.BREACH, clock)


def clock_record_warning(*, clock_id: int, now: datetime | None = None) -> bool:
    """Record, once, that a running clock reached its warning time (steps follow, queued)."""
    return recording.clocks_record_warnings(now=now, clock_ids=[clock_id]).count == 1


@dataclass
class SweepResult:
    breached: int = 0
    warned: int = 0
    looked_at: int = 0
    full: bool = False  # a stage found a full batch: there may be more


def sla_sweep(*, now: datetime | None = None, limit: int = recording.BATCH) -> SweepResult:
    """One batch of the timer: breaches first (most overdue first), then warnings, each stage
    one transaction of a fixed number of statements (sla/recording.py). Running it twice, or
    in two workers, records nothing twice."""
    now = now or timezone.now()
    breaches = recording.clocks_record_breaches(now=now, limit=limit)
    warnings = recording.clocks_record_warnings(now=now, limit=limit)
    return SweepResult(
        breached=breaches.count,
        warned=warnings.count,
        looked_at=breaches.looked_at + warnings.looked_at,
        full=limit in (breaches.looked_at, warnings.looked_at),
    )


def sla_record_overdue_silently(*, ticket_ids: Sequence[int], now: datetime | None = None) -> int:
    """For a backfill: clocks found already overdue get their breach recorded, without the
    escalation a live breach brings (history is not news)."""
    now = now or timezone.now()
    overdue = TicketSLA.objects.filter(
        ticket_id__in=ticket_ids, stopped_at=None, breached_at=None, due_at__lte=now
    ).values_list("pk", flat=True)
    return sum(clock_record_breach(clock_id=pk, escalate=False) for pk in list(overdue))


# --------------------------------------------------------------------------------------------
# Catching up
# --------------------------------------------------------------------------------------------
def sla_resync_recent(*, since: datetime, batch: int = 200, most: int = 5000) -> int:
    """Recompute the tickets changed since `since` whose clocks missed the change (a domain event
    lost between commit and delivery, a subscriber that failed). Returns how many."""
    ids = selectors.ticket_ids_to_resync(since=since, limit=most)
    for start in range(0, len(ids), batch):
        tickets_sla_sync(ticket_ids=ids[start : start + batch])
    return len(ids)


def sla_recompute_open(*, batch: int = 200, after_id: int = 0) -> int:
    """Recompute every open ticket, in keyset batches (after a policy or calendar change)."""
    done = 0
    while ids := selectors.open_ticket_ids(after_id=after_id, limit=batch):
        tickets_sla_sync(ticket_ids=ids)
        done += len(ids)
        after_id = ids[-1]
    return done
