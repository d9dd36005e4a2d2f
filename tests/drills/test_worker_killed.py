"""Drill: the Celery worker is killed (SIGKILL, pool and all) while it works through a burst of
500 WhatsApp messages. After a restart and the sweeper, every event is processed exactly once:
no message lost, none stored twice, one ticket per customer, one audit row per message."""

import time
from collections import Counter

import pytest

from channels_app.models import InboundEvent
from tests.drills.conftest import burst, waiting
from tests.servers import wait_for
from tickets.models import Message, Ticket, TicketEvent

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

CUSTOMERS, EACH = 100, 5  # 500 messages


def processed() -> int:
    return InboundEvent.objects.filter(status=InboundEvent.Status.PROCESSED).count()


def test_a_worker_killed_mid_burst_processes_every_event_exactly_once(stage):
    started = time.monotonic()
    web = stage.web()
    worker = stage.worker(concurrency=2)
    webhooks = burst("KILL", customers=CUSTOMERS, each=EACH)

    for _, payload in webhooks:
        assert stage.post_whatsapp(web, payload).status_code == 200
        if worker.process.poll() is None and processed() >= 100:
            worker.kill()  # mid-burst: events still arriving, others half-processed
    if worker.process.poll() is None:
        wait_for(lambda: processed() >= 100, timeout=60, what="the first 100 events")
        worker.kill()
    left_by_the_crash = waiting()

    stage.worker(concurrency=2)
    stage.sweep_until_processed(timeout=120)

    wamids = [wamid for wamid, _ in webhooks]
    events = InboundEvent.objects.filter(channel="whatsapp")
    assert left_by_the_crash > 0, "the worker was killed after the burst: nothing was drilled"
    assert events.count() == len(wamids)
    assert set(events.values_list("status", flat=True)) == {InboundEvent.Status.PROCESSED}
    assert not events.filter(message=None).exists()
    per_wamid = Counter(
        Message.objects.filter(channel="whatsapp").values_list("external_id", flat=True)
    )
    assert per_wamid == Counter(wamids)  # each exactly once
    assert Ticket.objects.count() == CUSTOMERS
    assert all(
        count == EACH
        for count in Counter(Message.objects.values_list("ticket_id", flat=True)).values()
    )
    received = TicketEvent.objects.filter(kind=TicketEvent.Kind.MESSAGE_RECEIVED)
    assert Counter(received.values_list("data__message_id", flat=True)) == Counter(
        Message.objects.values_list("pk", flat=True)
    )
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.CREATED).count() == CUSTOMERS
    print(f"\ndrill worker killed: {left_by_the_crash} events left by the crash, "
          f"{time.monotonic() - started:.1f}s")  # fmt: skip
