"""The chat protocol (docs/chat.md) without its transport: each client frame in, the server
frames out. The websocket consumer and the long-poll views both speak through it, in a thread
(it reads and writes the database).

A `Conversation` is what one connection knows: its chat channel, its visitor and the last message
id it has sent to them. Every read for a visitor goes through their own identity (selectors), so
a visitor reaches only their own conversation."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from tickets.models import Message

from ... import selectors, services
from ...models import ChatChannel, ChatSession
from ...realtime import pushes_together
from ...throttle import over_limit
from . import tokens
from .protocol import MAX_MESSAGE_CHARS, RATE_MESSAGES, RATE_WINDOW_SECONDS

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
Frames = list[dict[str, Any]]


@dataclass
class Conversation:
    channel: ChatChannel
    visitor: tokens.Visitor
    token: str
    language: str
    link_base: str = ""  # the desk's own address as the visitor reached it (links in emails)
    last_id: int = 0  # the last message id sent to this connection
    session_id: int | None = None
    ticket_id: int | None = None
    number: int | None = None
    state: str = "new"
    # Frames to send once the messages they follow are sent (the bot's articles after its
    # message): the transport sends them after its next catch-up.
    deferred: list = field(default_factory=list)

    def track(self, session: ChatSession | None) -> None:
        if session is not None:
            self.session_id, self.ticket_id = session.pk, session.ticket_id
            self.number, self.state = session.ticket.number, session.state


def error(code: str, message: str = "", **details: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, **details}


def language_of(value: Any) -> str:
    try:
        return translation.get_supported_language_variant(str(value or ""))
    except LookupError:
        return settings.LANGUAGE_CODE


# --- frames --------------------------------------------------------------------------------------


def _sender(message: Message) -> str:
    if message.direction == Message.Direction.INBOUND:
        return "visitor"
    if message.kind == Message.Kind.SYSTEM:
        return "bot" if message.metadata.get("chat") == "bot" else "system"
    return "agent"


def message_frame(message: Message, conversation: Conversation) -> dict[str, Any]:
    """A message as the visitor sees it: plain text, files behind links of their own."""
    sender = _sender(message)
    visitor = conversation.visitor.id
    if sender == "agent":
        author = selectors.agent_display_name(message.author_user)
    elif sender == "bot":
        author = _("Assistant")
    else:
        author = ""
    frame = {
        "type": "message",
        "id": message.pk,
        "client_id": (message.metadata.get("chat") or {}).get("client_id")
        if sender == "visitor"
        else None,
        "from": sender,
        "author": author,
        "text": message.body_text,
        "attachments": [
            {
                "name": attachment.filename,
                "url": reverse(
                    "chat-file",
                    args=[tokens.file_link(attachment_id=attachment.pk, visitor=visitor)],
                ),
                "size": attachment.size,
                "content_type": attachment.content_type,
            }
            for attachment in message.files
        ],
        "at": message.created_at.isoformat(),
    }
    if sender == "bot":
        frame["articles"] = message.metadata.get("articles", [])
        frame["actions"] = message.metadata.get("actions", [])
    return frame


def state_frame(session: ChatSession | None) -> dict[str, Any]:
    if session is None:
        return {"type": "state", "state": "new", "agent": None, "position": None}
    return {
        "type": "state",
        "state": session.state,
        "agent": selectors.agent_display_name(session.agent) or None,
        "position": selectors.chat_queue_position(session),
    }


# --- the frames a client sends -------------------------------------------------------------------


def hello(
    *, channel: ChatChannel, frame: dict, user=None, link_base: str = ""
) -> tuple[Conversation, Frames]:
    """Who the visitor is (a valid token of this channel, or a new one), whether a person can
    answer (mode), and everything after the id they last saw."""
    token = frame.get("token")
    visitor = tokens.visitor_from_token(token, channel_id=channel.pk)
    if visitor is None:
        token, visitor = tokens.visitor_token_new(channel_id=channel.pk)
    identity = frame.get("identity") if isinstance(frame.get("identity"), dict) else None
    if (user is not None and user.is_authenticated) or identity:
        proven = services.chat_visitor_identify(
            channel=channel, visitor=visitor, user=user, host=identity
        )
        if proven != visitor:
            visitor, token = proven, tokens.visitor_token(proven)
    conversation = Conversation(
        channel=channel, visitor=visitor, token=token, language=language_of(frame.get("lang")),
        link_base=link_base,
    )  # fmt: skip
    after = frame.get("after")
    conversation.last_id = after if isinstance(after, int) and after > 0 else 0
    session = selectors.chat_session_for_visitor(channel=channel, visitor=visitor.id)
    conversation.track(session)
    with translation.override(conversation.language):
        messages = catch_up(conversation)
        state = state_frame(session)
    welcome = {
        "type": "welcome",
        "token": token,
        "visitor": str(visitor.id),
        "session": {key: state[key] for key in ("state", "agent", "position")},
        "mode": selectors.chat_mode(channel=channel),
        "greeting": channel.greeting(conversation.language),
        "messages": messages,
        "max_message_chars": MAX_MESSAGE_CHARS,
    }
    # A survey follows an ended chat only: no read for a chat going on.
    ended = session is not None and session.state == ChatSession.State.ENDED
    return conversation, [welcome, *(survey(conversation) if ended else [])]


def survey(conversation: Conversation) -> Frames:
    """The satisfaction survey waiting for this chat, as the surveys app says (its invitation is
    the record): one `survey` frame, or none."""
    if conversation.ticket_id is None:
        return []
    with translation.override(conversation.language):
        pending = services.chat_survey_pending(
            ticket_id=conversation.ticket_id, language=conversation.language
        )
    return [{**pending, "type": "survey"}] if pending else []


def catch_up(conversation: Conversation) -> Frames:
    """The messages of the visitor's conversation after the last one this connection sent."""
    if conversation.session_id is None:
        session = selectors.chat_session_for_visitor(
            channel=conversation.channel, visitor=conversation.visitor.id
        )
        if session is None:
            return []
        conversation.track(session)
    frames = []
    while True:
        batch = selectors.chat_messages_after(
            ticket_id=conversation.ticket_id, after=conversation.last_id
        )
        frames += [message_frame(message, conversation) for message in batch]
        if batch:
            conversation.last_id = batch[-1].pk
        if len(batch) < selectors.MESSAGES_PAGE:  # a short page is the last one
            return frames


