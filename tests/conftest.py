import os
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    TeamFactory,
    make_ticket,
)
from tickets import services
from tickets.models import CustomerIdentity, Ticket, Tier

pytest_plugins = ["tests.real_stack", "tests.channels_app.smtp"]

REAL_STACK = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config, items):
    if REAL_STACK:
        return
    skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis)")
    for item in items:
        if "services" in item.keywords or "drill" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def whatsapp_secret(settings):
    """Signed WhatsApp webhooks are accepted (no Graph API behind: nothing is sent)."""
    from tests.channels_app import whatsapp_support as wa

    settings.WHATSAPP_APP_SECRET = wa.APP_SECRET


@pytest.fixture
def twilio_secret(settings):
    """Signed Twilio webhooks are accepted (no Twilio API behind: nothing is sent)."""
    from tests.channels_app.fake_providers import TWILIO_SID, TWILIO_TOKEN

    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = TWILIO_SID, TWILIO_TOKEN
    settings.TWILIO_WEBHOOK_BASE_URL = ""


@pytest.fixture
def teams(db):
    return {
        Tier.N1: TeamFactory(name="Atendimento N1", tier=Tier.N1),
        Tier.N2: TeamFactory(name="Suporte Técnico N2", tier=Tier.N2),
        Tier.N3: TeamFactory(name="Especialistas N3", tier=Tier.N3),
    }


@pytest.fixture
def n1_agent(teams):
    return AgentFactory(user__username="n1", tier=Tier.N1, teams=[teams[Tier.N1]]).user


@pytest.fixture
def n2_agent(teams):
    return AgentFactory(user__username="n2", tier=Tier.N2, teams=[teams[Tier.N2]]).user


@pytest.fixture
def n3_agent(teams):
    return AgentFactory(user__username="n3", tier=Tier.N3, teams=[teams[Tier.N3]]).user


@pytest.fixture
def manager(teams):
    return AgentFactory(user__username="boss", tier=Tier.N3, is_manager=True).user


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Maria da Silva")


@pytest.fixture
def ticket(teams, customer):
    return make_ticket(customer=customer, team=teams[Tier.N1])


@pytest.fixture
def queue(teams, customer, n1_agent):
    """A small inbox: one ticket per view of the N1 team, and one of another team."""
    now, S = timezone.now(), Ticket.Status

    def ticket(name, team=teams[Tier.N1], **changes):
        return make_ticket(customer=customer, team=team, subject=f"Assunto {name}", **changes)

    return {
        "mine": ticket("mine", assignee=n1_agent, status=S.OPEN),
        "new": ticket("new"),
        "pending": ticket("pending", status=S.PENDING),
        "solved": ticket("solved", status=S.SOLVED, solved_at=now),
        "old_solved": ticket("old_solved", status=S.SOLVED, solved_at=now - timedelta(days=30)),
        "urgent": ticket("urgent", priority="urgent"),
        "other_team": ticket("other_team", team=TeamFactory(name="Financeiro")),
    }


@pytest.fixture
def three(teams, customer):
    """Three new N1 tickets, for the bulk actions (service and page)."""
    return [make_ticket(customer=customer, team=teams[Tier.N1]) for _ in range(3)]


@pytest.fixture
def desk(teams, n1_agent):
    """Tickets to search (selector and page): by subject, by customer (name, email, WhatsApp
    number), by message text, and one of another team that matches but must stay invisible."""
    team = teams[Tier.N1]
    maria = CustomerFactory(name="Maria Conceição Souza")
    CustomerIdentityFactory(customer=maria, value="maria.souza@example.com")
    CustomerIdentityFactory(
        customer=maria, kind=CustomerIdentity.Kind.WHATSAPP, value="+5511987654321"
    )
    boleto = make_ticket(team=team, subject="Boleto vencido", customer=CustomerFactory())
    from_maria = make_ticket(team=team, subject="Pedido", customer=maria)
    with_message = make_ticket(team=team, subject="Ajuda", customer=CustomerFactory())
    services.note_add(ticket=with_message, body_text="O roteador reinicia sozinho", by=n1_agent)
    foreign = make_ticket(
        team=TeamFactory(name="Financeiro"), subject="Boleto vencido de novo", customer=maria
    )
    return {"boleto": boleto, "maria": from_maria, "message": with_message, "foreign": foreign}


@pytest.fixture(autouse=True)
def _fresh_sla_pending():
    """Clock syncs gathered in Redis belong to one test: a sync still "on its way" from another
    test (queued to a worker that is gone) would hold back this test's."""
    from sla import pending, recording

    keys = (pending.PENDING, pending.SCHEDULED, recording.REQUEUED)
    client = pending._client()
    if client is not None:
        client.delete(*keys)
    yield
    if client is not None:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _celery_join_flag_reset():
    """Celery guards an eager task with a process-wide flag it saves and restores: two eager
    tasks in two threads at once (the concurrency tests) can leave it set, and every later
    `result.get()` in the test process would refuse to block."""
    from celery import _state

    yield
    _state._set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _no_webhook_subscriptions_cached():
    """Which events are subscribed to is cached, and the cache outlives a test's database: each
    test starts with none (a test's subscriptions are created through the services, which tell
    the cache)."""
    from webhooks import outbox

    outbox.forget_subscriptions()


@pytest.fixture(autouse=True)
def _no_routing_rules_cached():
    """The rules the routing hook read are kept in the process, and the cache outlives a test's
    database: each test starts with none (a test's rules saved through the services, or
    rules_seed_defaults, tell the hook)."""
    from automation import birth

    birth.forget_rules()
