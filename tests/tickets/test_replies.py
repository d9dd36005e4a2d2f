"""Plain replies of known customers received together (services.messages_receive_replies): the
same rows, events and threading as message_receive gives them one at a time, and everything less
plain left to message_receive."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.tickets import test_openings as openings
from tests.tickets.test_openings import mail
from tickets import events, services
from tickets.inbound import InboundAttachment
from tickets.models import (
    Attachment,
    Customer,
    CustomerIdentity,
    Message,
    Team,
    Ticket,
    Tier,
)

BASE = timezone.now() - timedelta(hours=1)  # the same times in both runs of a comparison


@pytest.fixture
def desk(db):
    Team.objects.create(name="Atendimento", tier=Tier.N1)


def opened(n: int, **fields) -> Ticket:
    """Customer n's ticket, opened by their email n (external id <opening-n@...>)."""
    fields.setdefault("sent_at", BASE + timedelta(minutes=n))
    return services.message_receive(incoming=mail(n, **fields)).ticket


def reply(n: int, ticket: Ticket, **fields):
    """Customer n's answer: to their own first email, unless told otherwise."""
    values = {
        "subject": f"Re: Pedido {n}",
        "body_text": f"Segue a resposta {n}.",
        "external_id": f"<reply-{n}@empresa.com.br>",
        "reply_to_ids": (f"<opening-{n}@empresa.com.br>",),
        "sent_at": BASE + timedelta(minutes=30, seconds=n),
        **fields,
    }
    return mail(n, **values)


def receive_together(items, batch=None):
    """As a drain's batch does: the senders read ahead, then the replies received together."""
    return openings.receive_together(items, batch, receive=services.messages_receive_replies)


def tag(ticket: Ticket) -> str:
    return f"[#{ticket.number}]"


def picture() -> list:
    """What the tickets hold, without ids, numbers and times that differ between two runs."""
    tickets = list(Ticket.objects.order_by("pk"))
    numbers = {ticket.number: f"T{index}" for index, ticket in enumerate(tickets)}

    def plain(text):
        return re.sub(r"\[#(\d+)\]", lambda m: f"[#{numbers.get(int(m.group(1)), '?')}]", text)

    return [
        {
            "ticket": (plain(ticket.subject), ticket.status, ticket.channel,
                       ticket.last_customer_message_at is None, ticket.customer.name,
                       # woken by the customer's last message (an auto-reply only touches it)
                       ticket.last_customer_message_at == ticket.updated_at),
            "messages": [
                (m.direction, m.kind, m.channel, plain(m.subject), m.body_text, m.body_html,
                 m.external_id, m.is_auto_reply, plain(m.threading_reason), m.metadata,
                 m.created_at, m.author_customer_id == ticket.customer_id,
                 list(m.attachments.values_list("filename", "size")))
                for m in ticket.messages.order_by("pk")
            ],
            "audit": [(row.kind, row.after, {k: plain(str(v)) for k, v in row.data.items()
                                             if k != "message_id"})
                      for row in ticket.events.order_by("pk")],
        }
        for ticket in tickets
    ]  # fmt: skip


def delivered(event) -> tuple:
    """A delivered domain event without its ids."""
    message = Message.objects.filter(pk=getattr(event, "message_id", None)).first()
    return type(event).__name__, message.external_id if message else None


def setup_and_replies():
    """Five customers' tickets (one with an answer of ours) and their replies: to their own
    email, by tag only, to our answer with attachments (one over the limit), an auto-reply, an
    HTML-only one."""
    tickets = [opened(n) for n in range(5)]
    ours = Message.objects.create(
        ticket=tickets[2], direction="outbound", kind="message", channel="email",
        external_id="<our-answer@jornada.example>", created_at=BASE + timedelta(minutes=20),
    )  # fmt: skip
    big = InboundAttachment("planilha.xlsx", "application/vnd.ms-excel", b"x" * 2048)
    small = InboundAttachment("nota.pdf", "application/pdf", b"%PDF-1.4 nota")
    return [
        reply(0, tickets[0]),
        reply(1, tickets[1], subject=f"Re: {tag(tickets[1])} Pedido 1", reply_to_ids=()),
        reply(2, tickets[2], reply_to_ids=(ours.external_id,), attachments=(small, big)),
        reply(3, tickets[3], subject=f"Resposta automática {tag(tickets[3])}", reply_to_ids=(),
              is_auto_reply=True),
        reply(4, tickets[4], body_text="", body_html="<p>Só <b>HTML</b><script>x()</script></p>"),
    ]  # fmt: skip


