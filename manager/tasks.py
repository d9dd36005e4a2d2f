"""Celery tasks of the managers' app: the periodic trend detector and the alert e-mails. Both
safe to run twice (an hour's alert is raised once; a lost e-mail is only a missed courtesy, the
dashboard lists the alert)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import services, trends
from .models import TrendAlert


@shared_task(name="manager.detect_trends", acks_late=True, ignore_result=True)
def detect_trends() -> int:
    """Look at the last full hour; returns how many alerts it raised."""
    window_start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    found = trends.rises(window_start=window_start)
    return len(services.trend_alerts_raise(window_start=window_start, rises=found))


@shared_task(name="manager.notify_trend_alerts", acks_late=True, ignore_result=True)
def notify_trend_alerts(alert_ids: list[int]) -> int:
    alerts = list(TrendAlert.objects.filter(pk__in=alert_ids))
    managers = (
        get_user_model()
        .objects.filter(is_active=True, agent_profile__is_manager=True)
        .exclude(email="")
    )
    if not alerts or not managers:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Jornada: unusual rise in new tickets")
        body = "\n".join(alert.summary() for alert in alerts)
    send_mass_mail([(subject, body, None, [user.email]) for user in managers])
    return len(managers)
