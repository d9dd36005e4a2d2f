"""Two refreshes of the same days at once (two workers, a refresh during a rebuild) never leave
a day's rows twice: each writing transaction takes the rollups' lock first (PostgreSQL, real
threads, each with its own connection and transaction)."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from manager import rollups
from manager.models import DailyActivity, HeldDailyActivity
from tests.tickets.factories import TeamFactory, make_inbound
from tickets import services
from tickets.models import Tier

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
def test_a_second_refresh_of_a_day_waits_for_the_first(monkeypatch):
    TeamFactory(name="Suporte", tier=Tier.N1)
    for n in range(3):
        services.message_receive(incoming=make_inbound(sender_value=f"c{n}@example.com"))
    day = timezone.localtime(timezone.now(), rollups.desk_zone()).date()
    deleted, go = threading.Event(), threading.Event()
    real = rollups._insert_merged
    first = threading.local()

    def paused(model, selects):
        if not deleted.is_set():
            first.paused = True
            deleted.set()  # the first refresh deleted the day's rows (none yet)...
            go.wait(10)  # ...and waits here, holding the lock, before it inserts
        return real(model, selects)

    monkeypatch.setattr(rollups, "_insert_merged", paused)
    errors = []

    def refresh():
        try:
            rollups.activity_refresh([day])
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    one = threading.Thread(target=refresh)
    one.start()
    assert deleted.wait(10)
    two = threading.Thread(target=refresh)
    two.start()
    two.join(1)
    waited = two.is_alive()  # blocked on the lock, not deleting beside the first
    go.set()
    one.join(20)
    two.join(20)

    assert not errors
    assert waited
    assert sum(HeldDailyActivity.objects.filter(day=day).values_list("inbound", flat=True)) == 3
    assert sum(DailyActivity.objects.filter(day=day).values_list("inbound", flat=True)) == 3
