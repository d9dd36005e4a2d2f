"""The conversation of a ticket: messages and their attachments."""

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from ..storage import attachment_storage
from .choices import Channel
from .customers import Customer
from .tickets import Ticket


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        INTERNAL_NOTE = "internal_note", _("Internal note")
        SYSTEM = "system", _("System")

    class DeliveryStatus(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), related_name="messages", on_delete=models.CASCADE
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.MESSAGE)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        related_name="messages",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    author_customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        related_name="messages",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML (sanitized)"), blank=True)
    external_id = models.CharField(
        _("provider message id"), max_length=255, blank=True, db_index=True
    )
    delivery_status = models.CharField(
        _("delivery status"), max_length=16, choices=DeliveryStatus.choices, blank=True
    )
    delivery_error = models.TextField(_("delivery error"), blank=True)
    is_auto_reply = models.BooleanField(_("automatic reply"), default=False)
    threading_reason = models.CharField(
        _("why it landed on this ticket"), max_length=255, blank=True
    )
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_unique_external_id_per_channel",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.get_kind_display()} #{self.pk}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    now = timezone.now()
    try:
        stored = get_valid_filename(filename.replace("/", "_"))
    except SuspiciousFileOperation:
        # Nothing a file system can keep (":", "???"): the file gets a name of ours, the one a
        # person sees stays in Attachment.filename.
        stored = "attachment"
    return f"attachments/{now:%Y/%m/%d}/{instance.message_id}/{stored}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), related_name="attachments", on_delete=models.CASCADE
    )
    # Private: read through the download view only (tickets/storage.py).
    file = models.FileField(
        _("file"), upload_to=attachment_path, storage=attachment_storage, max_length=500
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_id = models.CharField(
        _("content id"), max_length=255, blank=True, help_text=_("For inline images (cid:).")
    )
    is_inline = models.BooleanField(_("inline"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
