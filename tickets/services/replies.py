"""Replies of known customers to their tickets, received together.

After a burst of new conversations come their customers' answers: each, one at a time, costs its
customer's lock, a threading lookup, its ticket's lock, the ticket's last channel, and the
message, ticket and audit writes. In a drain's batch the replies that plainly continue a ticket
(an email answering a message of that ticket, or tagged with its number, from its own customer)
are received together, in a fixed number of statements, with what message_receive would have
written. Whatever is less plain (a closed, solved or merged ticket, a change of channel, a note by
email, two messages for one ticket) is left to message_receive.
"""

import logging
from collections import Counter
from collections.abc import Sequence

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..inbound import NormalizedMessage
from ..memo import in_batch
from ..models import Channel, Customer, Message, Ticket, TicketEvent
from ..rows import rows_update
from .attachments import attachments_store_for
from .customers import identity_known_customer
from .email_notes import note_by_email_check
from .messages import (
    SUBJECT_TAG,
    THREAD_FIELDS,
    ReceiveResult,
    _publish_message,
    inbound_message_row,
    received_row,
)
from .openings import normalized_sender

logger = logging.getLogger(__name__)
S = Ticket.Status
# A customer's message onto one of these continues it as is: no status change to record.
CONTINUED_AS_IS = frozenset({S.NEW, S.OPEN})


def messages_receive_replies(
    *, incomings: Sequence[NormalizedMessage], batch: Sequence[NormalizedMessage]
) -> dict[int, ReceiveResult]:
    """Receive together those of `incomings` that continue a ticket of their known sender as
    message_receive would, whatever else `batch` (every message received with them) holds:
    {index in incomings: result}. The caller receives the others with message_receive, after
    these.

    Inside the caller's transaction and memoized_for_batch(), after the read-ahead of the senders
    (customers_prefetch_for_identities), which says who they are. Locks are taken without
    waiting: a customer or ticket another transaction holds leaves its message to
    message_receive. All or none, in a savepoint: should one of them fail (a message received
    already), nothing of them is written and the result is empty."""
    if not in_batch():
        return {}
    chosen = _threaded(incomings, batch)
    if len(chosen) < 2:
        return {}  # one alone costs what message_receive spends
    try:
        with transaction.atomic():
            results = _receive_together({i: (incomings[i], *chosen[i]) for i in chosen})
    except IntegrityError:  # a message received already, or twice in the batch
        logger.info("%s replies received one at a time: one is a duplicate", len(chosen))
        return {}
    except Exception:
        logger.warning(
            "%s replies could not be received together; one at a time instead",
            len(chosen),
            exc_info=True,
        )
        return {}
    return results


def _threaded(
    incomings: Sequence[NormalizedMessage], batch: Sequence[NormalizedMessage]
) -> dict[int, tuple[Customer, int, str]]:
    """{index: (customer, ticket id, threading reason)} of the messages that message_receive
    would thread onto a ticket of their known sender by its first two rules (a reply to a message
    we have, a subject tag): the sender alone in the batch, answering nothing of it, no note by
    email, and no other message of the batch for that ticket."""
    normalized = {(item.sender_kind, item.sender_value): normalized_sender(item) for item in batch}
    senders = Counter((item.sender_kind, normalized[item.sender_kind, item.sender_value])
                      for item in batch)  # fmt: skip
    ids_in_batch = {(item.channel, item.external_id[:255]) for item in batch if item.external_id}
    candidates: dict[int, Customer] = {}
    for index, item in enumerate(incomings):
        value = normalized[item.sender_kind, item.sender_value]
        if value is None or senders[item.sender_kind, value] != 1:
            continue
        customer = identity_known_customer(item.sender_kind, value)
        if customer is None or customer.merged_into_id is not None:
            continue
        if not customer.name and item.sender_name:
            continue  # message_receive names them
        if any((item.channel, reply) in ids_in_batch for reply in item.reply_to_ids):
            continue
        tag = SUBJECT_TAG.search(item.subject or "")
        if note_by_email_check(item, subject_tag=int(tag.group(1)) if tag else None) is not None:
            continue
        candidates[index] = customer
    if len(candidates) < 2:
        return {}
    threads = _threads({i: incomings[i] for i in candidates}, candidates)
    per_ticket = Counter(ticket_id for ticket_id, _ in threads.values())
    return {
        index: (candidates[index], ticket_id, reason)
        for index, (ticket_id, reason) in threads.items()
        if per_ticket[ticket_id] == 1
    }


