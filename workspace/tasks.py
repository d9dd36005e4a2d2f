"""Celery tasks of the agents' workspace: ids (or payloads) in, safe to run twice (a push is a
courtesy; a repeated one is dropped by the pages by its id or is harmless)."""

from celery import shared_task

from .live import pushes


@shared_task(name="workspace.push_domain_events", acks_late=True, ignore_result=True)
def push_domain_events(payloads: list[dict]) -> int:
    """The live pushes of a delivery of domain events (the SLA timer's batches)."""
    pushes.announce_payloads(payloads)
    return len(payloads)
