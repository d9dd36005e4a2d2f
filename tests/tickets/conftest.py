import pytest

from tickets import events


@pytest.fixture
def received():
    """Every domain event delivered during the test, in order."""
    delivered = []
    events.subscribe(events.DomainEvent)(delivered.append)
    yield delivered
    events.unsubscribe(delivered.append)
