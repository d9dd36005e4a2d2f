"""Choices shared by several models: support tiers and channels."""

from django.db import models
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
