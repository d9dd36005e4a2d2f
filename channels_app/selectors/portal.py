"""Reads for the portal: what became of a request a customer sent."""

from ..models import InboundEvent
from ..services.portal import portal_provider_id


def portal_submission(*, user, submission_id: str) -> InboundEvent | None:
    """The request this portal login sent with this one-time id, with its message and ticket
    once processed; None for an id that is not this login's."""
    event = (
        InboundEvent.objects.select_related("message__ticket")
        .filter(channel="web", provider_id=portal_provider_id(submission_id))
        .first()
    )
    if event is None or event.headers.get("portal_user") != user.pk:
        return None
    return event
