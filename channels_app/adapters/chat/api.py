"""The chat without a websocket (docs/chat.md): the long-poll fallback (send, poll), file uploads
and the offline form. The visitor token in each request is the credential (a frame inside a
third-party page may get no cookie at all), so these views need no CSRF cookie; an Origin header,
when a browser sends one, must be allowed as on the websocket.

Under nginx, /chat/api/ goes to the ASGI server (deploy/nginx.conf): a poll waits up to 25 s
without holding a thread."""

import asyncio
import json
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tickets.models import Channel

from ... import selectors, services
from ...realtime import chat_group, chat_visitor_group
from ...throttle import over_limit
from ..webform.adapter import encode_submission
from . import handler, tokens
from .consumer import origin_allowed
from .protocol import MAX_FRAME_BYTES, MAX_MESSAGE_CHARS, UPLOAD_TYPES

POLL_SECONDS = 25
OFFLINE_PER_ADDRESS = 5  # offline messages per client address...
OFFLINE_WINDOW = 600  # ...per ten minutes
# The first bytes of the files a visitor may send, whatever type their browser claims.
SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
}


def _refused(code: str, message: str, status: int, **details) -> JsonResponse:
    return JsonResponse(handler.error(code, message, **details), status=status)


def _checked(request, public_key: str):
    """The chat channel, or an error response: unknown key (404), refused origin (403)."""
    channel = selectors.chat_channel_by_key(public_key)
    if channel is None:
        return None, _refused("unknown_channel", "", 404)
    origin = request.headers.get("Origin")
    if origin and not origin_allowed(origin, channel):
        return None, _refused("origin_refused", "", 403)
    return channel, None


def _conversation(channel, token, language: str, after: int = 0):
    visitor = tokens.visitor_from_token(token, channel_id=channel.pk)
    if visitor is None:
        return None
    return handler.Conversation(
        channel=channel, visitor=visitor, token=token, language=handler.language_of(language),
        last_id=after,
    )  # fmt: skip


@csrf_exempt
@require_POST
def chat_send(request, public_key: str):
    """One client frame as JSON (with "token", except a hello without one); the server frames it
    produced, as a list. New messages come through poll."""
    channel, refused = _checked(request, public_key)
    if refused:
        return refused
    if len(request.body) > MAX_FRAME_BYTES:
        return _refused("bad_message", "", 400)
    try:
        frame = json.loads(request.body)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        return _refused("bad_message", "", 400)
    base = request.build_absolute_uri("/").rstrip("/")
    if frame.get("type") == "hello":
        _conv, frames = handler.hello(
            channel=channel, frame=frame, user=request.user, link_base=base
        )
        return JsonResponse(frames, safe=False)
    conversation = _conversation(channel, frame.get("token"), frame.get("lang", ""))
    if conversation is None:
        return _refused("bad_token", "", 403)
    conversation.link_base = base
    frames = handler.handle(conversation, frame)
    return JsonResponse(frames + conversation.deferred, safe=False)


def _catch_up(conversation) -> list:
    with translation.override(conversation.language):
        return handler.catch_up(conversation)


def _rung_frame(event: dict) -> dict | None:
    if event.get("type") == "chat.typing":
        return {"type": "typing", "from": "agent", "on": bool(event.get("on"))}
    if event.get("type") == "chat.read":
        return {"type": "read", "up_to": event.get("up_to"), "by": "agent"}
    return None


@require_GET
async def chat_poll(request, public_key: str):
    """The messages after `after`, waiting up to 25 s (`wait`, at most that) for one to come;
    then the conversation's state. {"frames": [...]}."""
    channel, refused = await sync_to_async(_checked)(request, public_key)
    if refused:
        return refused
    after = request.GET.get("after", "0")
    conversation = await sync_to_async(_conversation)(
        channel,
        request.GET.get("token", ""),
        request.GET.get("lang", ""),
        int(after) if after.isdigit() and len(after) < 19 else 0,
    )
    if conversation is None:
        return _refused("bad_token", "", 403)
    wait = request.GET.get("wait", "")
    wait = min(POLL_SECONDS, int(wait)) if wait.isdigit() and len(wait) < 4 else POLL_SECONDS
    frames = await sync_to_async(_catch_up)(conversation)
    layer = get_channel_layer()
    if not frames and wait and layer is not None:
        frames = await _wait_for_bell(layer, conversation, wait)
    frames.append(await sync_to_async(handler.state)(conversation))
    if conversation.state == "ended":
        frames += await sync_to_async(handler.survey)(conversation)
    return JsonResponse({"frames": frames})


