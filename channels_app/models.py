"""The unified inbox's own data: every raw delivery as received, the email mailboxes, the
approved WhatsApp message templates and the live chat's channels, sessions and contact claims."""

import re
import secrets
import zoneinfo
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel, Customer, Message, Team, Ticket

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


# --- Live chat -----------------------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HEX_COLOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour as #RRGGBB."))


def new_public_key() -> str:
    return secrets.token_urlsafe(18)


def new_chat_secret() -> str:
    return secrets.token_urlsafe(32)


def _parse_hours(schedule: object) -> dict[str, list[tuple[time, time]]]:
    """{"mon": [["09:00", "18:00"]], ...} as times; ValueError when it is not that shape."""
    if not isinstance(schedule, dict):
        raise ValueError("not an object")
    parsed = {}
    for day, spans in schedule.items():
        if day not in WEEKDAYS or not isinstance(spans, list):
            raise ValueError(day)
        parsed[day] = []
        for span in spans:
            if not (isinstance(span, list | tuple) and len(span) == 2):
                raise ValueError(day)
            start, end = (time.fromisoformat(str(value)) for value in span)
            if start >= end:
                raise ValueError(day)
            parsed[day].append((start, end))
    return parsed


class ChatChannel(models.Model):
    """One embeddable chat: the public key in the host site's <script> tag, the origins allowed to
    embed it, its greeting, colour and business hours, and the team its chats go to. `secret`
    signs the host site's users (identity validation): it is shown in the admin only."""

    name = models.CharField(_("name"), max_length=120)
    public_key = models.CharField(
        _("public key"), max_length=64, unique=True, default=new_public_key, editable=False
    )
    secret = models.CharField(
        _("identity secret"), max_length=64, default=new_chat_secret, editable=False
    )
    allowed_origins = models.TextField(
        _("allowed origins"),
        blank=True,
        help_text=_(
            "The sites that may embed this chat, one origin a line (https://shop.example). "
            "The help desk's own site is always allowed."
        ),
    )
    greeting_pt_br = models.TextField(_("greeting (Portuguese)"), blank=True)
    greeting_en = models.TextField(_("greeting (English)"), blank=True)
    color = models.CharField(_("colour"), max_length=7, default="#1f6feb", validators=[HEX_COLOR])
    business_hours = models.JSONField(
        _("business hours"),
        default=dict,
        blank=True,
        help_text=_(
            'Live chat is offered in these hours, e.g. {"mon": [["09:00", "18:00"]], ...}; '
            "empty: at any hour. Outside them the widget offers a message form."
        ),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        related_name="chat_channels",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text=_("The team whose agents answer these chats (empty: any agent)."),
    )
    bot_enabled = models.BooleanField(
        _("articles answer first"),
        default=True,
        help_text=_("Before a person joins, the visitor's question is answered with articles."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> list[str]:
        return [
            line.strip().rstrip("/").lower()
            for line in self.allowed_origins.splitlines()
            if line.strip()
        ]

    def greeting(self, language: str) -> str:
        return self.greeting_en if language == "en" else self.greeting_pt_br

    def is_open_at(self, moment: datetime) -> bool:
        """Within business hours (always, without any)."""
        if not self.business_hours:
            return True
        try:
            hours = _parse_hours(self.business_hours)
            local = moment.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            return True  # a broken schedule must not hide the chat; clean() refuses one
        now = local.time()
        return any(start <= now < end for start, end in hours.get(WEEKDAYS[local.weekday()], []))

    def clean(self) -> None:
        errors = {}
        try:
            _parse_hours(self.business_hours or {})
        except ValueError:
            errors["business_hours"] = _(
                'Write the hours as {"mon": [["09:00", "18:00"]], "tue": ...} (mon to sun).'
            )
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            errors["time_zone"] = _("Not a time zone name (America/Sao_Paulo, UTC...).")
        for origin in self.origins:
            if not re.fullmatch(r"https?://[a-z0-9.-]+(:\d{1,5})?", origin):
                errors["allowed_origins"] = _(
                    "“%(origin)s” is not an origin: scheme and host only, as https://shop.example."
                ) % {"origin": origin}
        if errors:
            raise ValidationError(errors)


class ChatSession(models.Model):
    """The live side of a chat ticket (channel `chat`): who the visitor is, where the conversation
    stands (the bot answering, waiting for a person, with an agent, ended) and since when the
    visitor waits. One per ticket; the messages are the ticket's."""

    class State(models.TextChoices):
        BOT = "bot", _("Answered by articles")
        WAITING = "waiting", _("Waiting for an agent")
        ACTIVE = "active", _("With an agent")
        ENDED = "ended", _("Ended")

    class Outcome(models.TextChoices):
        NONE = "", _("Not ended")
        DEFLECTED = "deflected", _("Solved by an article")
        ENDED_BY_VISITOR = "visitor", _("Ended by the visitor")
        ENDED_BY_AGENT = "agent", _("Ended by the agent")

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), related_name="chat_session", on_delete=models.CASCADE
    )
    chat_channel = models.ForeignKey(
        ChatChannel,
        verbose_name=_("chat channel"),
        related_name="sessions",
        on_delete=models.PROTECT,
    )
    visitor = models.UUIDField(_("visitor"), db_index=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.BOT)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default="", blank=True
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        related_name="chat_sessions",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="pt-br"
    )
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    # Read receipts: the last message id each side has seen.
    visitor_read_up_to = models.BigIntegerField(_("read by the visitor up to"), default=0)
    agent_read_up_to = models.BigIntegerField(_("read by an agent up to"), default=0)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("chat session")
        verbose_name_plural = _("chat sessions")
        indexes = [
            models.Index(fields=["chat_channel", "state", "waiting_since"], name="chat_queue"),
            models.Index(
                fields=["agent", "state"], name="chat_agent_open", condition=~Q(state="ended")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chat_channel} · #{self.ticket_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state != self.State.ENDED


class ChatContactClaim(models.Model):
    """Contact details a visitor typed into the chat: claims, never proof. The email gets a link
    (`verified_at` once followed); until then nothing is sent to it (transcript, survey) and it
    merges the visitor into no one."""

    chat_channel = models.ForeignKey(
        ChatChannel, verbose_name=_("chat channel"), related_name="claims", on_delete=models.CASCADE
    )
    visitor = models.UUIDField(_("visitor"), db_index=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("visitor's customer record"),
        related_name="chat_claims",
        on_delete=models.CASCADE,
    )
    name = models.CharField(_("name given"), max_length=200, blank=True)
    email = models.EmailField(_("email given"), blank=True)
    verified_at = models.DateTimeField(_("email verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("chat contact claim")
        verbose_name_plural = _("chat contact claims")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name
