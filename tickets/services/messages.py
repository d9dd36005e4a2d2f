"""Services on a ticket's conversation: messages in from customers, replies and notes from
agents."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import unescape

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.html import strip_tags

from .. import events, selectors
from ..errors import EmptyMessage, TicketClosed, WhatsAppWindowClosed
from ..inbound import InboundAttachment, NormalizedMessage
from ..models import (
    AgentNotification,
    CannedResponse,
    Channel,
    Customer,
    Message,
    Ticket,
    TicketEvent,
)
from ..sanitize import sanitize_html, single_line
from ._common import agent_profile, audit_row, lock_ticket, record_event
from .attachments import attachments_store
from .customers import customer_get_or_create_for_identity
from .email_notes import note_by_email_check, note_by_email_refuse
from .macros import macro_apply
from .new_tickets import ticket_open
from .notifications import mentioned_agents, notify_agents
from .tickets import apply_status

S = Ticket.Status
E = TicketEvent.Kind
THREAD_FIELDS = ("direction", "external_id", "ticket__customer_id", "ticket__merged_into_id",
                 "ticket__status", "ticket__number")  # fmt: skip
SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")
# On these channels a conversation is a stream: a new message belongs to the customer's open
# ticket on that channel. On email and web forms, an unrelated message is a new request.
CONVERSATIONAL_CHANNELS = frozenset({Channel.WHATSAPP, Channel.SMS, Channel.CHAT})


def html_to_text(html: str) -> str:
    """The readable text of an HTML body, entities decoded (an editor's empty line is
    <p>&nbsp;</p>: no text at all)."""
    return unescape(strip_tags(html)).strip() if html else ""


@dataclass
class ReceiveResult:
    message: Message | None  # None only when refused
    ticket: Ticket | None
    created_ticket: bool
    duplicate: bool = False
    warnings: list[str] = field(default_factory=list)
    refused: str = ""  # why the message was not taken (an internal note by email refused)


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = set()
    while ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = ticket.merged_into
    return ticket


def _thread(
    incoming: NormalizedMessage, customer: Customer, *, known: bool = True
) -> tuple[Ticket | None, str, bool]:
    """Which ticket this message continues, why, and whether its row is locked already (the
    open conversation of the locked customer, found and locked in one statement). None: it
    starts a new ticket. A customer first seen now (not `known`) has no ticket of their own:
    only a reply to one of our messages can thread them."""
    if incoming.reply_to_ids:
        earlier = (
            Message.objects.filter(channel=incoming.channel, external_id__in=incoming.reply_to_ids)
            .select_related("ticket")
            # What threading reads (the ticket is read again, locked, by _continue): no bodies.
            .only(*THREAD_FIELDS)
            .order_by("-created_at")
            .first()
        )
        # A customer's own message ids can leak (CCs, forwards, lists); ours are unguessable.
        # So a stranger threads only by answering one of our messages, never one of theirs.
        if earlier is not None and (
            earlier.ticket.customer_id == customer.pk
            or earlier.direction == Message.Direction.OUTBOUND
        ):
            return _follow_merges(earlier.ticket), f"reply to {earlier.external_id}", False
    if not known:
        return None, "new conversation", False
    match = SUBJECT_TAG.search(incoming.subject or "")
    # The web form's address is typed, not proven: it never joins an existing ticket by tag.
    if match and incoming.channel != Channel.WEB:
        tagged = Ticket.objects.filter(number=int(match.group(1))).first()
        # Only the ticket's own customer may thread by tag: anyone can type a number.
        if tagged is not None and tagged.customer_id == customer.pk:
            return _follow_merges(tagged), f"subject tag [#{tagged.number}]", False
    if incoming.channel in CONVERSATIONAL_CHANNELS:
        hours = settings.JORNADA["REOPEN_SOLVED_CONVERSATION_HOURS"]
        # Locked as it is found: the customer's lock keeps their other messages out, and a
        # ticket an agent closes meanwhile no longer matches once its lock is let go.
        open_ticket = (
            Ticket.objects.select_for_update()
            .filter(customer=customer, channel=incoming.channel, merged_into=None)
            .exclude(status=S.CLOSED)
            # Long after solving, "hi" is a new request, not a reason to reopen the old one.
            .exclude(status=S.SOLVED, solved_at__lt=timezone.now() - timedelta(hours=hours))
            .order_by("-updated_at")
            .first()
        )
        if open_ticket is not None:
            return open_ticket, f"open {incoming.channel} conversation", True
    return None, "new conversation", False


def _already_received(incoming: NormalizedMessage) -> ReceiveResult | None:
    if not incoming.external_id:
        return None
    existing = (
        Message.objects.select_related("ticket")
        .filter(channel=incoming.channel, external_id=incoming.external_id[:255])
        .first()
    )
    if existing is None:
        return None
    return ReceiveResult(existing, existing.ticket, created_ticket=False, duplicate=True)


def message_receive(
    *, incoming: NormalizedMessage, savepoint: bool = True, route_at_birth: bool = True
) -> ReceiveResult:
    """A customer's message, from any channel, onto the right ticket (or a new one).
    Receiving the same provider message twice returns the first one and changes nothing, also
    when two workers receive it at the same moment (the unique constraint decides, so the
    common case, a message never seen, costs no lookup).

    `savepoint=False`: the caller's own savepoint covers this call and the caller knows the
    message cannot be a duplicate (the chat's pipeline: its event is unique per message and
    processed once): no savepoint of its own (two round trips), and a duplicate after all fails
    the caller's block with IntegrityError instead of being returned.

    `route_at_birth=False`: a ticket it opens asks the routing hooks nothing (the caller changes
    it further in the same transaction; see ticket_open)."""
    if not savepoint:
        with transaction.atomic(savepoint=False):
            return _receive(incoming, route_at_birth)
    try:
        with transaction.atomic():
            return _receive(incoming, route_at_birth)
    except IntegrityError:
        duplicate = _already_received(incoming)
        if duplicate is None:
            raise
        return duplicate


def _store_inbound(
    incoming: NormalizedMessage, *, ticket: Ticket, kind: str, reason: str, **author
) -> tuple[Message, list[str]]:
    """The Message for an incoming one, with its attachments (over-limit ones skipped, said in
    metadata["warnings"])."""
    message = inbound_message_row(incoming, ticket=ticket, kind=kind, reason=reason, **author)
    message.save(force_insert=True)
    warnings = attachments_store(message, incoming.attachments, strict=False)
    if warnings:
        message.metadata["warnings"] = warnings
        message.save(update_fields=["metadata"])
    return message, warnings


def inbound_message_row(
    incoming: NormalizedMessage, *, ticket: Ticket, kind: str, reason: str, **author
) -> Message:
    """_store_inbound's Message, not saved yet."""
    body_html = sanitize_html(incoming.body_html)
    return Message(
        ticket=ticket,
        direction=Message.Direction.INBOUND,
        kind=kind,
        channel=incoming.channel,
        subject=single_line(incoming.subject)[:255],
        body_text=incoming.body_text or html_to_text(body_html),
        body_html=body_html,
        external_id=incoming.external_id[:255],
        is_auto_reply=incoming.is_auto_reply,
        threading_reason=reason[:255],
        metadata=dict(incoming.metadata),
        created_at=incoming.sent_at or timezone.now(),
        **author,
    )


