import pytest
from django.contrib.auth.models import Permission

from tests.tickets.factories import UserFactory
from tests.webhooks.receiver import Receiver
from webhooks import catalog, services


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def integrator(db):
    """A user allowed to own webhook subscriptions."""
    user = UserFactory(username="integra", email="integra@loja.example")
    user.user_permissions.add(Permission.objects.get(codename="add_webhooksubscription"))
    return user


@pytest.fixture
def subscribe(integrator, receiver, django_capture_on_commit_callbacks):
    """subscribe(*names, url=..., owner=...): a subscription made through the service."""

    def make(*names, url=None, owner=None):
        with django_capture_on_commit_callbacks(execute=True):
            return services.webhook_subscription_create(
                owner=owner or integrator,
                url=url or receiver.url,
                events=list(names or catalog.public_names()),
            )

    return make
