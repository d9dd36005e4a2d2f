"""The live chat's state changes (docs/chat.md): a visitor's message stored and processed before it
is acknowledged, the session's states (bot, waiting, active, ended) with an audit row each, the
bot's articles, read receipts, and the doorbell rung after each commit.

The doorbell only says "look": every tab of the visitor reads the new rows from the database
after the last id it sent, so a ring lost (a full group, a restart) loses nothing."""

import logging
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tickets import events, registries
from tickets import services as ticket_services
from tickets.errors import TicketError
from tickets.inbound import NormalizedMessage
from tickets.models import Message, Ticket

from ..adapters.chat.adapter import encode_visitor_message
from ..models import ChatChannel, ChatSession, InboundEvent
from ..realtime import chat_group, chat_visitor_group, send_many, ticket_group
from .ingest import inbound_event_process, inbound_event_store_and_process
from .store import inbound_event_store, schedule_processing

logger = logging.getLogger(__name__)
S = ChatSession.State
BOT_ARTICLES = 3


# The session chat_session_record_message left a message's ticket in, for the caller of
# chat_message_receive in the same thread (it decides whether the bot answers): one read less.
_recorded: ContextVar[ChatSession | None] = ContextVar("chat_session_recorded", default=None)


class ChatMessageNotStored(Exception):
    """The message is stored but could not be processed now: the visitor resends it later (the
    same client id is recognised) and the sweeper processes it meanwhile."""


def ring(session_id: int, message: dict[str, Any] | None = None, *, last: int = 0) -> None:
    """After commit: the visitor's tabs look at the database (or hear `message`). `last`, the
    id of the message rung for, spares the read to a tab that has sent it already."""
    payload = message or {"type": "chat.doorbell", "last": last}
    transaction.on_commit(lambda: send_many([(chat_group(session_id), payload)]))


def _language(code: str) -> str:
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


# --- a visitor's message -------------------------------------------------------------------------


def chat_message_receive(
    *,
    channel: ChatChannel,
    visitor: str,
    client_id: str,
    text: str,
    language: str,
    name: str = "",
    attachments: list[tuple[str, str, bytes]] = (),
) -> Message:
    """Store a visitor's message (InboundEvent, provider id chat:<visitor>:<client id>) and
    process it into a ticket Message, in one transaction: returns that message once it is
    committed, so that the acknowledgement never names a message that could still be lost. A
    resend of the same client id is the same event and the same message."""
    provider_id = f"chat:{visitor}:{client_id}"
    raw = encode_visitor_message(
        chat_channel_id=channel.pk, visitor=visitor, client_id=client_id, text=text,
        language=language, name=name, attachments=list(attachments),
    )  # fmt: skip
    _recorded.set(None)
    source = f"chat:{channel.public_key}"
    try:
        event, created = inbound_event_store_and_process(
            channel="chat", source=source, provider_id=provider_id, raw=raw
        )
    except DatabaseError as exc:
        # Its one commit failed (a deferred constraint: a row it names deleted meanwhile), and
        # took the event with it: stored alone, it waits for the drain.
        inbound_event_store(channel="chat", source=source, provider_id=provider_id, raw=raw)
        raise ChatMessageNotStored(str(exc)) from exc
    if event is None:  # stored by someone else a moment ago, and deleted since
        raise ChatMessageNotStored("gone")
    if not created and event.message_id is None:  # a resend of one still waiting
        try:
            event = inbound_event_process(event_id=event.pk) or event
        except Exception as exc:
            schedule_processing()  # the event waits in the database: the drain or sweeper
            raise ChatMessageNotStored(str(exc)) from exc
    if event.message_id is None:
        if event.status == InboundEvent.Status.RECEIVED:
            schedule_processing()
        raise ChatMessageNotStored(event.error or event.status)
    message = event.message  # the processing's own instance, or read once for a resend
    # The session the processing left it in (adapter.received), None for a resend.
    message.chat_session = _recorded.get()
    if message.chat_session is not None and message.chat_session.ticket_id != message.ticket_id:
        message.chat_session = None
    return message


