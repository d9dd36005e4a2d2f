"""After commit, ask for a fan-out of what the outbox received: once per delivery of domain
events (a drain of inbound messages, held in `events.batch()`, queues one task for all of its
transactions). Only a shortcut: the outbox rows are already committed, and the sweeper fans out
whatever a lost task leaves behind."""

from tickets import events

from . import outbox


@events.subscribe_batch(events.DomainEvent)
def fan_out_soon(published: list[events.DomainEvent]) -> None:
    wanted = outbox.wanted_names()
    if any(event.name in wanted for event in published):
        from . import tasks

        tasks.fan_out.delay()
