"""Agent replies on WhatsApp: POST {WHATSAPP_API_BASE}/{phone_number_id}/messages.

A reply becomes one Graph message per part: its text (split when longer than WhatsApp allows)
and each attachment, uploaded first, the text riding as the caption of the first one when it
fits. Parts already sent are remembered on the message, so a retry after a failure half-way
sends only what is missing. A template (outside the 24-hour window) or an interactive message
(buttons, a list) is a single part."""

from django.conf import settings

from channels_app.http import multipart
from tickets import services as ticket_services
from tickets.models import Attachment, CustomerIdentity, Message

from ..base import PART_IDS, ChannelError, sent_part_ids
from . import graph, media

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CAPTION_KINDS = ("image", "video", "document")
PROGRESS = "whatsapp_parts"  # metadata key: part -> wamid (or "upload:<pk>" -> media id)


def _last_inbound(message: Message) -> Message | None:
    return (
        Message.objects.filter(
            ticket_id=message.ticket_id,
            channel="whatsapp",
            direction=Message.Direction.INBOUND,
            author_customer_id=message.ticket.customer_id,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def recipient(message: Message) -> tuple[str, str]:
    """(wa_id to write to, phone_number_id to write from): the number the customer last wrote
    from and to on this ticket, else their WhatsApp (or phone) number and our default number."""
    last = _last_inbound(message)
    details = (last.metadata.get("whatsapp") or {}) if last else {}
    wa_id = details.get("wa_id")
    if not wa_id:
        number = (
            CustomerIdentity.objects.filter(
                customer_id=message.ticket.customer_id, kind__in=("whatsapp", "phone")
            )
            .order_by("-kind", "pk")  # whatsapp before phone
            .values_list("value", flat=True)
            .first()
        )
        if not number:
            raise ChannelError(
                "The customer has no WhatsApp number.", permanent=True, code="no_address"
            )
        wa_id = number.lstrip("+")
    phone_number_id = details.get("phone_number_id") or settings.WHATSAPP_PHONE_NUMBER_ID
    if not phone_number_id:
        raise ChannelError("WHATSAPP_PHONE_NUMBER_ID is not set.", permanent=True, code="config")
    return wa_id, graph.graph_id(phone_number_id, "phone number id")


def _chunks(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    chunks = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*chunks, text] if text.strip() else chunks


def _media_kind(content_type: str) -> str:
    base = content_type.split(";", 1)[0].strip().lower()
    for kind in ("image", "audio", "video"):
        if base in media.ALLOWED_TYPES[kind]:
            return kind
    return "document"


def _template_part(template: dict) -> dict:
    body = {"name": template["name"], "language": {"code": template["language"]}}
    params = template.get("params") or []
    if params:
        parameters = [{"type": "text", "text": str(value)} for value in params]
        body["components"] = [{"type": "body", "parameters": parameters}]
    return {"type": "template", "template": body}


def parts(message: Message) -> list[tuple[str, dict, Attachment | None]]:
    """(key, Graph message without the recipient, attachment to upload or None), in order."""
    template = message.metadata.get("whatsapp_template")
    if template:
        return [("template", _template_part(template), None)]
    interactive = message.metadata.get("whatsapp_interactive")
    if interactive:  # buttons or a list (a survey's scores), inside the 24-hour window only
        return [("interactive", {"type": "interactive", "interactive": interactive}, None)]
    text = message.body_text.strip()
    attachments = list(message.attachments.all())
    caption = ""
    first_kind = _media_kind(attachments[0].content_type) if attachments else ""
    if first_kind in CAPTION_KINDS and len(text) <= CAPTION_LIMIT:
        caption, text = text, ""
    result = [
        (f"text:{i}", {"type": "text", "text": {"body": chunk, "preview_url": False}}, None)
        for i, chunk in enumerate(_chunks(text))
    ]
    for position, attachment in enumerate(attachments):
        kind = _media_kind(attachment.content_type)
        body: dict = {}
        if position == 0 and caption:
            body["caption"] = caption
        if kind == "document":
            body["filename"] = attachment.filename
        result.append((f"file:{attachment.pk}", {"type": kind, kind: body}, attachment))
    if not result:
        raise ChannelError("Nothing to send: the reply is empty.", permanent=True, code="empty")
    return result


def _upload(phone_number_id: str, attachment: Attachment, progress: dict) -> str:
    key = f"upload:{attachment.pk}"
    if progress.get(key):
        return progress[key]
    with attachment.file.open("rb") as handle:
        content = handle.read()
    body, content_type = multipart(
        {"messaging_product": "whatsapp", "type": attachment.content_type},
        [("file", attachment.filename, attachment.content_type, content)],
    )
    data = graph.request_json(
        "POST",
        f"{graph.api_base()}/{phone_number_id}/media",
        body=body,
        content_type=content_type,
        timeout=60.0,
    )
    media_id = str(data.get("id") or "")
    if not media_id:
        raise ChannelError("Graph API accepted the upload without a media id")
    return media_id


def _remember(message: Message, progress: dict, **new) -> None:
    progress.update(new)
    changes = {PROGRESS: new}
    sent = {wamid: key for key, wamid in new.items() if not key.startswith("upload:")}
    if sent:
        changes[PART_IDS] = sent  # found again by a status naming any part
    ticket_services.message_annotate(message=message, changes=changes)


def part_ids(message: Message) -> list[str]:
    """The wamids of every part of a message sent so far, first part first."""
    return sent_part_ids(message, PROGRESS)


def send_whatsapp_message(message: Message) -> str:
    """Send every part not sent yet; return the wamid of the first part (the message's id for
    delivery statuses)."""
    wa_id, phone_number_id = recipient(message)
    progress = dict(message.metadata.get(PROGRESS) or {})
    in_reply_to = message.metadata.get("in_reply_to")
    first_id = ""
    for key, part, attachment in parts(message):
        if not progress.get(key):
            if attachment is not None:
                media_id = _upload(phone_number_id, attachment, progress)
                if not progress.get(f"upload:{attachment.pk}"):
                    _remember(message, progress, **{f"upload:{attachment.pk}": media_id})
                part[part["type"]]["id"] = media_id
            payload = {"messaging_product": "whatsapp", "recipient_type": "individual"}
            payload |= {"to": wa_id, **part}
            if in_reply_to:
                payload["context"] = {"message_id": in_reply_to}
            data = graph.request_json(
                "POST", f"{graph.api_base()}/{phone_number_id}/messages", payload=payload
            )
            try:
                wamid = str(data["messages"][0]["id"])
            except (KeyError, IndexError, TypeError) as exc:
                raise ChannelError("Graph API accepted the message without an id") from exc
            _remember(message, progress, **{key: wamid})
        first_id = first_id or progress[key]
    return first_id
