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

Cost on a path that publishes: nothing for events no rule kind covers (kind_of); one INSERT per
published event of those kinds (one per transaction inside `events.outbox_deferred()`), and after
commit one cache.add, instead of a Celery message per delivery and a task per delivery in the
worker. Coalescing: a ticket's rows waiting together (same depth) run once, their kinds merged."""

import contextlib
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from channels_app.cache import cache_is_shared
from tickets import events
from tickets.models import Ticket

from . import engine
from .engine import MAX_DEPTH, Origin, Work
from .models import RULE_WORK_MAX_ATTEMPTS, RuleWork

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
MAX_ATTEMPTS = RULE_WORK_MAX_ATTEMPTS
RETRY_SECONDS = 15
MAX_RETRY_SECONDS = 600
# A claimed row is taken by no other drain for this long: longer than a chunk's run may last
# (tasks.drain_rules' time limit).
CLAIM_SECONDS = 300
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
    drain, and so does a change while the cache is away (a drain too many finds nothing). False
    when the broker could not be reached (the sweeper will queue the drain)."""
    from .tasks import drain_rules

    if cache_is_shared() and not _flag_set():
        return True  # a drain is queued and not started yet: it will see these rows
    try:
        drain_rules.delay()
    except Exception:
        # Broker down: the rows are committed and the sweeper will queue a drain.
        drain_flag_clear()
        logger.warning("Could not queue the rules drain; the sweeper will", exc_info=True)
        return False
    return True


def _flag_set() -> bool:
    """Whether this call set the flag (no drain was asked for); True too when the cache cannot
    say, so that a cache outage never stops the rules."""
    try:
        return cache.add(DRAIN_SCHEDULED, 1, timeout=10)
    except Exception:
        logger.warning("Rules drain flag unreadable (cache down): a drain is queued", exc_info=True)
        return True


def drain_flag_clear() -> None:
    """Changes committed from now on ask for another drain (the flag lapses by itself if the
    cache cannot be reached)."""
    with contextlib.suppress(Exception):
        cache.delete(DRAIN_SCHEDULED)


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


def _claim(limit: int) -> list[int]:
    """Up to `limit` due rows, oldest first, skipping those another drain holds, claimed in a
    transaction of their own before their rules run: an attempt counted and no other drain
    taking them for CLAIM_SECONDS. A run that kills its worker (a crash, the task's time limit)
    cannot count its own attempt: this way a row that does so every time is held after
    MAX_ATTEMPTS instead of stopping every drain that takes it. Their ids."""
    with transaction.atomic():
        query = RuleWork.objects.select_for_update(skip_locked=True).filter(_due())
        ids = list(query.order_by("id").values_list("id", flat=True)[:limit])
        if ids:
            RuleWork.objects.filter(pk__in=ids).update(
                attempts=F("attempts") + 1,
                due_at=timezone.now() + timedelta(seconds=CLAIM_SECONDS),
            )
    return ids


def _take(ids: list[int]) -> list[RuleWork]:
    """The claimed rows still there, locked for the run (a redelivered drain's were deleted)."""
    query = RuleWork.objects.select_for_update().filter(pk__in=ids)
    return list(query.defer("error", "created_at").order_by("id"))


def rule_work_run(*, limit: int = CHUNK) -> int:
    """One chunk of the waiting rows, oldest first (claimed first, see _claim), in one
    transaction: the rules run once per ticket and depth with its rows merged, the rows that ran
    deleted; the events the rules' actions publish delivered together after the commit. If the
    chunk fails as a whole, its tickets are run one at a time, and one failing alone has its rows
    deferred (held after MAX_ATTEMPTS). How many rows were claimed."""
    ids = _claim(limit)
    if not ids:
        return 0
    with events.batch():
        try:
            with transaction.atomic(), events.outbox_deferred():
                _run(_take(ids))
            return len(ids)
        except Exception:
            logger.warning(
                "Rules failed on a chunk of %s rows; one ticket at a time", len(ids), exc_info=True
            )
    rows = list(RuleWork.objects.filter(pk__in=ids).values_list("pk", "ticket_id"))
    for ticket_id in dict.fromkeys(ticket for _, ticket in rows):
        with events.batch():
            try:
                with transaction.atomic(), events.outbox_deferred():
                    _run(_take([pk for pk, ticket in rows if ticket == ticket_id]))
            except Exception as exc:
                logger.exception("Rules failed on ticket %s", ticket_id)
                _defer([pk for pk, ticket in rows if ticket == ticket_id], exc)
    return len(ids)


def _run(rows: list[RuleWork]) -> None:
    works: dict[tuple[int, int], Work] = {}
    rows_of: dict[tuple[int, int], list[RuleWork]] = {}
    for row in rows:
        key = (row.ticket_id, row.depth)
        work = works.setdefault(key, Work(row.ticket_id, set(), row.depth))
        work.kinds.update(row.kinds)
        work.skip |= frozenset(row.skip)
        rows_of.setdefault(key, []).append(row)
    if not works:
        return
    # The chunk's tickets locked at once, in id order, as every other path locks several: the
    # engine locks them again chunk by chunk, which in this one transaction would not be in one
    # order across chunks (a ticket at two depths), and could deadlock with a bulk action.
    ticket_ids = sorted({row.ticket_id for row in rows})
    list(Ticket.objects.select_for_update().filter(pk__in=ticket_ids).order_by("pk").values("pk"))
    failures: dict[tuple[int, int], str] = {}
    engine.process(works.values(), failures=failures)
    done = [row.pk for key, mine in rows_of.items() if key not in failures for row in mine]
    if done:
        RuleWork.objects.filter(pk__in=done).delete()
    for key, error in failures.items():
        _defer([row.pk for row in rows_of[key]], error)


def _defer(ids: list[int], error: Exception | str) -> None:
    """Those rows' rules failed: tried again later, or held for a person after MAX_ATTEMPTS
    (their attempt was counted when they were claimed)."""
    if not ids:
        return
    if isinstance(error, Exception):
        error = f"{type(error).__name__}: {error}"
    attempts = max(
        RuleWork.objects.filter(pk__in=ids).values_list("attempts", flat=True), default=1
    )
    wait = min(MAX_RETRY_SECONDS, RETRY_SECONDS * 4 ** (attempts - 1))
    RuleWork.objects.filter(pk__in=ids).update(
        error=error[:2000], due_at=timezone.now() + timedelta(seconds=wait)
    )
    if attempts >= MAX_ATTEMPTS:
        ticket_id = RuleWork.objects.filter(pk__in=ids).values_list("ticket_id", flat=True)[0]
        logger.error(
            "Rules on ticket %s failed %s times; held for a person (admin: rules to run)",
            ticket_id, attempts,
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
        drain_flag_clear()  # whatever was scheduled did not happen
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
