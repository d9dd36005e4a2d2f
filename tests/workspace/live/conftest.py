import uuid

import pytest

from tests.tickets.factories import AgentFactory, TeamFactory
from tickets.models import Tier

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def in_memory_stack(settings):
    """A fresh in-memory channel layer and cache for each test, whatever the environment."""
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"realtime-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def other_n1_agent(transactional_db):
    """An N1 agent of another N1 team: sees neither the first team's tickets nor their pushes."""
    sales = TeamFactory(name="Vendas N1", tier=Tier.N1)
    return AgentFactory(user__username="vendas", tier=Tier.N1, teams=[sales]).user
