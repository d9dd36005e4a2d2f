"""The time-rule sweep through a real Celery worker on the Redis broker: sent twice (as beat
would after a restart re-delivers an unacknowledged run), it acts once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from automation.defaults import CLOSE_RULE
from automation.models import TimeRule, TimeRuleRun
from helpdesk.celery import app as celery_app
from tests.tickets.factories import make_ticket
from tickets.models import Ticket, TicketEvent


@pytest.mark.services
def test_time_rules_run_in_a_real_worker_once(celery_worker_queue):
    # A transactional test starts from emptied tables: the shipped close rule, as it ships.
    TimeRule.objects.get_or_create(
        name=CLOSE_RULE,
        defaults={"condition": "solved", "after": 4, "unit": "days",
                  "actions": [{"type": "set_status", "status": "closed"}]},
    )  # fmt: skip
    solved_long_ago = make_ticket(
        status=Ticket.Status.SOLVED, solved_at=timezone.now() - timedelta(days=30)
    )

    # send_task never runs eagerly: the messages cross Redis to the worker process.
    first = celery_app.send_task("automation.run_time_rules", queue=celery_worker_queue)
    second = celery_app.send_task("automation.run_time_rules", queue=celery_worker_queue)

    assert sorted([first.get(timeout=60), second.get(timeout=60)]) == [0, 1]
    solved_long_ago.refresh_from_db()
    assert solved_long_ago.status == Ticket.Status.CLOSED
    assert TimeRuleRun.objects.filter(ticket=solved_long_ago).count() == 1
    assert solved_long_ago.events.filter(kind=TicketEvent.Kind.RULE_RAN).count() == 1
