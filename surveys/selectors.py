"""Reads of surveys, scoped to who asks."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from tickets.models import Customer

from .models import SurveyInvitation
from .tokens import invitation_token


@dataclass(frozen=True)
class PendingSurvey:
    question: str
    subject: str
    url: str
    expires_at: object


def pending_surveys_for_customer(*, customer: Customer, language: str) -> list[PendingSurvey]:
    """The customer's own invitations still waiting for an answer, newest first (the portal's
    "pending surveys")."""
    invitations = (
        SurveyInvitation.objects.filter(
            customer=customer,
            status=SurveyInvitation.Status.SENT,
            expires_at__gt=timezone.now(),
        )
        .select_related("survey", "ticket")
        .order_by("-sent_at")[:10]
    )
    return [
        PendingSurvey(
            question=invitation.survey.wording(language)[0],
            subject=invitation.ticket.subject if invitation.ticket else "",
            url=reverse("survey-answer", args=[invitation_token(invitation.pk)]),
            expires_at=invitation.expires_at,
        )
        for invitation in invitations
    ]
