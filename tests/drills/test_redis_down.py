"""Drill: Redis (cache and broker) goes away while WhatsApp keeps delivering webhooks to the app
under gunicorn. Every webhook is still answered 200 and stored; once Redis is back (empty, as
after a crash), the sweeper and the workers process every event, each exactly once."""

import threading
import time
from collections import Counter

import pytest

from channels_app.models import InboundEvent
from tests.drills.conftest import burst
from tickets.models import Message

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]


def test_webhooks_are_kept_while_redis_is_down_and_processed_once_it_is_back(stage):
    started = time.monotonic()
    web = stage.web()
    stage.worker(concurrency=2)
    webhooks = burst("REDIS", customers=20, each=12)
    answers: dict[str, int] = {}
    phase: dict[str, str] = {}
    current = {"phase": "before"}
    done = threading.Event()

    def provider():
        for wamid, payload in webhooks:
            phase[wamid] = current["phase"]
            answers[wamid] = stage.post_whatsapp(web, payload).status_code
            time.sleep(0.02)
        done.set()

    sender = threading.Thread(target=provider)
    sender.start()
    time.sleep(1.5)
    before_outage = InboundEvent.objects.count()
    stage.redis.stop()
    current["phase"] = "outage"
    time.sleep(3)
    stored_during_outage = InboundEvent.objects.count()
    stage.redis.start()  # on the same port, empty
    current["phase"] = "after"
    assert done.wait(timeout=120)
    sender.join()

    stage.sweep_until_processed(timeout=120, sweeps=20)

    wamids = [wamid for wamid, _ in webhooks]
    outage = [wamid for wamid in wamids if phase[wamid] == "outage"]
    assert len(outage) >= 20, "too few webhooks arrived while Redis was down"
    assert set(answers.values()) == {200}
    assert stored_during_outage > before_outage  # stored, with Redis down
    events = InboundEvent.objects.filter(channel="whatsapp")
    assert events.count() == len(wamids)
    assert set(events.values_list("status", flat=True)) == {InboundEvent.Status.PROCESSED}
    per_wamid = Counter(
        Message.objects.filter(channel="whatsapp").values_list("external_id", flat=True)
    )
    assert per_wamid == Counter(wamids)
    print(f"\ndrill redis down: {len(outage)} webhooks during the outage, "
          f"{time.monotonic() - started:.1f}s")  # fmt: skip
