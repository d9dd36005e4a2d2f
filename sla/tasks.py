"""Celery tasks of the SLA engine: the timer that records warnings and breaches, and the catch-up
sweeps. All safe to run twice or in parallel (every record is a conditional update); all routed
to the "sla" queue so that a burst elsewhere never delays a breach."""

import smtplib
import time
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import escalation, notices, pending, recording, services

RESYNC_WINDOW = timedelta(minutes=15)


@shared_task(name="sla.sweep_clocks", acks_late=True, ignore_result=True)
def sweep_clocks(batch: int = recording.BATCH, seconds: float = 12.0) -> dict[str, int]:
    """Record the warnings and breaches that are due, in bulk batches, until none is left or
    the time is up (beat runs it again every SLA_TIMER_SECONDS, 15 by default, with 80 % of that
    as its time, so a backlog after downtime drains over a few runs, most overdue first). Their
    escalation steps are queued as tasks of their own; steps whose task was lost are queued
    again."""
    deadline = time.monotonic() + seconds
    totals = {"breached": 0, "warned": 0, "steps_requeued": recording.requeue_lost_steps()}
    while True:
        result = services.sla_sweep(now=timezone.now(), limit=batch)
        totals["breached"] += result.breached
        totals["warned"] += result.warned
        # A full batch of clocks another worker holds would loop forever; stop then.
        if not result.full or not (result.breached or result.warned):
            break
        if time.monotonic() > deadline:
            break
    return totals


@shared_task(name="sla.run_escalation_steps", acks_late=True, ignore_result=True)
def run_escalation_steps(stage: str, clock_ids: list[int]) -> int:
    """The SLA policies' steps of these recorded warnings or breaches (each runs once)."""
    return escalation.sla_steps_run(stage=stage, clock_ids=clock_ids)


@shared_task(
    name="sla.email_sla_notifications",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    max_retries=5,
)
def email_sla_notifications(notification_ids: list[int]) -> int:
    return notices.sla_notifications_email(notification_ids=notification_ids)


@shared_task(name="sla.sync_ticket_clocks", acks_late=True, ignore_result=True)
def sync_ticket_clocks(ticket_ids: list[int] | None = None) -> int:
    """Bring tickets' clocks in line with their trail: these, or (None) every ticket waiting in
    sla.pending. Tickets gone since are skipped."""
    if ticket_ids is not None:
        return services.tickets_sla_sync(ticket_ids=ticket_ids).tickets
    pending.sync_started()
    done = 0
    while ticket_ids := pending.tickets_take():
        result = services.tickets_sla_sync(ticket_ids=ticket_ids, skip_locked=True)
        done += result.tickets
        if result.skipped:  # held by another transaction: waited for now, alone
            done += services.tickets_sla_sync(ticket_ids=result.skipped).tickets
    return done


@shared_task(name="sla.resync_recent_tickets", acks_late=True, ignore_result=True)
def resync_recent_tickets() -> int:
    """Recompute the clocks of recently changed tickets whose domain event never arrived."""
    return services.sla_resync_recent(since=timezone.now() - RESYNC_WINDOW)


@shared_task(name="sla.recompute_open_tickets", acks_late=True, ignore_result=True)
def recompute_open_tickets() -> int:
    """After a policy or calendar change: every open ticket's clocks follow the new rules."""
    return services.sla_recompute_open()
