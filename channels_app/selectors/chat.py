"""Reads of the live chat: a chat channel by its public key, a visitor's own conversation (and
nothing else: every read for a visitor goes through their identity), the messages after an id,
whether an agent can take a chat now, and the chat state of inbox rows."""

import functools
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, prefetch_related_objects
from django.utils import timezone

from tickets.models import AgentProfile, Attachment, Channel, CustomerIdentity, Message

from ..adapters.chat.tokens import VISITOR_SALT, Visitor, visitor_from_token
from ..models import ChatChannel, ChatSession

# An agent marked online counts as there while their workspace beats this recently (the live
# connection beats every 20 s).
SEEN_WITHIN = timedelta(seconds=90)
MODE_CACHE_SECONDS = 5
MESSAGES_PAGE = 200


def chat_channel_by_key(public_key: str) -> ChatChannel | None:
    if not public_key or len(public_key) > 64:
        return None
    return ChatChannel.objects.filter(public_key=public_key, is_active=True).first()


def chat_visitor_for_token(token: object) -> tuple[ChatChannel, Visitor] | None:
    """The chat channel and visitor a token names (the token carries its channel)."""
    if not isinstance(token, str):
        return None
    try:
        channel_id = int(signing.loads(token, salt=VISITOR_SALT)["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    channel = ChatChannel.objects.filter(pk=channel_id, is_active=True).first()
    visitor = visitor_from_token(token, channel_id=channel_id) if channel else None
    return (channel, visitor) if visitor else None


def _visitor_filter(visitor: uuid.UUID, prefix: str = "") -> Q:
    """The rows of the customer this visitor is (an identity moves with a customer merge)."""
    return Q(
        **{
            f"{prefix}identities__kind": CustomerIdentity.Kind.CHAT_VISITOR,
            f"{prefix}identities__value": str(visitor),
        }
    )


def chat_session_for_visitor(*, channel: ChatChannel, visitor: uuid.UUID) -> ChatSession | None:
    """The visitor's conversation on this chat channel: the latest of their customer's (one
    person on several devices, once proven, shares it). One query."""
    return (
        ChatSession.objects.select_related("ticket", "agent")
        .filter(_visitor_filter(visitor, "ticket__customer__"), chat_channel=channel)
        .order_by("-started_at", "-id")
        .first()
    )


def chat_session_for_ticket(ticket_id: int) -> ChatSession | None:
    return (
        ChatSession.objects.select_related("chat_channel", "ticket")
        .filter(ticket_id=ticket_id)
        .first()
    )


def chat_messages_after(*, ticket_id: int, after: int, limit: int = MESSAGES_PAGE) -> list[Message]:
    """The chat messages of a ticket the visitor may see (no internal note), after an id, each
    with `files` (its attachments) and the agent who wrote it: one query, a second only when one
    of them has files.

    Every visitor's message is followed by this read (the catch-up of the tab that sent it): its
    SQL is written out once, not built by the ORM each time, and only the columns a frame shows
    are read."""
    params = [ticket_id, Channel.CHAT, after, Message.Kind.INTERNAL_NOTE, limit]
    rows = Message.objects.raw(_messages_after_sql(), params)
    messages = list(rows)
    user_model = get_user_model()
    for message in messages:
        if message.author_user_id is not None:
            names = [getattr(message, f"author_{name}") for name in _AUTHOR]
            author = user_model.from_db(rows.db, ["id", *_AUTHOR], [message.author_user_id, *names])
            message.author_user = author
    with_files = [message for message in messages if message.has_files]
    prefetch_related_objects(with_files, "attachments")
    for message in messages:
        message.files = list(message.attachments.all()) if message.has_files else []
    return messages


_AUTHOR = ("username", "first_name", "last_name")  # what agent_display_name reads


@functools.cache
def _messages_after_sql() -> str:
    quote = connection.ops.quote_name
    message, attachment = Message._meta, Attachment._meta
    user = get_user_model()._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    shown = ("id", "ticket", "direction", "kind", "channel", "metadata", "body_text",
             "created_at", "author_user")  # fmt: skip
    author = ", ".join(f'u.{column(user, name)} AS "author_{name}"' for name in _AUTHOR)
    return (
        f"SELECT {', '.join(f'm.{column(message, name)}' for name in shown)}, {author}, "  # noqa: S608  (names from the models)
        f"EXISTS (SELECT 1 FROM {quote(attachment.db_table)} a "
        f"WHERE a.{column(attachment, 'message')} = m.{column(message, 'id')}) AS has_files "
        f"FROM {quote(message.db_table)} m LEFT JOIN {quote(user.db_table)} u "
        f"ON u.{column(user, 'id')} = m.{column(message, 'author_user')} "
        f"WHERE m.{column(message, 'ticket')} = %s AND m.{column(message, 'channel')} = %s "
        f"AND m.{column(message, 'id')} > %s AND m.{column(message, 'kind')} <> %s "
        f"ORDER BY m.{column(message, 'id')} LIMIT %s"
    )


def chat_attachment_for_visitor(attachment_id: int, visitor: uuid.UUID) -> Attachment | None:
    """A file of a conversation of this visitor's (never of an internal note)."""
    return (
        Attachment.objects.filter(
            _visitor_filter(visitor, "message__ticket__customer__"),
            pk=attachment_id,
            message__channel=Channel.CHAT,
        )
        .exclude(message__kind=Message.Kind.INTERNAL_NOTE)
        .first()
    )


def chat_available_agents(*, channel: ChatChannel):
    """The agents who can take one more chat of this channel now: online, seen lately, active,
    of the channel's team (any agent without one), below their capacity."""
    open_chats = Count("user__chat_sessions", filter=~Q(user__chat_sessions__state="ended"))
    agents = AgentProfile.objects.filter(
        availability=AgentProfile.Availability.ONLINE,
        last_seen_at__gte=timezone.now() - SEEN_WITHIN,
        user__is_active=True,
        chat_capacity__gt=0,
    )
    if channel.team_id:
        agents = agents.filter(teams=channel.team_id)
    return agents.annotate(open_chats=open_chats).filter(open_chats__lt=F("chat_capacity"))


def chat_mode(*, channel: ChatChannel) -> str:
    """ "chat" when a person can answer now (business hours, an available agent), else
    "offline" (the widget's message form). Kept a few seconds: every visitor asks."""

    def decide() -> str:
        if not channel.is_open_at(timezone.now()):
            return "offline"
        return "chat" if chat_available_agents(channel=channel).exists() else "offline"

    return cache.get_or_set(f"jornada:chat-mode:{channel.pk}", decide, MODE_CACHE_SECONDS)


def chat_queue_position(session: ChatSession) -> int | None:
    """1 for the next chat an agent will take, for a waiting session."""
    if session.state != ChatSession.State.WAITING or session.waiting_since is None:
        return None
    ahead = ChatSession.objects.filter(
        chat_channel_id=session.chat_channel_id,
        state=ChatSession.State.WAITING,
        waiting_since__lt=session.waiting_since,
    ).count()
    return ahead + 1


def chat_sessions_by_ticket(ticket_ids: list[int]) -> dict[int, ChatSession]:
    """The chat state of inbox rows: one query, none when no row is a chat."""
    if not ticket_ids:
        return {}
    return {s.ticket_id: s for s in ChatSession.objects.filter(ticket_id__in=ticket_ids)}


def agent_display_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""
