import pytest

from tests.tickets.factories import CustomerFactory, CustomerIdentityFactory, OrganizationFactory
from tickets import services


def customer_with_login(name: str, email: str, **fields):
    customer = CustomerFactory(name=name, **fields)
    CustomerIdentityFactory(customer=customer, value=email)
    services.customer_portal_login_get_or_create(customer=customer, email=email)
    customer.refresh_from_db()
    return customer


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Loja Exemplo Ltda")


@pytest.fixture
def maria(org):
    return customer_with_login("Maria Souza", "maria@loja.example", organization=org)


@pytest.fixture
def joao(org):
    """Maria's colleague: same organization, no manager."""
    return customer_with_login("João Lima", "joao@loja.example", organization=org)


@pytest.fixture
def chefe(org):
    """The organization's designated manager."""
    return customer_with_login(
        "Carla Chefe", "carla@loja.example", organization=org, is_org_manager=True
    )


@pytest.fixture
def maria_client(client, maria):
    client.force_login(maria.user)
    return client


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """The sign-in throttles count in the cache; each test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
