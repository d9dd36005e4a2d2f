"""Celery tasks of the API: forgetting idempotency keys older than 24 hours (expired keys are
ignored when met anyway; this keeps the table small). Safe to run twice."""

from celery import shared_task

from .idempotency import idempotency_records_purge


@shared_task(name="api.purge_idempotency_records", acks_late=True, ignore_result=True)
def purge_idempotency_records() -> int:
    return idempotency_records_purge()