def chat_session_record_message(
    *, item: NormalizedMessage, ticket: Ticket, created: bool, message_id: int = 0
) -> ChatSession:
    """The session of a ticket a visitor wrote on (adapter.received, in the processing
    transaction): created with the ticket (the bot answers first, or it waits for a person), or
    reopened by a message after the end."""
    session = ChatSession.objects.select_for_update().filter(ticket=ticket).first()
    now = timezone.now()
    if session is None:
        channel = ChatChannel.objects.get(pk=item.metadata["chat"]["chat_channel"])
        state = S.BOT if channel.bot_enabled else S.WAITING
        session = ChatSession.objects.create(
            ticket=ticket, chat_channel=channel, visitor=item.sender_value, state=state,
            language=_language(item.language), waiting_since=now if state == S.WAITING else None,
        )  # fmt: skip
        ticket_services.ticket_record_chat_state(ticket=ticket, before=None, after=state)
        if channel.team_id and ticket.team_id != channel.team_id:
            _route(ticket, channel)
        # The visitor's other tabs do not know the session yet: they hear it on their own group.
        visitor_group = chat_visitor_group(item.sender_value)
        transaction.on_commit(lambda: send_many([(visitor_group, {"type": "chat.session"})]))
    else:
        session.ticket = ticket  # the caller reads its number
    if session.state == S.ENDED:
        state = S.BOT if session.chat_channel.bot_enabled else S.WAITING
        waiting_since = now if state == S.WAITING else None
        _move(session, state, waiting_since=waiting_since, ended_at=None, outcome="")
    ring(session.pk, last=message_id)
    _recorded.set(session)
    return session


def _route(ticket: Ticket, channel: ChatChannel) -> None:
    """The chat channel's team takes its chats (when its tier is the ticket's)."""
    try:
        ticket_services.ticket_assign(ticket=ticket, assignee=None, by=None, team=channel.team)
    except TicketError:
        logger.warning("Chat channel %s: its team cannot take ticket %s", channel.pk, ticket.pk)


def _move(session: ChatSession, state: str, *, by=None, **fields) -> None:
    """A new state, saved with the other fields given (an `outcome` is also said in the audit
    row); the visitor's tabs hear it. An end, whoever ends it, publishes `chat.ended`."""
    before = session.state
    session.state = state
    for name, value in fields.items():
        setattr(session, name, value)
    session.save(update_fields=["state", *fields])
    ticket_services.ticket_record_chat_state(
        ticket=session.ticket_id, before=before, after=state, by=by,
        outcome=fields.get("outcome", ""),
    )  # fmt: skip
    if state == S.ENDED and before != S.ENDED:
        ended = events.ChatEnded(
            ticket_id=session.ticket_id, session_id=session.pk,
            outcome=fields.get("outcome", ""), by_id=getattr(by, "pk", None),
        )  # fmt: skip
        events.publish(ended)
    ring(session.pk, {"type": "chat.state"})


def _locked(session: ChatSession) -> ChatSession:
    return ChatSession.objects.select_for_update().select_related("chat_channel").get(pk=session.pk)


# --- the bot -------------------------------------------------------------------------------------


def chat_bot_answer(*, session: ChatSession, question: Message) -> Message | None:
    """Before a person joins: the best-matching public articles for the visitor's question
    (answer_suggestions, filled by the knowledge base), or an offer to talk to a person when
    none matches. The bot never writes an answer of its own. None when the bot is not on."""
    if session.state != S.BOT or not session.chat_channel.bot_enabled:
        return None
    suggestions = registries.suggest_answers(
        query=question.body_text[:300], language=session.language, limit=BOT_ARTICLES
    )
    articles = [{"title": s.title, "url": s.url, "snippet": s.snippet} for s in suggestions]
    with translation.override(session.language):
        if articles:
            lines = [_("These articles may answer your question:")]
            lines += [f"• {article['title']}: {article['url']}" for article in articles]
            lines.append(_("Did that solve it? If not, you can talk to a person."))
            actions = ["resolved", "handover"]
        else:
            lines = [_("I found no article about that. Would you like to talk to a person?")]
            actions = ["handover"]
    return ticket_services.message_notify(
        ticket=session.ticket,
        body_text="\n".join(lines),
        channel="chat",
        reason="chat_bot",
        metadata={"chat": "bot", "articles": articles, "actions": actions,
                  "reply_to": question.pk},
    )  # fmt: skip


