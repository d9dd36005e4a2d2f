"""API tokens (stored as a SHA-256 digest, shown once) and idempotency records."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The resources a token's scopes name; each is granted "read" or "write" (write implies read).
SCOPE_RESOURCES = (
    "tickets",
    "messages",
    "customers",
    "organizations",
    "teams",
    "tags",
    "canned_responses",
    "kb",
    "sla",
    "surveys",
    "metrics",
    "webhooks",
)
ALL_SCOPES = tuple(f"{r}:{level}" for r in SCOPE_RESOURCES for level in ("read", "write"))


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="api_tokens",
        on_delete=models.CASCADE,
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    # The first characters of the token, to recognize it in lists (never enough to use it).
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    digest = models.CharField(_("SHA-256 digest"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or self.user})"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def allows(self, resource: str, level: str) -> bool:
        scopes = set(self.scopes)
        return f"{resource}:write" in scopes or (level == "read" and f"{resource}:read" in scopes)


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, per token or user, replayed to
    retries of the same request for 24 hours."""

    owner = models.CharField(_("owner"), max_length=64)  # "token:<id>" or "user:<id>"
    key = models.CharField(_("key"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response = models.JSONField(_("response"), null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
