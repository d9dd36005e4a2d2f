"""Every change of surveys' rows: an invitation sent, an answer given (or changed before the
deadline), the follow-up a bad answer raises and its outcome."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets import services as ticket_services
from tickets.errors import TicketError
from tickets.models import Message, Ticket

from . import delivery
from .models import (
    Survey,
    SurveyFollowUp,
    SurveyInvitation,
    SurveyResponse,
    is_bad_score,
)
from .tokens import invitation_id_from

I = SurveyInvitation.Status  # noqa: E741
DONE = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)


class SurveyClosed(TicketError):
    code = "survey_closed"
    default_message = _("This survey is closed: its link has expired or was cancelled.")


class ScoreInvalid(TicketError):
    code = "survey_score_invalid"
    default_message = _("Choose a score on the scale.")


@transaction.atomic
def invitation_send(*, invitation_id: int) -> SurveyInvitation | None:
    """Send a scheduled invitation on its channel; None when there is nothing to send (sent
    already, cancelled, or its ticket reopened meanwhile, which cancels it)."""
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("survey", "ticket", "customer", "identity")
        .filter(pk=invitation_id, status=I.SCHEDULED)
        .first()
    )
    if invitation is None:
        return None
    now = timezone.now()
    reopened = invitation.ticket is not None and invitation.ticket.status not in DONE
    if reopened and invitation.trigger == SurveyInvitation.Trigger.SOLVED:
        invitation.status, invitation.reason = I.CANCELLED, "reopened"
        invitation.save(update_fields=["status", "reason"])
        return None
    channel = delivery.deliver(invitation)
    if not channel:
        invitation.status, invitation.reason = I.SKIPPED, "unreachable"
        invitation.save(update_fields=["status", "reason"])
        return None
    invitation.status, invitation.channel, invitation.sent_at = I.SENT, channel, now
    invitation.expires_at = now + (invitation.expires_at - invitation.scheduled_at)
    invitation.save(update_fields=["status", "channel", "sent_at", "expires_at", "identity"])
    if invitation.ticket is not None:
        ticket_services.ticket_record_survey_sent(
            ticket=invitation.ticket, survey_kind=invitation.survey.kind, channel=channel
        )
    return invitation


def invitation_for_token(token: str) -> SurveyInvitation | None:
    """The invitation a link names (whatever its state), or None for a forged or stale token."""
    invitation_id = invitation_id_from(token)
    if invitation_id is None:
        return None
    return (
        SurveyInvitation.objects.select_related("survey", "ticket")
        .filter(pk=invitation_id)
        .exclude(status__in=(I.SCHEDULED, I.SKIPPED))
        .first()
    )


def _follow_up(response: SurveyResponse, survey: Survey) -> None:
    ticket = response.ticket
    if ticket is None or hasattr(response, "follow_up"):
        return
    leads = (
        get_user_model().objects.filter(agent_profile__led_teams=ticket.team, is_active=True)
        if ticket.team_id
        else []
    )
    with translation.override(ticket.language):
        note = gettext(
            "Survey follow-up: the customer answered %(kind)s %(score)s to ticket #%(number)s."
            " Comment: %(comment)s"
        ) % {
            "kind": response.get_kind_display(),
            "score": response.score,
            "number": ticket.number,
            "comment": response.comment or "—",
        }
        subject = gettext("Follow-up of ticket #%(number)s") % {"number": ticket.number}
    as_ticket = survey.follow_up == Survey.FollowUp.TICKET
    holder = ticket_services.ticket_survey_follow_up(
        ticket=ticket, leads=list(leads), note_text=note, subject=subject, as_ticket=as_ticket
    )
    SurveyFollowUp.objects.create(
        response=response,
        kind=survey.follow_up,
        follow_up_ticket=holder if as_ticket else None,
    )


@transaction.atomic
def survey_answer(*, invitation: SurveyInvitation, score: int, comment: str = "") -> SurveyResponse:
    """Record a customer's answer: one response per invitation, the last one given before the
    deadline counts. A bad answer (detractor, low CSAT, hard CES) raises one follow-up."""
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("survey", "ticket__customer", "customer")
        .get(pk=invitation.pk)
    )
    if not invitation.is_open:
        raise SurveyClosed()
    survey = invitation.survey
    if score not in survey.scale:
        raise ScoreInvalid()
    comment = comment.strip()[:2000]
    now = timezone.now()
    ticket = invitation.ticket
    response = SurveyResponse.objects.filter(invitation=invitation).first()
    changed = response is not None
    if response is None:
        response = SurveyResponse(
            invitation=invitation,
            survey=survey,
            kind=survey.kind,
            ticket=ticket,
            customer=invitation.customer,
            agent_id=ticket.assignee_id if ticket else None,
            team_id=ticket.team_id if ticket else None,
            tier=ticket.tier if ticket else "",
            channel=ticket.channel if ticket else invitation.channel,
            segment=invitation.customer.segment,
            created_at=now,
        )
    response.score, response.comment, response.updated_at = score, comment, now
    response.save()
    invitation.status, invitation.answered_at = I.ANSWERED, now
    invitation.save(update_fields=["status", "answered_at"])
    ticket_services.survey_response_publish(
        response_id=response.pk,
        customer=invitation.customer,
        ticket=ticket,
        survey_kind=survey.kind,
        score=score,
        comment=comment,
        changed=changed,
    )
    if is_bad_score(survey.kind, score):
        _follow_up(response, survey)
    return response


@transaction.atomic
def follow_up_close(*, follow_up: SurveyFollowUp, outcome: str) -> SurveyFollowUp:
    follow_up.status, follow_up.outcome = SurveyFollowUp.Status.DONE, outcome.strip()
    follow_up.closed_at = timezone.now()
    follow_up.save(update_fields=["status", "outcome", "closed_at"])
    return follow_up


def answers_from_whatsapp(*, message_ids: list[int]) -> int:
    """Record the answers a customer gave by tapping a row of an invitation's WhatsApp list: the
    row's id carries the signed invitation and the score. Only the invitation's own customer's
    reply counts. Returns how many answers were recorded."""
    replies = Message.objects.filter(
        pk__in=message_ids,
        direction=Message.Direction.INBOUND,
        channel="whatsapp",
        metadata__whatsapp__interactive__id__startswith=delivery.REPLY_PREFIX,
    ).values_list("author_customer_id", "metadata")
    recorded = 0
    for customer_id, metadata in replies:
        reply_id = metadata["whatsapp"]["interactive"]["id"][len(delivery.REPLY_PREFIX) :]
        token, _, score = reply_id.rpartition(":")
        invitation = invitation_for_token(token)
        if invitation is None or invitation.customer_id != customer_id or not score.isdigit():
            continue
        try:
            survey_answer(invitation=invitation, score=int(score))
        except TicketError:
            continue  # closed or off the scale: the reply stays an ordinary message
        recorded += 1
    return recorded
