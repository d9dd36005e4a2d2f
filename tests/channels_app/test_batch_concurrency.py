"""Two drains on one backlog, with real PostgreSQL connections (one per thread): each event is
processed once, by whichever drain locked it, and a customer whose emails two drains take at
the same moment is still one customer."""

import threading

import pytest
from django.db import connection

from channels_app import services
from channels_app.models import InboundEvent
from tests.channels_app.test_pipeline import SIMPLE, store
from tickets.models import Customer, CustomerIdentity, Message, Ticket

pytestmark = pytest.mark.services


def _email(n: int, sender: int) -> bytes:
    raw = SIMPLE.replace(b"<abc-123@", f"<c-{n}@".encode())
    return raw.replace(b"joao@", f"cliente{sender}@".encode())


def test_two_drains_on_the_same_events_process_each_once(transactional_db):
    # 10 new customers writing 4 new requests each.
    ids = [store(_email(n, n % 10), schedule=False)[0].pk for n in range(40)]
    results: list[list[int]] = [[], []]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def drain(slot: int, order: list[int]) -> None:
        try:
            start.wait()
            for first in range(0, len(order), 7):
                done = services.inbound_events_process_batch(
                    event_ids=order[first : first + 7], skip_locked=True
                )
                results[slot] += [event.pk for event in done]
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=drain, args=(0, ids)),
        threading.Thread(target=drain, args=(1, ids[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors
    assert sorted(results[0] + results[1]) == sorted(ids)  # each once, none twice
    assert not InboundEvent.objects.exclude(status=InboundEvent.Status.PROCESSED).exists()
    assert Message.objects.count() == 40
    assert Ticket.objects.count() == 40
    assert CustomerIdentity.objects.count() == Customer.objects.count() == 10


def test_a_customer_another_worker_holds_does_not_hold_up_the_rest_of_a_batch(
    transactional_db,
):
    """Their message is received alone after the batch commits, not waited for inside it."""
    busy, other = (store(_email(n, sender), schedule=False)[0] for n, sender in ((0, 1), (1, 2)))
    services.inbound_events_process_batch(event_ids=[busy.pk, other.pk])  # both customers known
    busy2, other2 = (store(_email(n, sender), schedule=False)[0] for n, sender in ((2, 1), (3, 2)))
    held, seen = threading.Event(), {}

    def hold_customer() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                Customer.objects.select_for_update().get(
                    identities__value="cliente1@cliente.com.br"
                )
                held.set()
                deadline = threading.Event()
                # While the customer is held, the batch commits the other customer's message.
                for _ in range(50):
                    status = InboundEvent.objects.get(pk=other2.pk).status
                    if status == InboundEvent.Status.PROCESSED:
                        break
                    deadline.wait(0.1)
                seen["other"] = status
                seen["busy"] = InboundEvent.objects.get(pk=busy2.pk).status
        finally:
            connection.close()

    holder = threading.Thread(target=hold_customer)
    holder.start()
    assert held.wait(10)

    done = services.inbound_events_process_batch(event_ids=[busy2.pk, other2.pk])
    holder.join(10)

    assert seen == {"other": InboundEvent.Status.PROCESSED, "busy": InboundEvent.Status.RECEIVED}
    assert sorted(event.pk for event in done) == sorted([busy2.pk, other2.pk])
    assert not InboundEvent.objects.exclude(status=InboundEvent.Status.PROCESSED).exists()
    assert Customer.objects.count() == 2
    assert Message.objects.count() == 4
