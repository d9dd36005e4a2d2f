"""How the triggers hear of tickets' events: the rules to run are written in the transaction of
the change (queue.rule_work_record, the outbox writer added in apps.py); after the commit, once
per delivery of events (a drain of inbound messages is one delivery), a drain is asked for: one
per burst (a flag in the shared cache for 10 s). Constant work per event; the rules run in the
drain, never on the inbound path or in a request."""

from tickets import events

from . import queue


@events.subscribe_batch(*queue.LISTENED)
def drain_soon(batch: list[events.DomainEvent]) -> None:
    if queue.drain_wanted(batch):
        queue.drain_schedule()
