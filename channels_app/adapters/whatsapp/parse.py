"""Reading WhatsApp Cloud API webhooks.

`split_webhook` cuts one POST into one piece per message, status or echo, each with the context
it needs (the business number, the sender's contact card) and an id that stays the same however
often Meta delivers it: the pipeline stores each piece as an InboundEvent, so a retried webhook
never makes a second message. `parse_payload` turns a piece (or a whole webhook) into what it
carries for the pipeline."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from tickets.identities import InvalidIdentity, normalize_phone
from tickets.inbound import NormalizedMessage
from tickets.models import Message

from ..base import Annotation, ChannelError, DeliveryUpdate, Ignored, ParsedItem, without_nul

CHANNEL = "whatsapp"
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
STATUSES = {
    "sent": Message.DeliveryStatus.SENT,
    "delivered": Message.DeliveryStatus.DELIVERED,
    "read": Message.DeliveryStatus.READ,
    "played": Message.DeliveryStatus.READ,  # a voice message listened to
    "failed": Message.DeliveryStatus.FAILED,
}
QUOTE_LIMIT = 1000
TEXT_LIMIT = 300  # for the short strings of menus, buttons and ads


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def split_webhook(payload: Any, raw: bytes) -> list[tuple[str, bytes]]:
    """(provider id, raw piece) for each message, status and echo in a webhook body. A body
    with none of them (other notifications, or a shape we do not know) stays whole, and so does
    a body that is already one piece (most are: one message, or one status)."""
    if b"\\u0000" in raw:  # JSON can only carry a NUL escaped: most bodies need no walk
        payload = without_nul(payload)
    elif (single := _single_piece_id(payload)) is not None:
        return [(single, raw)]
    try:
        pieces = []
        for entry in payload.get("entry") or []:
            for change in entry.get("changes") or []:
                value = change.get("value") or {}
                shared = {
                    key: item
                    for key, item in value.items()
                    if key not in ("messages", "statuses", "message_echoes", "contacts")
                }
                contacts = value.get("contacts") or []
                parts = []
                for message in value.get("messages") or []:
                    sender = [c for c in contacts if c.get("wa_id") == message.get("from")]
                    parts.append(
                        (
                            _id("wamid", message),
                            {"contacts": sender or contacts, "messages": [message]},
                        )
                    )
                for status in value.get("statuses") or []:
                    parts.append((_status_id(status), {"statuses": [status]}))
                for echo in value.get("message_echoes") or []:
                    parts.append((_id("echo", echo), {"message_echoes": [echo]}))
                for provider_id, part in parts or [("", {"contacts": contacts})]:
                    piece = _dumps(
                        {
                            "object": payload.get("object"),
                            "entry": [
                                {
                                    "id": entry.get("id"),
                                    "changes": [
                                        {"field": change.get("field"), "value": {**shared, **part}}
                                    ],
                                }
                            ],
                        }
                    )
                    pieces.append((provider_id or f"sha256:{_sha256(piece)}", piece))
    except (AttributeError, TypeError):
        return [(f"sha256:{_sha256(raw)}", raw)]
    return pieces or [(f"sha256:{_sha256(raw)}", raw)]


def _single_piece_id(payload: Any) -> str | None:
    """The provider id of a body that holds exactly one message, status or echo, with no contact
    card but its sender's: what split_webhook would cut from it is the body itself, whose bytes
    as Meta sent them are then kept instead of a copy written again. None otherwise."""
    try:
        (entry,) = payload["entry"]
        (change,) = entry["changes"]
        value = change["value"]
        kinds = [key for key in ("messages", "statuses", "message_echoes") if value.get(key)]
        if len(kinds) != 1 or len(value[kinds[0]]) != 1:
            return None
        (item,) = value[kinds[0]]
        contacts = value.get("contacts") or []
        if kinds[0] == "messages":
            if any(c.get("wa_id") != item.get("from") for c in contacts):
                return None
            return _id("wamid", item) or None
        if contacts:
            return None
        return (_status_id(item) if kinds[0] == "statuses" else _id("echo", item)) or None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _id(prefix: str, item: dict) -> str:
    return f"{prefix}:{item['id']}" if isinstance(item.get("id"), str) and item["id"] else ""


def _status_id(status: dict) -> str:
    return f"status:{status['id']}:{status.get('status')}" if _id("", status) else ""


def status_provider_ids(wamid: str) -> list[str]:
    """The provider ids the statuses of one of our messages are stored under."""
    return [f"status:{wamid}:{name}" for name in STATUSES]


def parse_payload(payload: Any, *, event_id: int | None = None) -> list[ParsedItem]:
    payload = without_nul(payload)
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ChannelError("Not a WhatsApp webhook: no entry list", permanent=True)
    items: list[ParsedItem] = []
    for entry in payload["entry"]:
        for change in entry.get("changes") or []:
            field, value = change.get("field"), change.get("value") or {}
            if field not in ("messages", "smb_message_echoes"):
                items.append(Ignored(f"WhatsApp {field} notification: nothing to do"))
                continue
            metadata = value.get("metadata") or {}
            for message in value.get("messages") or []:
                items.append(_message(message, value, metadata, event_id))
            items += [_status(status) for status in value.get("statuses") or []]
            for echo in value.get("message_echoes") or []:
                items.append(
                    Ignored(f"{echo.get('type')} sent from the WhatsApp Business app itself")
                )
            if not any(value.get(key) for key in ("messages", "statuses", "message_echoes")):
                errors = "; ".join(_error_text(error) for error in value.get("errors") or [])
                items.append(Ignored(f"WhatsApp notification without messages. {errors}".strip()))
    return items


def _error_text(error: dict) -> str:
    title = error.get("title") or error.get("message") or "Error"
    details = (error.get("error_data") or {}).get("details") or ""
    text = f"{title} (code {error.get('code')})"
    return f"{text}: {details}" if details and details != title else text


def _status(status: dict) -> ParsedItem:
    name, wamid = status.get("status"), status.get("id")
    if name not in STATUSES or not wamid or not isinstance(wamid, str):
        return Ignored(f"WhatsApp status {name!r} for {wamid}: not a delivery status we track")
    error = "; ".join(_error_text(error) for error in status.get("errors") or [])
    return DeliveryUpdate((wamid,), STATUSES[name], error)


def _sent_at(message: dict) -> datetime | None:
    try:
        sent = datetime.fromtimestamp(int(message.get("timestamp")), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return min(sent, timezone.now())  # a clock ahead must not date messages in the future


def _sender(message: dict) -> str:
    try:
        return normalize_phone(f"+{str(message.get('from') or '').lstrip('+')}")
    except InvalidIdentity as exc:
        raise ChannelError(
            f"WhatsApp message without a usable sender: {exc}", permanent=True
        ) from exc


def _profile_name(value: dict, wa_id: str) -> str:
    contacts = value.get("contacts") or []
    mine = [c for c in contacts if c.get("wa_id") == wa_id]
    return str(((mine[0].get("profile") or {}).get("name") or "") if mine else "")[:200]


def _message(message: dict, value: dict, metadata: dict, event_id: int | None) -> ParsedItem:
    kind = message.get("type") or "unknown"
    sender = _sender(message)
    wa_id = str(message.get("from"))
    if kind == "system":
        system = message.get("system") or {}
        return Ignored(f"WhatsApp system notice: {system.get('body') or system.get('type')}")
    if kind == "reaction":
        return _reaction(message, sender, wa_id)
    if kind in ("edit", "revoke"):
        return _change(kind, message, value, metadata, sender, event_id)
    return _normalized(message, value, metadata, sender, event_id)


def _reaction(message: dict, sender: str, wa_id: str) -> ParsedItem:
    reaction = message.get("reaction") or {}
    target = reaction.get("message_id")
    if not target or not isinstance(target, str):
        return Ignored("WhatsApp reaction without the message it reacts to")
    emoji = str(reaction.get("emoji") or "")[:16]
    return Annotation(
        channel=CHANNEL,
        external_id=target,
        sender_kind="whatsapp",
        sender_value=sender,
        changes={"reactions": {wa_id: emoji or None}},  # no emoji: the reaction was taken back
        description=f"reaction {emoji or '(removed)'}",
        sent_at=_sent_at(message),
    )


def _change(
    kind: str, message: dict, value: dict, metadata: dict, sender: str, event_id: int | None
) -> ParsedItem:
    detail = message.get(kind) or {}
    original = detail.get("original_message_id")
    original = original if isinstance(original, str) else ""  # an id, or nothing we can look up
    at = (_sent_at(message) or timezone.now()).isoformat()
    if kind == "revoke":
        if not original:
            return Ignored("WhatsApp deletion without the message deleted")
        return Annotation(
            channel=CHANNEL,
            external_id=original,
            sender_kind="whatsapp",
            sender_value=sender,
            changes={"whatsapp": {"deleted_at": at}},
            description="deleted by the customer",
            sent_at=_sent_at(message),
        )
    edited = {**(detail.get("message") or {}), "from": message.get("from")}
    edited.setdefault("id", message.get("id"))
    edited.setdefault("timestamp", message.get("timestamp"))
    new_version = _normalized(edited, value, metadata, sender, event_id, edit_of=original)
    if not original:
        return new_version
    return Annotation(
        channel=CHANNEL,
        external_id=original,
        sender_kind="whatsapp",
        sender_value=sender,
        changes={"whatsapp": {"edited_at": at, "edited_text": new_version.body_text}},
        description="edited by the customer",
        fallback=new_version,
        sent_at=_sent_at(message),
    )


def _normalized(
    message: dict,
    value: dict,
    metadata: dict,
    sender: str,
    event_id: int | None,
    edit_of: str = "",
) -> NormalizedMessage:
    kind = message.get("type") or "unknown"
    wa_id = str(message.get("from"))
    extra: dict[str, Any] = {
        "type": kind,
        "wa_id": wa_id,
        "phone_number_id": str(metadata.get("phone_number_id") or ""),
        "display_phone_number": str(metadata.get("display_phone_number") or ""),
    }
    body, media = _content(kind, message, extra)
    errors = [*(message.get("errors") or []), *(value.get("errors") or [])]
    if errors:
        extra["errors"] = [_error_text(error) for error in errors]
    context = message.get("context") or {}
    if context.get("forwarded") or context.get("frequently_forwarded"):
        extra["forwarded"] = "frequently" if context.get("frequently_forwarded") else "yes"
    if isinstance(message.get("referral"), dict):
        extra["referral"] = _strings(
            message["referral"],
            "source_url", "source_type", "source_id", "headline", "body", "media_type",
            "image_url", "video_url", "thumbnail_url", "ctwa_clid",
        )  # fmt: skip
    if edit_of:
        extra["edit_of"] = edit_of
    meta: dict[str, Any] = {"whatsapp": extra}
    if event_id:
        meta["inbound_event_id"] = event_id
    if media:
        meta["media"] = {"status": "pending", "items": [media]}
    quoted_id = context.get("id") if isinstance(context.get("id"), str) else ""
    if quoted_id:
        extra["in_reply_to"] = quoted_id
        quoted = (
            Message.objects.filter(channel=CHANNEL, external_id=quoted_id)
            .values_list("body_text", flat=True)
            .first()
        )
        if quoted:
            meta["quoted_text"] = quoted[:QUOTE_LIMIT]
    return NormalizedMessage(
        channel=CHANNEL,
        sender_kind="whatsapp",
        sender_value=sender,
        sender_name=_profile_name(value, wa_id),
        subject=(body.strip().splitlines() or [""])[0][:80],
        body_text=body,
        external_id=str(message.get("id") or "")[:255],
        reply_to_ids=(quoted_id,) if quoted_id else (),
        sent_at=_sent_at(message),
        metadata=meta,
    )


def _strings(data: dict, *keys: str) -> dict[str, str]:
    return {key: str(data[key])[: TEXT_LIMIT * 4] for key in keys if data.get(key)}


def _content(kind: str, message: dict, extra: dict) -> tuple[str, dict | None]:
    """The text an agent reads for a message of this type, and the media it announces. Details
    an agent may need go into `extra` (the message's metadata["whatsapp"])."""
    data = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return str(data.get("body") or ""), None
    if kind in MEDIA_TYPES and data.get("id"):
        media = {
            "id": str(data["id"]),
            "kind": kind,
            "mime_type": str(data.get("mime_type") or ""),
            "sha256": str(data.get("sha256") or ""),
            "filename": str(data.get("filename") or "")[:200],
        }
        for flag in ("voice", "animated"):
            if data.get(flag):
                media[flag] = True
        return str(data.get("caption") or ""), media
    if kind == "location":
        extra["location"] = {
            **_strings(data, "name", "address", "url"),
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
        }
        lines = [data.get("name"), data.get("address"), data.get("url")]
        if data.get("latitude") is not None and data.get("longitude") is not None:
            lines.append(
                f"https://www.openstreetmap.org/?mlat={data['latitude']}&mlon={data['longitude']}"
            )
        return "\n".join(str(line) for line in lines if line), None
    if kind == "contacts":
        return _contacts(message.get("contacts") or [], extra), None
    if kind == "interactive":
        reply_type = data.get("type")
        reply = data.get(reply_type) if isinstance(data.get(reply_type), dict) else {}
        if reply_type in ("button_reply", "list_reply"):
            extra["interactive"] = {"type": reply_type, **_strings(reply, "id", "title")}
            text = [reply.get("title"), reply.get("description")]
            return "\n".join(str(part)[:TEXT_LIMIT] for part in text if part), None
        if reply_type == "nfm_reply":
            extra["interactive"] = {"type": reply_type, **_strings(reply, "name", "body")}
            try:
                extra["interactive"]["response"] = json.loads(reply.get("response_json") or "{}")
            except ValueError:
                extra["interactive"]["response"] = reply.get("response_json")
            return str(reply.get("body") or ""), None
    if kind == "button":
        extra["button"] = _strings(data, "payload", "text")
        return str(data.get("text") or "")[:TEXT_LIMIT], None
    if kind == "order":
        extra["order"] = data
        lines = [
            f"{item.get('quantity')} × {item.get('product_retailer_id')}"
            f" ({item.get('item_price')} {item.get('currency')})"
            for item in data.get("product_items") or []
        ]
        return "\n".join([*lines, str(data.get("text") or "")]).strip(), None
    extra["unsupported"] = True  # shown as "unsupported message": kept, never a crash
    return "", None


def _contacts(cards: list, extra: dict) -> str:
    extra["contacts"] = []
    lines = []
    for card in cards[:20]:
        name = (card.get("name") or {}).get("formatted_name") or ""
        phones = [
            {"phone": str(p.get("phone") or ""), "wa_id": str(p.get("wa_id") or "")}
            for p in card.get("phones") or []
        ]
        emails = [str(e.get("email") or "") for e in card.get("emails") or []]
        extra["contacts"].append({"name": name, "phones": phones, "emails": emails})
        lines.append(
            " · ".join(part for part in [name, *(p["phone"] for p in phones), *emails] if part)
        )
    return "\n".join(lines)
