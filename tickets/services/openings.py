"""New conversations from senders nobody knows yet, received together.

In a drain's batch most messages usually open a ticket for a new sender: each would cost its
own customer, identity, ticket number, ticket, message and audit INSERTs. Nothing threads such a
message onto anything, so those of a batch that nothing else in it depends on are received
together, in a fixed number of statements, with what message_receive would have written.
"""

from collections import Counter
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone

from ..inbound import NormalizedMessage
from ..memo import in_batch
from ..models import Message, Ticket, TicketEvent, Tier
from ._common import all_or_none, next_ticket_numbers_and_teams
from .attachments import attachments_store_for
from .customers import (
    customers_create_for_new_identities,
    identity_known_new,
    normalized_sender,
)
from .email_notes import note_by_email_check
from .messages import (
    SUBJECT_TAG,
    ReceiveResult,
    _publish_message,
    html_to_text,
    inbound_message_row,
    received_row,
)
from .new_tickets import ticket_opened, ticket_row

E = TicketEvent.Kind
NEW_CONVERSATION = "new conversation"  # the threading reason message_receive gives them


def messages_receive_openings(
    *, incomings: Sequence[NormalizedMessage], batch: Sequence[NormalizedMessage]
) -> dict[int, ReceiveResult]:
    """Receive together those of `incomings` that open a ticket for a sender nobody has yet and
    that nothing else in `batch` (every message received with them, `incomings` among them)
    depends on: {index in incomings: result}. The caller receives the others with
    message_receive, after these.

    Inside the caller's transaction and memoized_for_batch() (whose read-ahead of the senders,
    customers_prefetch_for_identities, says who is new). All or none, in a savepoint: should one
    of them fail (a sender created meanwhile by another process, a message received already),
    nothing of them is written and the result is empty: message_receive then takes each, and
    deals with that one as it always does."""
    if not in_batch():
        return {}
    chosen = _openings(incomings, batch)
    if len(chosen) < 2:
        return {}  # one alone costs what message_receive spends

    def receive() -> dict[int, ReceiveResult]:
        results = _receive_together([(incomings[i], value) for i, value in chosen.items()])
        return dict(zip(chosen, results, strict=True))

    return all_or_none(
        receive, count=len(chosen), what="new conversations", taken="a sender is taken"
    )


def _openings(
    incomings: Sequence[NormalizedMessage], batch: Sequence[NormalizedMessage]
) -> dict[int, str]:
    """{index: the sender's normalized identity} of the messages that message_receive would put
    on a new ticket of a new customer whatever else the batch holds: a sender read ahead as
    nobody's and alone in the batch, no reply to a message of the batch or one we have, no note
    by email."""
    normalized = {(item.sender_kind, item.sender_value): normalized_sender(item) for item in batch}
    senders = Counter((item.sender_kind, normalized[item.sender_kind, item.sender_value])
                      for item in batch)  # fmt: skip
    ids_in_batch = {(item.channel, item.external_id[:255]) for item in batch if item.external_id}
    candidates = {}
    for index, item in enumerate(incomings):
        value = normalized[item.sender_kind, item.sender_value]  # `incomings` are in `batch`
        if value is None or senders[item.sender_kind, value] != 1:
            continue
        if not identity_known_new(item.sender_kind, value):
            continue
        if any((item.channel, reply) in ids_in_batch for reply in item.reply_to_ids):
            continue
        tag = SUBJECT_TAG.search(item.subject or "")
        if note_by_email_check(item, subject_tag=int(tag.group(1)) if tag else None) is not None:
            continue
        candidates[index] = value
    replies = {(incomings[i].channel, r) for i in candidates for r in incomings[i].reply_to_ids}
    if not replies:
        return candidates
    answered = _ids_we_have(replies)
    return {
        index: value
        for index, value in candidates.items()
        if not any((incomings[index].channel, r) in answered for r in incomings[index].reply_to_ids)
    }


def _ids_we_have(replies: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (channel, message id) name a message we have: a reply to one may thread."""
    found = Message.objects.filter(
        channel__in={channel for channel, _ in replies},
        external_id__in={external_id for _, external_id in replies},
    ).values_list("channel", "external_id")
    return set(found) & replies


def _receive_together(chosen: list[tuple[NormalizedMessage, str]]) -> list[ReceiveResult]:
    """message_receive's work for each (message, its sender's normalized identity) on its
    new-customer, new-ticket path, in one INSERT per table, and the same domain events, in the
    same order."""
    now = timezone.now()
    languages = dict(settings.LANGUAGES)
    items = [item for item, _ in chosen]
    customers = customers_create_for_new_identities(
        senders=[
            (
                item.sender_kind,
                value,
                item.sender_name,
                item.language if item.language in languages else None,
            )
            for item, value in chosen
        ]
    )
    numbers, teams = next_ticket_numbers_and_teams(Tier.N1, count=len(items))
    tickets, routings = [], []
    for item, customer, number in zip(items, customers, numbers, strict=True):
        ticket, routing = ticket_row(
            number=number,
            teams=teams,
            customer=customer,
            subject=item.subject,
            channel=item.channel,
            customer_message_at=None if item.is_auto_reply else now,
            text=item.body_text or html_to_text(item.body_html),
        )
        tickets.append(ticket)
        routings.append(routing)
    Ticket.objects.bulk_create(tickets)
    messages = [
        inbound_message_row(
            item,
            ticket=ticket,
            kind=Message.Kind.MESSAGE,
            author_customer=ticket.customer,
            reason=NEW_CONVERSATION,
        )
        for item, ticket in zip(items, tickets, strict=True)
    ]
    Message.objects.bulk_create(messages)
    warned = attachments_store_for(items, messages)
    audit = []
    for item, ticket, routing, message in zip(items, tickets, routings, messages, strict=True):
        audit.append(ticket_opened(ticket, routing=routing))
        audit.append(received_row(item, message, reason=NEW_CONVERSATION))
        _publish_message(message, created_ticket=True, auto_reply=item.is_auto_reply)
    TicketEvent.objects.bulk_create(audit)  # each ticket's "created" before its message's
    return [
        ReceiveResult(message, ticket, created_ticket=True, warnings=warned.get(message.pk, []))
        for ticket, message in zip(tickets, messages, strict=True)
    ]