async def _wait_for_bell(layer, conversation, wait: int) -> list:
    name = await layer.new_channel()
    groups = [chat_visitor_group(conversation.visitor.id)]
    if conversation.session_id is not None:
        groups.append(chat_group(conversation.session_id))
    for group in groups:
        await layer.group_add(group, name)
    frames = []
    try:
        frames = await sync_to_async(_catch_up)(conversation)  # what came while joining
        if not frames:
            async with asyncio.timeout(wait):
                rung = _rung_frame(await layer.receive(name))
            frames = ([rung] if rung else []) + await sync_to_async(_catch_up)(conversation)
    except TimeoutError:
        pass
    finally:
        for group in groups:
            await layer.group_discard(group, name)
    return frames


def _file_type(upload) -> str | None:
    """The file's type when it is one the chat takes and its content says so."""
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if declared not in UPLOAD_TYPES:
        return None
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(SIGNATURES[declared]):
        return None
    if declared == "image/webp" and head[8:12] != b"WEBP":
        return None
    return declared


@csrf_exempt
@require_POST
def chat_upload(request, public_key: str):
    """A file from the visitor (multipart: token, client_id, file): images and PDF within the
    attachment limit, stored and acknowledged like a message."""
    channel, refused = _checked(request, public_key)
    if refused:
        return refused
    conversation = _conversation(
        channel, request.POST.get("token", ""), request.POST.get("lang", "")
    )
    if conversation is None:
        return _refused("bad_token", "", 403)
    upload = request.FILES.get("file")
    with translation.override(conversation.language):
        if upload is None:
            return _refused("bad_message", _("No file was sent."), 400)
        limit = settings.JORNADA["ATTACHMENT_MAX_BYTES"]
        if upload.size > limit:
            return _refused(
                "file_too_large",
                _("Files may have up to %(size)s MB.") % {"size": limit // (1024 * 1024)},
                400,
            )
        content_type = _file_type(upload)
        if content_type is None:
            return _refused("file_type", _("Only images (PNG, JPEG, GIF, WebP) and PDF."), 400)
        frame = {"client_id": request.POST.get("client_id"), "text": request.POST.get("text", "")}
        attachment = (upload.name[:255] or "file", content_type, upload.read())
        frames = handler.message(conversation, frame, attachments=[attachment])
    ack = frames[0]
    status = 200 if ack["type"] == "ack" else 429 if ack["code"] == "rate_limited" else 400
    return JsonResponse(ack, status=status)


@csrf_exempt
@require_POST
def chat_offline(request, public_key: str):
    """The widget's form when no one can chat: a message answered by email, exactly as the web
    contact form's (the typed email is a claim; replies go to it as they do for the form)."""
    channel, refused = _checked(request, public_key)
    if refused:
        return refused
    try:
        data = json.loads(request.body) if request.content_type == "application/json" else None
    except ValueError:
        data = None
    data = data if isinstance(data, dict) else request.POST
    language = handler.language_of(data.get("lang") or request.LANGUAGE_CODE)
    with translation.override(language):
        fields = {name: str(data.get(name) or "").strip() for name in ("name", "email", "message")}
        errors = {}
        try:
            fields["email"] = services.checked_email(fields["email"])
        except services.InvalidEmail:
            errors["email"] = _("Enter a valid email address.")
        if not fields["message"] or len(fields["message"]) > MAX_MESSAGE_CHARS:
            errors["message"] = _("Write a message of up to %(max)s characters.") % {
                "max": MAX_MESSAGE_CHARS
            }
        if errors:
            return _refused("invalid", _("Check the form."), 400, fields=errors)
        address = request.META.get("REMOTE_ADDR", "")
        key = f"jornada:chat-offline:{address}"
        if over_limit(key, limit=OFFLINE_PER_ADDRESS, window=OFFLINE_WINDOW):
            return _refused(
                "rate_limited", _("Too many messages. Please try again in a few minutes."), 429
            )
        raw = encode_submission(
            name=fields["name"][:200],
            email=fields["email"],
            subject=_("Message left in the chat: %(channel)s") % {"channel": channel.name},
            body=fields["message"],
            attachments=[],
            meta={
                "ip": address,
                "user_agent": request.headers.get("User-Agent", "")[:300],
                "language": language,
                "chat_channel": channel.public_key,
            },
        )
    client_id = str(data.get("client_id") or "")
    provider_id = (
        f"chat-offline:{client_id if handler.CLIENT_ID.match(client_id) else uuid.uuid4()}"
    )
    services.inbound_event_store(
        channel=Channel.WEB, source=f"chat-offline:{channel.public_key}", provider_id=provider_id,
        raw=raw,
    )  # fmt: skip
    return JsonResponse({"ok": True})
