"""The timer's writes: warnings and breaches recorded in bulk, exactly once.

One batch of up to `limit` clocks is one transaction of a fixed number of statements, whatever
its size: the due clocks (most overdue first, on the partial index), their tickets' row locks
(skipping tickets another transaction holds: they wait for the next batch), one conditional
`UPDATE ... WHERE breached_at IS NULL ... RETURNING id` (so that of two sweepers exactly one
marks each clock), the marked clocks read back, and one INSERT of their trail entries through
the tickets services, with one domain event each. The policies' escalation steps follow as
queued work, in chunks of clock ids (sla/escalation.py); a clock whose policy has no step for
that stage is marked as having run them in the same UPDATE.

Lock order: tickets first, then clocks, as a recomputation (tickets_sla_sync) takes them; the
trail entries' foreign keys need a share lock on the tickets, which a recomputation holding a
ticket would otherwise block while waiting for our clock."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent

from . import pending
from .models import EscalationStep, SLAPolicy, TicketSLA

E = TicketEvent.Kind
Stage = EscalationStep.Stage
BATCH = 1000  # clocks recorded in one transaction
STEPS_CHUNK = 100  # clocks handed to one escalation task
LOST_STEPS_AFTER = timedelta(minutes=2)  # steps not run by then: their task was lost
REQUEUED = "jornada:sla:steps-requeued"  # Redis flag: lost steps were queued again lately


@dataclass
class Recorded:
    looked_at: int = 0
    clock_ids: list[int] = field(default_factory=list)  # marked by this call
    steps_pending: list[int] = field(default_factory=list)  # of those, with steps to run

    @property
    def count(self) -> int:
        return len(self.clock_ids)


@dataclass(frozen=True)
class _Stage:
    kind: str  # the TicketEvent kind
    stage: str
    recorded: str  # the column marked
    steps: str  # the column of steps run
    due: Q  # which clocks are due (with `now` bound)
    order: tuple[str, ...]


def _breach(now: datetime) -> _Stage:
    return _Stage(
        kind=E.SLA_BREACHED,
        stage=Stage.BREACH,
        recorded="breached_at",
        steps="breach_steps_at",
        due=Q(stopped_at=None, breached_at=None, due_at__lte=now),
        order=("due_at", "id"),
    )


def _warning(now: datetime) -> _Stage:
    return _Stage(
        kind=E.SLA_WARNING,
        stage=Stage.WARNING,
        recorded="warned_at",
        steps="warning_steps_at",
        due=Q(stopped_at=None, warned_at=None, breached_at=None, warn_at__lte=now, due_at__gt=now),
        order=("warn_at", "id"),
    )


def policies_with_steps(stage: str) -> set[int]:
    """Policies that do something on this stage (a step, or the older escalate-on-breach)."""
    ids = set(
        EscalationStep.objects.filter(stage=stage).values_list("policy_id", flat=True).distinct()
    )
    if stage == Stage.BREACH:
        ids |= set(SLAPolicy.objects.filter(escalate_on_breach=True).values_list("pk", flat=True))
    return ids


def _mark(stage: _Stage, *, ids: Sequence[int], now: datetime, with_steps: set[int]) -> list[int]:
    """The conditional UPDATE: marks those of `ids` still due, returns the ids it marked. A
    breach is dated at its due time and recorded now; a warning at now. Clocks whose policy has
    no step for the stage get their steps marked as run. (Only constants and placeholders are
    put into the text.)"""
    at = connection.ops.adapt_datetimefield_value(now)
    if stage.stage == Stage.BREACH:
        marked, marked_params = "breached_at = due_at, breach_recorded_at = %s", [at]
        still_due, due_params = "breached_at IS NULL AND due_at <= %s", [at]
    else:
        marked, marked_params = "warned_at = %s", [at]
        still_due = "warned_at IS NULL AND breached_at IS NULL AND warn_at <= %s AND due_at > %s"
        due_params = [at, at]
    steps, steps_params = "%s", [at]
    if with_steps:
        listed = ", ".join(["%s"] * len(with_steps))
        steps = f"CASE WHEN policy_id IN ({listed}) THEN NULL ELSE %s END"
        steps_params = [*sorted(with_steps), at]
    table = connection.ops.quote_name(TicketSLA._meta.db_table)
    listed_ids = ", ".join(["%s"] * len(ids))
    sql = (
        f"UPDATE {table} SET {marked}, {stage.steps} = {steps} "  # noqa: S608
        f"WHERE id IN ({listed_ids}) AND stopped_at IS NULL AND {still_due} RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*marked_params, *steps_params, *ids, *due_params])
        return [row[0] for row in cursor.fetchall()]


def _record(stage: _Stage, *, now: datetime, limit: int, clock_ids: Sequence[int] | None = None):
    recorded = Recorded()
    with transaction.atomic():
        due = TicketSLA.objects.filter(stage.due)
        if clock_ids is not None:
            due = due.filter(pk__in=list(clock_ids))
        candidates = list(due.order_by(*stage.order).values_list("pk", "ticket_id")[:limit])
        recorded.looked_at = len(candidates)
        if not candidates:
            return recorded
        # A sweep skips tickets another transaction holds (the next batch takes them); a call
        # for given clocks waits for them.
        locked = set(
            Ticket.objects.select_for_update(skip_locked=clock_ids is None)
            .filter(pk__in=sorted({ticket_id for _, ticket_id in candidates}))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ids = [pk for pk, ticket_id in candidates if ticket_id in locked]
        if not ids:
            return recorded
        with_steps = policies_with_steps(stage.stage)
        marked = _mark(stage, ids=ids, now=now, with_steps=with_steps)
        if not marked:
            return recorded
        rows = list(
            TicketSLA.objects.filter(pk__in=marked)
            .order_by(*stage.order)
            .values_list("pk", "ticket_id", "target", "due_at", "policy_id", "policy__name")
        )
        ticket_services.tickets_record_sla_events(
            kind=stage.kind,
            records=[
                ticket_services.SLARecord(
                    ticket_id=ticket_id,
                    target=target,
                    due_at=due_at,
                    at=due_at if stage.stage == Stage.BREACH else now,
                    policy=policy_name,
                )
                for _, ticket_id, target, due_at, _, policy_name in rows
            ],
        )
        recorded.clock_ids = [row[0] for row in rows]
        recorded.steps_pending = [row[0] for row in rows if row[4] in with_steps]
        if recorded.steps_pending:
            queue_steps(stage.stage, recorded.steps_pending, on_commit=True)
    return recorded


def queue_steps(stage: str, clock_ids: Sequence[int], *, on_commit: bool) -> None:
    """Hand the escalation steps of these clocks to the "sla" queue, in chunks."""
    from .tasks import run_escalation_steps

    def send() -> None:
        for start in range(0, len(clock_ids), STEPS_CHUNK):
            run_escalation_steps.delay(stage, list(clock_ids[start : start + STEPS_CHUNK]))

    if on_commit:
        transaction.on_commit(send, robust=True)
    else:
        send()


def clocks_record_breaches(
    *, now: datetime | None = None, limit: int = BATCH, clock_ids: Sequence[int] | None = None
) -> Recorded:
    """Record the breaches of up to `limit` running clocks past their due time (these, when
    given), most overdue first, each exactly once."""
    now = now or timezone.now()
    return _record(_breach(now), now=now, limit=limit, clock_ids=clock_ids)


def clocks_record_warnings(
    *, now: datetime | None = None, limit: int = BATCH, clock_ids: Sequence[int] | None = None
) -> Recorded:
    """Record the warnings of up to `limit` running clocks past their warning time and not yet
    due, each exactly once."""
    now = now or timezone.now()
    return _record(_warning(now), now=now, limit=limit, clock_ids=clock_ids)


def requeue_lost_steps(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Warnings and breaches recorded a while ago whose steps never ran (their task was lost
    between commit and the broker, or its worker died): queued again (the steps run once:
    sla/escalation.py claims them under the ticket's lock). With Redis, at most once per
    LOST_STEPS_AFTER: in a backlog the earlier tasks may still be waiting in the queue."""
    before = (now or timezone.now()) - LOST_STEPS_AFTER
    found = []
    for stage, filters in (
        (Stage.BREACH, {"breached_at__isnull": False, "breach_steps_at": None,
                        "breach_recorded_at__lte": before}),
        (Stage.WARNING, {"warned_at__isnull": False, "warning_steps_at": None,
                         "warned_at__lte": before}),
    ):  # fmt: skip
        ids = list(TicketSLA.objects.filter(**filters).values_list("pk", flat=True)[:limit])
        if ids:
            found.append((stage, ids))
    if not found:
        return 0
    client = pending._client()
    seconds = int(LOST_STEPS_AFTER.total_seconds())
    if client is not None and not client.set(REQUEUED, 1, nx=True, ex=seconds):
        return 0
    for stage, ids in found:
        queue_steps(stage, ids, on_commit=False)
    return sum(len(ids) for _, ids in found)
