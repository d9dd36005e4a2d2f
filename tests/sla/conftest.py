from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.sla.factories import BusinessCalendarFactory, SLAPolicyFactory

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# Monday 16 November 2026, 09:00 in São Paulo. Friday the 20th is a national holiday (Dia da
# Consciência Negra).
MONDAY_9 = datetime(2026, 11, 16, 9, 0, tzinfo=SAO_PAULO)


def sp(*args: int) -> datetime:
    """A wall-clock time in São Paulo, as an aware datetime."""
    return datetime(*args, tzinfo=SAO_PAULO)


@pytest.fixture
def clock():
    """Time stands still at Monday 09:00 in São Paulo until the test moves it."""
    with time_machine.travel(MONDAY_9.astimezone(UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs a block as if its transaction committed at the end: domain events
    reach their subscribers (the SLA engine) as they would in production."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block


@pytest.fixture
def always_open(db):
    return BusinessCalendarFactory(always_open=True)


@pytest.fixture
def business_hours(db):
    return BusinessCalendarFactory(name="Horário comercial")


@pytest.fixture
def policy(always_open):
    return SLAPolicyFactory(name="Padrão", calendar=always_open)
