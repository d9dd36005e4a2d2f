from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk.celery import app as celery_app
from tests.tickets.factories import make_ticket
from tickets.models import Ticket, TicketEvent
from tickets.tasks import close_stale_solved_tickets


def test_close_stale_solved_tickets_closes_only_old_solved_ones(db, settings):
    settings.JORNADA = {**settings.JORNADA, "CLOSE_SOLVED_AFTER_DAYS": 4}
    old = make_ticket(status=Ticket.Status.SOLVED, solved_at=timezone.now() - timedelta(days=5))
    recent = make_ticket(status=Ticket.Status.SOLVED, solved_at=timezone.now() - timedelta(days=1))
    still_open = make_ticket(status=Ticket.Status.OPEN)

    closed = close_stale_solved_tickets.delay().get()

    assert closed == 1
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "closed", recent.pk: "solved", still_open.pk: "open"}
    assert old.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED, after="closed").exists()


@pytest.mark.services
def test_task_goes_through_a_real_worker_on_the_redis_broker(celery_worker_queue):
    solved_long_ago = make_ticket(
        status=Ticket.Status.SOLVED, solved_at=timezone.now() - timedelta(days=30)
    )

    # send_task never runs eagerly: the message crosses Redis to the worker process.
    result = celery_app.send_task(
        "tickets.tasks.close_stale_solved_tickets", queue=celery_worker_queue
    )

    assert result.get(timeout=60) == 1
    solved_long_ago.refresh_from_db()
    assert solved_long_ago.status == Ticket.Status.CLOSED
    assert solved_long_ago.closed_at is not None
