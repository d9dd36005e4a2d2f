"""The inbound pipeline: every delivery stored first (store.py), processed after commit (here).

Processing is idempotent: an event already processed is left alone, a duplicate provider message
produces no second Message, and an event left in `received` (worker crash, broker down) is found
again by the sweeper.
"""

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from tickets import events
from tickets import services as ticket_services
from tickets.identities import PHONE_KINDS, phone_equivalents
from tickets.inbound import NormalizedMessage
from tickets.memo import memoized_for_batch
from tickets.models import CustomerIdentity, Message
from tickets.rows import rows_update
from tickets.services import ReceiveResult

from ..adapters import get_adapter
from ..adapters.base import PART_IDS, Annotation, ChannelError, DeliveryUpdate, Ignored
from ..models import InboundEvent
from ._common import RetryLater
from .media import schedule_media_fetch
from .store import DRAIN_SCHEDULED, event_insert_sql, schedule_processing

logger = logging.getLogger(__name__)
S = InboundEvent.Status
MAX_ATTEMPTS = 5


# Meta does not promise order: a reaction, edit or deletion may come before the message it
# names. Such an event waits (processed again by the sweeper) while it is this recent.
TARGET_WAIT = timedelta(minutes=15)


class TargetNotYet(ChannelError):
    """An annotation names a message we do not have yet, and it may still come. Not a failure:
    it does not count towards MAX_ATTEMPTS (TARGET_WAIT bounds the waiting)."""

    def __init__(self, message: str):
        super().__init__(message, permanent=False, code="target_not_yet")


@dataclass
class _Outcome:
    status: str
    message: Message | None
    notes: list[str]
    error: str = ""  # why an item was refused (the event is ignored, not failed)


def _receive(item: NormalizedMessage, outcome: _Outcome, savepoint: bool = True) -> None:
    _received(item, ticket_services.message_receive(incoming=item, savepoint=savepoint), outcome)


def _received(item: NormalizedMessage, result: ReceiveResult, outcome: _Outcome) -> None:
    """What follows a message on its ticket: the channel's bookkeeping, media to fetch, notes."""
    if result.refused:
        outcome.error = result.refused
        return
    if not result.duplicate:
        get_adapter(item.channel).received(item, result)
    if not result.duplicate and (item.metadata.get("media") or {}).get("status") == "pending":
        transaction.on_commit(lambda: schedule_media_fetch(result.message.pk))
    outcome.status = S.PROCESSED
    outcome.message = outcome.message or result.message
    outcome.notes += result.warnings
    outcome.notes += list(item.metadata.get("warnings", []))
    if result.duplicate:
        outcome.notes.append(f"duplicate of message {result.message.pk}")


def _sent_by_customer(item: Annotation, message: Message) -> bool:
    """A reaction, edit or deletion counts only from the customer of the message's ticket."""
    if item.sender_kind in PHONE_KINDS:
        kinds, values = PHONE_KINDS, phone_equivalents(item.sender_value)
    else:
        kinds, values = (item.sender_kind,), (item.sender_value,)
    return CustomerIdentity.objects.filter(
        customer_id=message.ticket.customer_id, kind__in=kinds, value__in=values
    ).exists()


def _annotate(item: Annotation, outcome: _Outcome, received_at, savepoint: bool = True) -> None:
    target = (
        Message.objects.select_related("ticket")
        .filter(channel=item.channel, external_id=item.external_id)
        .first()
    )
    if target is None and timezone.now() - (item.sent_at or received_at) < TARGET_WAIT:
        raise TargetNotYet(f"waiting for message {item.external_id} ({item.description})"[:300])
    if target is None and item.fallback is not None:
        _receive(item.fallback, outcome, savepoint)
    elif target is None:
        outcome.notes.append(f"{item.description} of unknown message {item.external_id}"[:300])
    elif not _sent_by_customer(item, target):
        outcome.notes.append(f"{item.description} of message {target.pk} by someone else")
    else:
        ticket_services.message_annotate(message=target, changes=item.changes)
        outcome.status = S.PROCESSED
        outcome.message = outcome.message or target
        outcome.notes.append(f"{item.description} on message {target.pk}")


