import pytest

from tests.tickets.factories import CustomerFactory, UserFactory


@pytest.fixture
def customer_user(db):
    """A customer with a portal login."""
    user = UserFactory(username="cliente@example.com")
    CustomerFactory(name="Cliente", user=user)
    return user
