"""The durable rules queue: the triggers a ticket's events call for are written as a `RuleWork`
row by `publish()` itself, inside the transaction of the change (`tickets.events`'s outbox
writer hook), so they commit or roll back with it; nothing depends on the in-memory after-commit
delivery. After the commit a drain is asked for once per burst, not once per change
(`drain_schedule`: a flag in the shared cache); the drain (tasks.drain_rules) takes the rows in
chunks (skipping those another drain holds), runs the rules of each ticket once for the chunk
with its rows merged, and deletes the rows in the transaction of the rules' work: a worker that
dies mid-chunk leaves them for the next drain, and the sweeper (tasks.sweep_rules) queues one
for rows a lost drain left waiting. A ticket whose rules keep failing is tried again later, then
held for a person (admin: "rules to run"), without holding up the others.

Cost on a path that publishes: nothing for events no rule listens to (kind_of); one INSERT per
change that has some (one per transaction inside `events.outbox_deferred()`), and after commit
one cache.add, instead of a Celery message per change and a task per change in the worker."""

import contextlib
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from channels_app.services import cache_is_shared
from tickets import events

from . import engine
from .engine import MAX_DEPTH, Origin, Work
from .models import RuleWork

logger = logging.getLogger(__name__)

UPDATES = (
    events.StatusChanged,
    events.PriorityChanged,
    events.TicketAssigned,
    events.TicketEscalated,
    events.TicketDeescalated,
    events.TagsChanged,
)
LISTENED = (events.TicketCreated, events.MessageCreated, *UPDATES)
DRAIN_SCHEDULED = "jornada:rules-drain-scheduled"
# Rows taken by a drain in one transaction: one chunk of the engine (engine.LOCK_CHUNK), so the
# tickets' locks are held no longer than before.
CHUNK = engine.LOCK_CHUNK
# A ticket's rows failed this many times are held for a person; tried again after
# RETRY_SECONDS * 4 ** (failures - 1), at most MAX_RETRY_SECONDS.
MAX_ATTEMPTS = 5
RETRY_SECONDS = 15
MAX_RETRY_SECONDS = 600
_draining: ContextVar[bool] = ContextVar("rules_draining", default=False)


def kind_of(event: events.DomainEvent) -> str | None:
    if isinstance(event, events.TicketCreated):
        return "created"
    if isinstance(event, events.MessageCreated):
        return "message" if event.from_customer and not event.created_ticket else None
    return "updated" if isinstance(event, UPDATES) else None


def works_of(published: Iterable[events.DomainEvent]) -> dict[tuple[int, int], Work]:
    """The rules the events call for, per ticket and depth (kinds and skipped rules merged)."""
    work: dict[tuple[int, int], Work] = {}
    for event in published:
        kind = kind_of(event)
        if kind is None or event.ticket_id is None:
            continue
        origin = events.origin_of(event)
        if isinstance(origin, Origin):
            if origin.depth >= MAX_DEPTH:
                continue
            depth, skip = origin.depth, frozenset(origin.rules)
        else:
            depth, skip = 0, frozenset()
        # The events of one round of rules on a ticket fire none of the rules of that round.
        item = work.setdefault((event.ticket_id, depth), Work(event.ticket_id, set(), depth))
        item.kinds.add(kind)
        item.skip |= skip
    return work


def rule_work_record(published: list[events.DomainEvent]) -> None:
    """The outbox writer, called inside the publishing transaction: one INSERT for the events
    given (one, or a whole `events.outbox_deferred()` block's), none when no rule could listen."""
    works = works_of(published)
    if not works:
        return
    rows = [
        RuleWork(ticket_id=w.ticket_id, kinds=sorted(w.kinds), depth=w.depth, skip=sorted(w.skip))
        for w in works.values()
    ]
    RuleWork.objects.bulk_create(rows)


def drain_schedule() -> bool:
    """Make sure a drain is on its way: one drain works through every waiting row, so a burst
    of changes costs a task or two, not one each. The flag lapses by itself if that task is
    lost; a per-process cache (embedded mode) cannot share it, so there every change queues a
    drain. False when the broker could not be reached (the sweeper will queue the drain)."""
    from .tasks import drain_rules

    try:
        if cache_is_shared() and not cache.add(DRAIN_SCHEDULED, 1, timeout=10):
            return True  # a drain is queued and not started yet: it will see these rows
        drain_rules.delay()
    except Exception:
        # Broker (or cache) down: the rows are committed and the sweeper will queue a drain.
        with contextlib.suppress(Exception):  # the flag lapses by itself
            cache.delete(DRAIN_SCHEDULED)
        logger.warning("Could not queue the rules drain; the sweeper will", exc_info=True)
        return False
    return True


