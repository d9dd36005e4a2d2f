"""Celery tasks of the unified inbox: ids in, safe to run twice, sweepers for anything lost."""

import logging
import random
import time
from datetime import timedelta
from itertools import groupby

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from tickets import events
from tickets import services as ticket_services
from tickets.memo import memoized_for_batch
from tickets.models import Message

from . import services
from .adapters import ChannelError, get_adapter
from .cache import PipelinedSets, redis_cache, redis_client, redis_name, redis_value
from .models import Mailbox

logger = logging.getLogger(__name__)
RETRYING = "jornada:deliver-retrying:"
SENT_UNRECORDED = "jornada:sent-unrecorded:"  # value: the provider id of a send not recorded
SENT_MEMORY = 2 * 24 * 3600  # longer than the sweeper looks back (a day)
RETRY_CAP_SECONDS = 600
# A batch adds little delay, and a worker killed mid-batch loses little (the sweepers catch up).
HOLD_SECONDS = 0.5
# Events processed in one transaction by a drain (services.inbound_events_process_batch): larger
# saves little more, and holds the rows a batch locks (tickets, customers) longer.
PROCESS_CHUNK = 20


@shared_task(
    bind=True,
    name="channels_app.process_inbound_event",
    acks_late=True,
    max_retries=4,
    ignore_result=True,
)
def process_inbound_event(self, event_id: int, force: bool = False) -> str | None:
    try:
        event = services.inbound_event_process(event_id=event_id, force=force)
    except services.RetryLater as exc:
        raise self.retry(countdown=min(600, 15 * 4**self.request.retries), exc=exc) from exc
    return event.status if event else None


@shared_task(name="channels_app.process_inbound_events", acks_late=True, ignore_result=True)
def process_inbound_events(batch: int = 100, seconds: float = 1.0) -> int:
    """Work through the waiting events, oldest first, until none is left or time is up: then
    hand over to a fresh task, at the back of the queue, so that the work the processed messages
    queued (clock syncs, acknowledgements, deliveries) gets a worker process in between. Events
    another worker holds are skipped, not waited for. The domain events of the messages are held
    and delivered together (events.HeldEvents), so a ticket's clocks and live pushes are dealt with
    once per batch, not once per message.

    The last look for waiting events is taken no earlier than the drain's start plus the accept
    guard (services.schedule_processing_after_accept): a web process that skipped asking for a
    drain did so within that long of asking, before this drain started, and counts on this look."""
    started = time.monotonic()
    cache.delete(services.DRAIN_SCHEDULED)  # what arrives from now on schedules another drain
    settle = started + services.drain_guard_seconds()
    deadline = started + seconds
    done = 0
    tried: set[int] = set()  # once per run: held by another worker, or to retry later
    held = events.HeldEvents(seconds=HOLD_SECONDS)
    looked_at = time.monotonic()
    waiting = services.inbound_events_waiting(limit=batch + 1)
    if len(waiting) > batch:
        services.schedule_processing()  # a backlog: let another worker process help
    try:
        while True:
            # Two drains (a worker's processes) share the backlog: each starts at its own point
            # of the list, so they seldom reach for the same event (a wasted lock attempt).
            start = random.randrange(min(len(waiting), batch)) if waiting else 0  # noqa: S311
            ordered = [*waiting[start:batch], *waiting[:start]]
            for first in range(0, len(ordered), PROCESS_CHUNK):
                if time.monotonic() > deadline:
                    break
                chunk = ordered[first : first + PROCESS_CHUNK]
                tried.update(chunk)
                held.hold()
                processed = services.inbound_events_process_batch(event_ids=chunk, skip_locked=True)
                done += len(processed)
                held.deliver_if_due()
            if waiting and time.monotonic() > deadline:
                services.schedule_processing()  # the rest is for a fresh task
                break
            if len(waiting) <= batch:
                # All that waited when we looked is done; what was committed later scheduled its
                # own drain, or is covered by this drain's last look (after `settle`).
                if looked_at >= settle:
                    break
                held.deliver()
                linger(settle - time.monotonic())
            looked_at = time.monotonic()
            waiting = services.inbound_events_waiting(limit=batch + 1, exclude=tried)
    finally:
        held.deliver()
    return done


def linger(seconds: float) -> None:
    """The drain's wait before its last look (a function of its own, for the tests)."""
    if seconds > 0:
        time.sleep(seconds)


