"""Replies of known customers to their tickets, received together.

After a burst of new conversations come their customers' answers: each, one at a time, costs its
customer's lock, a threading lookup, its ticket's lock, the ticket's last channel, and the
message, ticket and audit writes. In a drain's batch the replies that plainly continue a ticket
(an email answering a message of that ticket, or tagged with its number, from its own customer)
are received together, in a fixed number of statements, with what message_receive would have
written. Whatever is less plain (a closed, solved or merged ticket, a change of channel, a note by
email, two messages for one ticket) is left to message_receive.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from ..identities import PHONE_KINDS
from ..inbound import NormalizedMessage
from ..memo import in_batch
from ..models import Channel, Customer, Message, Ticket, TicketEvent
from ..note_addresses import note_tokens_in
from ..rows import rows_update
from ..sanitize import single_line
from ._common import all_or_none
from .attachments import attachments_store_for
from .customers import identity_read_ahead_customer, normalized_sender
from .email_notes import note_by_email_check
from .messages import (
    SUBJECT_TAG,
    THREAD_FIELDS,
    ReceiveResult,
    _publish_message,
    inbound_message_row,
    received_row,
)

S = Ticket.Status
# A customer's message onto one of these continues it as is: no status change to record.
CONTINUED_AS_IS = frozenset({S.NEW, S.OPEN, S.ON_HOLD})


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
    message_receive. All or none, in a savepoint (its locks go with it): should one of them fail,
    nothing of them is written and the result is empty."""
    if not in_batch():
        return {}
    candidates = _candidates(incomings, batch)
    if len(candidates) < 2:
        return {}  # one alone costs what message_receive spends
    return all_or_none(
        lambda: _receive_together(incomings, batch, candidates),
        count=len(candidates),
        what="replies",
        taken="one is a duplicate",
    )


def _candidates(
    incomings: Sequence[NormalizedMessage], batch: Sequence[NormalizedMessage]
) -> dict[int, int]:
    """{index: customer id} of the messages from a customer read ahead as known (by email), the
    only message of that person in the batch (under any of their identities), answering nothing
    in it and answered by nothing in it, with a Message-ID of its own, no note by email, no name
    to give their customer."""
    by_email = {
        id(item): _known_customer(item) for item in batch if item.sender_kind not in PHONE_KINDS
    }
    if sum(customer is not None for customer in by_email.values()) < 2:
        return {}  # a phone channel's batch: no phone normalized for nothing
    known = by_email | {
        id(item): _known_customer(item) for item in batch if item.sender_kind in PHONE_KINDS
    }
    people = Counter(_person(item, known) for item in batch)
    sent = Counter((item.channel, item.external_id[:255]) for item in batch if item.external_id)
    answered = {(item.channel, reply) for item in batch for reply in item.reply_to_ids}
    candidates = {}
    for index, item in enumerate(incomings):
        customer = by_email.get(id(item))
        if customer is None or people[_person(item, known)] != 1:
            continue
        if not item.external_id or sent[item.channel, item.external_id[:255]] != 1:
            continue  # no Message-ID, or one another message of the batch has too
        if not customer.name and single_line(item.sender_name):
            continue  # message_receive names them
        if (item.channel, item.external_id[:255]) in answered:
            continue
        if any((item.channel, reply) in sent for reply in item.reply_to_ids):
            continue
        tag = SUBJECT_TAG.search(item.subject or "")
        if note_by_email_check(item, subject_tag=int(tag.group(1)) if tag else None) is not None:
            continue
        candidates[index] = customer.pk
    return candidates


def _known_customer(item: NormalizedMessage) -> Customer | None:
    value = normalized_sender(item)
    return identity_read_ahead_customer(item.sender_kind, value) if value else None


def _person(item: NormalizedMessage, known: dict) -> tuple:
    """Who sent it, as far as the read-ahead tells: their customer (the one a merged customer
    went into), else their identity."""
    customer = known.get(id(item))
    if customer is not None:
        return ("customer", customer.merged_into_id or customer.pk)
    return ("identity", item.sender_kind, item.sender_value)