def drain_wanted(published: list[events.DomainEvent]) -> bool:
    """Whether a delivery of committed events needs a drain: they wrote rows, and they were not
    published by a drain itself (which looks for new rows again before it ends)."""
    return not _draining.get() and bool(works_of(published))


@contextmanager
def draining() -> Iterator[None]:
    token = _draining.set(True)
    try:
        yield
    finally:
        _draining.reset(token)


def _due() -> Q:
    return Q(attempts__lt=MAX_ATTEMPTS) & (Q(due_at__isnull=True) | Q(due_at__lte=timezone.now()))


def _take(limit: int, *, ticket_id: int | None = None) -> list[RuleWork]:
    query = RuleWork.objects.select_for_update(skip_locked=True).filter(_due())
    if ticket_id is not None:
        query = query.filter(ticket_id=ticket_id)
    return list(query.defer("error", "created_at").order_by("id")[:limit])


def rule_work_run(*, limit: int = CHUNK) -> int:
    """One chunk of the waiting rows, oldest first, in one transaction: the rules run once per
    ticket and depth with its rows merged, the rows that ran deleted; the events the rules'
    actions publish delivered together after the commit. If the chunk fails as a whole, its
    tickets are run one at a time, and one failing alone has its rows deferred (held after
    MAX_ATTEMPTS). How many rows were taken."""
    rows: list[RuleWork] = []
    with events.batch():
        try:
            with transaction.atomic(), events.outbox_deferred():
                rows = _take(limit)
                _run(rows)
            return len(rows)
        except Exception:
            if not rows:
                raise
            logger.warning("Rules failed on a chunk of %s rows; one ticket at a time", len(rows),
                           exc_info=True)  # fmt: skip
    for ticket_id in dict.fromkeys(row.ticket_id for row in rows):
        mine = [row for row in rows if row.ticket_id == ticket_id]
        with events.batch():
            try:
                with transaction.atomic(), events.outbox_deferred():
                    mine = _take(limit, ticket_id=ticket_id)
                    _run(mine)
            except Exception as exc:
                logger.exception("Rules failed on ticket %s", ticket_id)
                _defer(mine, f"{type(exc).__name__}: {exc}")
    return len(rows)


def _run(rows: list[RuleWork]) -> None:
    works: dict[tuple[int, int], Work] = {}
    ids: dict[tuple[int, int], list[RuleWork]] = {}
    for row in rows:
        key = (row.ticket_id, row.depth)
        work = works.setdefault(key, Work(row.ticket_id, set(), row.depth))
        work.kinds.update(row.kinds)
        work.skip |= frozenset(row.skip)
        ids.setdefault(key, []).append(row)
    if not works:
        return
    failures: dict[tuple[int, int], str] = {}
    engine.process(works.values(), failures=failures)
    done = [row.pk for key, mine in ids.items() if key not in failures for row in mine]
    if done:
        RuleWork.objects.filter(pk__in=done).delete()
    for key, error in failures.items():
        _defer(ids[key], error)


def _defer(rows: list[RuleWork], error: str) -> None:
    """Those rows' rules failed: tried again later, or held for a person after MAX_ATTEMPTS."""
    if not rows:
        return
    attempts = max(row.attempts for row in rows) + 1
    wait = min(MAX_RETRY_SECONDS, RETRY_SECONDS * 4 ** (attempts - 1))
    RuleWork.objects.filter(pk__in=[row.pk for row in rows]).update(
        attempts=attempts, error=error[:2000], due_at=timezone.now() + timedelta(seconds=wait)
    )
    if attempts >= MAX_ATTEMPTS:
        logger.error(
            "Rules on ticket %s failed %s times; held for a person (admin: rules to run)",
            rows[0].ticket_id, attempts,
        )  # fmt: skip


def rule_work_waiting(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """How many rows wait that a drain should have taken by now: written longer ago than
    `older_than` (their drain was lost), or due again after a failure."""
    now = timezone.now()
    return (
        RuleWork.objects.filter(attempts__lt=MAX_ATTEMPTS)
        .filter(Q(due_at__isnull=True, created_at__lt=now - older_than) | Q(due_at__lte=now))
        .count()
    )


def rule_work_requeue_stuck(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """The sweeper's: a drain queued for the rows waiting too long; how many waited."""
    waiting = rule_work_waiting(older_than=older_than)
    if waiting:
        cache.delete(DRAIN_SCHEDULED)  # whatever was scheduled did not happen
        drain_schedule()
    return waiting


def rule_work_retry(*, ids: list[int]) -> int:
    """Held (or deferred) rows to be tried again at once (a person fixed the cause); a drain
    is queued after the commit. How many rows."""
    with transaction.atomic():
        count = RuleWork.objects.filter(pk__in=ids).update(attempts=0, due_at=None, error="")
        if count:
            transaction.on_commit(drain_schedule, robust=True)
    return count
