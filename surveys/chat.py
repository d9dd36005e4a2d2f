"""The chat widget as a delivery channel (issue 13, "inline, through the hook the live chat
issue leaves in the widget"). The chat sender (delivery.send_chat) rings the visitor's tabs;
each tab then asks `chat_survey_for_ticket`, registered with the chat in `ready()`, which reads
the invitation: the database is the record, so the visitor who closed the tab sees the survey
when they come back, for as long as its link is open. The form in the widget answers through
the same token and the same `survey_answer` as the emailed link (views.survey_answer_json).

An invitation no tab showed within SURVEY_CHAT_FALLBACK_MINUTES goes to the customer's verified
email, as a WhatsApp invitation without a template does (`chat_invitations_fallback`)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from .delivery import send_email
from .models import SurveyInvitation, SurveyKind
from .scheduling import delivery_target
from .tokens import invitation_token

I = SurveyInvitation.Status  # noqa: E741


def _scale_ends(kind: str) -> tuple[str, str]:
    if kind == SurveyKind.NPS:
        return gettext("Not at all likely"), gettext("Extremely likely")
    if kind == SurveyKind.CES:
        return gettext("Very hard"), gettext("Very easy")
    return gettext("Very dissatisfied"), gettext("Very satisfied")


def chat_survey_for_ticket(*, ticket_id: int, language: str) -> dict[str, Any] | None:
    """The survey waiting for this chat's visitor (sent, unanswered, open), as the widget shows
    it; recorded as shown the first time a tab asks. None when nothing waits. Called in the
    visitor's language (the chat's handler activates it)."""
    invitation = (
        SurveyInvitation.objects.filter(
            ticket_id=ticket_id, status=I.SENT, expires_at__gt=timezone.now()
        )
        .select_related("survey")
        .order_by("-sent_at", "-pk")
        .first()
    )
    if invitation is None:
        return None
    if invitation.shown_at is None:
        SurveyInvitation.objects.filter(pk=invitation.pk, shown_at=None).update(
            shown_at=timezone.now()
        )
    survey = invitation.survey
    question, comment_prompt = survey.wording(language)
    low, high = _scale_ends(survey.kind)
    token = invitation_token(invitation.pk)
    return {
        "id": invitation.pk,
        "kind": survey.kind,
        "question": question,
        "comment_prompt": comment_prompt or gettext("Anything to add? (optional)"),
        "scores": list(survey.scale),
        "low": low,
        "high": high,
        "answer_url": reverse("survey-answer-json", args=[token]),
    }


@transaction.atomic
def chat_invitations_fallback(*, limit: int = 200) -> int:
    """Chat invitations no tab of the visitor showed in SURVEY_CHAT_FALLBACK_MINUTES: to the
    customer's verified email (the same invitation and link: one answer counts, wherever it is
    given). Without one they stay in the widget, for the visitor's return. How many were
    mailed."""
    minutes = settings.JORNADA["SURVEY_CHAT_FALLBACK_MINUTES"]
    due = (
        SurveyInvitation.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(
            status=I.SENT,
            channel="chat",
            shown_at=None,
            reason="",
            sent_at__lt=timezone.now() - timedelta(minutes=minutes),
        )
        .select_related("customer")
        .order_by("sent_at")[:limit]
    )
    mailed = 0
    for invitation in due:
        channel, identity = delivery_target(invitation.customer, "email")
        if channel != "email":
            invitation.reason = "not shown in the chat, no verified email"
            invitation.save(update_fields=["reason"])
            continue
        invitation.identity, invitation.channel = identity, "email"
        invitation.reason = "not shown in the chat"
        invitation.save(update_fields=["identity", "channel", "reason"])
        send_email(invitation, invitation_token(invitation.pk))
        mailed += 1
    return mailed