def _over_rate(conversation: Conversation) -> int:
    """0, or the seconds to wait: RATE_MESSAGES per RATE_WINDOW_SECONDS per visitor, counted in
    the cache (shared by every server and tab of theirs) from their first message of a window."""
    key = f"jornada:chat-rate:{conversation.visitor.id}"
    if over_limit(key, limit=RATE_MESSAGES, window=RATE_WINDOW_SECONDS):
        return RATE_WINDOW_SECONDS
    return 0


def _client_id(frame: dict) -> str | None:
    client_id = frame.get("client_id")
    return client_id if isinstance(client_id, str) and CLIENT_ID.match(client_id) else None


def message(
    conversation: Conversation, frame: dict, *, attachments: list[tuple[str, str, bytes]] = ()
) -> Frames:
    """A visitor's message: stored and processed, then acknowledged; the bot answers first."""
    client_id = _client_id(frame)
    if client_id is None:
        return [error("bad_client_id", _("Invalid message id."))]
    text = frame.get("text", "")
    if not isinstance(text, str):
        return [error("bad_message", _("Invalid message."), client_id=client_id)]
    text = text.strip()
    if len(text) > MAX_MESSAGE_CHARS:
        return [
            error(
                "too_long",
                _("A message has at most %(max)s characters.") % {"max": MAX_MESSAGE_CHARS},
                client_id=client_id,
            )
        ]
    if not text and not attachments:
        return [error("empty", _("The message is empty."), client_id=client_id)]
    wait = _over_rate(conversation)
    if wait:
        return [
            error(
                "rate_limited",
                _("You are sending messages too fast. Please wait a moment."),
                client_id=client_id,
                retry_after=wait,
            )
        ]
    try:
        # Its after-commit pushes (the agents' news, the visitor's other tabs) go out together.
        with pushes_together():
            stored = services.chat_message_receive(
                channel=conversation.channel, visitor=str(conversation.visitor.id),
                client_id=client_id, text=text, language=conversation.language,
                attachments=attachments,
            )  # fmt: skip
    except services.ChatMessageNotStored:
        return [
            error(
                "not_stored",
                _("The message could not be delivered yet. It will be sent again."),
                client_id=client_id,
                retry_after=5,
            )
        ]
    frames: Frames = [{"type": "ack", "client_id": client_id, "id": stored.pk}]
    session = stored.chat_session or selectors.chat_session_for_ticket(stored.ticket_id)
    conversation.track(session)
    if session is not None and session.state == ChatSession.State.BOT:
        answer = services.chat_bot_answer(session=session, question=stored)
        if answer is not None:
            conversation.deferred.append(
                {
                    "type": "bot",
                    "id": answer.pk,
                    "reply_to": stored.pk,
                    "text": answer.body_text,
                    "articles": answer.metadata["articles"],
                    "actions": answer.metadata["actions"],
                }
            )
    return frames


