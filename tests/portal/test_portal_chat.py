"""The customer portal offers the live chat: its pages embed the widget of the active chat
channel (the frame, on the desk's own origin, recognises the signed-in customer by session)."""

import pytest
from django.urls import reverse

from channels_app.models import ChatChannel


@pytest.fixture
def chat(db):
    ChatChannel.objects.create(name="Antigo", is_active=False)
    return ChatChannel.objects.create(name="Site", allowed_origins="https://loja.example")


def widget_tag(channel) -> str:
    return (
        '<script src="http://testserver/static/chat/widget.js" '
        f'data-key="{channel.public_key}" async></script>'
    )


def test_the_portal_embeds_the_active_chat_channels_widget(client, chat):
    html = client.get(reverse("portal:home")).content.decode()

    assert widget_tag(chat) in html
    assert html.count("/static/chat/widget.js") == 1


def test_a_signed_in_customers_pages_carry_it_too(maria_client, chat):
    html = maria_client.get(reverse("portal:request-list")).content.decode()

    assert widget_tag(chat) in html


def test_without_an_active_chat_channel_the_portal_has_no_widget(client, db):
    ChatChannel.objects.create(name="Desligado", is_active=False)

    html = client.get(reverse("portal:home")).content.decode()

    assert "chat/widget.js" not in html
