"""The unified inbox's state changes: the inbound pipeline (store, then process after commit),
media downloads, early delivery statuses, acknowledgements and WhatsApp templates."""

from ._common import RetryLater
from .acknowledge import ACK_LIMIT_PER_HOUR, ticket_acknowledge
from .delivery import inbound_statuses_replay
from .ingest import (
    DRAIN_SCHEDULED,
    MAX_ATTEMPTS,
    TARGET_WAIT,
    TargetNotYet,
    drain_guard_seconds,
    inbound_event_process,
    inbound_event_store,
    inbound_events_requeue_stuck,
    inbound_events_store,
    inbound_events_waiting,
    schedule_processing,
    schedule_processing_after_accept,
)
from .media import (
    MEDIA_MAX_ATTEMPTS,
    media_requeue_pending,
    message_media_fetch,
    schedule_media_fetch,
)
from .portal import portal_provider_id, portal_request_submit
from .whatsapp_templates import (
    TemplateParametersInvalid,
    TemplateUnavailable,
    whatsapp_template_send,
)

__all__ = [
    "ACK_LIMIT_PER_HOUR",
    "DRAIN_SCHEDULED",
    "MAX_ATTEMPTS",
    "MEDIA_MAX_ATTEMPTS",
    "TARGET_WAIT",
    "RetryLater",
    "TargetNotYet",
    "TemplateParametersInvalid",
    "TemplateUnavailable",
    "drain_guard_seconds",
    "inbound_event_process",
    "inbound_event_store",
    "inbound_events_requeue_stuck",
    "inbound_events_store",
    "inbound_events_waiting",
    "inbound_statuses_replay",
    "media_requeue_pending",
    "message_media_fetch",
    "portal_provider_id",
    "portal_request_submit",
    "schedule_media_fetch",
    "schedule_processing",
    "schedule_processing_after_accept",
    "ticket_acknowledge",
    "whatsapp_template_send",
]