def _note_by_email(incoming: NormalizedMessage, *, agent, ticket: Ticket) -> ReceiveResult:
    """An agent writing into a ticket by email (a specialist answering from their mail client,
    a forward from their mailbox), checked by email_notes: an internal note, never mistaken for
    the customer, and nothing goes to the customer without the agent choosing to reply."""
    ticket = lock_ticket(ticket)
    message, warnings = _store_inbound(
        incoming,
        ticket=ticket,
        kind=Message.Kind.INTERNAL_NOTE,
        author_user=agent,
        reason=f"note address of agent {agent.get_username()}",
    )
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    record_event(ticket, E.NOTE_ADDED, by=agent, message_id=message.pk, channel=incoming.channel)
    _publish_message(message, by_id=agent.pk)
    return ReceiveResult(message, ticket, created_ticket=False, warnings=warnings)


def _receive(incoming: NormalizedMessage, route_at_birth: bool = True) -> ReceiveResult:
    tag = SUBJECT_TAG.search(incoming.subject or "")
    note = note_by_email_check(incoming, subject_tag=int(tag.group(1)) if tag else None)
    if note is not None and note.refusal:
        note_by_email_refuse(note=note, incoming=incoming)
        return ReceiveResult(None, note.ticket, created_ticket=False, refused=note.refusal_text)
    if note is not None:
        return _note_by_email(incoming, agent=note.agent, ticket=note.ticket)
    language = incoming.language if incoming.language in dict(settings.LANGUAGES) else None
    # Two messages of one customer processed at once must not both open a ticket: the customer
    # is locked (a customer created in this transaction is nobody else's yet).
    customer, new_customer = customer_get_or_create_for_identity(
        kind=incoming.sender_kind,
        value=incoming.sender_value,
        name=incoming.sender_name,
        language=language,
        lock=True,
    )
    ticket, reason, locked = _thread(incoming, customer, known=not new_customer)
    follow_up_of = None
    # An auto-reply (out of office...) to a closed ticket is kept there: it is no new request.
    if ticket is not None and ticket.status == S.CLOSED and not incoming.is_auto_reply:
        follow_up_of, ticket = ticket, None
        reason = f"follow-up of closed ticket #{follow_up_of.number}"
    created = ticket is None
    now = timezone.now()
    audit = []
    if created:
        ticket, opened = ticket_open(
            customer=customer,
            subject=incoming.subject,
            channel=incoming.channel,
            customer_message_at=None if incoming.is_auto_reply else now,
            text=incoming.body_text or html_to_text(incoming.body_html),
            route=route_at_birth,
        )
        audit.append(opened)
        message, warnings = _store_inbound(
            incoming, ticket=ticket, kind=Message.Kind.MESSAGE, author_customer=customer,
            reason=reason,
        )  # fmt: skip
    else:
        message, warnings = _continue(incoming, ticket, customer, reason, now, locked=locked)
        ticket = message.ticket  # the locked row, as it commits (threading read a few fields)
    follow_up = {"follow_up_of": follow_up_of.number} if follow_up_of else {}
    audit.append(received_row(incoming, message, reason=reason, **follow_up))
    TicketEvent.objects.bulk_create(audit)  # in order: "created" first
    _publish_message(message, created_ticket=created, auto_reply=incoming.is_auto_reply)
    return ReceiveResult(message, ticket, created_ticket=created, warnings=warnings)


