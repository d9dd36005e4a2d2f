"""The chat as a channel like the others: a visitor's message is stored as an InboundEvent (JSON,
written by services.chat_message_receive) and parsed here into a NormalizedMessage; an agent's
reply is "sent" by ringing the session's doorbell (the visitor's tabs read it from the
database); the session's bookkeeping follows each message received."""

import base64
import json

from django.http import HttpRequest

from tickets.inbound import SENDER_AUTH, SENDER_AUTHENTICATED, InboundAttachment, NormalizedMessage
from tickets.models import CustomerIdentity, Message
from tickets.sanitize import single_line

from ..base import BaseChannelAdapter, ChannelError, ParsedItem

SUBJECT_CHARS = 80


def encode_visitor_message(
    *,
    chat_channel_id: int,
    visitor: str,
    client_id: str,
    text: str,
    language: str,
    name: str = "",
    attachments: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """The raw form of a visitor's message, as stored in the InboundEvent."""
    return json.dumps(
        {
            "chat_channel": chat_channel_id,
            "visitor": visitor,
            "client_id": client_id,
            "text": text,
            "language": language,
            "name": name,
            "attachments": [
                {
                    "filename": filename,
                    "content_type": content_type,
                    "content": base64.b64encode(content).decode("ascii"),
                }
                for filename, content_type, content in attachments
            ],
        },
        ensure_ascii=False,
    ).encode("utf-8")


def subject_of(text: str, attachments: tuple[InboundAttachment, ...]) -> str:
    line = single_line(text)
    if len(line) > SUBJECT_CHARS:
        line = line[: SUBJECT_CHARS - 1].rstrip() + "…"
    return line or (attachments[0].filename if attachments else "Chat")


class ChatAdapter(BaseChannelAdapter):
    channel = "chat"
    # A send is a write in our own database and a visitor is waiting for it: one that met a busy
    # database is tried again within seconds.
    RETRY_AFTER = 2

    def verify(self, request: HttpRequest) -> None:
        """The consumer and the chat's views check the signed visitor token before storing."""

    def parse(self, event) -> list[ParsedItem]:
        try:
            data = json.loads(bytes(event.raw))
            attachments = tuple(
                InboundAttachment(
                    filename=item["filename"],
                    content_type=item["content_type"],
                    content=base64.b64decode(item["content"]),
                )
                for item in data.get("attachments", [])
            )
            text = str(data.get("text", ""))
            return [
                NormalizedMessage(
                    channel="chat",
                    sender_kind=CustomerIdentity.Kind.CHAT_VISITOR,
                    sender_value=str(data["visitor"]),
                    sender_name=str(data.get("name", "")),
                    subject=subject_of(text, attachments),
                    body_text=text,
                    external_id=event.provider_id,
                    attachments=attachments,
                    language=str(data.get("language", "")),
                    metadata={
                        "chat": {
                            "chat_channel": int(data["chat_channel"]),
                            "client_id": str(data["client_id"]),
                        },
                        "inbound_event_id": event.pk,
                        # The visitor token is ours, signed: it proves the visitor, not a name.
                        SENDER_AUTHENTICATED: True,
                        SENDER_AUTH: {"reason": "the chat's signed visitor token"},
                    },
                )
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise ChannelError(f"Unreadable chat message: {exc}", permanent=True) from exc

    def received(self, item: NormalizedMessage, result) -> None:
        """A visitor's message is on its ticket: open (or reopen) the ticket's chat session, in
        the same transaction."""
        from ...services.chat import chat_session_record_message

        chat_session_record_message(
            item=item, ticket=result.ticket, created=result.created_ticket,
            message_id=result.message.pk,
        )  # fmt: skip

    def send(self, message: Message) -> str:
        """An agent's reply, the bot's articles or a notice: already in the database, so
        delivering it is ringing the session's doorbell (and an agent's first reply brings the
        chat to them). Delivered even to a visitor who is away: they read it when they come back."""
        from ...services.chat import chat_message_sent

        chat_message_sent(message=message)
        return f"chat:out:{message.pk}"
