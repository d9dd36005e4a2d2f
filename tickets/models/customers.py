"""Customers, the organizations they belong to and the identities that reach them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
    is_org_manager = models.BooleanField(
        _("manages the organization's requests"),
        default=False,
        help_text=_("In the customer portal, also sees every request of their organization."),
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
        # A user of a site that embeds the chat, proven by that site's signature (HMAC with
        # the chat channel's secret); value "<chat channel id>:<the site's user id>".
        HOST_USER = "host_user", _("Signed-in user of a site with the chat")

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
