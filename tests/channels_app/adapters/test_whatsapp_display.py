"""channels_app/_message_extras.html: what a WhatsApp message carries beyond its text, for the
ticket timeline (reactions, edits, deletions, unsupported types, media still downloading or
failed, the template a reply was sent as)."""

from django.template.loader import render_to_string
from django.utils import translation

from tickets.models import Message


def extras(metadata: dict) -> str:
    with translation.override("en"):
        html = render_to_string(
            "channels_app/_message_extras.html", {"message": Message(metadata=metadata)}
        )
    return " ".join(html.split())


def test_a_plain_message_adds_nothing():
    assert extras({}) == ""


def test_reactions_are_shown_without_who_removed_theirs():
    html = extras({"reactions": {"5511987654321": "👍", "5521999998888": "❤️"}})

    assert "<span>👍</span><span>❤️</span>" in html


def test_unsupported_messages_say_so_with_metas_reason():
    html = extras(
        {"whatsapp": {"unsupported": True, "errors": ["Message type unknown (code 131051)"]}}
    )

    assert "Unsupported message" in html
    assert "Message type unknown (code 131051)" in html


def test_edits_and_deletions_are_shown():
    html = extras({"whatsapp": {"edited_text": "novo texto", "deleted_at": "2026-01-01T10:00:00"}})

    assert "Edited</span> novo texto" in html
    assert "Deleted by the customer" in html


def test_media_waiting_or_failed_is_explained():
    assert "Downloading the file" in extras({"media": {"status": "pending"}})
    failed = extras(
        {"media": {"status": "failed", "error": "image of type text/html is not accepted"}}
    )
    assert "could not be downloaded: image of type text/html is not accepted" in failed


def test_a_reply_sent_as_a_template_names_it():
    html = extras({"whatsapp_template": {"name": "retomar_atendimento"}})

    assert "Sent as the template “retomar_atendimento”" in html


def test_an_ad_link_is_escaped_and_kept_from_the_opener():
    html = extras(
        {"whatsapp": {"referral": {"headline": "<b>Promo</b>", "source_url": "https://fb.me/x"}}}
    )

    assert "&lt;b&gt;Promo&lt;/b&gt;" in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_an_ad_link_that_is_not_https_is_not_a_link():
    html = extras({"whatsapp": {"referral": {"source_type": "ad", "source_url": "javascript:x"}}})

    assert "href" not in html
    assert "Came from an ad: ad" in html
