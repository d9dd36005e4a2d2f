"""The visitor's HTTP side of the chat (docs/chat.md): the widget's frame page, which only the chat
channel's allowed origins may embed, the transcript download and the verification link of a
claimed email. The long-poll fallback, uploads and the offline form are in api.py."""

import re

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from ... import selectors, services
from . import tokens
from .protocol import MAX_MESSAGE_CHARS, UPLOAD_TYPES

ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")


def _channel_or_404(public_key: str):
    channel = selectors.chat_channel_by_key(public_key)
    if channel is None:
        raise Http404
    return channel


def frame_ancestors(channel) -> str:
    """The CSP that lets the allowed origins (and the desk itself) embed the frame."""
    origins = [origin for origin in channel.origins if ORIGIN.match(origin)]
    return " ".join(["frame-ancestors 'self'", *origins])


def _language(request) -> str:
    asked = request.GET.get("lang", "")
    try:
        return translation.get_supported_language_variant(asked) if asked else request.LANGUAGE_CODE
    except LookupError:
        return request.LANGUAGE_CODE


@xframe_options_exempt
@require_GET
def chat_widget_frame(request, public_key: str):
    """The chat UI inside the host page's iframe. The only page without X-Frame-Options: its
    Content-Security-Policy names who may frame it."""
    channel = _channel_or_404(public_key)
    language = _language(request)
    with translation.override(language):
        response = render(
            request,
            "chat/widget_frame.html",
            {
                "channel": channel,
                "public_key": channel.public_key,
                "language": language,
                "greeting": channel.greeting(language),
                "ws_path": f"/ws/chat/?key={channel.public_key}",
                "api": {
                    name: reverse(f"chat-{name}", args=[channel.public_key])
                    for name in ("send", "poll", "upload", "offline")
                }
                | {"transcript": reverse("chat-transcript")},
                "max_message_chars": MAX_MESSAGE_CHARS,
                "max_upload_bytes": settings.JORNADA["ATTACHMENT_MAX_BYTES"],
                "upload_types": sorted(UPLOAD_TYPES),
            },
        )
    response["Content-Security-Policy"] = frame_ancestors(channel)
    return response


@require_GET
def chat_transcript(request):
    """The visitor's conversation as a text file: only the conversation their token names."""
    token = request.GET.get("token", "")
    found = selectors.chat_visitor_for_token(token)
    if found is None:
        raise Http404
    channel, visitor = found
    session = selectors.chat_session_for_visitor(channel=channel, visitor=visitor.id)
    if session is None:
        raise Http404
    language = session.language
    with translation.override(language):
        text = services.chat_transcript_text(session=session)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    filename = f"chat-{session.ticket.number}.txt"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def chat_verify_email(request, signed: str):
    """The link mailed to an email a visitor gave: following it proves the address."""
    found = tokens.claim_from_verify_link(signed)
    claim = services.chat_contact_verify(claim_id=found[0], email=found[1]) if found else None
    return render(
        request,
        "chat/email_verified.html",
        {"verified": claim is not None, "title": _("Email address confirmed")},
        status=200 if claim is not None else 400,
    )


@require_GET
def chat_file(request, signed: str):
    """A file of a chat conversation, for that conversation's visitor."""
    found = tokens.file_from_link(signed)
    attachment = selectors.chat_attachment_for_visitor(*found) if found else None
    if attachment is None:
        raise Http404
    from tickets.storage import attachment_response

    return attachment_response(attachment)