def _threads(
    items: dict[int, NormalizedMessage], customers: dict[int, Customer]
) -> dict[int, tuple[int, str]]:
    """messages._thread's first two rules for all of these at once: {index: (ticket id, reason)}
    of those they thread onto a ticket that was merged into none (following merges is left to
    message_receive)."""
    replies = {(item.channel, r) for item in items.values() for r in item.reply_to_ids}
    earlier: dict[tuple[str, str], list[Message]] = {}
    if replies:
        found = (
            Message.objects.filter(
                channel__in={channel for channel, _ in replies},
                external_id__in={external_id for _, external_id in replies},
            )
            .select_related("ticket")
            .only("channel", "created_at", "ticket", *THREAD_FIELDS)
        )
        for message in found:
            earlier.setdefault((message.channel, message.external_id), []).append(message)
    tags = {
        index: int(match.group(1))
        for index, item in items.items()
        if item.channel != Channel.WEB and (match := SUBJECT_TAG.search(item.subject or ""))
    }
    tagged = {}
    if tags:
        tagged = {
            ticket.number: ticket
            for ticket in Ticket.objects.filter(number__in=set(tags.values())).only(
                "number", "customer_id", "merged_into_id"
            )
        }
    threads = {}
    for index, item in items.items():
        customer = customers[index]
        matches = [m for r in item.reply_to_ids for m in earlier.get((item.channel, r), [])]
        if matches:
            answered = max(matches, key=lambda m: m.created_at)
            if sum(m.created_at == answered.created_at for m in matches) > 1:
                continue  # which of them message_receive would find first is not certain
            if (
                answered.ticket.customer_id == customer.pk
                or answered.direction == Message.Direction.OUTBOUND
            ):
                if answered.ticket.merged_into_id is None:
                    threads[index] = (answered.ticket_id, f"reply to {answered.external_id}")
                continue  # threaded (onto a merged ticket: left to message_receive)
        ticket = tagged.get(tags.get(index))
        if ticket is not None and ticket.customer_id == customer.pk and not ticket.merged_into_id:
            threads[index] = (ticket.pk, f"subject tag [#{ticket.number}]")
    return threads


def _receive_together(
    chosen: dict[int, tuple[NormalizedMessage, Customer, int, str]],
) -> dict[int, ReceiveResult]:
    """message_receive's work for each {index: (message, customer, ticket id, reason)} whose
    customer and ticket could be locked at once and whose ticket continues as is (new or open,
    merged into none, still that customer's, on the message's channel): one statement per table
    for all of them, and the same domain events, in the same order."""
    customers = _locked(Customer, {customer.pk for _, customer, _, _ in chosen.values()})
    tickets = _locked(Ticket, {ticket_id for _, _, ticket_id, _ in chosen.values()})
    chosen = {
        index: (item, customer, tickets[ticket_id], reason)
        for index, (item, customer, ticket_id, reason) in chosen.items()
        if customer.pk in customers
        and customers[customer.pk].merged_into_id is None
        and ticket_id in tickets
        and _continues_as_is(tickets[ticket_id], item, customer)
    }
    last_channels = _last_inbound_channels([ticket for _, _, ticket, _ in chosen.values()])
    chosen = {
        index: value
        for index, value in chosen.items()
        if last_channels.get(value[2].pk, value[2].channel) == value[0].channel
    }
    if not chosen:
        return {}
    now = timezone.now()
    messages = []
    for item, _, ticket, reason in chosen.values():
        ticket.customer = customers[ticket.customer_id]  # the row in hand, for live pushes
        messages.append(
            inbound_message_row(
                item,
                ticket=ticket,
                kind=Message.Kind.MESSAGE,
                author_customer=ticket.customer,
                reason=reason,
            )
        )
    Message.objects.bulk_create(messages)
    items = [item for item, _, _, _ in chosen.values()]
    warned = attachments_store_for(items, messages)
    woken, touched = [], []
    for item, _, ticket, _ in chosen.values():
        ticket.updated_at = now
        if item.is_auto_reply:  # an auto-reply never wakes the ticket
            touched.append(ticket)
        else:
            ticket.last_customer_message_at = now
            woken.append(ticket)
    rows_update(woken, ["last_customer_message_at", "updated_at"])
    rows_update(touched, ["updated_at"])
    audit = []
    for (item, _, _, reason), message in zip(chosen.values(), messages, strict=True):
        audit.append(received_row(item, message, reason=reason))
        _publish_message(message, created_ticket=False, auto_reply=item.is_auto_reply)
    TicketEvent.objects.bulk_create(audit)
    return {
        index: ReceiveResult(
            message, message.ticket, created_ticket=False, warnings=warned.get(message.pk, [])
        )
        for index, message in zip(chosen, messages, strict=True)
    }


def _locked(model, ids: set[int]) -> dict:
    """{id: row} of those of these rows no other transaction holds, locked now, in id order (so
    that two batches never wait for each other's rows)."""
    rows = model.objects.select_for_update(skip_locked=True).filter(pk__in=ids).order_by("pk")
    return {row.pk: row for row in rows}


def _continues_as_is(ticket: Ticket, item: NormalizedMessage, customer: Customer) -> bool:
    """What _continue does to this locked ticket is only its message and the time it came: no
    status to change (a closed ticket gets a follow-up, a solved or pending one wakes up), and
    threading's reading of it still holds."""
    return (
        ticket.status in CONTINUED_AS_IS
        and ticket.merged_into_id is None
        and ticket.customer_id == customer.pk
    )


def _last_inbound_channels(tickets: list[Ticket]) -> dict[int, str]:
    """The channel of each ticket's latest message from its customer, by ticket id (those with
    none are left out), read under the tickets' locks: one query for the batch."""
    if not tickets:
        return {}
    inbound = Message.objects.filter(
        ticket_id__in=[ticket.pk for ticket in tickets], direction=Message.Direction.INBOUND
    )
    if connection.features.can_distinct_on_fields:
        latest = inbound.order_by("ticket_id", "-created_at", "-id").distinct("ticket_id")
        return dict(latest.values_list("ticket_id", "channel"))
    newest: dict[int, tuple] = {}
    for ticket_id, created_at, pk, channel in inbound.values_list(
        "ticket_id", "created_at", "id", "channel"
    ):
        if ticket_id not in newest or (created_at, pk) > newest[ticket_id][:2]:
            newest[ticket_id] = (created_at, pk, channel)
    return {ticket_id: value[2] for ticket_id, value in newest.items()}