@shared_task(name="channels_app.sweep_inbound_events", acks_late=True)
def sweep_inbound_events() -> int:
    """Queue again the events whose processing task was lost."""
    return services.inbound_events_requeue_stuck()


DELIVER_MAX_RETRIES = 6


class _RetryDelivery(Exception):
    def __init__(self, error: ChannelError, countdown: int):
        super().__init__(str(error))
        self.error, self.countdown = error, countdown


@shared_task(
    bind=True,
    name="channels_app.deliver_message",
    acks_late=True,
    max_retries=DELIVER_MAX_RETRIES,
    ignore_result=True,
)
def deliver_message(self, message_id: int) -> str | None:
    try:
        return _deliver(message_id, owner=self.request.id or "eager", retries=self.request.retries)
    except _RetryDelivery as retry:
        raise self.retry(countdown=retry.countdown, exc=retry.error) from retry


@shared_task(name="channels_app.deliver_messages", acks_late=True, ignore_result=True)
def deliver_messages(message_ids: list[int]) -> int:
    """Messages queued together (the acknowledgements of one batch), sent in one task instead of
    a task each (see _send). One that must wait for a retry is handed to deliver_message with its
    countdown, so the others do not wait; one that fails otherwise stays queued for
    sweep_outbound_messages. Returns how many were sent."""
    batch = _send(message_ids, owner=f"batch:{message_ids[0]}" if message_ids else "")
    for message_id, error in batch.retries:  # after the locks: the retry must find it free
        _retry_later(message_id, error, countdown=_retry_countdown(error, retries=0))
    return len(batch.sent)


class _Batch:
    def __init__(self, *, last_attempt: bool):
        self.last_attempt = last_attempt  # a temporary failure fails the message for good
        self.outcomes: dict[int, str] = {}  # message id: sent | failed
        self.sent: list[tuple[Message, str]] = []
        self.retries: list[tuple[int, ChannelError]] = []
        self.unrecorded: set[int] = set()


def _send(message_ids: list[int], *, owner: str, last_attempt: bool = False) -> _Batch:
    """Send these messages, one or many: read in one query under their locks, handed to their
    channel together (one SMTP connection), one push for all. Each send that went out is marked
    in the cache as soon as it comes back (SENT_UNRECORDED: a worker lost mid-batch sends none of
    them twice, the next attempt records it instead), and the outcomes are written together
    (_record: one transaction for RECORD_GROUP sends instead of a durable commit each). Returns
    what happened; the temporary failures are the caller's to retry."""
    # Held for the whole batch: a copy of the task, or the sweeper's, does not send them
    # meanwhile; longer than one send's, as they go one by one.
    hold = 300 + (settings.EMAIL_TIMEOUT or 30) * len(message_ids)
    locked = _take_locks(message_ids, owner, timeout=hold)
    batch = _Batch(last_attempt=last_attempt)
    try:
        with memoized_for_batch(), events.batch():  # their mailbox read once, one push
            _deliver_batch(locked, batch)
    finally:
        # A message sent but not recorded keeps its lock until it lapses: sending it again is
        # worse than sending it late.
        cache.delete_many([f"deliver-message:{pk}" for pk in locked if pk not in batch.unrecorded])
    return batch


def _take_locks(message_ids: list[int], owner: str, *, timeout: int) -> list[int]:
    """cache.add of each message's delivery lock; the ids taken. On Redis, one round trip for
    the batch (SET NX each, as cache.add does) instead of one per message."""
    keys = {pk: f"deliver-message:{pk}" for pk in message_ids}
    backend = redis_cache()
    if backend is None or len(keys) < 2:
        return [pk for pk, key in keys.items() if cache.add(key, owner, timeout=timeout)]
    names = [redis_name(backend, key) for key in keys.values()]
    value = redis_value(backend, owner)
    pipe = redis_client(backend).pipeline(transaction=False)
    for name in names:
        pipe.set(name, value, ex=timeout, nx=True)
    return [pk for pk, taken in zip(keys, pipe.execute(), strict=True) if taken]


# Sends whose outcomes are written in one transaction: each is marked in the cache meanwhile,
# and none waits longer than RECORD_WAIT seconds once the next send is back. Only where the
# cache outlives the worker (Redis): a per-process cache loses its marks with a lost worker, so
# there each send is recorded as it comes back.
RECORD_GROUP = 50
RECORD_WAIT = 1.0


