"""What providers (and our own sending) say about our outbound messages: their delivery
statuses, one message or a batch at a time."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .. import events
from ..models import Message
from ..rows import rows_update

DELIVERY_RANK = {
    Message.DeliveryStatus.QUEUED: 0,
    Message.DeliveryStatus.SENT: 1,
    Message.DeliveryStatus.DELIVERED: 2,
    Message.DeliveryStatus.READ: 3,
}


@dataclass(frozen=True)
class DeliveryChange:
    """What a provider (or our own sending) says about one outbound message."""

    message_id: int
    status: str
    error: str = ""
    external_id: str = ""


def message_update_delivery(
    *, message: Message, status: str, error: str = "", external_id: str = ""
) -> bool:
    """Record what the provider says about an outbound message. Statuses only move forward
    (a late "delivered" after "read" changes nothing); "failed" always wins, with its reason.
    Returns whether anything changed."""
    change = DeliveryChange(message.pk, status, error, external_id)
    return bool(messages_update_delivery(changes=[change]))


@transaction.atomic
def messages_update_delivery(*, changes: list[DeliveryChange]) -> set[int]:
    """message_update_delivery for many messages at once (a batch of sends): their rows locked
    in one statement, written in one. Returns the ids of the messages that changed."""
    if not changes:
        return set()
    ids = sorted({change.message_id for change in changes})
    rows = Message.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    locked = {message.pk: message for message in rows}
    changed: dict[int, Message] = {}
    written: set[str] = set()
    updates = []
    for change in changes:
        message = locked.get(change.message_id)
        if message is None:
            continue
        fields = _apply_delivery(message, change)
        if fields:
            changed[message.pk] = message
            written.update(fields)
            if "delivery_status" in fields:
                updates.append(message)
    if not changed:
        return set()
    if len(changed) == 1:
        [message] = changed.values()
        message.save(update_fields=sorted(written))
    else:
        rows_update(list(changed.values()), sorted(written))
    for message in updates:
        events.publish(
            events.DeliveryUpdated(
                ticket_id=message.ticket_id, message_id=message.pk, status=message.delivery_status
            )
        )
    return set(changed)


def _apply_delivery(message: Message, change: DeliveryChange) -> list[str]:
    """The change on the (locked) row in memory; the fields it changed."""
    status, error = change.status, change.error
    current = message.delivery_status
    fields = []
    if change.external_id and not message.external_id:
        message.external_id = change.external_id[:255]
        fields.append("external_id")
    if status == Message.DeliveryStatus.FAILED:
        if current != status or message.delivery_error != error:
            message.delivery_status, message.delivery_error = status, error
            fields += ["delivery_status", "delivery_error"]
    elif current != Message.DeliveryStatus.FAILED and DELIVERY_RANK[status] > DELIVERY_RANK.get(
        current, -1
    ):
        message.delivery_status = status
        fields.append("delivery_status")
    if "delivery_status" in fields:
        history = message.metadata.setdefault("delivery_history", [])
        history.append({"status": status, "at": timezone.now().isoformat(), "error": error})
        fields.append("metadata")
    return fields
