"""Tickets and their tags."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .agents import Team
from .choices import Channel, Tier
from .customers import Customer


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=64, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending (waiting on customer)")
        ON_HOLD = "on_hold", _("On hold")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    number = models.PositiveBigIntegerField(_("number"), unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices, default=Tier.N1)
    channel = models.CharField(_("channel of origin"), max_length=16, choices=Channel.choices)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), related_name="tickets", on_delete=models.PROTECT
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        related_name="assigned_tickets",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        related_name="tickets",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), related_name="tickets", blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="pt-br"
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        related_name="merged_tickets",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(
        _("last customer message at"), null=True, blank=True
    )
    last_agent_reply_at = models.DateTimeField(_("last agent reply at"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    sla_due_at = models.DateTimeField(
        _("next SLA target due at"),
        null=True,
        blank=True,
        help_text=_("The earliest running SLA target, kept by the SLA app for sorting and views."),
    )
    sla_warn_at = models.DateTimeField(
        _("SLA at risk from"),
        null=True,
        blank=True,
        help_text=_(
            "When the first running SLA target enters its warning time (business time), kept by "
            "the SLA app: the ticket is at risk from then on."
        ),
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            # An assignee's tickets, newest change first (the API's `assignee=` list): read in
            # order from here instead of walking every ticket's `ticket_updated` for them.
            models.Index(fields=["assignee", "-updated_at", "-id"], name="ticket_assignee_updated"),
            models.Index(fields=["team", "status"], name="ticket_team_status"),
            models.Index(fields=["tier", "status"], name="ticket_tier_status"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_created"),
            models.Index(fields=["channel", "status"], name="ticket_channel_status"),
            models.Index(fields=["-created_at"], name="ticket_created"),
            models.Index(
                fields=["solved_at"], name="ticket_solved_at", condition=Q(status="solved")
            ),
            models.Index(
                fields=["sla_due_at", "id"],
                name="ticket_sla_due",
                condition=Q(sla_due_at__isnull=False),
            ),
            models.Index(
                fields=["sla_warn_at"],
                name="ticket_sla_warn",
                condition=Q(sla_warn_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.SOLVED, self.Status.CLOSED)