# --- the visitor's choices -----------------------------------------------------------------------


@transaction.atomic
def chat_handover(*, session: ChatSession) -> ChatSession:
    """ "Talk to a person": the chat waits for an agent (the agents see the bot exchange in the
    ticket). Nothing changes for a chat already waiting or with an agent."""
    session = _locked(session)
    if session.state in (S.WAITING, S.ACTIVE):
        return session
    _move(session, S.WAITING, waiting_since=timezone.now(), ended_at=None)
    with translation.override(session.language):
        text = _("You are in the queue: a person will answer you here shortly.")
    ticket_services.message_notify(
        ticket=session.ticket, body_text=text, channel="chat", reason="chat_handover",
        metadata={"chat": "notice"},
    )  # fmt: skip
    return session


@transaction.atomic
def chat_resolve(*, session: ChatSession) -> ChatSession:
    """ "That solved it" after the bot's articles: a deflection. The chat ends and its ticket is
    solved, with no agent's work."""
    session = _locked(session)
    if session.state not in (S.BOT, S.WAITING):
        return session
    _move(
        session, S.ENDED, outcome=ChatSession.Outcome.DEFLECTED, ended_at=timezone.now(),
        waiting_since=None,
    )  # fmt: skip
    ticket = session.ticket
    if ticket.status not in (Ticket.Status.SOLVED, Ticket.Status.CLOSED):
        ticket_services.ticket_change_status(
            ticket=ticket, to_status=Ticket.Status.SOLVED, by=None,
            reason="solved by a knowledge-base article in the chat",
        )  # fmt: skip
    return session


@transaction.atomic
def chat_end(
    *, session: ChatSession, outcome: str = ChatSession.Outcome.ENDED_BY_VISITOR, by=None
) -> ChatSession:
    """The chat is over (the visitor closed it, or the agent solved the ticket). The ticket
    keeps its status: agents decide whether the request is solved."""
    session = _locked(session)
    if session.state == S.ENDED:
        return session
    _move(session, S.ENDED, by=by, outcome=outcome, ended_at=timezone.now(), waiting_since=None)
    return session


# --- agents --------------------------------------------------------------------------------------


@transaction.atomic
def chat_session_join(*, session: ChatSession, agent: AbstractBaseUser) -> ChatSession:
    """An agent takes the chat (their first reply, a claim, a transfer to them)."""
    session = _locked(session)
    if session.state == S.ACTIVE and session.agent_id == agent.pk:
        return session
    _move(session, S.ACTIVE, by=agent, agent=agent, waiting_since=None, ended_at=None)
    return session


def chat_message_sent(*, message: Message) -> None:
    """The chat adapter's send: an agent's reply makes the chat theirs (claiming the ticket
    when nobody holds it); every outgoing chat message rings the doorbell."""
    session = ChatSession.objects.filter(ticket_id=message.ticket_id).first()
    if session is None:
        return  # not opened through the widget: the visitor reads it whenever they come back
    agent = message.author_user if message.kind == Message.Kind.MESSAGE else None
    if agent is not None:
        _sent_then_read(message, session_id=session.pk)
    if agent is not None and not (session.state == S.ACTIVE and session.agent_id == agent.pk):
        chat_session_join(session=session, agent=agent)
        ticket = message.ticket
        if ticket.assignee_id is None:
            try:
                ticket_services.ticket_claim(ticket=ticket, by=agent)
            except TicketError:
                logger.info("Chat reply by %s: ticket %s not claimed", agent.pk, ticket.pk)
    ring(session.pk, last=message.pk)