def received_row(
    incoming: NormalizedMessage, message: Message, *, reason: str, **data
) -> TicketEvent:
    """The "message received" audit row of a customer's message (not saved)."""
    return audit_row(
        message.ticket_id,
        E.MESSAGE_RECEIVED,
        message_id=message.pk,
        channel=incoming.channel,
        threading=reason,
        auto_reply=incoming.is_auto_reply,
        **data,
    )


def _continue(
    incoming: NormalizedMessage,
    ticket: Ticket,
    customer: Customer,
    reason: str,
    now: datetime,
    *,
    locked: bool = False,
) -> tuple[Message, list[str]]:
    """A customer's message onto a ticket they already have (`locked`: its row is, as read)."""
    if not locked:
        ticket = lock_ticket(ticket)
    if ticket.customer_id == customer.pk:
        ticket.customer = customer  # the row in hand (live pushes name the customer)
    # The channel the customer last wrote on (the channel of origin before any message): a switch
    # is a change from it, not from the channel of origin every time. Read once the lock is held:
    # read in the locking statement, it would miss what the lock's holder committed.
    previous_channel = (
        ticket.messages.filter(direction=Message.Direction.INBOUND)
        .order_by("-created_at", "-id")
        .values_list("channel", flat=True)
        .first()
    ) or ticket.channel
    message, warnings = _store_inbound(
        incoming, ticket=ticket, kind=Message.Kind.MESSAGE, author_customer=customer, reason=reason
    )
    fields = []
    # A customer writing back wakes the ticket (and its SLA clocks); an auto-reply never does.
    if not incoming.is_auto_reply:
        ticket.last_customer_message_at = now
        fields.append("last_customer_message_at")
        if ticket.status in (S.SOLVED, S.PENDING):
            apply_status(ticket, S.OPEN, by=None)
    if previous_channel != incoming.channel:
        record_event(ticket, E.CHANNEL_SWITCHED, before=previous_channel, after=incoming.channel)
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])
    return message, warnings


def _publish_message(message: Message, **fields) -> None:
    """Last in each service: the message's ticket is the locked row, as it commits."""
    events.publish(
        events.MessageCreated(
            ticket_id=message.ticket_id,
            message_id=message.pk,
            direction=message.direction,
            kind=message.kind,
            channel=message.channel,
            **fields,
        ),
        ticket=message.ticket,
    )


