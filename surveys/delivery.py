"""Delivery of invitations, on the channel the invitation was scheduled for (the ticket's own,
when the customer has a verified identity there). One sender per channel, in a registry:

- email: one link per score (the click opens the form with the score chosen; only its POST
  records the answer, because mail scanners follow every link);
- whatsapp: inside the 24-hour window an interactive list whose rows carry the invitation
  (answers come back through the inbound pipeline, see surveys.subscribers), or a plain link for
  NPS (eleven scores, more than a list holds); outside it the approved template named by
  SURVEY_WHATSAPP_TEMPLATE with the link; without it, email when the customer has a verified
  address, else nothing;
- sms: a short text with the link;
- web: nothing is sent, the portal lists it among the customer's pending surveys.

- chat: the survey is offered inside the widget (surveys/chat.py): the visitor's open tabs are
  rung, and every tab reads the invitation from the database, on the ring or on its next hello,
  so a tab closed meanwhile sees it when the visitor comes back; one no tab showed goes to the
  customer's verified email after SURVEY_CHAT_FALLBACK_MINUTES. A ticket without a chat: email.

A sender returns the channel it used, or "" when it could not reach the customer."""

from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from channels_app.models import WhatsAppTemplate
from channels_app.services import chat_survey_offer
from tickets import services as ticket_services

from .models import SurveyInvitation
from .scheduling import delivery_target
from .tokens import invitation_token

Sender = Callable[[SurveyInvitation, str], str]
LIST_LIMIT = 10  # rows in a WhatsApp list message
REPLY_PREFIX = "survey:"  # the id of a WhatsApp reply row: survey:<token>:<score>
# Stands for the customer's link in the text agents read: the link itself travels in the
# message's metadata, which only the channel adapter reads (an agent who saw it could answer
# in the customer's name).
LINK_SHOWN = "[link]"


class Senders:
    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, channel: str, sender: Sender) -> None:
        self._senders[channel] = sender

    def get(self, channel: str) -> Sender | None:
        return self._senders.get(channel)


senders = Senders()


def survey_url(token: str, score: int | None = None) -> str:
    url = settings.JORNADA["PUBLIC_BASE_URL"] + reverse("survey-answer", args=[token])
    return url if score is None else f"{url}?score={score}"


def _language(invitation: SurveyInvitation) -> str:
    return invitation.ticket.language if invitation.ticket else invitation.customer.language


def _context(invitation: SurveyInvitation, token: str) -> dict:
    question, _ = invitation.survey.wording(_language(invitation))
    return {
        "question": question,
        "subject": invitation.ticket.subject if invitation.ticket else "",
        "scores": [(score, survey_url(token, score)) for score in invitation.survey.scale],
        "url": survey_url(token),
        "days": settings.JORNADA["SURVEY_LINK_DAYS"],
    }


def send_email(invitation: SurveyInvitation, token: str) -> str:
    """Mailed by a task after the commit, to the verified address itself (not stored as a
    message of the ticket: agents must not see the customer's links, or could answer for
    them); the ticket's timeline records that it was sent."""
    from . import tasks

    invitation_id = invitation.pk
    transaction.on_commit(lambda: tasks.send_invitation_email.delay(invitation_id))
    return "email"


def email_invitation(invitation: SurveyInvitation) -> None:
    """Send the invitation email now (the task's work)."""
    with translation.override(_language(invitation)):
        context = _context(invitation, invitation_token(invitation.pk))
        body_text = render_to_string("surveys/email/invitation.txt", context).strip()
        body_html = render_to_string("surveys/email/invitation.html", context)
        subject = gettext("How did we do?")
    mail = EmailMultiAlternatives(
        subject,
        body_text,
        None,
        [invitation.identity.value],
        headers={"Auto-Submitted": "auto-generated"},
    )
    mail.attach_alternative(body_html, "text/html")
    mail.send()


def _whatsapp_list(invitation: SurveyInvitation, token: str, question: str) -> dict:
    rows = [
        {"id": f"{REPLY_PREFIX}{token}:{score}", "title": str(score)}
        for score in invitation.survey.scale
    ]
    return {
        "type": "list",
        "body": {"text": question[:1024]},
        "action": {
            "button": gettext("Choose a score")[:20],
            "sections": [{"title": gettext("Score")[:24], "rows": rows}],
        },
    }


def _fallback_to_email(invitation: SurveyInvitation, token: str) -> str:
    channel, identity = delivery_target(invitation.customer, "email")
    if channel != "email":
        return ""
    invitation.identity = identity
    return send_email(invitation, token)


def send_whatsapp(invitation: SurveyInvitation, token: str) -> str:
    ticket = invitation.ticket
    if ticket is None:
        return _fallback_to_email(invitation, token)
    closes_at = ticket_services.whatsapp_window_closes_at(customer_id=ticket.customer_id)
    with translation.override(_language(invitation)):
        question, _ = invitation.survey.wording()
        if closes_at is not None and closes_at > timezone.now():
            scale = invitation.survey.scale
            if len(scale) <= LIST_LIMIT:
                interactive = _whatsapp_list(invitation, token, question)
            else:  # NPS: eleven scores, more than a list holds; a button opening the form
                interactive = {
                    "type": "cta_url",
                    "body": {"text": question[:1024]},
                    "action": {
                        "name": "cta_url",
                        "parameters": {
                            "display_text": gettext("Answer now")[:20],
                            "url": survey_url(token),
                        },
                    },
                }
            metadata = {"whatsapp_interactive": interactive}
            # What agents read on the ticket: the question, never the customer's link.
            body = "\n".join([question, *(str(score) for score in scale)])
            ticket_services.message_notify(
                ticket=ticket,
                body_text=body,
                channel="whatsapp",
                reason="survey",
                metadata=metadata,
            )
            return "whatsapp"
    template = WhatsAppTemplate.objects.filter(
        name=settings.JORNADA["SURVEY_WHATSAPP_TEMPLATE"], is_active=True
    ).first()
    if template is None or template.parameter_count != 1:
        return _fallback_to_email(invitation, token)
    params = [survey_url(token)]
    ticket_services.message_notify(
        ticket=ticket,
        body_text=template.render([LINK_SHOWN]),  # the link goes in the template's parameter
        channel="whatsapp",
        reason="survey",
        metadata=template.message_metadata(params),
    )
    return "whatsapp"


def send_sms(invitation: SurveyInvitation, token: str) -> str:
    if invitation.ticket is None:
        return _fallback_to_email(invitation, token)
    with translation.override(_language(invitation)):
        text = gettext("How did we do? Tell us in one click: %(url)s")
    ticket_services.message_notify(
        ticket=invitation.ticket,
        body_text=text % {"url": LINK_SHOWN},
        channel="sms",
        reason="survey",
        metadata={"sent_text": text % {"url": survey_url(token)}},
    )
    return "sms"


def send_chat(invitation: SurveyInvitation, token: str) -> str:
    if invitation.ticket_id is None or not chat_survey_offer(ticket_id=invitation.ticket_id):
        return _fallback_to_email(invitation, token)
    return "chat"


def list_on_portal(invitation: SurveyInvitation, token: str) -> str:
    return "web"


senders.register("email", send_email)
senders.register("whatsapp", send_whatsapp)
senders.register("sms", send_sms)
senders.register("chat", send_chat)
senders.register("web", list_on_portal)


def deliver(invitation: SurveyInvitation) -> str:
    sender = senders.get(invitation.channel)
    if sender is None:
        return ""
    return sender(invitation, invitation_token(invitation.pk))
