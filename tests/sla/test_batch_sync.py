"""Clock sync is coalesced: a batch of domain events (one drain of inbound messages, here a
block under events.batch()) queues one sync for every ticket it touched, and the clocks are
right afterwards, as if each event had been followed by its own recomputation."""

from datetime import timedelta

import pytest

from sla import services as sla_services
from sla.models import Target, TicketSLA
from tests.sla.conftest import MONDAY_9
from tests.tickets.factories import make_inbound
from tickets import events, services

MIN = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.fixture
def syncs(monkeypatch):
    """The ticket ids of each clock sync run during the test."""
    runs = []
    real = sla_services.tickets_sla_sync

    def recorded(*, ticket_ids, **kwargs):
        runs.append(sorted(ticket_ids))
        return real(ticket_ids=ticket_ids, **kwargs)

    monkeypatch.setattr(sla_services, "tickets_sla_sync", recorded)
    return runs


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
    assert len(syncs) == 2
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)


def test_without_a_batch_each_transaction_syncs_its_own_tickets(
    policy, clock, syncs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.message_receive(incoming=make_inbound()).ticket

    # ticket.created and message.created of one transaction: one sync.
    assert syncs == [[ticket.pk]]
    assert clocks(ticket)[Target.FIRST_RESPONSE] == (MONDAY_9 + H, None)


@pytest.mark.services
def test_with_redis_batches_that_meet_a_sync_on_its_way_join_it(
    policy, clock, syncs, django_capture_on_commit_callbacks
):
    """While one sync is queued (its flag set), later batches only add their tickets to the
    set it will take: syncs never pile up behind a busy worker."""
    from sla import pending, tasks

    pending._client().set(pending.SCHEDULED, 1, ex=60)  # a sync is on its way
    tickets = []
    for sender in ("a@ex.com", "b@ex.com"):
        with events.batch(), django_capture_on_commit_callbacks(execute=True):
            tickets.append(services.message_receive(incoming=make_inbound(sender_value=sender)))
    assert syncs == []

    tasks.sync_ticket_clocks.delay()  # the one on its way arrives

    assert syncs == [sorted(result.ticket.pk for result in tickets)]
    assert all(clocks(result.ticket) for result in tickets)


@pytest.mark.services
def test_a_sync_does_not_wait_for_a_ticket_another_transaction_holds_before_the_others(
    policy, transactional_db
):
    """The pending tickets are synced without waiting for one another transaction holds (a
    drain receiving its message): the others' clocks are written and their locks let go first,
    then that one is waited for, alone."""
    import threading

    from django.db import connection, transaction

    from sla import pending, tasks
    from tickets.models import Ticket

    a, b, c = (
        services.message_receive(incoming=make_inbound(sender_value=f"{name}@ex.com")).ticket
        for name in "abc"
    )
    TicketSLA.objects.all().delete()  # as if their sync was still to come
    client = pending._client()
    client.delete(pending.PENDING, pending.SCHEDULED)
    client.sadd(pending.PENDING, a.pk, b.pk, c.pk)
    held, release, seen = threading.Event(), threading.Event(), {}

    def hold_a() -> None:
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=a.pk)
                held.set()
                release.wait(30)
                # While a is held, the others are synced already and free to lock.
                free = Ticket.objects.select_for_update(nowait=True).filter(pk__in=[b.pk, c.pk])
                seen["free"] = len(free)
                seen["b_and_c"] = TicketSLA.objects.filter(ticket__in=[b, c]).count()
        finally:
            connection.close()

    holder = threading.Thread(target=hold_a)
    holder.start()
    assert held.wait(10)
    threading.Timer(1.0, release.set).start()  # the sync below waits for a until then

    assert tasks.sync_ticket_clocks() == 3
    holder.join(10)

    assert seen["free"] == 2
    assert seen["b_and_c"] == len(clocks(b)) + len(clocks(c)) > 0
    assert clocks(a)  # then a's, once it was let go
    assert client.scard(pending.PENDING) == 0