def _check_writable(ticket: Ticket) -> None:
    if ticket.status == S.CLOSED:
        raise TicketClosed(number=ticket.number)


def whatsapp_window_closes_at(*, customer_id: int) -> datetime | None:
    """When WhatsApp's customer-service window with this customer closes (or closed): free text
    may be sent until WHATSAPP_WINDOW_HOURS after their last WhatsApp message, on any ticket.
    None: they never wrote on WhatsApp."""
    last = Message.objects.filter(
        author_customer_id=customer_id,
        channel=Channel.WHATSAPP,
        direction=Message.Direction.INBOUND,
    ).aggregate(last=Max("created_at"))["last"]
    if last is None:
        return None
    return last + timedelta(hours=settings.JORNADA["WHATSAPP_WINDOW_HOURS"])


def _check_whatsapp_window(ticket: Ticket) -> None:
    closes_at = whatsapp_window_closes_at(customer_id=ticket.customer_id)
    if closes_at is None or closes_at <= timezone.now():
        raise WhatsAppWindowClosed(hours=settings.JORNADA["WHATSAPP_WINDOW_HOURS"])


@transaction.atomic
def message_reply(
    *,
    ticket: Ticket,
    by: AbstractBaseUser,
    body_text: str,
    body_html: str = "",
    channel: str | None = None,
    attachments: Iterable[InboundAttachment] = (),
    then_status: str | None = None,
    macro: CannedResponse | None = None,
    metadata: dict | None = None,
) -> Message:
    """An agent's answer to the customer, queued for delivery through the ticket's channel
    (default: the channel of the customer's last message). `then_status` moves the ticket in the
    same step, as "send and mark pending/solved" does; `macro`, the canned response the answer
    was written from, then applies its actions (all or nothing, with the reply). `metadata` is
    kept on the message for its channel: `in_reply_to` (the provider id of the message answered)
    or `whatsapp_template` (name, language, params), the only thing WhatsApp accepts once its
    customer-service window has closed."""
    agent_profile(by)
    ticket = lock_ticket(ticket)
    _check_writable(ticket)
    if channel is None:
        last_inbound = (
            ticket.messages.filter(direction=Message.Direction.INBOUND)
            .order_by("-created_at")
            .values_list("channel", flat=True)
            .first()
        )
        channel = last_inbound or ticket.channel
    if channel == Channel.WEB:
        channel = Channel.EMAIL  # people who wrote through the web form are answered by email
    metadata = dict(metadata or {})
    if channel == Channel.WHATSAPP and not metadata.get("whatsapp_template"):
        _check_whatsapp_window(ticket)
    now = timezone.now()
    body_html = sanitize_html(body_html)
    attachments = list(attachments)
    if not (body_text.strip() or html_to_text(body_html) or attachments):
        raise EmptyMessage()
    message = Message.objects.create(
        ticket=ticket,
        direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.MESSAGE,
        channel=channel,
        author_user=by,
        subject=ticket.subject,
        body_text=body_text or html_to_text(body_html),
        body_html=body_html,
        delivery_status=Message.DeliveryStatus.QUEUED,
        metadata=metadata,
        created_at=now,
    )
    attachments_store(message, attachments, strict=True)
    fields = ["last_agent_reply_at"]
    ticket.last_agent_reply_at = now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        fields.append("first_response_at")
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])
    record_event(ticket, E.REPLY_SENT, by=by, message_id=message.pk, channel=channel)
    # A new ticket opens with its first answer, unless a macro sets the status anyway.
    opens = ticket.status == S.NEW and not (macro is not None and macro.set_status)
    target_status = then_status or (S.OPEN if opens else None)
    if target_status and target_status != ticket.status:
        apply_status(ticket, target_status, by=by)
    if macro is not None:
        macro_apply(ticket=ticket, canned=macro, by=by)
    _publish_message(message, by_id=by.pk)
    return message


