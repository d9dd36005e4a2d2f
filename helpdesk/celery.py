"""The Celery application. Tasks live in each app's tasks.py and are found automatically."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender=None, **_) -> None:
    """Database connections kept between tasks as between requests (DATABASE_CONN_MAX_AGE, and
    closed after an error), instead of Celery's Django fixup closing them around every task: a new
    PostgreSQL connection is a backend process started and several round trips, for each of the
    hundreds of small tasks a burst of messages queues (acknowledgements, rules, clock syncs).
    CELERY_DB_REUSE_MAX (settings) keeps the fixup's own closing rare."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