def _delivery_targets(item: DeliveryUpdate, channel: str) -> list[Message]:
    """Our messages a status names: by their id (the first part's), or, for a failure, by the id
    of any later part (a failed second half of a long reply must not pass unseen)."""
    ours = Message.objects.filter(channel=channel, direction=Message.Direction.OUTBOUND)
    found = list(ours.filter(external_id__in=item.external_ids))
    if not found and item.status == Message.DeliveryStatus.FAILED:
        found = list(ours.filter(**{f"metadata__{PART_IDS}__has_any_keys": item.external_ids}))
    return found


def _deliver(item: DeliveryUpdate, channel: str, outcome: _Outcome) -> None:
    found = _delivery_targets(item, channel)
    for message in found:
        ticket_services.message_update_delivery(
            message=message, status=item.status, error=item.error
        )
        outcome.message = outcome.message or message
    if found:
        outcome.status = S.PROCESSED
        outcome.notes.append(f"delivery status {item.status}")
    else:
        unknown = ", ".join(item.external_ids)[:300]
        outcome.notes.append(f"delivery status {item.status} for unknown message(s) {unknown}")


def _apply(items: list, event: InboundEvent, *, savepoint: bool = True) -> _Outcome:
    """`savepoint=False`: the caller's savepoint covers the work (see message_receive)."""
    outcome = _Outcome(status=S.IGNORED, message=None, notes=[])
    for item in items:
        if isinstance(item, NormalizedMessage):
            _receive(item, outcome, savepoint)
        elif isinstance(item, Annotation):
            _annotate(item, outcome, event.received_at, savepoint)
        elif isinstance(item, DeliveryUpdate):
            _deliver(item, event.channel, outcome)
        elif isinstance(item, Ignored):
            outcome.notes.append(item.reason)
    return outcome


