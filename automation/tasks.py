"""Celery tasks of automation: ids in, safe to run twice (the rules drain deletes the rows it ran
with the rules' work, and skips the rows another drain holds; a time rule's run is recorded with
its actions)."""

import json
import logging
import time

from celery import shared_task
from django.conf import settings

from channels_app import http
from tickets import events

from . import engine, queue, timerules

logger = logging.getLogger(__name__)


# Killed past its time limit (a hung rule): its chunk's rows were claimed and come due again.
@shared_task(name="automation.drain_rules", acks_late=True, ignore_result=True, time_limit=240)
def drain_rules(seconds: float = 2.0) -> int:
    """Run the waiting rules (queue.py), a chunk at a time, until a look finds none or time is
    up: then hand over to a fresh task, at the back of the queue, so that the work the rules
    queued gets a worker in between. The rows of the next rounds (written by the rules' actions)
    are found by the next look, not by a drain of their own. How many rows were run."""
    queue.drain_flag_clear()  # what is committed from now on schedules another drain
    deadline = time.monotonic() + seconds
    done = 0
    with queue.draining():
        while taken := queue.rule_work_run(limit=queue.CHUNK):
            done += taken
            if time.monotonic() > deadline:
                queue.drain_schedule()  # the rest is for a fresh task
                break
    return done


@shared_task(name="automation.sweep_rules", acks_late=True, ignore_result=True)
def sweep_rules() -> int:
    """Beat, every minute: a drain for the rows a lost drain (or a broker that was down) left
    waiting, and for the rows due again after a failure."""
    waiting = queue.rule_work_requeue_stuck()
    if waiting:
        logger.info("Rules sweeper queued a drain for %s waiting rows", waiting)
    return waiting


@shared_task(name="automation.run_rules", acks_late=True, ignore_result=True)
def run_rules(items: list) -> int:
    """The rules of a list of works, as queued before the durable queue (queue.py): kept for the
    messages still in the broker when that version was replaced. Nothing queues it now."""
    with events.batch():
        return engine.process([engine.Work.from_json(item) for item in items])


@shared_task(name="automation.run_time_rules", acks_late=True)
def run_time_rules(seconds: float = 50.0) -> int:
    with events.batch():
        return timerules.sweep(seconds=seconds)


@shared_task(
    name="automation.post_chat_webhook",
    acks_late=True,
    autoretry_for=(http.HttpError,),
    retry_backoff=True,
    max_retries=3,
)
def post_chat_webhook(url: str, text: str) -> int:
    """Post to a Slack- or Teams-compatible incoming webhook (both read a JSON "text"), through
    the one door to the outside (https only, no private addresses)."""
    try:
        response = http.fetch(
            "POST",
            url,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"text": text}).encode(),
            trusted_origins=settings.JORNADA.get("AUTOMATION_WEBHOOK_TRUSTED_ORIGINS", ()),
        )
    except http.Blocked:
        logger.warning("Rule webhook to %s refused", url[:80])
        return 0
    return response.status
