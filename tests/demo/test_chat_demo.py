"""The demo's chat: seed_demo creates its chat channel once, and /chat/demo/ embeds it with the
tag a customer would copy."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from channels_app.models import ChatChannel
from demo.chat import DEMO_CHAT_NAME, seed_chat_channel
from tickets.models import Team, Tier


def seed_minimal():
    call_command("seed_demo", tickets=0, customers=1, stdout=StringIO())


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_seed_demo_creates_the_demo_chat_channel_once(db, debug):
    seed_minimal()
    seed_minimal()

    channel = ChatChannel.objects.get()
    assert channel.name == DEMO_CHAT_NAME
    assert channel.is_active
    assert channel.bot_enabled
    assert channel.team == Team.objects.get(name="Atendimento")
    assert channel.greeting("pt-br").startswith("Olá!")
    assert channel.greeting("en").startswith("Hi!")
    assert channel.color == "#0f766e"
    assert "http://localhost:8000" in channel.origins
    assert channel.time_zone == "America/Sao_Paulo"
    assert channel.business_hours["mon"] == [["08:00", "20:00"]]
    assert "sun" not in channel.business_hours
    channel.full_clean()  # the admin would accept it as it is


def test_seeding_again_keeps_what_the_admin_changed(db):
    seed_chat_channel()
    ChatChannel.objects.update(color="#123456", greeting_en="Hello from the admin")

    assert seed_chat_channel() == 0
    channel = ChatChannel.objects.get()
    assert (channel.color, channel.greeting_en) == ("#123456", "Hello from the admin")


def test_the_demo_page_embeds_the_widget_as_a_customers_site_would(db):
    Team.objects.create(name="Atendimento", tier=Tier.N1)
    seed_chat_channel()
    channel = ChatChannel.objects.get()

    response = Client().get(reverse("chat-demo"), HTTP_HOST="127.0.0.1:8000")

    assert response.status_code == 200
    html = response.content.decode()
    tag = (
        '<script src="http://127.0.0.1:8000/static/chat/widget.js" '
        f'data-key="{channel.public_key}" async></script>'
    )
    assert tag in html  # the tag itself, live
    assert tag.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") in html  # shown
    assert "X-Frame-Options" in response.headers  # an ordinary page: only the frame is framable


def test_the_demo_page_says_how_to_create_its_channel_when_missing(db):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("chat-demo"))

    assert response.status_code == 404
    html = response.content.decode()
    assert "seed_demo" in html
    assert "widget.js" not in html


def test_an_inactive_demo_channel_is_not_embedded(db):
    seed_chat_channel()
    ChatChannel.objects.update(is_active=False)

    response = Client().get(reverse("chat-demo"))

    assert response.status_code == 404
