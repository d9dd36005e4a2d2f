"""Surveys: what we ask (Survey), which tickets get which survey (SurveyRule), the invitation a
customer receives (SurveyInvitation, reached through a signed expiring token) and their answer
(SurveyResponse, one per invitation), and the follow-up a bad answer raises (SurveyFollowUp)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel, Customer, CustomerIdentity, Team, Ticket, Tier


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT (1-5)")
    NPS = "nps", _("NPS (0-10)")
    CES = "ces", _("CES (1-7)")


SCALES = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10), SurveyKind.CES: (1, 7)}


def is_bad_score(kind: str, score: int) -> bool:
    """A detractor (NPS 0-6), a low CSAT (1-2) or a hard CES (1-2): raises a follow-up."""
    return score <= 6 if kind == SurveyKind.NPS else score <= 2


class Survey(models.Model):
    """A questionnaire: its scale, and its wording in both languages (editable in the admin)."""

    class FollowUp(models.TextChoices):
        NOTE = "note", _("A task note on the ticket")
        TICKET = "ticket", _("A follow-up ticket")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    question_en = models.CharField(_("question (English)"), max_length=300)
    question_pt_br = models.CharField(_("question (Portuguese)"), max_length=300)
    comment_prompt_en = models.CharField(_("comment prompt (English)"), max_length=300, blank=True)
    comment_prompt_pt_br = models.CharField(
        _("comment prompt (Portuguese)"), max_length=300, blank=True
    )
    follow_up = models.CharField(
        _("follow-up of a bad answer"),
        max_length=8,
        choices=FollowUp.choices,
        default=FollowUp.NOTE,
    )
    is_relationship = models.BooleanField(
        _("relationship survey"),
        default=False,
        help_text=_("Sent per customer every few months, not after a ticket (NPS)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> range:
        low, high = SCALES[SurveyKind(self.kind)]
        return range(low, high + 1)

    def wording(self, language: str | None = None) -> tuple[str, str]:
        """(question, comment prompt) in the language (default: the active one)."""
        if (language or get_language() or "").lower().startswith("pt"):
            return self.question_pt_br, self.comment_prompt_pt_br
        return self.question_en, self.comment_prompt_en


class SurveyRule(models.Model):
    """Which survey follows which tickets: the most specific active rule matching the ticket's
    team, channel and customer segment wins (blank: any)."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), related_name="rules", on_delete=models.CASCADE
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        related_name="survey_rules",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    segment = models.CharField(
        _("segment"), max_length=16, choices=Customer.Segment.choices, blank=True
    )
    delay_minutes = models.PositiveIntegerField(
        _("delay (minutes)"), default=60, help_text=_("Time between solving and the invitation.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["survey", "pk"]
        verbose_name = _("survey rule")
        verbose_name_plural = _("survey rules")

    def __str__(self) -> str:
        scope = [str(self.team or _("any team")), self.channel or "*", self.segment or "*"]
        return f"{self.survey} · {' / '.join(scope)}"

    @property
    def specificity(self) -> int:
        return (self.team_id is not None) + bool(self.channel) + bool(self.segment)

    def matches(self, ticket: Ticket) -> bool:
        return (
            (self.team_id is None or self.team_id == ticket.team_id)
            and (not self.channel or self.channel == ticket.channel)
            and (not self.segment or self.segment == ticket.customer.segment)
        )


class SurveyInvitation(models.Model):
    class Trigger(models.TextChoices):
        SOLVED = "solved", _("Ticket solved or closed")
        CHAT_ENDED = "chat_ended", _("Chat ended")
        RELATIONSHIP = "relationship", _("Relationship survey")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        ANSWERED = "answered", _("Answered")
        CANCELLED = "cancelled", _("Cancelled")
        SKIPPED = "skipped", _("Skipped")

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), related_name="invitations", on_delete=models.PROTECT
    )
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        related_name="survey_invitations",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        related_name="survey_invitations",
        on_delete=models.CASCADE,
    )
    identity = models.ForeignKey(
        CustomerIdentity,
        verbose_name=_("sent to"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    reason = models.CharField(_("reason"), max_length=120, blank=True)
    trigger = models.CharField(
        _("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.SOLVED
    )
    # When a tab of the visitor's chat widget showed it (chat invitations only): one never
    # shown goes to the customer's verified email after SURVEY_CHAT_FALLBACK_MINUTES.
    shown_at = models.DateTimeField(_("shown in the chat at"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [
            models.Index(
                fields=["scheduled_at"],
                name="survey_invitation_due",
                condition=Q(status="scheduled"),
            ),
            models.Index(fields=["customer", "-created_at"], name="survey_invitation_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.customer} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        """Accepts (or changes) an answer: sent or answered, before its deadline."""
        answerable = (self.Status.SENT, self.Status.ANSWERED)
        return self.status in answerable and timezone.now() < self.expires_at


class SurveyResponse(models.Model):
    """The answer to one invitation (the last one given before its deadline), with what reports
    break it down by, copied when it is given: a ticket changes team or agent later."""

    invitation = models.OneToOneField(
        SurveyInvitation,
        verbose_name=_("invitation"),
        related_name="response",
        on_delete=models.CASCADE,
    )
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), related_name="responses", on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        related_name="survey_responses",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        related_name="survey_responses",
        on_delete=models.CASCADE,
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        related_name="survey_responses",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        related_name="survey_responses",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    segment = models.CharField(
        _("segment"), max_length=16, choices=Customer.Segment.choices, blank=True
    )
    created_at = models.DateTimeField(_("answered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["kind", "created_at"], name="survey_response_kind"),
            models.Index(fields=["agent", "kind", "created_at"], name="survey_response_agent"),
            models.Index(fields=["team", "kind", "created_at"], name="survey_response_team"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score} · {self.customer}"


class SurveyFollowUp(models.Model):
    """What a bad answer raised: the team leads were told, and a note or a follow-up ticket
    holds the work; a manager sees it with its outcome."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    response = models.OneToOneField(
        SurveyResponse,
        verbose_name=_("response"),
        related_name="follow_up",
        on_delete=models.CASCADE,
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Survey.FollowUp.choices)
    follow_up_ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("follow-up ticket"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    outcome = models.TextField(_("outcome"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey follow-up")
        verbose_name_plural = _("survey follow-ups")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.response}"