def _record_group() -> int:
    return RECORD_GROUP if services.cache_is_shared() else 1


def _deliver_batch(message_ids: list[int], batch: _Batch) -> None:
    # Read under the locks: one a waiting copy of this task has sent is no longer queued.
    messages = list(
        Message.objects.select_related("ticket", "author_user")
        .prefetch_related("attachments")
        .filter(pk__in=message_ids, delivery_status=Message.DeliveryStatus.QUEUED)
        .order_by("channel", "pk")
    )
    messages = _not_sent_already(messages, batch)
    for channel, group in groupby(messages, key=lambda message: message.channel):
        if not _send_group(get_adapter(channel).send_batch(list(group)), batch):
            return  # the database does not take the records: send nothing more now
    cache.delete_many(
        [f"{key}{message.pk}" for message, _ in batch.sent for key in (RETRYING, SENT_UNRECORDED)]
    )
    for message, provider_id in batch.sent:
        _replay_early_statuses(message, provider_id)


def _send_group(sending, batch: _Batch) -> bool:
    """The channel's sends, their outcomes recorded RECORD_GROUP at a time; False when the
    database did not take them (nothing more is sent)."""
    group = _record_group()
    pending: list[tuple[Message, ticket_services.DeliveryChange]] = []
    oldest = 0.0
    # The sends' marks are written as they come back and their answers read together, before
    # the group is recorded (see PipelinedSets for what that gives up).
    marks = PipelinedSets()
    try:
        for message, result in sending:
            failed = isinstance(result, ChannelError)
            if failed and not result.permanent and not batch.last_attempt:
                batch.retries.append((message.pk, result))
                continue
            change = _failed(message, result) if failed else _sent(message, result)
            if not pending:
                oldest = time.monotonic()
            pending.append((message, change))
            due = len(pending) >= group or time.monotonic() - oldest >= RECORD_WAIT
            # A send the cache could not mark is recorded at once, alone, as its only guard.
            if (not failed and not _mark_sent(marks, message, change)) or due:
                _confirm_marks(marks)
                if not _record(pending, batch):
                    return False
                pending = []
        # Before the connection's goodbye, which may wait up to EMAIL_TIMEOUT.
        _confirm_marks(marks)
        return _record(pending, batch) if pending else True
    finally:
        marks.close()
        sending.close()  # ends the channel's connection, also when the loop stops early


def _mark_sent(marks: PipelinedSets, message: Message, change) -> bool:
    """Mark a send that went out (SENT_UNRECORDED: its provider id), so that a worker lost before
    recording it never sends it again; False when the mark could not be written."""
    try:
        marks.set(f"{SENT_UNRECORDED}{message.pk}", change.external_id, timeout=SENT_MEMORY)
    except Exception:
        logger.warning("Send of message %s not marked; recorded at once", message.pk)
        return False
    return True


def _confirm_marks(marks: PipelinedSets) -> None:
    """The marks' answers, read before their sends are recorded (which follows either way)."""
    try:
        marks.confirm()
    except Exception:
        logger.warning("Sends not marked in the cache; they are being recorded")


def _record(outcomes: list[tuple[Message, ticket_services.DeliveryChange]], batch: _Batch) -> bool:
    """Write these sends' outcomes in one short transaction, tried twice (a deadlock, a dropped
    connection); whether they were written. Sends not written stay marked in the cache
    (SENT_UNRECORDED) and locked: the next attempt records them instead of sending them again."""
    changes = [change for _, change in outcomes]
    for attempt in (1, 2):
        try:
            ticket_services.messages_update_delivery(changes=changes)
            break
        except Exception:
            if attempt == 2:
                logger.exception(
                    "Outcomes of messages %s not recorded", [c.message_id for c in changes]
                )
    else:
        for message, change in outcomes:
            batch.unrecorded.add(message.pk)
            if change.status == Message.DeliveryStatus.SENT:
                try:
                    cache.set(
                        f"{SENT_UNRECORDED}{message.pk}", change.external_id, timeout=SENT_MEMORY
                    )
                except Exception:
                    logger.exception("Message %s was sent and may be sent again", message.pk)
        return False
    for message, change in outcomes:
        batch.outcomes[message.pk] = change.status
        if change.status == Message.DeliveryStatus.SENT:
            batch.sent.append((message, change.external_id))
    return True


