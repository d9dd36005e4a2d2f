"""Agents' notifications."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .messages import Message
from .tickets import Ticket


class AgentNotification(models.Model):
    """Something an agent should look at: a mention in a note, a ticket given to them, an SLA
    warning or breach of a ticket they hold or whose team they lead."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mentioned you")
        ASSIGNED = "assigned", _("Assigned to you")
        SURVEY_FOLLOW_UP = "survey_followup", _("Unhappy customer to follow up")
        SLA_WARNING = "sla_warning", _("SLA about to be missed")
        SLA_BREACHED = "sla_breached", _("SLA missed")
        RULE = "rule", _("An automation rule asks for you")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        related_name="agent_notifications",
        on_delete=models.CASCADE,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), related_name="notifications", on_delete=models.CASCADE
    )
    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        related_name="notifications",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # When its e-mail copy went out (SLA notifications): a task run twice sends it once.
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("agent notification")
        verbose_name_plural = _("agent notifications")
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · #{self.ticket_id}"
