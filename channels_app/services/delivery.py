"""Delivery statuses of our outbound messages that arrived before we knew the message."""

import contextlib

from tickets.models import Message

from ..adapters import get_adapter
from ..models import InboundEvent
from ._common import RetryLater
from .ingest import inbound_event_process


def inbound_statuses_replay(
    *, channel: str, external_id: str, message: Message | None = None
) -> int:
    """Apply the delivery statuses that arrived before we knew our message's provider id (Meta
    can report "sent" before its API call has answered us): they were set aside as statuses of
    an unknown message. With `message`, those of every part it was sent in too. Returns how
    many were applied now."""
    if not external_id:
        return 0
    adapter = get_adapter(channel)
    ids = [external_id]
    if message is not None:
        ids += [part for part in adapter.part_ids(message) if part != external_id]
    provider_ids = [status_id for part in ids for status_id in adapter.status_provider_ids(part)]
    if not provider_ids:
        return 0  # the channel reports no statuses apart from their message
    early = list(
        InboundEvent.objects.filter(
            channel=channel, provider_id__in=provider_ids, status=InboundEvent.Status.IGNORED
        ).values_list("pk", flat=True)
    )
    for event_id in early:
        with contextlib.suppress(RetryLater):
            inbound_event_process(event_id=event_id, force=True)
    return len(early)