def _not_sent_already(messages: list[Message], batch: _Batch) -> list[Message]:
    """The messages to send: one whose send went out but could not be recorded is recorded now."""
    if not messages:
        return messages
    keys = {f"{SENT_UNRECORDED}{message.pk}": message for message in messages}
    sent = cache.get_many(list(keys))
    for key, provider_id in sent.items():
        ticket_services.messages_update_delivery(changes=[_sent(keys[key], provider_id)])
        cache.delete(key)
        batch.outcomes[keys[key].pk] = Message.DeliveryStatus.SENT
        logger.info("Message %s was sent before: recorded, not sent again", keys[key].pk)
    return [message for key, message in keys.items() if key not in sent]


def _sent(message: Message, provider_id: str) -> ticket_services.DeliveryChange:
    return ticket_services.DeliveryChange(
        message.pk, Message.DeliveryStatus.SENT, external_id=provider_id
    )


def _failed(message: Message, error: ChannelError) -> ticket_services.DeliveryChange:
    return ticket_services.DeliveryChange(
        message.pk, Message.DeliveryStatus.FAILED, error=str(error)
    )


def _retry_later(message_id: int, error: ChannelError, *, countdown: int) -> None:
    logger.info("Message %s not sent (%s); retried in %s s", message_id, error, countdown)
    cache.set(f"{RETRYING}{message_id}", 1, timeout=RETRY_CAP_SECONDS * 2)
    try:
        deliver_message.apply_async((message_id,), countdown=countdown)
    except Exception:  # broker down: the message stays queued for the sweeper
        logger.warning("Could not queue a retry of message %s", message_id, exc_info=True)


def _replay_early_statuses(message: Message, provider_id: str) -> None:
    """Statuses a channel reported before its send answered us (WhatsApp), applied now."""
    if not get_adapter(message.channel).status_provider_ids(provider_id):
        return
    try:
        message.refresh_from_db(fields=["metadata"])
        services.inbound_statuses_replay(
            channel=message.channel, external_id=provider_id, message=message
        )
    except Exception:
        logger.exception("Early delivery statuses of message %s not applied", message.pk)


def _deliver(message_id: int, *, owner: str, retries: int) -> str | None:
    """deliver_message's work: the message through _send, alone; what became of it (None: held
    by another worker, or no longer queued). A temporary failure raises _RetryDelivery, with a
    countdown that grows with the retries, until the last attempt fails it for good."""
    batch = _send([message_id], owner=owner, last_attempt=retries >= DELIVER_MAX_RETRIES)
    if batch.retries:
        [(_, error)] = batch.retries
        cache.set(f"{RETRYING}{message_id}", 1, timeout=RETRY_CAP_SECONDS * 2)
        raise _RetryDelivery(error, _retry_countdown(error, retries=retries))
    return batch.outcomes.get(message_id)


def _retry_countdown(error: ChannelError, *, retries: int) -> int:
    """Seconds before the next attempt: the first after the channel's own delay (a chat visitor
    is waiting, an SMTP server is not), then 60, 120, ... as the failure lasts. Below the broker's
    visibility timeout, or Redis would hand the retry out twice."""
    if retries == 0 and error.retry_after is not None:
        return max(1, round(error.retry_after))
    return _backoff(retries)


def _backoff(retries: int) -> int:
    """30, 60, 120, ... seconds, at most RETRY_CAP_SECONDS."""
    return min(RETRY_CAP_SECONDS, 30 * 2**retries)


# Acknowledgements written in one transaction: their tickets stay locked until it commits.
ACKNOWLEDGE_CHUNK = 100


@shared_task(name="channels_app.acknowledge_tickets", acks_late=True, ignore_result=True)
def acknowledge_tickets(message_ids: list[int]) -> int:
    """Tell customers we received the messages that opened their tickets, ACKNOWLEDGE_CHUNK at a
    time (services.tickets_acknowledge: a fixed number of statements each). Each is acknowledged
    at most once, so a task run twice sends nothing twice. A chunk that fails is tried again one
    message at a time, so that one that fails does not stop the others (the budget counts those
    again: fewer may go out, never more)."""
    sent = 0
    # Their deliveries are queued together (deliver_messages); their mailbox is read once.
    with memoized_for_batch(), events.batch():
        for start in range(0, len(message_ids), ACKNOWLEDGE_CHUNK):
            chunk = message_ids[start : start + ACKNOWLEDGE_CHUNK]
            try:
                sent += len(services.tickets_acknowledge(message_ids=chunk))
            except Exception:
                logger.exception("Acknowledgements of messages %s failed", chunk)
                if len(chunk) > 1:
                    sent += sum(_acknowledge_alone(message_id) for message_id in chunk)
    return sent


