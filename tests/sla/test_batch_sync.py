"""Clock sync is coalesced: a batch of domain events (one drain of inbound messages, here a
block under events.batch()) queues one sync for every ticket it touched, and the clocks are
right afterwards, as if each event had been followed by its own recomputation."""

from datetime import timedelta

import pytest
from celery import signals

from sla import services as sla_services
from sla.models import Target, TicketSLA
from tests.sla.conftest import MONDAY_9
from tests.tickets.factories import make_inbound
from tickets import events, services

MIN = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.fixture
def syncs():
    """The ticket ids of each SLA sync task run during the test."""
    runs = []

    def spy(sender=None, args=(), kwargs=None, **_):
        if sender.name == "sla.sync_ticket_clocks":
            runs.append(sorted(args[0] if args else kwargs["ticket_ids"]))

    signals.task_prerun.connect(spy, weak=False)
    yield runs
    signals.task_prerun.disconnect(spy)


def clocks(ticket) -> dict[str, tuple]:
    return {
        c.target: (c.due_at, c.stopped_at)
        for c in TicketSLA.objects.filter(ticket=ticket).order_by("target")
    }


def test_one_batch_syncs_every_ticket_it_touched_once_and_the_clocks_are_right(
    policy, clock, n1_agent, syncs, django_capture_on_commit_callbacks
):
    with events.batch(), django_capture_on_commit_callbacks(execute=True):
        first = services.message_receive(incoming=make_inbound(sender_value="a@ex.com")).ticket
        second = services.message_receive(incoming=make_inbound(sender_value="b@ex.com")).ticket
        follow_up = make_inbound(sender_value="a@ex.com", subject=f"[#{first.number}] E aí?")
        assert services.message_receive(incoming=follow_up).ticket == first
        clock.move_to(MONDAY_9 + 10 * MIN)
        services.message_reply(ticket=first, by=n1_agent, body_text="Resolvido, veja o boleto.")

    assert syncs == [sorted([first.pk, second.pk])]
    assert clocks(first)[Target.FIRST_RESPONSE] == (MONDAY_9 + H, MONDAY_9 + 10 * MIN)
    assert clocks(second) == {
        Target.FIRST_RESPONSE: (MONDAY_9 + H, None),
        Target.RESOLUTION: (MONDAY_9 + 8 * H, None),
    }
    # A recomputation from scratch finds nothing to change.
    again = sla_services.tickets_sla_sync(ticket_ids=[first.pk, second.pk])
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)


def test_without_a_batch_each_transaction_syncs_its_own_tickets(
    policy, clock, syncs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.message_receive(incoming=make_inbound()).ticket

    # ticket.created and message.created of one transaction: one sync.
    assert syncs == [[ticket.pk]]
    assert clocks(ticket)[Target.FIRST_RESPONSE] == (MONDAY_9 + H, None)
