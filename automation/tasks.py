"""Celery tasks of automation: ids in, safe to run twice (a rule that already changed a ticket
finds nothing left to change; a time rule's run is recorded with its actions)."""

import json
import logging

from celery import shared_task
from django.conf import settings

from channels_app import http
from tickets import events

from . import engine, timerules

logger = logging.getLogger(__name__)


@shared_task(name="automation.run_rules", acks_late=True, ignore_result=True)
def run_rules(items: list) -> int:
    # The events the rules' actions publish are delivered together at the end: the next round
    # of rules for all these tickets is one task, not one per ticket.
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