def _acknowledge_alone(message_id: int) -> bool:
    try:
        return services.ticket_acknowledge(message_id=message_id) is not None
    except Exception:
        logger.exception("Acknowledgement of message %s failed", message_id)
        return False


@shared_task(
    bind=True,
    name="channels_app.fetch_message_media",
    acks_late=True,
    max_retries=5,
    ignore_result=True,
)
def fetch_message_media(self, message_id: int) -> str | None:
    lock = f"fetch-media:{message_id}"
    if not cache.add(lock, self.request.id or "eager", timeout=300):
        return None  # another worker is downloading it right now
    try:
        return services.message_media_fetch(
            message_id=message_id, last_try=self.request.retries >= self.max_retries
        )
    except services.RetryLater as exc:
        raise self.retry(countdown=_backoff(self.request.retries), exc=exc) from exc
    finally:
        cache.delete(lock)


@shared_task(name="channels_app.sweep_message_media", acks_late=True)
def sweep_message_media() -> int:
    """Queue again the media downloads whose task was lost."""
    return services.media_requeue_pending()


@shared_task(name="channels_app.sweep_outbound_messages", acks_late=True)
def sweep_outbound_messages() -> int:
    """Queue again recent replies still waiting (their task was lost). Old ones are left alone:
    a reply days late is worse than none, and an agent sees it as not sent."""
    now = timezone.now()
    waiting = Message.objects.filter(
        direction=Message.Direction.OUTBOUND,
        delivery_status=Message.DeliveryStatus.QUEUED,
        created_at__lt=now - timedelta(minutes=2),
        created_at__gt=now - timedelta(days=1),
    ).values_list("pk", flat=True)[:500]
    waiting = list(waiting)
    retrying = cache.get_many([f"{RETRYING}{pk}" for pk in waiting])
    count = 0
    for message_id in waiting:
        if f"{RETRYING}{message_id}" in retrying:
            continue  # its own retry is on the way: another chain would only multiply attempts
        deliver_message.delay(message_id)
        count += 1
    return count


@shared_task(name="channels_app.poll_mailbox", acks_late=True)
def poll_mailbox(mailbox_id: int) -> dict | None:
    from .adapters.email.imap import poll

    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
    if mailbox is None or not mailbox.polls:
        return None
    lock = f"poll-mailbox:{mailbox_id}"
    if not cache.add(lock, "1", timeout=600):
        return None  # the previous poll of this mailbox is still running
    try:
        return poll(mailbox, store=services.inbound_event_store).as_dict()
    finally:
        cache.delete(lock)


@shared_task(name="channels_app.poll_mailboxes", acks_late=True)
def poll_mailboxes() -> int:
    """Queue a poll for every mailbox that is due; each is fetched by its own task, in parallel."""
    now = timezone.now()
    due = 0
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host=""):
        if mailbox.last_polled_at and mailbox.last_polled_at > now - timedelta(
            seconds=mailbox.poll_interval_seconds
        ):
            continue
        poll_mailbox.delay(mailbox.pk)
        due += 1
    return due


# --- live chat -----------------------------------------------------------------------------------


@shared_task(name="channels_app.follow_chat_tickets", acks_late=True, ignore_result=True)
def follow_chat_tickets(ticket_ids: list[int]) -> int:
    return services.chat_sessions_follow_tickets(ticket_ids=ticket_ids)


@shared_task(name="channels_app.send_chat_verification", acks_late=True, ignore_result=True)
def send_chat_verification(claim_id: int, link: str, language: str) -> bool:
    return services.send_verification_email(claim_id=claim_id, link=link, language=language)


@shared_task(name="channels_app.send_chat_transcript", acks_late=True, ignore_result=True)
def send_chat_transcript(session_id: int, address: str, language: str) -> bool:
    return services.send_transcript_email(session_id=session_id, address=address, language=language)