@transaction.atomic
def note_add(
    *,
    ticket: Ticket,
    by: AbstractBaseUser,
    body_text: str,
    attachments: Iterable[InboundAttachment] = (),
) -> Message:
    """An internal note: seen by agents only, never sent to the customer. Agents @mentioned in
    it are notified when they can see the ticket; the others are listed in
    `metadata["unreachable_mentions"]` so that the author can bring them in another way."""
    agent_profile(by)
    ticket = lock_ticket(ticket)
    attachments = list(attachments)
    if not body_text.strip() and not attachments:
        raise EmptyMessage()
    mentioned = [agent for agent in mentioned_agents(body_text) if agent.pk != by.pk]
    reachable = [
        agent
        for agent in mentioned
        if selectors.ticket_visible_to(agent=agent, ticket_id=ticket.pk)
    ]
    unreachable = [agent.get_username() for agent in mentioned if agent not in reachable]
    metadata = {"mentions": [agent.pk for agent in reachable]} if reachable else {}
    if unreachable:
        metadata["unreachable_mentions"] = unreachable
    message = Message.objects.create(
        ticket=ticket,
        direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.INTERNAL_NOTE,
        channel=ticket.channel,
        author_user=by,
        body_text=body_text,
        metadata=metadata,
    )
    attachments_store(message, attachments, strict=True)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    record_event(ticket, E.NOTE_ADDED, by=by, message_id=message.pk)
    notify_agents(
        recipients=reachable,
        kind=AgentNotification.Kind.MENTION,
        ticket=ticket,
        actor=by,
        message=message,
    )
    _publish_message(message, by_id=by.pk)
    return message


@transaction.atomic
def message_notify(
    *,
    ticket: Ticket,
    body_text: str,
    subject: str = "",
    body_html: str = "",
    channel: str | None = None,
    reason: str = "",
    metadata: dict | None = None,
) -> Message:
    """An automatic message to the customer (acknowledgement, survey invitation, the chat bot's
    articles...), queued for delivery like a reply but not counted as an agent's response.
    `metadata` is kept for its channel, as message_reply's (a WhatsApp template or interactive
    message, the chat bot's articles)."""
    ticket = lock_ticket(ticket)
    message = Message.objects.create(
        ticket=ticket,
        direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.SYSTEM,
        channel=channel or ticket.channel,
        subject=single_line(subject or ticket.subject)[:255],
        body_text=body_text,
        body_html=sanitize_html(body_html),
        delivery_status=Message.DeliveryStatus.QUEUED,
        metadata={**(metadata or {}), **({"automatic": reason} if reason else {})},
    )
    _publish_message(message)
    return message


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One automatic message for messages_notify: message_notify's arguments."""

    ticket: Ticket
    body_text: str
    subject: str = ""
    body_html: str = ""
    channel: str | None = None
    reason: str = ""
    metadata: dict | None = None


@transaction.atomic
def messages_notify(*, notices: Sequence[Notice]) -> list[Message]:
    """message_notify for many tickets at once (a batch of acknowledgements): their rows locked
    in one statement (in id order), the messages written in one INSERT, one MessageCreated each.
    A notice whose ticket is gone is left out."""
    ticket_ids = sorted({notice.ticket.pk for notice in notices})
    locked = Ticket.objects.select_for_update().filter(pk__in=ticket_ids).order_by("pk")
    tickets = {ticket.pk: ticket for ticket in locked}
    messages = Message.objects.bulk_create(
        Message(
            ticket=ticket,
            direction=Message.Direction.OUTBOUND,
            kind=Message.Kind.SYSTEM,
            channel=notice.channel or ticket.channel,
            subject=single_line(notice.subject or ticket.subject)[:255],
            body_text=notice.body_text,
            body_html=sanitize_html(notice.body_html),
            delivery_status=Message.DeliveryStatus.QUEUED,
            metadata={
                **(notice.metadata or {}),
                **({"automatic": notice.reason} if notice.reason else {}),
            },
        )
        for notice in notices
        if (ticket := tickets.get(notice.ticket.pk)) is not None
    )
    with events.outbox_deferred():  # one outbox INSERT for the batch (webhooks), not one each
        for message in messages:
            _publish_message(message)
    return messages


@transaction.atomic
def message_annotate(
    *, message: Message, changes: dict, attachments: Iterable[InboundAttachment] = ()
) -> Message:
    """What a channel learns about a message after storing it: a reaction to it, an edit or a
    deletion by its author, media fetched later. `changes` merge into the metadata (a dict into a
    dict one level deep; None removes a key); attachments are stored as inbound ones are."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    metadata = message.metadata
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(metadata.get(key), dict):
            value = {**metadata[key], **value}
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
    warnings = attachments_store(message, attachments, strict=False)
    if warnings:
        metadata["warnings"] = [*metadata.get("warnings", []), *warnings]
    message.save(update_fields=["metadata"])
    return message