def _receive_together(
    incomings: Sequence[NormalizedMessage],
    batch: Sequence[NormalizedMessage],
    candidates: dict[int, int],
) -> dict[int, ReceiveResult]:
    """message_receive's work for those candidates whose customer can be locked at once, that
    thread onto a ticket of that customer which can be locked at once and continues as is (new,
    open or on hold, merged into none, last written on the message's channel), and which no other
    message of the batch may reach: one statement per table for all of them, and the same domain
    events, in the same order. Customers are locked before threading reads, as message_receive
    does, so that it sees what their other messages committed."""
    customers = _locked(Customer, set(candidates.values()))
    candidates = {
        index: customer_id
        for index, customer_id in candidates.items()
        if (customer := customers.get(customer_id)) is not None
        and customer.merged_into_id is None
        and (customer.name or not single_line(incomings[index].sender_name))
    }
    threads = _threads(incomings, batch, candidates)
    tickets = _locked(Ticket, {ticket_id for ticket_id, _ in threads.values()})
    # A ticket merged since threading read it: its message follows the merge in message_receive.
    targets = {ticket.merged_into_id for ticket in tickets.values() if ticket.merged_into_id}
    chosen = {
        index: (incomings[index], tickets[ticket_id], reason)
        for index, (ticket_id, reason) in threads.items()
        if ticket_id in tickets
        and ticket_id not in targets
        and _continues_as_is(tickets[ticket_id], candidates[index])
    }
    last_channels = _last_inbound_channels([ticket for _, ticket, _ in chosen.values()])
    chosen = {
        index: (item, ticket, reason)
        for index, (item, ticket, reason) in chosen.items()
        if last_channels.get(ticket.pk, ticket.channel) == item.channel
    }
    if not chosen:
        return {}
    now = timezone.now()
    messages = []
    for item, ticket, reason in chosen.values():
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
    warned = attachments_store_for([item for item, _, _ in chosen.values()], messages)
    woken, touched = [], []
    for item, ticket, _ in chosen.values():
        ticket.updated_at = now
        if item.is_auto_reply:  # an auto-reply never wakes the ticket
            touched.append(ticket)
        else:
            ticket.last_customer_message_at = now
            woken.append(ticket)
    rows_update(woken, ["last_customer_message_at", "updated_at"])
    rows_update(touched, ["updated_at"])
    audit = []
    for (item, _, reason), message in zip(chosen.values(), messages, strict=True):
        audit.append(received_row(item, message, reason=reason))
        _publish_message(message, created_ticket=False, auto_reply=item.is_auto_reply)
    TicketEvent.objects.bulk_create(audit)
    return {
        index: ReceiveResult(
            message, message.ticket, created_ticket=False, warnings=warned.get(message.pk, [])
        )
        for index, message in zip(chosen, messages, strict=True)
    }


