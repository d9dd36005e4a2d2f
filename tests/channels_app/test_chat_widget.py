"""The chat widget's server-rendered parts: the frame page's config island (strings of both
languages, the channel's look, the URLs of docs/chat.md), the loader's paths, and the snippet the
admin shows for each chat channel."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from channels_app.models import ChatChannel
from channels_app.templatetags.chat_widget import FRAME_STRINGS, _colour_ink

STATIC = Path(settings.BASE_DIR) / "static" / "chat"


@pytest.fixture
def channel(db):
    return ChatChannel.objects.create(
        name="Loja Aurora",
        greeting_pt_br="Olá! Como podemos ajudar?",
        greeting_en="Hi! How can we help?",
        color="#0f766e",
        allowed_origins="https://shop.example",
    )


def frame(channel, **headers):
    return Client(**headers).get(reverse("chat-widget-frame", args=[channel.public_key]))


def config_of(response) -> dict:
    html = response.content.decode()
    found = re.search(
        r'<script id="jornada-chat-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, "the frame page carries its config island"
    return json.loads(found.group(1))


def test_the_frame_carries_the_channel_and_the_urls_of_the_protocol(channel):
    config = config_of(frame(channel))

    assert config["key"] == channel.public_key
    assert config["color"] == "#0f766e"
    assert config["socket"] == f"/ws/chat/?key={channel.public_key}"
    assert config["api"]["send"] == reverse("chat-send", args=[channel.public_key])
    assert config["api"]["upload"] == reverse("chat-upload", args=[channel.public_key])
    assert config["api"]["offline"] == reverse("chat-offline", args=[channel.public_key])
    assert config["api"]["transcript"] == reverse("chat-transcript")
    assert config["greetings"] == {
        "pt-br": "Olá! Como podemos ajudar?",
        "en": "Hi! How can we help?",
    }
    assert config["max_message_chars"] == 4000
    assert "application/pdf" in config["upload_types"]


def test_the_frame_has_every_string_in_both_languages(channel):
    strings = config_of(frame(channel))["strings"]

    assert set(strings) == {"pt-br", "en"}
    assert set(strings["en"]) == set(strings["pt-br"]) == set(FRAME_STRINGS)
    assert strings["en"]["handover"] == "Talk to a person"
    assert strings["pt-br"]["handover"] == "Falar com uma pessoa"
    assert strings["pt-br"]["resolved"] == "Isso resolveu"
    untranslated = [key for key in FRAME_STRINGS if strings["pt-br"][key] == strings["en"][key]]
    assert untranslated == []


def test_the_frame_loads_its_own_script_and_style_only(channel):
    html = frame(channel).content.decode()

    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sorted(sources) == [
        "/static/chat/forms.js",
        "/static/chat/frame.css",
        "/static/chat/frame.js",
        "/static/chat/survey.js",
        "/static/chat/transport.js",
        "/static/chat/view.js",
    ]


def test_a_channel_named_to_break_out_of_the_page_stays_text(channel):
    channel.name = '</script><script>alert("name")</script>'
    channel.greeting_en = "<img src=x onerror=alert(1)>"
    channel.save()

    response = frame(channel)

    html = response.content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert config_of(response)["name"] == channel.name  # intact as data, for textContent


def test_a_colour_that_is_not_hex_falls_back_to_the_default(channel):
    ChatChannel.objects.filter(pk=channel.pk).update(color="red;}")
    channel.refresh_from_db()

    assert config_of(frame(channel))["color"] == "#1f6feb"


@pytest.mark.parametrize(
    ("colour", "ink"),
    [
        ("#0f766e", "#ffffff"),
        ("#1f6feb", "#ffffff"),
        ("#facc15", "#111111"),
        ("#ffffff", "#111111"),
    ],
)
def test_the_text_on_the_channel_colour_is_the_more_readable_of_black_and_white(colour, ink):
    assert _colour_ink(colour) == ink


def test_the_loader_opens_the_frame_at_the_frame_view_path():
    loader = (STATIC / "widget.js").read_text()
    example = reverse("chat-widget-frame", args=["KEY"])

    assert example == "/chat/widget/KEY/"
    assert '"/chat/widget/" + encodeURIComponent(key) + "/"' in loader


def test_the_widget_scripts_never_write_html():
    for name in ("widget.js", "frame.js", "transport.js", "view.js", "forms.js"):
        source = (STATIC / name).read_text()
        assert "innerHTML" not in source, name
        assert "insertAdjacentHTML" not in source, name
        assert "document.write" not in source, name


# --- the admin's snippet -------------------------------------------------------------------------


@pytest.fixture
def admin_client(db):
    client = Client()
    root = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client.force_login(root)
    return client


def test_the_admin_shows_the_snippet_to_copy_with_the_desks_origin(admin_client, channel, settings):
    settings.ALLOWED_HOSTS = ["desk.example"]
    url = reverse("admin:channels_app_chatchannel_change", args=[channel.pk])

    response = admin_client.get(url, HTTP_HOST="desk.example", secure=True)

    html = response.content.decode()
    expected = (
        f"&lt;script src=&quot;https://desk.example/static/chat/widget.js&quot; "
        f"data-key=&quot;{channel.public_key}&quot; async&gt;&lt;/script&gt;"
    )
    assert expected in html
    assert channel.secret in html  # the admin is the one page that shows it


def test_a_new_channel_gets_its_snippet_once_saved(admin_client):
    response = admin_client.get(reverse("admin:channels_app_chatchannel_add"))

    assert response.status_code == 200
    assert "Save the channel to get its snippet." in response.content.decode()
