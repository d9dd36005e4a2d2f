"""Downloading the media of an inbound WhatsApp message: media id -> short-lived URL -> bytes,
both with the access token, within size and type limits. Runs in a Celery task after the message
is stored (see channels_app.tasks.fetch_message_media)."""

import base64
import binascii
import hashlib
import mimetypes

from django.conf import settings

from tickets.inbound import InboundAttachment

from ..base import ACTIVE_CONTENT_TYPES, ChannelError
from . import graph

# What WhatsApp accepts for each kind of media (Cloud API "supported media types").
ALLOWED_TYPES = {
    "image": {"image/jpeg", "image/png"},
    "sticker": {"image/webp"},
    "audio": {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/opus"},
    "video": {"video/mp4", "video/3gpp"},
}
# Documents may be anything a customer has, except what a browser or desktop would run.


def _limit() -> int:
    return settings.JORNADA["ATTACHMENT_MAX_BYTES"]


def check_type(kind: str, mime_type: str) -> str:
    base = mime_type.split(";", 1)[0].strip().lower()
    if not base:
        raise ChannelError("The media has no content type", permanent=True, code="media_type")
    allowed = ALLOWED_TYPES.get(kind)
    if (allowed is not None and base not in allowed) or (
        allowed is None and base in ACTIVE_CONTENT_TYPES
    ):
        raise ChannelError(
            f"{kind} of type {base} is not accepted", permanent=True, code="media_type"
        )
    return base


def _check_digest(content: bytes, expected: str) -> None:
    """Meta gives the file's SHA-256 (hex or base64): a file that does not match is corrupt."""
    if not expected:
        return
    digest = hashlib.sha256(content).digest()
    try:
        given = bytes.fromhex(expected) if len(expected) == 64 else base64.b64decode(expected)
    except (ValueError, binascii.Error):
        return
    if len(given) == len(digest) and given != digest:
        raise ChannelError("The media's SHA-256 does not match", permanent=False, code="digest")


def _filename(item: dict, base_type: str) -> str:
    if item.get("filename"):
        return item["filename"]
    extension = mimetypes.guess_extension(base_type) or ""
    if base_type == "audio/ogg":
        extension = ".ogg"
    prefix = "voice" if item.get("voice") else item.get("kind") or "media"
    return f"whatsapp-{prefix}-{item['id']}{extension}"


def fetch_media_item(item: dict) -> InboundAttachment:
    media_id = graph.graph_id(str(item.get("id") or ""), "media id")
    kind = item.get("kind") or "document"
    check_type(kind, item.get("mime_type") or "application/octet-stream")
    info = graph.request_json("GET", f"{graph.api_base()}/{media_id}")
    size = int(info.get("file_size") or 0)
    if size > _limit():
        raise ChannelError(
            f"The {kind} is {size} bytes; the limit is {_limit()} bytes",
            permanent=True,
            code="media_size",
        )
    mime_type = check_type(kind, str(info.get("mime_type") or item.get("mime_type") or ""))
    url = str(info.get("url") or "")
    if not graph.media_host_allowed(url):
        raise ChannelError(
            f"Media URL outside Meta's media hosts: {url[:200]}", permanent=True, code="blocked"
        )
    response = graph.request("GET", url, max_bytes=_limit(), timeout=30.0)
    _check_digest(response.body, str(info.get("sha256") or ""))
    return InboundAttachment(
        filename=_filename(item, mime_type), content_type=mime_type, content=response.body
    )
