"""Sign-in links sent by email: one row per link, so that a link works once."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import CustomerIdentity


class SignInLink(models.Model):
    """An emailed sign-in link. The link carries a signed token naming this row and a random
    nonce; only the nonce's SHA-256 is kept, so the table alone cannot sign anyone in. A link
    is spent by a conditional update of `used_at`, so two clicks cannot both sign in."""

    identity = models.ForeignKey(
        CustomerIdentity,
        verbose_name=_("email identity"),
        related_name="sign_in_links",
        on_delete=models.CASCADE,
    )
    nonce_hash = models.CharField(_("nonce (SHA-256)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")
        indexes = [models.Index(fields=["created_at"], name="signin_link_created")]

    def __str__(self) -> str:
        return f"{self.identity.value} · {self.created_at:%Y-%m-%d %H:%M}"