def _threads(
    incomings: Sequence[NormalizedMessage],
    batch: Sequence[NormalizedMessage],
    candidates: dict[int, int],
) -> dict[int, tuple[int, str]]:
    """messages._thread's first two rules (a reply to a message we have, a subject tag) for the
    candidates at once: {index: (ticket id, reason)} of those that thread onto a ticket of their
    own customer, merged into none (following merges is left to message_receive), no other
    candidate's, and out of reach of the batch's other messages (by what they answer or tag), so
    that receiving these first changes nobody's order. A candidate received already is left out
    (message_receive returns the first one)."""
    wanted = {(item.channel, r) for item in batch for r in item.reply_to_ids}
    wanted |= {(incomings[i].channel, incomings[i].external_id[:255]) for i in candidates}
    earlier: dict[tuple[str, str], list[Message]] = defaultdict(list)
    if wanted:
        found = (
            Message.objects.filter(
                channel__in={channel for channel, _ in wanted},
                external_id__in={external_id for _, external_id in wanted},
            )
            .select_related("ticket")
            .only("channel", "created_at", "ticket", *THREAD_FIELDS)
        )
        for message in found:
            earlier[message.channel, message.external_id].append(message)
    tags = {
        id(item): int(match.group(1))
        for item in batch
        if item.channel != Channel.WEB and (match := SUBJECT_TAG.search(item.subject or ""))
    }
    # A note by email goes to the ticket its address names, whoever sends it.
    noted = {id(item): {token.ticket_number for token in note_tokens_in(item.recipients)}
             for item in batch if item.channel == Channel.EMAIL}  # fmt: skip
    numbers = set(tags.values()).union(*noted.values())
    tagged = {}
    if numbers:
        tagged = {
            ticket.number: ticket
            for ticket in Ticket.objects.filter(number__in=numbers).only(
                "number", "customer_id", "merged_into_id"
            )
        }
    threads = {}
    for index, customer_id in candidates.items():
        item = incomings[index]
        if earlier[item.channel, item.external_id[:255]]:
            continue  # received already
        thread = _thread(item, customer_id, earlier, tagged.get(tags.get(id(item))))
        if thread is not None:
            threads[index] = thread
    taken = {id(incomings[index]) for index in threads}
    reached = []  # the tickets the batch's other messages may go to
    for item in batch:
        if id(item) in taken:
            continue
        reached += [m.ticket for r in item.reply_to_ids for m in earlier[item.channel, r]]
        named = {tags.get(id(item)), *noted.get(id(item), ())}
        reached += [tagged[number] for number in named if number in tagged]
    if any(ticket.merged_into_id for ticket in reached):
        return {}  # where a merge chain leads is message_receive's to follow
    reached = {ticket.pk for ticket in reached}
    per_ticket = Counter(ticket_id for ticket_id, _ in threads.values())
    return {
        index: (ticket_id, reason)
        for index, (ticket_id, reason) in threads.items()
        if per_ticket[ticket_id] == 1 and ticket_id not in reached
    }


def _thread(
    item: NormalizedMessage, customer_id: int, earlier: dict, tagged: Ticket | None
) -> tuple[int, str] | None:
    """What messages._thread decides for this message of a known customer, when it is their own
    ticket, merged into none; None otherwise (or when it cannot be told without message_receive)."""
    matches = [m for r in item.reply_to_ids for m in earlier[item.channel, r]]
    if matches:
        answered = max(matches, key=lambda m: m.created_at)
        if sum(m.created_at == answered.created_at for m in matches) > 1:
            return None  # which of them message_receive would find first is not certain
        ticket = answered.ticket
        if ticket.customer_id == customer_id:
            if ticket.merged_into_id:
                return None  # where the merge leads is message_receive's to follow
            return ticket.pk, f"reply to {answered.external_id}"
        if answered.direction == Message.Direction.OUTBOUND:
            return None  # our message on another's ticket: message_receive threads it there
    if tagged is not None and tagged.customer_id == customer_id and not tagged.merged_into_id:
        return tagged.pk, f"subject tag [#{tagged.number}]"
    return None


def _locked(model, ids: set[int]) -> dict:
    """{id: row} of those of these rows no other transaction holds, locked now (never waiting:
    what another transaction holds is left to message_receive)."""
    rows = model.objects.select_for_update(skip_locked=True).filter(pk__in=ids)
    return {row.pk: row for row in rows}


def _continues_as_is(ticket: Ticket, customer_id: int) -> bool:
    """What _continue does to this locked ticket is only its message and the time it came: no
    status to change (a closed ticket gets a follow-up, a solved or pending one wakes up), and
    threading's reading of it still holds."""
    return (
        ticket.status in CONTINUED_AS_IS
        and ticket.merged_into_id is None
        and ticket.customer_id == customer_id
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
