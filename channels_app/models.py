"""The unified inbox's own data: every raw delivery as received, the email mailboxes and the
approved WhatsApp message templates."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel, Message

TEMPLATE_PARAMETER = re.compile(r"\{\{\s*(\d{1,2})\s*\}\}")
SENDER_PLACEHOLDERS = ("{subject}", "{name}")


class Mailbox(models.Model):
    """A support address. With an IMAP host it is polled; without one it receives through an ESP
    webhook or `ingest_email`. Passwords never live here: `imap_password_env` names the
    environment variable that holds it."""

    class Security(models.TextChoices):
        SSL = "ssl", _("IMAPS (TLS from the start)")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("None (loopback testing only)")

    class AfterFetch(models.TextChoices):
        MARK_SEEN = "mark_seen", _("Mark as read")
        MOVE = "move", _("Move to another folder")

    name = models.CharField(_("name"), max_length=120)
    address = models.EmailField(_("support address"), unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=8, choices=Security.choices, default=Security.SSL
    )
    imap_username = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password_env = models.CharField(
        _("environment variable with the IMAP password"),
        max_length=120,
        blank=True,
        help_text=_(
            "For example JORNADA_IMAP_PASSWORD_SUPORTE. The secret stays out of the database."
        ),
    )
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    after_fetch = models.CharField(
        _("after storing a message"),
        max_length=16,
        choices=AfterFetch.choices,
        default=AfterFetch.MARK_SEEN,
    )
    move_to_folder = models.CharField(_("move to folder"), max_length=255, blank=True)
    poll_interval_seconds = models.PositiveIntegerField(_("poll every (seconds)"), default=60)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(_("last UID stored"), default=0, editable=False)
    last_polled_at = models.DateTimeField(
        _("last polled at"), null=True, blank=True, editable=False
    )
    last_error = models.TextField(_("last polling error"), blank=True, editable=False)
    auto_ack_enabled = models.BooleanField(
        _("acknowledge new tickets"),
        default=True,
        help_text=_("Send an automatic acknowledgement when a message opens a new ticket."),
    )
    auto_ack_subject = models.CharField(
        _("acknowledgement subject"),
        max_length=255,
        blank=True,
        help_text=_("Empty: the standard text, in the customer's language. "
                    "Placeholder: {number}, the ticket number."),
    )  # fmt: skip
    auto_ack_body = models.TextField(
        _("acknowledgement text"),
        blank=True,
        help_text=_("Empty: the standard text, in the customer's language. "
                    "Placeholder: {number}, the ticket number."),
    )  # fmt: skip
    trusts_mta = models.BooleanField(
        _("trust this mailbox's mail server"),
        default=False,
        help_text=_(
            "Only when the server that delivers to this mailbox accepts nothing but authenticated "
            "mail (it rejects what fails DMARC) and writes its own delivery reports: then every "
            "sender here counts as verified, and its bounces mark replies as failed."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def render_acknowledgement(self, *, number: int) -> tuple[str, str]:
        """This mailbox's own acknowledgement (subject, text), or ("", "") for the standard one.
        Only the ticket number is filled in: whoever writes to us chooses their name and subject,
        and may give anyone's address (a forged From, a web form), so those never go out in an
        acknowledgement. Placeholders for them, written before they were dropped, stay empty."""

        def fill(text: str) -> str:
            for placeholder in SENDER_PLACEHOLDERS:
                text = text.replace(placeholder, "")
            return text.replace("{number}", str(number))

        return fill(self.auto_ack_subject), fill(self.auto_ack_body)

    def clean(self) -> None:
        errors = {
            name: _("Only {number} may be filled in: {subject} and {name} are the sender's words.")
            for name in ("auto_ack_subject", "auto_ack_body")
            if any(placeholder in getattr(self, name) for placeholder in SENDER_PLACEHOLDERS)
        }
        if errors:
            raise ValidationError(errors)

    @property
    def polls(self) -> bool:
        return bool(self.is_active and self.imap_host)


class InboundEvent(models.Model):
    """One delivery from a provider, stored raw before anything else happens to it."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    source = models.CharField(
        _("source"), max_length=120, help_text=_("imap:<mailbox>, anymail:<esp>, file, webform...")
    )
    provider_id = models.CharField(_("provider id"), max_length=255)
    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        related_name="inbound_events",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    headers = models.JSONField(_("request headers"), default=dict, blank=True)
    raw = models.BinaryField(_("raw delivery"))
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    notes = models.JSONField(_("warnings and notes"), default=list, blank=True)
    attempts = models.PositiveIntegerField(_("processing attempts"), default=0)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    message = models.ForeignKey(
        Message,
        verbose_name=_("message created"),
        related_name="inbound_events",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_id"], name="inbound_unique_provider_id"
            )
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="inbound_waiting",
                condition=Q(status="received"),
            ),
            models.Index(fields=["status", "-received_at"], name="inbound_status_received"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.provider_id[:60]} ({self.status})"


class WhatsAppTemplate(models.Model):
    """A message template approved by Meta for our WhatsApp Business account: the only thing
    we may send once the 24-hour customer-service window is closed. The body is a copy of what
    was approved, with {{1}}, {{2}}... where the agent fills in parameters; it is shown in the
    ticket as what the customer received."""

    class Category(models.TextChoices):
        UTILITY = "utility", _("Utility")
        MARKETING = "marketing", _("Marketing")
        AUTHENTICATION = "authentication", _("Authentication")

    name = models.CharField(
        _("name at Meta"),
        max_length=512,
        validators=[
            RegexValidator(r"^[a-z0-9_]+$", _("Lower-case letters, digits and underscores."))
        ],
    )
    language = models.CharField(
        _("language code"), max_length=16, default="pt_BR", help_text=_("As at Meta: pt_BR, en_US…")
    )
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.UTILITY
    )
    body = models.TextField(_("body"), help_text=_("The approved text, with {{1}}, {{2}}…"))
    is_active = models.BooleanField(_("offered to agents"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "language"]
        verbose_name = _("WhatsApp template")
        verbose_name_plural = _("WhatsApp templates")
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="whatsapp_template_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def parameter_count(self) -> int:
        return len({int(n) for n in TEMPLATE_PARAMETER.findall(self.body)})

    @property
    def parameter_numbers(self) -> list[int]:
        return list(range(1, self.parameter_count + 1))

    def clean(self) -> None:
        numbers = sorted({int(n) for n in TEMPLATE_PARAMETER.findall(self.body)})
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValidationError(
                {"body": _("Parameters must be numbered {{1}}, {{2}}… without gaps.")}
            )

    def render(self, params: list[str]) -> str:
        return TEMPLATE_PARAMETER.sub(lambda m: params[int(m.group(1)) - 1], self.body)

    def message_metadata(self, params: list[str]) -> dict:
        """What a message carries to be sent as this template (outbound.parts reads it)."""
        return {
            "whatsapp_template": {
                "id": self.pk,
                "name": self.name,
                "language": self.language,
                "params": params,
            }
        }
