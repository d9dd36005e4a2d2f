"""Storing what the channels receive: every delivery kept first, exactly as it came (one INSERT,
which recognises a delivery stored already), its processing scheduled after commit (ingest.py).
A webhook's accept runs outside any transaction: its INSERT is its own durable commit."""

import functools
import json
import logging
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone

from ..cache import cache_is_shared
from ..models import InboundEvent, Mailbox

logger = logging.getLogger(__name__)
S = InboundEvent.Status


DRAIN_SCHEDULED = "jornada:inbound-drain-scheduled"


def schedule_processing() -> bool:
    """Make sure a drain task is on its way. One task works through every waiting event, so a
    burst of 10,000 deliveries costs a handful of tasks instead of 10,000 (a Celery round trip is
    a large part of the cost of one message). The flag lapses by itself if that task is lost; a
    per-process cache (embedded mode) cannot share it, so there every delivery queues a drain.
    False when the broker could not be reached (the sweeper will queue the drain)."""
    from ..tasks import process_inbound_events

    if cache_is_shared() and not cache.add(DRAIN_SCHEDULED, 1, timeout=10):
        return True  # a drain is already queued: it will see this event
    try:
        process_inbound_events.delay()
    except Exception:
        # Broker down: the event is safe in the database and the sweeper will queue it.
        cache.delete(DRAIN_SCHEDULED)
        logger.warning("Could not queue inbound processing; the sweeper will", exc_info=True)
        return False
    return True


# When this process last made sure a drain was queued (time.monotonic()), for the guard below.
_drain_ensured_at = float("-inf")


def drain_guard_seconds() -> float:
    """JORNADA["INBOUND_DRAIN_GUARD_SECONDS"]: see schedule_processing_after_accept."""
    return settings.JORNADA["INBOUND_DRAIN_GUARD_SECONDS"]


def schedule_processing_after_accept() -> None:
    """schedule_processing() at most once per guard interval per process: on the accept path the
    drain flag is a Redis round trip per webhook, paid while the provider waits.

    Why an event whose accept skips it is never stranded: this process asked for a drain at T (the
    time taken just before asking), and the guard skips only until T + guard. Whether that request
    queued a drain or found the flag already set (a drain queued, not started: a drain deletes the
    flag as it starts), some drain D starts after T. Every drain, before it exits, looks for
    waiting events once more no earlier than its own start + guard (process_inbound_events), so
    after T + guard: an event committed before the skip is seen by that last look. A lost drain
    or a broker that is down is what the sweeper is for, as without the guard."""
    global _drain_ensured_at  # one float per process; a race between threads only asks twice
    guard = drain_guard_seconds()
    asked_at = time.monotonic()
    if guard and asked_at - _drain_ensured_at < guard:
        return
    _drain_ensured_at = asked_at  # before asking: an eager drain stores nothing in between
    try:
        ensured = schedule_processing()
    except Exception:
        # Redis down: the events are committed; answering 500 would only make the provider
        # send them again. The sweeper queues them.
        logger.warning("Could not schedule inbound processing; the sweeper will", exc_info=True)
        ensured = False
    if not ensured:
        _drain_ensured_at = float("-inf")  # the next accept tries again


def inbound_event_store(
    *,
    channel: str,
    source: str,
    provider_id: str,
    raw: bytes,
    headers: dict | None = None,
    mailbox: Mailbox | None = None,
    schedule: bool = True,
) -> tuple[InboundEvent, bool]:
    """Keep a delivery exactly as received. Returns (event, created); a delivery already stored
    (same channel and provider id) returns the first one and queues nothing. `schedule=False`:
    the caller processes the event itself at once (the chat, which acknowledges a message only
    once it is processed); should that fail, the sweeper finds the event still waiting."""
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                channel=channel,
                source=source[:120],
                provider_id=provider_id[:255],
                raw=raw,
                size=len(raw),
                headers=headers or {},
                mailbox=mailbox,
            )
            if schedule:
                transaction.on_commit(schedule_processing)
    except IntegrityError:
        existing = InboundEvent.objects.filter(
            channel=channel, provider_id=provider_id[:255]
        ).first()
        if existing is None:
            raise
        return existing, False
    return event, True


def inbound_events_store(
    *,
    channel: str,
    source: str,
    items: Iterable[tuple[str, bytes]],
    headers: dict | None = None,
    mailbox: Mailbox | None = None,
) -> list[str]:
    """Keep the pieces of one delivery, each (provider id, raw) as its own event, all or none:
    one INSERT for all of them, which skips the provider ids already stored (the unique
    (channel, provider id) recognises a duplicate, of an earlier delivery or within this one).
    Returns the provider ids stored now; processing is scheduled once they are committed.

    Outside a transaction the INSERT runs in autocommit, its own durable transaction: one round
    trip to the database, no BEGIN, no SAVEPOINT, no SELECT. Inside one, it joins it in a
    savepoint and the processing waits for the outer commit."""
    pieces: dict[str, bytes] = {}
    for provider_id, raw in items:
        pieces.setdefault(provider_id[:255], raw)  # a repeat within the delivery: the first
    if not pieces:
        return []
    rows = _event_rows(
        channel=channel,
        source=source,
        pieces=pieces,
        headers_of=dict.fromkeys(pieces, headers or {}),
        mailbox=mailbox,
    )
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a thread-local lookup
    if db.get_autocommit() and not db.in_atomic_block:
        returned, sent_twice = _insert(rows)
        stored = _in_order(pieces, returned)
        if stored or sent_twice:  # sent twice: the first may have been stored unseen
            schedule_processing_after_accept()
        return stored
    with transaction.atomic():
        returned, _ = _insert(rows)
        stored = _in_order(pieces, returned)
        if stored:
            transaction.on_commit(schedule_processing_after_accept)
    return stored


