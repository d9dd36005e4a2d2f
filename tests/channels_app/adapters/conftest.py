"""Fixtures of the WhatsApp tests: a fake Graph API on loopback, the settings that point the
channel at it, and a webhook poster that runs what the commit sets off."""

import pytest

from tests.channels_app import whatsapp_support as wa
from tests.channels_app.fake_providers import GRAPH_TOKEN, FakeGraph


@pytest.fixture
def fake_graph():
    with FakeGraph() as server:
        yield server


@pytest.fixture
def whatsapp(settings, fake_graph):
    """The WhatsApp channel configured against the fake Graph API."""
    settings.WHATSAPP_APP_SECRET = wa.APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = wa.VERIFY_TOKEN
    settings.WHATSAPP_ACCESS_TOKEN = GRAPH_TOKEN
    settings.WHATSAPP_PHONE_NUMBER_ID = wa.PHONE_NUMBER_ID
    settings.WHATSAPP_API_BASE = fake_graph.api_base
    return fake_graph


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST a webhook like Meta, then run what the commit sets off (processing, media)."""

    def deliver(payload, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return wa.post_webhook(client, payload, **kwargs)

    return deliver


# The live chat's fixtures (a chat channel, a fresh in-memory stack, an agent online).
from tests.channels_app.chat_support import chat_channel, chat_stack, online_agent  # noqa: E402, F401
