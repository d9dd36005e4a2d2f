"""A new request from a signed-in customer in the portal: the web channel's intake, as the
contact form's, so that nothing is lost (the submission is stored first, then processed)."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from tickets import services as ticket_services
from tickets.models import Customer

from ..adapters.webform.adapter import PORTAL_SOURCE, encode_portal_request
from ..models import InboundEvent
from ._common import RetryLater
from .ingest import inbound_event_process
from .store import inbound_event_store


def portal_provider_id(submission_id: str) -> str:
    return f"{PORTAL_SOURCE}:{submission_id}"


def portal_request_submit(
    *,
    user: AbstractBaseUser,
    customer: Customer,
    subject: str,
    body: str,
    attachments: Iterable[tuple[str, str, bytes]],
    submission_id: str,
    meta: dict,
) -> InboundEvent:
    """Store the request as an InboundEvent of the web channel (a form sent twice, with the same
    one-time `submission_id`, is stored once), then process it at once: the customer waits for
    their ticket number. The drain queued by the store finds it done; if processing cannot
    happen now (another worker holds it, a failure to retry), the pipeline finishes it later.
    Returns the event, with `message` set once processed."""
    with transaction.atomic():
        ticket_services.portal_identity_ensure(customer=customer, user=user)
        raw = encode_portal_request(
            user_id=user.pk, subject=subject, body=body, attachments=attachments, meta=meta
        )
        event, _ = inbound_event_store(
            channel="web",
            source=PORTAL_SOURCE,
            provider_id=portal_provider_id(submission_id),
            raw=raw,
            headers={"portal_user": user.pk},
        )
    try:
        processed = inbound_event_process(event_id=event.pk, skip_locked=True)
    except RetryLater:
        processed = None  # kept as received: the drain or the sweeper tries again
    return processed or event