def inbound_files_store(
    *, channel: str, source: str, items: Iterable[tuple[str, bytes, dict]], mailbox: Mailbox | None
) -> dict[str, int]:
    """Keep messages read from files or a mailbox, each (provider id, raw, headers) as its own
    event, with one INSERT in autocommit that skips those already stored. Returns {provider id:
    event id} of those stored now; nothing is scheduled (the caller processes them or queues a
    drain)."""
    pieces: dict[str, bytes] = {}
    headers_of: dict[str, dict] = {}
    for provider_id, raw, headers in items:
        if provider_id[:255] not in pieces:
            pieces[provider_id[:255]] = raw
            headers_of[provider_id[:255]] = headers
    if not pieces:
        return {}
    rows = _event_rows(
        channel=channel, source=source, pieces=pieces, headers_of=headers_of, mailbox=mailbox
    )
    returned, _ = _insert(rows)
    return {provider_id: pk for pk, provider_id in returned}


def _event_rows(
    *, channel: str, source: str, pieces: dict, headers_of: dict, mailbox: Mailbox | None
) -> list[tuple]:
    """The parameters of each piece's row, in the order of _INSERTED."""
    shared_before = (channel, source[:120])
    shared_after = (
        S.RECEIVED,
        "",
        "[]",
        0,
        connection.ops.adapt_datetimefield_value(timezone.now()),
    )
    mailbox_id = mailbox.pk if mailbox else None
    return [
        (*shared_before, provider_id, mailbox_id, json.dumps(headers_of[provider_id]), raw,
         len(raw), *shared_after)
        for provider_id, raw in pieces.items()
    ]  # fmt: skip


def _insert(rows: list[tuple]) -> tuple[list[tuple[int, str]], bool]:
    """INSERT ... ON CONFLICT (channel, provider_id) DO NOTHING RETURNING id, provider_id: the
    rows stored now, and whether the INSERT was sent twice. Written out: the ORM's bulk_create
    opens a transaction of its own and cannot say which rows a conflict skipped."""
    params = [value for row in rows for value in row]
    return _execute_idempotent(event_insert_sql(len(rows)), params)


def _in_order(pieces: dict, returned: list[tuple[int, str]]) -> list[str]:
    stored = {provider_id for _, provider_id in returned}
    return [provider_id for provider_id in pieces if provider_id in stored]


def _execute_idempotent(sql: str, params: list) -> tuple[list[tuple], bool]:
    """Run a statement that changes nothing when sent twice. On a kept connection Django sends a
    SELECT 1 before the first query of each request (CONN_HEALTH_CHECKS): a round trip to the
    database, through the pooler, while the provider waits. Here the statement is its own check:
    it goes first, and if the connection turns out to be dead it is sent again on a new one.
    Returns its rows, and whether it was sent twice."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a thread-local lookup
    unchecked = (
        db.connection is not None
        and db.health_check_enabled
        and not db.health_check_done
        and not db.in_atomic_block
    )
    if unchecked:
        db.health_check_done = True
    try:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall(), False
    except (InterfaceError, OperationalError):
        if not unchecked or db.is_usable():
            raise  # not a connection that died while kept
        db.close()
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall(), True


_INSERTED = (
    "channel", "source", "provider_id", "mailbox", "headers", "raw", "size", "status", "error",
    "notes", "attempts", "received_at",
)  # fmt: skip


@functools.lru_cache(maxsize=32)
def event_insert_sql(rows: int) -> str:
    """PostgreSQL and SQLite (3.35+) both take ON CONFLICT ... DO NOTHING RETURNING."""
    fields = {field.name: field for field in InboundEvent._meta.concrete_fields}
    quote = connection.ops.quote_name
    unique = ", ".join(quote(fields[name].column) for name in ("channel", "provider_id"))
    row = f"({', '.join(['%s'] * len(_INSERTED))})"
    return (
        f"INSERT INTO {quote(InboundEvent._meta.db_table)} "  # noqa: S608  (names from the model)
        f"({', '.join(quote(fields[name].column) for name in _INSERTED)}) "
        f"VALUES {', '.join([row] * rows)} "
        f"ON CONFLICT ({unique}) DO NOTHING "
        f"RETURNING {quote(fields['id'].column)}, {quote(fields['provider_id'].column)}"
    )
