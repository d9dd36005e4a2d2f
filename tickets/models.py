"""The help desk's core data: customers and their identities, agents and teams, tickets and their
conversations, and the audit trail. Business flows live in tickets/services, not here."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    N1 = "N1", _("N1 · first contact")
    N2 = "N2", _("N2 · analysis")
    N3 = "N3", _("N3 · specialists")


TIER_ORDER = [Tier.N1, Tier.N2, Tier.N3]


def tier_rank(tier: str) -> int:
    return TIER_ORDER.index(Tier(tier))


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WHATSAPP = "whatsapp", _("WhatsApp")
    CHAT = "chat", _("Live chat")
    WEB = "web", _("Web form / portal")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")
    API = "api", _("API")


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    domain = models.CharField(
        _("email domain"),
        max_length=200,
        blank=True,
        db_index=True,
        help_text=_("Customers writing from this domain join the organization."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    class Segment(models.TextChoices):
        NEW = "new", _("New")
        ACTIVE = "active", _("Active")
        AT_RISK = "at_risk", _("At risk")
        INACTIVE = "inactive", _("Inactive")
        VIP = "vip", _("VIP")

    name = models.CharField(_("name"), max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="customers",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    segment = models.CharField(
        _("segment"), max_length=16, choices=Segment.choices, default=Segment.NEW
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="pt-br"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal login"),
        related_name="customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        related_name="merged_customers",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["segment"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name or _("Customer #%(id)s") % {"id": self.pk}


class CustomerIdentity(models.Model):
    """One way to reach a customer. `value` is normalized: lower-case email, E.164 phone."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        WHATSAPP = "whatsapp", _("WhatsApp")
        PHONE = "phone", _("Phone")
        CHAT_VISITOR = "chat_visitor", _("Chat visitor")
        PORTAL_USER = "portal_user", _("Portal user")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), related_name="identities", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=320)
    verified = models.BooleanField(_("verified"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Team(models.Model):
    """A queue of tickets worked by agents of one tier."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices, default=Tier.N1)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["tier", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return f"{self.name} ({self.tier})"


class AgentProfile(models.Model):
    class N1Role(models.TextChoices):
        SOLVER = "solver", _("Solver (fixes on first contact)")
        DISPATCHER = "dispatcher", _("Dispatcher (triages and routes)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="agent_profile",
        on_delete=models.CASCADE,
    )
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices, default=Tier.N1)
    n1_role = models.CharField(
        _("N1 role"),
        max_length=16,
        choices=N1Role.choices,
        blank=True,
        help_text=_("Only for N1 agents."),
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), related_name="agents", blank=True)
    languages = models.CharField(
        _("languages"),
        max_length=64,
        default="pt-br",
        help_text=_("Comma-separated language codes the agent answers in."),
    )
    is_manager = models.BooleanField(
        _("manager"), default=False, help_text=_("Sees every team and the dashboards.")
    )

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(tier="N1") | Q(n1_role=""), name="agent_n1_role_only_for_n1"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.tier})"

    def can_hold_tier(self, tier: str) -> bool:
        return tier_rank(self.tier) >= tier_rank(tier)


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

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
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
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.SOLVED, self.Status.CLOSED)


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
    return f"attachments/{now:%Y/%m/%d}/{instance.message_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), related_name="attachments", on_delete=models.CASCADE
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=500)
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


class SavedView(models.Model):
    """An agent's own inbox view: a name for a query string (view, filters, search, sort)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        related_name="saved_views",
        on_delete=models.CASCADE,
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query string"), max_length=2000, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


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


class AgentNotification(models.Model):
    """Something an agent should look at: a mention in a note, a ticket given to them."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mentioned you")
        ASSIGNED = "assigned", _("Assigned to you")

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
