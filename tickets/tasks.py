"""Celery tasks of the tickets core: ids in, safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import services


@shared_task(name="tickets.tasks.close_stale_solved_tickets", acks_late=True)
def close_stale_solved_tickets() -> int:
    """Close tickets that stayed solved for the configured number of days. Bulk, in batches."""
    cutoff = timezone.now() - timedelta(days=settings.JORNADA["CLOSE_SOLVED_AFTER_DAYS"])
    total = 0
    while closed := services.tickets_close_stale_solved(solved_before=cutoff):
        total += closed
    return total