def test_replies_received_together_hold_what_one_at_a_time_gives_them(
    desk, received, settings, django_capture_on_commit_callbacks
):
    settings.JORNADA = {**settings.JORNADA, "ATTACHMENT_MAX_BYTES": 1024}
    with django_capture_on_commit_callbacks(execute=True):
        items = setup_and_replies()
        received.clear()
        for item in items:
            services.message_receive(incoming=item)
    alone, alone_events = picture(), [delivered(event) for event in received]
    Ticket.objects.all().delete()
    Customer.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        items = setup_and_replies()
        received.clear()
        results = receive_together(items)

    assert sorted(results) == [0, 1, 2, 3, 4]
    assert not any(r.created_ticket or r.duplicate for r in results.values())
    assert picture() == alone
    assert [delivered(event) for event in received] == alone_events
    assert len(alone_events) >= len(items)  # each message's MessageCreated, at least
    assert results[2].warnings == results[2].message.metadata["warnings"]
    assert len(results[2].warnings) == 1
    assert Attachment.objects.get().file.read() == b"%PDF-1.4 nota"
    assert all(r.ticket is r.message.ticket and r.ticket.customer for r in results.values())


def test_what_is_less_plain_is_left_to_message_receive(desk, n1_agent):
    from tickets.note_addresses import note_address

    tickets = [opened(n) for n in range(19)]
    tickets[1].status = Ticket.Status.CLOSED
    tickets[2].status = Ticket.Status.SOLVED
    tickets[3].status = Ticket.Status.PENDING
    tickets[18].status = Ticket.Status.ON_HOLD
    Ticket.objects.bulk_update([*tickets[1:4], tickets[18]], ["status"])
    last = BASE + timedelta(minutes=25)  # their last message came by WhatsApp
    Message.objects.create(ticket=tickets[5], direction="inbound", kind="message",
                           channel="whatsapp", external_id="wamid.5", created_at=last)  # fmt: skip
    Customer.objects.filter(pk=tickets[6].customer_id).update(name="")  # their name comes now
    stranger, colleague, nobody = opened(20), opened(21), opened(30)
    ours = {
        n: Message.objects.create(
            ticket=tickets[n], direction="outbound", kind="message", channel="email",
            external_id=f"<ours-{n}@jornada.example>", created_at=BASE + timedelta(minutes=20),
        )
        for n in (7, 13)
    }  # fmt: skip

    def note_to(ticket):
        return note_address(mailbox_address="suporte@jornada.example", agent_id=n1_agent.pk,
                            ticket_number=ticket.number)  # fmt: skip

    outro = "outro14@empresa.com.br"
    CustomerIdentity.objects.create(customer=tickets[14].customer, kind="email", value=outro)
    other14 = opened(14, external_id="<other-14@x>", subject="Outro pedido")
    items = [
        reply(0, tickets[0]),  # 0: plain
        reply(1, tickets[1]),  # 1: closed: a follow-up ticket
        reply(2, tickets[2]),  # 2: solved: wakes up
        reply(3, tickets[3]),  # 3: pending: wakes up
        reply(4, tickets[4], external_id=""),  # 4: no Message-ID
        reply(5, tickets[5]),  # 5: a change of channel
        reply(6, tickets[6]),  # 6: named by this message
        reply(20, stranger, reply_to_ids=(ours[7].external_id,)),  # 7: another's ticket
        reply(8, tickets[8], recipients=(note_to(tickets[8]),)),  # 8: a note by email
        reply(9, tickets[9], external_id="<first-of-two@x>"),  # 9, 10: one sender twice
        reply(9, tickets[9], external_id="<second-of-two@x>", reply_to_ids=()),
        # 11: answers a message of the batch (12) besides its own; 12: answered by it
        reply(10, tickets[10], reply_to_ids=("<reply-11@x>", "<opening-10@empresa.com.br>")),
        reply(11, tickets[11], external_id="<reply-11@x>"),
        reply(30, nobody, reply_to_ids=("<never-seen@x>",)),  # 13: nothing to thread on
        reply(13, tickets[13]),  # 14, 15: a colleague answers our message on the same ticket
        reply(21, colleague, reply_to_ids=(ours[13].external_id,)),
        # 16, 17: one customer under two addresses, each on a ticket of theirs
        reply(14, tickets[14]),
        reply(
            14, other14, sender=outro, external_id="<outro-14@x>", reply_to_ids=("<other-14@x>",)
        ),
        reply(15, tickets[15]),  # 18: answered by 19, a message of the batch
        mail(40, reply_to_ids=("<reply-15@empresa.com.br>",)),
        reply(12, tickets[12]),  # 20: plain
        # 21: an agent's note by email to ticket 16, whose customer's reply (22) then waits
        mail(41, sender=n1_agent.email, recipients=(note_to(tickets[16]),), subject="Nota"),
        reply(16, tickets[16]),
        reply(17, tickets[17], external_id="<same-id@x>"),  # 23: another message has its id
        mail(42, external_id="<same-id@x>"),
        reply(18, tickets[18]),  # 25: on hold: taken, nothing to change
    ]

    results = receive_together(items)

    assert sorted(results) == [0, 20, 25]
    assert not Message.objects.filter(external_id="<reply-1@empresa.com.br>").exists()
    assert Message.objects.filter(external_id__startswith="<reply-").count() == 3
    assert Ticket.objects.get(pk=tickets[18].pk).status == Ticket.Status.ON_HOLD


