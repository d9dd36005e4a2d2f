"""Links between tickets about the same thing."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .tickets import Ticket


class TicketLink(models.Model):
    """Two tickets about the same thing, kept apart (unlike a merge). Stored once per pair, with
    the lower id first; both tickets show the link."""

    from_ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), related_name="links_out", on_delete=models.CASCADE
    )
    to_ticket = models.ForeignKey(
        Ticket, verbose_name=_("related ticket"), related_name="links_in", on_delete=models.CASCADE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket"], name="ticket_link_unique"),
            models.CheckConstraint(
                condition=Q(from_ticket__lt=models.F("to_ticket")), name="ticket_link_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.from_ticket_id} ↔ #{self.to_ticket_id}"
