"""Celery tasks of surveys: ids in, safe to run twice (scheduling skips tickets that have an
invitation, sending is a compare-and-set on the invitation's status)."""

import logging

from celery import shared_task
from django.utils import timezone

from . import chat, delivery, scheduling, services
from .models import SurveyInvitation

logger = logging.getLogger(__name__)


@shared_task(name="surveys.schedule_invitations", acks_late=True, ignore_result=True)
def schedule_invitations(ticket_ids: list[int]) -> int:
    return len(scheduling.invitations_schedule(ticket_ids=ticket_ids))


@shared_task(name="surveys.schedule_chat_invitations", acks_late=True, ignore_result=True)
def schedule_chat_invitations(ticket_ids: list[int]) -> int:
    """Chats that ended: their surveys, offered at once (the visitor is still in the widget).
    Run twice, it schedules nothing more (one live invitation per ticket) and sends nothing
    twice (sending takes only a scheduled invitation)."""
    created = scheduling.invitations_schedule_after_chat(ticket_ids=ticket_ids)
    sent = 0
    for invitation in created:
        if invitation.status == SurveyInvitation.Status.SCHEDULED:
            sent += services.invitation_send(invitation_id=invitation.pk) is not None
    return sent


@shared_task(name="surveys.chat_invitations_fallback", acks_late=True, ignore_result=True)
def chat_invitations_fallback() -> int:
    return chat.chat_invitations_fallback()


@shared_task(name="surveys.cancel_invitations", acks_late=True, ignore_result=True)
def cancel_invitations(ticket_ids: list[int]) -> int:
    return scheduling.invitations_cancel(ticket_ids=ticket_ids)


@shared_task(name="surveys.send_due_invitations", acks_late=True, ignore_result=True)
def send_due_invitations(limit: int = 200) -> int:
    """Send the invitations whose delay is over (beat, every minute)."""
    due = SurveyInvitation.objects.filter(
        status=SurveyInvitation.Status.SCHEDULED, scheduled_at__lte=timezone.now()
    ).order_by("scheduled_at")
    sent = 0
    for invitation_id in due.values_list("pk", flat=True)[:limit]:
        try:
            sent += services.invitation_send(invitation_id=invitation_id) is not None
        except Exception:
            logger.exception("Survey invitation %s could not be sent", invitation_id)
    return sent


@shared_task(
    bind=True,
    name="surveys.send_invitation_email",
    acks_late=True,
    max_retries=5,
    ignore_result=True,
)
def send_invitation_email(self, invitation_id: int) -> bool:
    invitation = (
        SurveyInvitation.objects.select_related("survey", "ticket", "customer", "identity")
        .filter(pk=invitation_id, status=SurveyInvitation.Status.SENT, identity__isnull=False)
        .first()
    )
    if invitation is None:
        return False
    try:
        delivery.email_invitation(invitation)
    except OSError as exc:  # the mail server is down or refused: again a bit later
        raise self.retry(countdown=60 * 2**self.request.retries, exc=exc) from exc
    return True


@shared_task(name="surveys.schedule_relationship_nps", acks_late=True, ignore_result=True)
def schedule_relationship_nps() -> int:
    return len(scheduling.relationship_nps_schedule())


@shared_task(name="surveys.record_whatsapp_answers", acks_late=True, ignore_result=True)
def record_whatsapp_answers(message_ids: list[int]) -> int:
    return services.answers_from_whatsapp(message_ids=message_ids)
