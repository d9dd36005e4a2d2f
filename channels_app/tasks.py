"""Celery tasks of the unified inbox: ids in, safe to run twice, sweepers for anything lost."""

import logging
import random
import time
from datetime import timedelta

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from tickets import events
from tickets import services as ticket_services
from tickets.memo import memoized_for_batch
from tickets.models import Message

from . import services
from .adapters import ChannelError, get_adapter
from .models import Mailbox

logger = logging.getLogger(__name__)
RETRYING = "jornada:deliver-retrying:"
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
    """Messages queued together (the acknowledgements of one batch), sent one after the other in
    one task instead of a task each. One that must wait for a retry is handed to
    deliver_message with its countdown, so the others do not wait; one that fails otherwise stays
    queued for sweep_outbound_messages. Returns how many were sent."""
    sent = 0
    with memoized_for_batch():  # what every message would read again (their mailbox), once
        for message_id in message_ids:
            sent += _deliver_one_of(message_ids, message_id)
    return sent


def _deliver_one_of(message_ids: list[int], message_id: int) -> bool:
    """deliver_messages' work on one of its messages: whether it was sent."""
    try:
        return _deliver(message_id, owner=f"batch:{message_ids[0]}", retries=0) == "sent"
    except _RetryDelivery as retry:
        try:
            deliver_message.apply_async((message_id,), countdown=retry.countdown)
        except Exception:  # broker down: the message stays queued for the sweeper
            logger.warning("Could not queue a retry of message %s", message_id, exc_info=True)
    except Exception:
        logger.exception("Delivery of message %s failed; the sweeper queues it again", message_id)
    return False


def _deliver(message_id: int, *, owner: str, retries: int) -> str | None:
    lock = f"deliver-message:{message_id}"
    if not cache.add(lock, owner, timeout=300):
        return None  # another worker is sending it right now
    try:
        # Read the status under the lock: a copy of this task that waited must not send again.
        message = Message.objects.select_related("ticket").filter(pk=message_id).first()
        if message is None or message.delivery_status != Message.DeliveryStatus.QUEUED:
            return None
        adapter = get_adapter(message.channel)
        try:
            provider_id = adapter.send(message)
        except Exception as exc:
            error = exc if isinstance(exc, ChannelError) else ChannelError(f"{exc!r}")
            if error.permanent or retries >= DELIVER_MAX_RETRIES:
                ticket_services.message_update_delivery(
                    message=message, status=Message.DeliveryStatus.FAILED, error=str(error)
                )
                return Message.DeliveryStatus.FAILED
            cache.set(f"{RETRYING}{message_id}", 1, timeout=RETRY_CAP_SECONDS * 2)
            # Below the broker's visibility timeout, or Redis would hand the retry out twice.
            countdown = min(RETRY_CAP_SECONDS, 30 * 2**retries)
            raise _RetryDelivery(error, countdown) from exc
        ticket_services.message_update_delivery(
            message=message, status=Message.DeliveryStatus.SENT, external_id=provider_id
        )
        cache.delete(f"{RETRYING}{message_id}")
        if adapter.status_provider_ids(provider_id):  # a channel that reports statuses
            try:
                message.refresh_from_db(fields=["metadata"])
                services.inbound_statuses_replay(
                    channel=message.channel, external_id=provider_id, message=message
                )
            except Exception:
                logger.exception("Early delivery statuses of message %s not applied", message_id)
        return Message.DeliveryStatus.SENT
    finally:
        cache.delete(lock)


@shared_task(name="channels_app.acknowledge_tickets", acks_late=True, ignore_result=True)
def acknowledge_tickets(message_ids: list[int]) -> int:
    """Tell customers we received the messages that opened their tickets. Each is acknowledged
    at most once (ticket_acknowledge checks), so a task run twice sends nothing twice; one that
    fails does not stop the others."""
    sent = 0
    # Their deliveries are queued together (deliver_messages); their mailbox is read once.
    with memoized_for_batch(), events.batch():
        for message_id in message_ids:
            try:
                sent += services.ticket_acknowledge(message_id=message_id) is not None
            except Exception:
                logger.exception("Acknowledgement of message %s failed", message_id)
    return sent


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
        countdown = min(RETRY_CAP_SECONDS, 30 * 2**self.request.retries)
        raise self.retry(countdown=countdown, exc=exc) from exc
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
