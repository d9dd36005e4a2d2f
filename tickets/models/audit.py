"""The audit trail: one TicketEvent per change, written in the same transaction."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .tickets import Ticket


class TicketEvent(models.Model):
    """The audit trail and customer journey: one row per change, written in the same transaction."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Ticket created")
        MESSAGE_RECEIVED = "message_received", _("Message received")
        REPLY_SENT = "reply_sent", _("Reply sent")
        NOTE_ADDED = "note_added", _("Internal note added")
        STATUS_CHANGED = "status_changed", _("Status changed")
        REOPENED = "reopened", _("Reopened")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed")
        ASSIGNED = "assigned", _("Assignee changed")
        CLAIMED = "claimed", _("Claimed")
        TEAM_CHANGED = "team_changed", _("Team changed")
        ESCALATED = "escalated", _("Escalated")
        DEESCALATED = "deescalated", _("De-escalated")
        TAGS_CHANGED = "tags_changed", _("Tags changed")
        MERGED = "merged", _("Merged into another ticket")
        MERGE_RECEIVED = "merge_received", _("Another ticket merged in")
        CUSTOMER_CHANGED = "customer_changed", _("Customer changed")
        CHANNEL_SWITCHED = "channel_switched", _("Channel switched")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        SURVEY_SENT = "survey_sent", _("Survey sent")
        SURVEY_ANSWERED = "survey_answered", _("Survey answered")
        LINKED = "linked", _("Related ticket linked")
        UNLINKED = "unlinked", _("Related ticket unlinked")
        SPLIT = "split", _("Message split into a new ticket")
        SPLIT_FROM = "split_from", _("Split from another ticket")
        NOTE_BY_EMAIL_REFUSED = "note_by_email_refused", _("Internal note by email refused")
        CHAT_STATE_CHANGED = "chat_state_changed", _("Chat state changed")
        RULE_RAN = "rule_ran", _("Automation rule ran")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), related_name="events", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        related_name="ticket_events",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_created"),
            models.Index(fields=["kind", "created_at"], name="event_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · #{self.ticket_id}"
