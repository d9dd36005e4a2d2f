"""Changes to trend alerts: raising them from the detector's findings, acknowledging, muting."""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import TrendAlert
from .trends import HOUR, Rise, mute_key

MUTE_FOR = timedelta(days=7)


@transaction.atomic
def trend_alerts_raise(*, window_start: datetime, rises: list[Rise]) -> list[TrendAlert]:
    """One alert per rise and hour (raising the same hour again adds nothing), except for a
    channel or tag a manager muted; the managers are told after commit. Returns the new ones."""
    now = timezone.now()
    muted = {
        mute_key(dimension, value)
        for dimension, value in TrendAlert.objects.filter(muted_until__gt=now).values_list(
            "dimension", "value"
        )
    }
    created = []
    for rise in rises:
        if mute_key(rise.dimension, rise.value) in muted:
            continue
        alert, new = TrendAlert.objects.get_or_create(
            dimension=rise.dimension,
            value=rise.value,
            window_start=window_start,
            defaults={
                "window_end": window_start + HOUR,
                "count": rise.count,
                "baseline": rise.baseline,
                "baseline_weeks": rise.weeks,
                "created_at": now,
            },
        )
        if new:
            created.append(alert)
    if created:
        from .tasks import notify_trend_alerts

        ids = [alert.pk for alert in created]
        transaction.on_commit(lambda: notify_trend_alerts.delay(ids))
    return created


@transaction.atomic
def trend_alert_acknowledge(*, alert: TrendAlert, by: AbstractBaseUser) -> bool:
    """Mark the alert as seen (it leaves the dashboard's list); False if it already was."""
    done = TrendAlert.objects.filter(pk=alert.pk, acknowledged_at=None).update(
        acknowledged_at=timezone.now(), acknowledged_by=by
    )
    return bool(done)


@transaction.atomic
def trend_alert_mute(*, alert: TrendAlert, by: AbstractBaseUser) -> None:
    """Acknowledge it, and raise no alert for the same channel or tag for a week."""
    now = timezone.now()
    TrendAlert.objects.filter(pk=alert.pk).update(muted_until=now + MUTE_FOR)
    TrendAlert.objects.filter(Q(pk=alert.pk) & Q(acknowledged_at=None)).update(
        acknowledged_at=now, acknowledged_by=by
    )
