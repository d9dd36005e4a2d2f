"""Trend alerts: an unusual rise in the volume of new tickets of one channel or tag, measured
against the same hour in the previous weeks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class TrendAlert(models.Model):
    class Dimension(models.TextChoices):
        CHANNEL = "channel", _("Channel")
        TAG = "tag", _("Tag")

    dimension = models.CharField(_("what"), max_length=16, choices=Dimension.choices)
    value = models.CharField(_("which"), max_length=64)
    window_start = models.DateTimeField(_("hour starting at"))
    window_end = models.DateTimeField(_("hour ending at"))
    count = models.PositiveIntegerField(_("new tickets in that hour"))
    baseline = models.FloatField(_("baseline (average of the same hour in previous weeks)"))
    baseline_weeks = models.PositiveSmallIntegerField(_("weeks in the baseline"))
    created_at = models.DateTimeField(_("raised at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    muted_until = models.DateTimeField(
        _("muted until"),
        null=True,
        blank=True,
        help_text=_("No new alert for the same channel or tag before then."),
    )

    class Meta:
        ordering = ["-window_start", "-id"]
        verbose_name = _("trend alert")
        verbose_name_plural = _("trend alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "value", "window_start"], name="trend_alert_once_per_hour"
            )
        ]
        indexes = [
            models.Index(
                fields=["-created_at"],
                name="trend_alert_open",
                condition=Q(acknowledged_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_dimension_display()} {self.value}: {self.count}"

    def summary(self) -> str:
        """What rose, by how much, against what baseline, in a sentence."""
        return gettext(
            "%(what)s “%(value)s”: %(count)s new tickets in the hour from %(start)s, against "
            "%(baseline)s on average in the same hour of the previous %(weeks)s weeks."
        ) % {
            "what": self.get_dimension_display(),
            "value": self.value,
            "count": self.count,
            "start": date_format(timezone.localtime(self.window_start), "SHORT_DATETIME_FORMAT"),
            "baseline": number_format(self.baseline, 1),
            "weeks": self.baseline_weeks,
        }

    @property
    def rise(self) -> float | None:
        """How many times the baseline (None when the baseline is zero)."""
        return self.count / self.baseline if self.baseline else None