def _commit_without_waiting_for_disk() -> None:
    """Processing derives everything from the raw event, which was stored durably when it was
    accepted. If PostgreSQL crashes before this transaction reaches the disk, the event is back
    to `received` with none of what it made, and is processed again: so its commit need not wait
    for the flush (3-4 ms here, most of the cost of a message). SET LOCAL: this transaction only,
    which is also what a transaction-mode pooler allows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def inbound_event_process(
    *, event_id: int, force: bool = False, skip_locked: bool = False
) -> InboundEvent | None:
    """Parse and apply one stored delivery. Safe to call twice: a processed or ignored event is
    left alone (unless `force`, for re-processing from the admin). Raises RetryLater when a
    temporary failure deserves another attempt; permanent failures end in `failed`.

    The work and the event's new status commit together; when the work fails, all of it is
    rolled back and the failed attempt is recorded in a transaction of its own (no savepoint
    on the common path, where every round trip counts)."""
    return _process_alone(event_id, force=force, skip_locked=skip_locked)[0]


def _process_alone(
    event_id: int, *, force: bool = False, skip_locked: bool = False
) -> tuple[InboundEvent | None, bool]:
    """inbound_event_process's work, and whether it tried the event (False: gone, held by
    another worker, or done already)."""
    attempts = None
    try:
        with transaction.atomic():
            _commit_without_waiting_for_disk()
            event = _lock(event_id, skip_locked=skip_locked)
            if event is None or (event.status in (S.PROCESSED, S.IGNORED) and not force):
                return event, False
            attempts = event.attempts
            outcome = _apply(get_adapter(event.channel).parse(event), event)
            _record_outcome(event, outcome)
            event.save(update_fields=EVENT_FIELDS)
            return event, True
    except Exception as exc:
        if attempts is None:
            raise  # failed before the event was read (database down): nothing to record
        if not isinstance(exc, ChannelError):
            logger.exception("Inbound event %s failed", event_id)
        error, retry = _failure(exc)
        return _record_failure(
            event_id,
            error,
            retry=retry,
            counts=not isinstance(exc, TargetNotYet),
            attempts=attempts,
            force=force,
        ), True


EVENT_FIELDS = ["status", "error", "message", "notes", "processed_at", "attempts"]


def _record_outcome(event: InboundEvent, outcome: _Outcome) -> None:
    """What a successful attempt sets on its event (saved by the caller: alone or in bulk)."""
    event.attempts += 1
    event.status, event.error = outcome.status, outcome.error
    event.message, event.notes = outcome.message, outcome.notes
    event.processed_at = timezone.now()


def inbound_events_process_batch(*, event_ids: list[int], skip_locked: bool = False) -> list:
    """Process several stored deliveries in one transaction, as a drain or `ingest_email` does:
    one SELECT ... FOR UPDATE for all of them, each one's work in a savepoint of its own, one
    UPDATE for all their statuses, one commit. Per message this saves the lock, the status
    UPDATE, the commit and their ORM work, which on PostgreSQL is a third of the cost of a
    new-ticket email. Returns the events processed (those gone, done already or held by another
    worker are left out).

    An event whose work raises is rolled back to its savepoint (with the locks it took) and,
    once the batch has committed, processed again alone by inbound_event_process, which records
    the failure or retry exactly as for a single event: a bad message never costs the others."""
    if not event_ids:
        return []
    redo: list[int] = []
    done: list[InboundEvent] = []
    # outbox_deferred ends inside the transaction: the batch's events go to the outbox (webhooks)
    # in one INSERT before the commit.
    with memoized_for_batch(), transaction.atomic(), events.outbox_deferred():
        _commit_without_waiting_for_disk()
        waiting = (
            InboundEvent.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk__in=event_ids)
            .exclude(status__in=(S.PROCESSED, S.IGNORED))
            .order_by("pk")
        )
        parsed = []
        for event in waiting:
            try:
                parsed.append((event, get_adapter(event.channel).parse(event)))
            except Exception:
                redo.append(event.pk)
        _read_senders_ahead(parsed)
        together = _receive_together(parsed, ticket_services.messages_receive_openings)
        unplain = [(event, items) for event, items in parsed if event.pk not in together]
        together |= _receive_together(unplain, ticket_services.messages_receive_replies)
        for event, items in parsed:
            if event.pk in together:
                _record_outcome(event, together[event.pk])
                done.append(event)
                continue
            try:
                # This savepoint covers the services' own: a duplicate message (IntegrityError)
                # fails the event here, and the lone redo below returns the first one.
                with transaction.atomic():
                    outcome = _apply(items, event, savepoint=False)
            except Exception:
                redo.append(event.pk)
                continue
            _record_outcome(event, outcome)
            done.append(event)
        if done:
            rows_update(done, EVENT_FIELDS)
    for event_id in redo:
        with contextlib.suppress(RetryLater):  # stays waiting; the sweeper queues it again
            event, tried = _process_alone(event_id, skip_locked=skip_locked)
            if tried:  # not one another worker processed meanwhile
                done.append(event)
    return done


def _read_senders_ahead(parsed: list) -> None:
    """The senders the batch's messages come from, looked up once for all of them. Only a saving:
    should it fail, it is rolled back to its savepoint and each message looks its sender up."""
    senders = [
        (item.sender_kind, item.sender_value)
        for _, items in parsed
        for item in items
        if isinstance(item, NormalizedMessage)
    ]
    try:
        with transaction.atomic():
            ticket_services.customers_prefetch_for_identities(identities=senders)
    except Exception:
        logger.exception("Reading %s senders ahead failed; each is looked up alone", len(senders))


def _receive_together(parsed: list, receive) -> dict[int, _Outcome]:
    """The batch's events that each bring one message `receive` takes together with the others
    of its kind (ticket_services.messages_receive_openings: new conversations of new senders;
    messages_receive_replies: plain replies of known ones) before the rest: {event id: outcome}.
    An event it leaves out is processed as usual. `parsed` is the batch, less what an earlier
    call received."""
    batch = [item for _, items in parsed for item in items if isinstance(item, NormalizedMessage)]
    batch += [item.fallback for _, items in parsed for item in items
              if isinstance(item, Annotation) and item.fallback is not None]  # fmt: skip
    # Both leave phone senders to message_receive (a number has several forms and kinds): a
    # batch of WhatsApp or SMS messages pays no savepoint here.
    singles = [
        (event, items[0])
        for event, items in parsed
        if len(items) == 1
        and isinstance(items[0], NormalizedMessage)
        and items[0].sender_kind not in PHONE_KINDS
    ]
    if len(singles) < 2:
        return {}  # nothing to take together (and no savepoint to pay for)
    outcomes = {}
    try:
        with transaction.atomic():  # the channels' bookkeeping too, or none of it
            results = receive(incomings=[item for _, item in singles], batch=batch)
            for index, result in results.items():
                event, item = singles[index]
                outcome = _Outcome(status=S.IGNORED, message=None, notes=[])
                _received(item, result, outcome)
                outcomes[event.pk] = outcome
    except Exception:
        logger.exception("Messages of a batch failed after they were received together")
        return {}
    return outcomes


def _failure(exc: Exception) -> tuple[str, bool]:
    """What a failed processing records, and whether it deserves another attempt (the caller
    logs what is no ChannelError, in its except block)."""
    if isinstance(exc, ChannelError):
        return str(exc), not exc.permanent
    return f"{exc.__class__.__name__}: {exc}", True


def inbound_event_store_and_process(
    *, channel: str, source: str, provider_id: str, raw: bytes
) -> tuple[InboundEvent | None, bool]:
    """Store a delivery and process it in one transaction, for a caller that acknowledges it
    only once it is processed (the chat, whose client keeps a message and sends it again until
    then). Returns (event, created); a delivery already stored returns the first event as it is
    (processed or not) and changes nothing.

    One commit, durable (the acknowledgement follows it), instead of the store's and then the
    processing's: the event row is ours from its INSERT, so no lock is read back, and the
    processing runs in one savepoint (the services' own is spared: a provider id is processed
    once, so no duplicate message can come). Should the processing fail, its work is rolled back
    to that savepoint and the event commits waiting (or failed), as inbound_event_process would
    leave it, for the drain or the sweeper: stored first, either way."""
    provider_id, now = provider_id[:255], timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                event_insert_sql(1),
                [channel, source[:120], provider_id, None, "{}", raw, len(raw), S.RECEIVED, "",
                 "[]", 0, connection.ops.adapt_datetimefield_value(now)],
            )  # fmt: skip
            row = cursor.fetchone()
        if row is not None:
            event = InboundEvent(
                pk=row[0], channel=channel, source=source[:120], provider_id=provider_id,
                headers={}, raw=raw, size=len(raw), received_at=now,
            )  # fmt: skip
            event._state.adding, event._state.db = False, connection.alias
            _process_stored(event)
            return event, True
    return InboundEvent.objects.filter(channel=channel, provider_id=provider_id).first(), False


def _process_stored(event: InboundEvent) -> None:
    """inbound_event_process's work on an event this transaction has just stored."""
    try:
        with transaction.atomic():
            outcome = _apply(get_adapter(event.channel).parse(event), event, savepoint=False)
    except Exception as exc:
        if not isinstance(exc, ChannelError):
            logger.exception("Inbound event %s failed", event.pk)
        error, retry = _failure(exc)
        event.attempts += not isinstance(exc, TargetNotYet)
        event.error = error
        event.status = S.RECEIVED if retry and event.attempts < MAX_ATTEMPTS else S.FAILED
    else:
        _record_outcome(event, outcome)
    event.save(update_fields=EVENT_FIELDS)


