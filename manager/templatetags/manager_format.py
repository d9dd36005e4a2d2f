"""Figures as people read them: durations in days/hours/minutes, rates in percent."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


@register.filter
def percent(rate: float | None) -> str:
    if rate is None:
        return "—"
    return f"{number_format(rate * 100, 1)}\u00a0%"


@register.filter
def decimal(value: float | None) -> str:
    return "—" if value is None else number_format(value, 2)


@register.filter
def points(value: float | None, signed: str = "") -> str:
    """A figure already in points (a CSAT %, an NPS, a response rate), one decimal; `signed`
    ("signed") puts a + before a positive one (NPS)."""
    if value is None:
        return "—"
    text = number_format(value, 1)
    return f"+{text}" if signed and value > 0 else text
