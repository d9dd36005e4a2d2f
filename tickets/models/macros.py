"""Canned responses and macros."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .agents import Team
from .customers import Customer
from .tickets import Ticket


class CannedResponse(models.Model):
    """A ready answer, personal (owner set) or shared (no owner), with placeholders such as
    {customer_name}, {ticket_number} and {agent_name}; a macro when it also carries actions."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        related_name="canned_responses",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: shared with every agent."),
    )
    segment = models.CharField(
        _("customer segment"),
        max_length=16,
        choices=Customer.Segment.choices,
        blank=True,
        help_text=_("Offered only for customers of this segment; empty: any."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Offered only for tickets in this language; empty: any."),
    )
    set_status = models.CharField(
        _("then set status"), max_length=16, choices=Ticket.Status.choices, blank=True
    )
    set_priority = models.CharField(
        _("then set priority"), max_length=8, choices=Ticket.Priority.choices, blank=True
    )
    add_tags = models.CharField(
        _("then add tags"), max_length=300, blank=True, help_text=_("Comma-separated.")
    )
    assign_to_me = models.BooleanField(_("then assign to the agent using it"), default=False)
    assign_team = models.ForeignKey(
        Team,
        verbose_name=_("then move to team"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        indexes = [models.Index(fields=["owner", "title"], name="canned_owner_title")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_macro(self) -> bool:
        return bool(
            self.set_status
            or self.set_priority
            or self.add_tags
            or self.assign_to_me
            or self.assign_team_id
        )
