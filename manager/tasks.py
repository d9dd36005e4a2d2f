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


REFRESH_TAKE = 2_000  # tickets per run from the pending set
CATCH_UP_MARGIN = timedelta(minutes=2)  # transactions committed late, clocks synced after


@shared_task(name="manager.refresh_rollups", acks_late=True, ignore_result=True)
def refresh_rollups() -> int:
    """Refresh the rollup rows of the tickets marked since the last run, and of the tickets
    updated since then (what Redis did not carry: the embedded setup, ids lost on the way).
    Safe to run twice: a refresh recomputes rows from their sources. Returns the tickets done."""
    from django.db import transaction

    from tickets.models import Ticket

    from . import pending, rollups
    from .models import CATCH_UP, RollupState

    now = timezone.now()
    if not RollupState.objects.filter(name=CATCH_UP).exists():
        if rollups.rebuild_claimed(now):
            return 0  # a rebuild runs (or failed lately): it covers what this run would do
        if Ticket.objects.filter(created_at__lt=now - CATCH_UP_MARGIN).exists():
            # Never built on a desk that has tickets (an upgrade, a restore, a migration that
            # cleared them): build everything once; the dashboard answers live meanwhile.
            try:
                return rollups.rollups_rebuild()["tickets"]
            except rollups.RebuildRunning:
                return 0
    ids = set(pending.tickets_take(REFRESH_TAKE))
    with transaction.atomic():
        state, created = RollupState.objects.select_for_update().get_or_create(
            name=CATCH_UP, defaults={"refreshed_until": now}
        )
        until = now
        if not created:
            limit = REFRESH_TAKE * 5
            updated = list(
                Ticket.objects.filter(updated_at__gte=state.refreshed_until - CATCH_UP_MARGIN)
                .order_by("updated_at")
                .values_list("pk", "updated_at")[:limit]
            )
            ids.update(pk for pk, _at in updated)
            if len(updated) == limit:  # more to come: the next run goes on from here
                until = updated[-1][1] + CATCH_UP_MARGIN
        state.refreshed_until = until
        state.save(update_fields=["refreshed_until"])
    done, _days = rollups.rollups_refresh(ticket_ids=ids)
    return done