def test_an_answer_to_our_message_on_anothers_ticket_is_left_to_message_receive(desk):
    tickets = [opened(n) for n in range(2)]
    own, others = opened(20), opened(21)
    ours = Message.objects.create(
        ticket=others, direction="outbound", kind="message", channel="email",
        external_id="<ours-21@jornada.example>", created_at=BASE + timedelta(minutes=20),
    )  # fmt: skip
    # Its tag names the sender's own ticket, but message_receive threads by what it answers first.
    answer = reply(20, own, subject=f"Re: {tag(own)}", reply_to_ids=(ours.external_id,))

    results = receive_together([reply(0, tickets[0]), reply(1, tickets[1]), answer])

    assert sorted(results) == [0, 1]
    assert services.message_receive(incoming=answer).ticket == others


def test_a_batch_reaching_a_merged_ticket_is_left_to_message_receive(desk, n1_agent):
    tickets = [opened(n) for n in range(3)]
    services.ticket_merge(source=tickets[2], target=opened(2, external_id="<other-2@x>"),
                          by=n1_agent)  # fmt: skip
    items = [
        reply(0, tickets[0]),
        reply(1, tickets[1]),
        reply(2, tickets[2], subject=f"Re: {tag(tickets[2])}", reply_to_ids=()),
    ]

    assert receive_together(items) == {}  # where a merge leads is message_receive's to follow
    assert receive_together(items[:2]).keys() == {0, 1}


def test_one_alone_or_outside_a_batch_is_left_to_message_receive(desk):
    tickets = [opened(n) for n in range(2)]
    assert receive_together([reply(0, tickets[0])]) == {}
    items = [reply(0, tickets[0]), reply(1, tickets[1])]
    with transaction.atomic():
        assert services.messages_receive_replies(incomings=items, batch=items) == {}
    assert Message.objects.count() == 2


def test_a_reply_received_already_is_left_to_message_receive(
    desk, received, django_capture_on_commit_callbacks
):
    tickets = [opened(n) for n in range(3)]
    first = services.message_receive(incoming=reply(0, tickets[0]))
    received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        results = receive_together([reply(n, tickets[n]) for n in range(3)])

    assert sorted(results) == [1, 2]
    assert first.message.ticket.messages.count() == 2  # nothing more on it
    created = [event for event in received if isinstance(event, events.MessageCreated)]
    assert [event.message_id for event in created] == [results[1].message.pk,
                                                       results[2].message.pk]  # fmt: skip


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("held_row", ["customer", "ticket"])
def test_a_customer_or_ticket_another_transaction_holds_is_left_to_message_receive(desk, held_row):
    tickets = [opened(n) for n in range(3)]
    held, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            if held_row == "customer":
                Customer.objects.select_for_update().get(pk=tickets[1].customer_id)
            else:
                Ticket.objects.select_for_update().get(pk=tickets[1].pk)
            held.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        results = receive_together([reply(n, tickets[n]) for n in range(3)])
    finally:
        release.set()
        holder.join()

    assert sorted(results) == [0, 2]  # no wait: the held one goes one at a time
    assert not Message.objects.filter(external_id="<reply-1@empresa.com.br>").exists()
