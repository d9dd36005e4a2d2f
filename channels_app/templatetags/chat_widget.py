"""What the chat widget's frame page (chat/widget_frame.html) needs from Django: its settings and
its strings in every language of the site, as one JSON island that static/chat/frame.js reads.

Both catalogs are sent so the frame can follow the visitor's browser language (navigator.language,
or the host page's data-lang) rather than the desk's language cookie, without a second request."""

import re

from django import template
from django.conf import settings
from django.utils import translation
from django.utils.html import json_script
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from channels_app.chat_embed import origin_of, portal_chat_channel, widget_snippet

register = template.Library()

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOUR = "#1f6feb"

# Placeholders in braces are filled by frame.js.
FRAME_STRINGS = {
    "title": _("Live chat"),
    "open": _("Open chat"),
    "close": _("Close chat"),
    "minimize": _("Minimize chat"),
    "messages": _("Messages"),
    "your_message": _("Your message"),
    "placeholder": _("Type your message…"),
    "send": _("Send"),
    "attach": _("Attach a file"),
    "you": _("You"),
    "sending": _("Sending…"),
    "sent": _("Sent"),
    "read": _("Read"),
    "not_sent": _("Not sent"),
    "retry": _("Try again"),
    "uploading": _("Sending {name}…"),
    "typing": _("{name} is typing…"),
    "typing_someone": _("An agent is typing…"),
    "state_bot": _("Virtual assistant"),
    "state_waiting": _("Waiting for an agent"),
    "state_position": _("In line: you are number {position}"),
    "state_active": _("Chatting with {name}"),
    "state_ended": _("Chat ended"),
    "connecting": _("Connecting…"),
    "reconnecting": _("Connection lost. Reconnecting…"),
    "unavailable": _("The chat is not available on this site."),
    "articles": _("Articles that may help"),
    "resolved": _("That solved it"),
    "handover": _("Talk to a person"),
    "details": _("Your details"),
    "details_hint": _(
        "Leave your name and email so we can reach you. We will send a link to confirm the email."
    ),
    "name": _("Name"),
    "email": _("Email"),
    "save": _("Save"),
    "cancel": _("Cancel"),
    "details_saved": _("Thanks! Check your inbox for a link to confirm your email."),
    "details_thanks": _("Thanks! Your details are saved."),
    "details_limited": _(
        "Thanks! Your details are saved; we could not send the confirmation link just now."
    ),
    "invalid_email": _("Enter a valid email address."),
    "end": _("End chat"),
    "end_confirm": _("End this chat?"),
    "end_yes": _("Yes, end it"),
    "ended": _("This chat has ended. Thank you!"),
    "download": _("Download transcript"),
    "email_transcript": _("Email me the transcript"),
    "transcript_sent": _("The transcript is on its way to your email."),
    "transcript_limited": _("The transcript was sent a moment ago. Try again in a minute."),
    "transcript_unverified": _(
        "We email the transcript only to a confirmed address: give your email in “Your "
        "details” and follow the link we send, or download the transcript."
    ),
    "new_chat": _("Write again"),
    "offline_title": _("No one is available to chat right now"),
    "offline_hint": _("Leave a message and we will answer by email."),
    "message": _("Message"),
    "offline_send": _("Send message"),
    "offline_sent": _("Thanks! We received your message and will answer by email."),
    "new_message": _("New message from {name}: {text}"),
    "attachment": _("Attachment"),
    "error": _("Something went wrong. Please try again."),
    "file_too_large": _("This file is too large."),
    "file_type": _("Only images and PDF files can be sent."),
    "too_long": _("This message is too long."),
    "empty": _("Write a message first."),
    "survey_title": _("How did we do?"),
    "survey_score": _("Your score"),
    "survey_send": _("Send my answer"),
    "survey_choose": _("Choose a score first."),
    "survey_thanks": _("Thank you for your answer!"),
    "survey_closed": _("This survey is closed. Thank you all the same."),
}


def _colour_ink(colour: str) -> str:
    """Black or white, whichever reads better on the channel's colour (WCAG relative luminance)."""
    try:
        rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        return "#ffffff"
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with white is (1.05) / (L + 0.05), with black (L + 0.05) / 0.05: equal at L ~ 0.179.
    return "#111111" if luminance > 0.179 else "#ffffff"


def frame_config(context) -> dict:
    """The frame's settings from the context of the server's view (docs/chat.md)."""
    channel = context["channel"]
    colour = channel.color if HEX_COLOUR.fullmatch(channel.color or "") else DEFAULT_COLOUR
    strings = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            strings[code] = {key: str(text) for key, text in FRAME_STRINGS.items()}
    return {
        "key": channel.public_key,
        "name": channel.name,
        "language": context.get("language", settings.LANGUAGE_CODE),
        "color": colour,
        "ink": _colour_ink(colour),
        "greetings": {"pt-br": channel.greeting_pt_br, "en": channel.greeting_en},
        "bot_enabled": channel.bot_enabled,
        "strings": strings,
        "socket": context["ws_path"],
        "api": context["api"],
        "max_message_chars": context["max_message_chars"],
        "max_upload_bytes": context["max_upload_bytes"],
        "upload_types": list(context["upload_types"]),
    }


@register.simple_tag(takes_context=True)
def chat_frame_config(context):
    """`<script type="application/json" id="jornada-chat-config">` for frame.js."""
    return json_script(frame_config(context), "jornada-chat-config")


@register.simple_tag(takes_context=True)
def chat_widget_script(context, channel):
    """The tag a host page adds to embed `channel` (the demo page, the customer portal)."""
    return mark_safe(widget_snippet(channel, origin=origin_of(context["request"])))


@register.simple_tag(takes_context=True)
def portal_chat_widget(context):
    """The customer portal's chat (its customers are recognised by their session): nothing when
    no chat channel is active."""
    channel = portal_chat_channel()
    return chat_widget_script(context, channel) if channel else ""