def _lock(event_id: int, *, skip_locked: bool = False) -> InboundEvent | None:
    return (
        InboundEvent.objects.select_for_update(skip_locked=skip_locked).filter(pk=event_id).first()
    )


def _record_failure(
    event_id: int,
    error: str,
    *,
    retry: bool,
    counts: bool,
    attempts: int,
    force: bool = False,
) -> InboundEvent | None:
    """Record a failed attempt, unless someone else touched the event since this attempt read
    it (the failed work's lock went with its rollback: another worker may have processed it)."""
    with transaction.atomic():
        event = _lock(event_id)
        if event is None or event.attempts != attempts:
            return event
        if event.status in (S.PROCESSED, S.IGNORED) and not force:
            return event
        # Waiting for the message an annotation names is no failed attempt (`counts` False).
        event.attempts += counts
        event.status, event.error = S.FAILED, error
        if retry and event.attempts < MAX_ATTEMPTS:
            # Still waiting, not failed: the drain or the sweeper tries again, nothing is lost
            # even if the retry task never runs. After MAX_ATTEMPTS it stays failed, for a person.
            event.status = S.RECEIVED
        event.save(update_fields=EVENT_FIELDS)
    if retry and event.attempts < MAX_ATTEMPTS:
        raise RetryLater(event.error)
    return event


def inbound_events_requeue_stuck(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """How many events were stuck; a drain is queued for them."""
    stuck = InboundEvent.objects.filter(
        status=S.RECEIVED, received_at__lt=timezone.now() - older_than
    ).count()
    if stuck:
        cache.delete(DRAIN_SCHEDULED)  # whatever was scheduled did not happen
        schedule_processing()
    return stuck


def inbound_events_waiting(*, limit: int = 100, exclude: set[int] | None = None) -> list[int]:
    waiting = InboundEvent.objects.filter(status=S.RECEIVED)
    if exclude:
        waiting = waiting.exclude(pk__in=exclude)
    return list(waiting.order_by("received_at", "pk").values_list("pk", flat=True)[:limit])