def chat_sessions_follow_tickets(*, ticket_ids: list[int]) -> int:
    """The chats of tickets an agent changed: a solved or closed ticket ends its chat; an
    assignee takes a waiting chat, and a transfer hands an active one over. How many changed."""
    changed = 0
    sessions = ChatSession.objects.filter(ticket_id__in=ticket_ids).exclude(state=S.ENDED)
    for session in sessions.select_related("ticket__assignee"):
        ticket = session.ticket
        if ticket.status in (Ticket.Status.SOLVED, Ticket.Status.CLOSED):
            chat_end(session=session, outcome=ChatSession.Outcome.ENDED_BY_AGENT)
        elif ticket.assignee_id and session.state in (S.WAITING, S.ACTIVE):
            if session.agent_id == ticket.assignee_id:
                continue
            chat_session_join(session=session, agent=ticket.assignee)
        else:
            continue
        changed += 1
    return changed


# --- read receipts -------------------------------------------------------------------------------

READ_AT_ONCE = 20


def _sent_then_read(message: Message, *, session_id: int) -> None:
    """An agent's reply on its way: marked sent first (committed), then read when the visitor's
    receipt already covers it. A receipt can come before the delivery task (the visitor's tab
    read the row on another ring): chat_visitor_read moves the session's mark, then looks for
    sent messages; this marks the message sent, then looks at the mark. Whichever runs second
    sees the other's write, so the receipt is never lost; statuses only move forward
    (message_update_delivery), so the task's own "sent" afterwards changes nothing."""
    ticket_services.message_update_delivery(message=message, status=Message.DeliveryStatus.SENT)
    read = ChatSession.objects.filter(pk=session_id).values_list("visitor_read_up_to", flat=True)
    read_up_to = read.first()
    if read_up_to and read_up_to >= message.pk:
        ticket_services.message_update_delivery(message=message, status=Message.DeliveryStatus.READ)


def chat_visitor_read(*, session_id: int, ticket_id: int, up_to: int) -> int:
    """The visitor has seen everything up to this message id: the agents' messages up to it
    are marked read (they see it on the ticket page). How many were marked. A message still
    queued is left to its delivery (_sent_then_read marks it read once sent): marking it read
    now would stop the delivery task, which sends only queued messages."""
    moved = ChatSession.objects.filter(pk=session_id, visitor_read_up_to__lt=up_to).update(
        visitor_read_up_to=up_to
    )
    if not moved:
        return 0
    unread = Message.objects.filter(
        ticket_id=ticket_id,
        channel="chat",
        direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.MESSAGE,
        pk__lte=up_to,
        delivery_status__in=[Message.DeliveryStatus.SENT, Message.DeliveryStatus.DELIVERED],
    ).order_by("-pk")[:READ_AT_ONCE]
    marked = 0
    for message in unread:
        marked += ticket_services.message_update_delivery(
            message=message, status=Message.DeliveryStatus.READ
        )
    return marked


def chat_agent_read(*, session_id: int, ticket_id: int) -> int:
    """An agent has the chat open: everything the visitor sent is on their screen. Returns the
    id read up to when that moved (the caller, the agent's live connection, tells the visitor's
    group `chat.read`), else 0."""
    up_to = (
        Message.objects.filter(ticket_id=ticket_id, direction=Message.Direction.INBOUND)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if not up_to:
        return 0
    moved = ChatSession.objects.filter(pk=session_id, agent_read_up_to__lt=up_to).update(
        agent_read_up_to=up_to
    )
    return up_to if moved else 0


def chat_visitor_typing(*, ticket_id: int, number: int, on: bool) -> None:
    """The visitor is typing: the agents who have the ticket open see it."""
    send_many(
        [(ticket_group(ticket_id), {"type": "chat.typing", "ticket": number, "on": bool(on)})]
    )