def _session(conversation: Conversation) -> ChatSession | None:
    session = selectors.chat_session_for_visitor(
        channel=conversation.channel, visitor=conversation.visitor.id
    )
    conversation.track(session)
    return session


def _no_conversation() -> Frames:
    return [error("no_conversation", _("Write your question first."))]


def choice(conversation: Conversation, kind: str) -> Frames:
    """The visitor's buttons: resolved (the articles answered it), handover (a person), end."""
    session = _session(conversation)
    if session is None:
        return _no_conversation()
    act = {
        "resolved": services.chat_resolve,
        "handover": services.chat_handover,
        "end": services.chat_end,
    }[kind]
    session = act(session=session)
    conversation.track(session)
    return [state_frame(session)]


def read(conversation: Conversation, frame: dict) -> Frames:
    up_to = frame.get("up_to")
    if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to <= 0:
        return [error("bad_message", _("Invalid message."))]
    if conversation.session_id is not None:
        services.chat_visitor_read(
            session_id=conversation.session_id,
            ticket_id=conversation.ticket_id,
            up_to=min(up_to, conversation.last_id),  # never past what this connection sent
        )
    return []


def typing(conversation: Conversation, frame: dict) -> Frames:
    if conversation.ticket_id is not None:
        services.chat_visitor_typing(
            ticket_id=conversation.ticket_id, number=conversation.number, on=bool(frame.get("on"))
        )
    return []


def contact(conversation: Conversation, frame: dict) -> Frames:
    name, email = frame.get("name", ""), frame.get("email", "")
    if not isinstance(name, str) or not isinstance(email, str):
        return [error("bad_message", _("Invalid message."))]
    try:
        _claim, status = services.chat_contact_claim(
            channel=conversation.channel, visitor=conversation.visitor.id, name=name,
            email=email, link_base=conversation.link_base,
        )  # fmt: skip
    except services.InvalidEmail:
        return [error("invalid_email", _("Enter a valid email address."))]
    return [{"type": "contact", "email_verification": status}]


def email_transcript(conversation: Conversation) -> Frames:
    session = _session(conversation)
    if session is None:
        return _no_conversation()
    return [{"type": "transcript", "status": services.chat_transcript_email(session=session)}]


def handle(conversation: Conversation, frame: dict) -> Frames:
    """Any frame after hello, in the conversation's language."""
    kind = frame.get("type")
    with translation.override(conversation.language):
        if kind == "message":
            return message(conversation, frame)
        if kind in ("resolved", "handover", "end"):
            return choice(conversation, kind)
        if kind == "typing":
            return typing(conversation, frame)
        if kind == "read":
            return read(conversation, frame)
        if kind == "contact":
            return contact(conversation, frame)
        if kind == "email_transcript":
            return email_transcript(conversation)
        if kind == "hello":
            return [error("bad_message", _("Already connected."))]
        return [error("bad_message", _("Invalid message."))]


def state(conversation: Conversation) -> dict[str, Any]:
    session = _session(conversation)
    with translation.override(conversation.language):
        return state_frame(session)
