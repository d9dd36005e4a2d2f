"""New conversations of new senders received together (services.messages_receive_openings):
the same rows, events and threading as message_receive gives them one at a time."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.tickets.factories import CustomerIdentityFactory
from tickets import events, services
from tickets.inbound import InboundAttachment, NormalizedMessage
from tickets.memo import memoized_for_batch
from tickets.models import (
    Attachment,
    Customer,
    CustomerIdentity,
    Message,
    Organization,
    Team,
    Ticket,
    Tier,
)


def mail(n: int, sender: str | None = None, **fields) -> NormalizedMessage:
    values = {
        "channel": "email",
        "sender_kind": "email",
        "sender_value": sender or f"cliente{n}@empresa{n % 2}.com.br",
        "sender_name": f"Cliente {n}",
        "subject": f"Pedido {n}",
        "body_text": f"Olá, preciso de ajuda com o pedido {n}.",
        "external_id": f"<opening-{n}@empresa.com.br>",
        "recipients": ("suporte@jornada.example",),
        "sent_at": timezone.now() - timedelta(minutes=n),
        **fields,
    }
    return NormalizedMessage(**values)


def receive_together(items, batch=None, receive=services.messages_receive_openings):
    """As a drain's batch does: the senders read ahead, then the openings (or what `receive`
    takes) received together."""
    batch = items if batch is None else batch
    with memoized_for_batch(), transaction.atomic():
        services.customers_prefetch_for_identities(
            identities=[(item.sender_kind, item.sender_value) for item in batch]
        )
        return receive(incomings=items, batch=batch)


def picture(ticket: Ticket) -> dict:
    """What a ticket holds, without ids, numbers and times (which differ between two runs)."""
    message = ticket.messages.get()
    customer = ticket.customer
    return {
        "ticket": (ticket.subject, ticket.channel, ticket.status, ticket.priority, ticket.tier,
                   ticket.language, ticket.last_customer_message_at is None),
        "customer": (customer.name, customer.language, customer.organization_id,
                     list(customer.identities.values_list("kind", "value"))),
        "message": (message.direction, message.kind, message.channel, message.subject,
                    message.body_text, message.external_id, message.is_auto_reply,
                    message.threading_reason, message.metadata, message.created_at,
                    message.author_customer_id == customer.pk),
        "attachments": list(message.attachments.values_list("filename", "content_type", "size")),
        "audit": [(row.kind, row.after, {k: v for k, v in row.data.items() if k != "message_id"})
                  for row in ticket.events.order_by("pk")],
    }  # fmt: skip


@pytest.fixture
def desk(db):
    Team.objects.create(name="Atendimento", tier=Tier.N1)
    Team.objects.create(name="Balcão", tier=Tier.N1)
    Organization.objects.create(name="Empresa Zero", domain="Empresa0.com.br")


def openings_for_comparison() -> list[NormalizedMessage]:
    big = InboundAttachment("planilha.xlsx", "application/vnd.ms-excel", b"x" * 2048)
    small = InboundAttachment("nota.pdf", "application/pdf", b"%PDF-1.4 nota")
    return [
        mail(0),
        mail(1, attachments=(small, big)),  # the big one over the limit: skipped, with a warning
        mail(2, is_auto_reply=True),
        mail(3, language="en", subject=""),
        mail(4, body_text="", body_html="<p>Só <b>HTML</b><script>x()</script></p>"),
    ]


def test_new_conversations_received_together_hold_what_one_at_a_time_gives_them(
    desk, received, settings, django_capture_on_commit_callbacks
):
    settings.JORNADA = {**settings.JORNADA, "ATTACHMENT_MAX_BYTES": 1024}
    items = openings_for_comparison()
    with django_capture_on_commit_callbacks(execute=True):
        for item in items:
            services.message_receive(incoming=item)
    alone = [picture(ticket) for ticket in Ticket.objects.order_by("pk")]
    alone_events = [delivered(event) for event in received]
    Ticket.objects.all().delete()
    Customer.objects.all().delete()
    received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        results = receive_together(items)

    assert sorted(results) == [0, 1, 2, 3, 4]
    assert all(result.created_ticket and not result.duplicate for result in results.values())
    together = [picture(ticket) for ticket in Ticket.objects.order_by("pk")]
    assert together == alone
    # Each ticket's "created", then its message's, in the messages' order, as one at a time.
    assert len(alone_events) == 2 * len(items)
    assert [delivered(event) for event in received] == alone_events
    assert (
        results[1].warnings
        == Message.objects.get(external_id=items[1].external_id).metadata["warnings"]
    )
    assert len(results[1].warnings) == 1
    assert Attachment.objects.get().file.read() == b"%PDF-1.4 nota"


def delivered(event) -> tuple:
    """A delivered domain event without its ids: its type and which message's it is."""
    message = Message.objects.filter(ticket_id=event.ticket_id).values_list("external_id").get()
    return type(event).__name__, message[0], getattr(event, "created_ticket", None)


def test_their_numbers_follow_on_and_the_n1_teams_take_them_in_turn(desk):
    before = services.message_receive(incoming=mail(9)).ticket

    results = receive_together([mail(n) for n in range(4)])

    tickets = [results[n].ticket for n in range(4)]
    assert [t.number for t in tickets] == [before.number + n for n in range(1, 5)]
    teams = sorted(Team.objects.values_list("name", flat=True))
    assert [t.team.name for t in tickets] == [teams[t.number % 2] for t in tickets]
    assert all(r.message.ticket_id == r.ticket.pk for r in results.values())


def make_customer(email: str) -> Customer:
    return CustomerIdentityFactory(value=email).customer


def test_what_may_thread_or_is_no_customers_message_is_left_to_message_receive(desk):
    known = make_customer(email="conhecida@empresa.com.br")
    ours = services.message_receive(incoming=mail(50, sender="conhecida@empresa.com.br")).ticket
    our_reply = Message.objects.create(
        ticket=ours, direction="outbound", kind="message", channel="email",
        external_id="<our-reply@jornada.example>",
    )  # fmt: skip
    items = [
        mail(0),  # 0: new, alone in the batch
        mail(1, sender="conhecida@empresa.com.br"),  # 1: a known customer
        mail(2, sender="duas@vezes.com.br"),  # 2 and 3: one new sender twice
        mail(3, sender="duas@vezes.com.br"),
        mail(4, reply_to_ids=("<opening-0@empresa.com.br>",)),  # 4: answers a message of the batch
        mail(5, reply_to_ids=(our_reply.external_id,)),  # 5: answers one of ours
        mail(6, reply_to_ids=("<never-seen@x>",)),  # 6: answers what we never had: new
        mail(7, sender="nao e um endereco"),  # 7: no valid sender
        mail(8),
    ]

    results = receive_together(items)

    assert sorted(results) == [0, 6, 8]
    assert known.tickets.count() == 1  # nothing of the known customer's was touched
    assert not CustomerIdentity.objects.filter(value="duas@vezes.com.br").exists()


def test_a_note_by_email_is_left_to_message_receive(desk, n1_agent):
    from tickets.note_addresses import note_address

    ticket = services.message_receive(incoming=mail(40)).ticket
    address = note_address(
        mailbox_address="suporte@jornada.example", agent_id=n1_agent.pk, ticket_number=ticket.number
    )
    items = [mail(0), mail(1), mail(2, recipients=(address,))]

    assert sorted(receive_together(items)) == [0, 1]


def test_one_alone_or_outside_a_batch_is_left_to_message_receive(desk):
    assert receive_together([mail(0)]) == {}
    with transaction.atomic():
        assert services.messages_receive_openings(incomings=[mail(1), mail(2)],
                                                  batch=[mail(1), mail(2)]) == {}  # fmt: skip
    assert not Ticket.objects.exists()


def test_a_sender_created_meanwhile_by_another_process_rolls_back_them_all(
    desk, received, django_capture_on_commit_callbacks
):
    items = [mail(n) for n in range(3)]
    with (
        django_capture_on_commit_callbacks(execute=True),
        memoized_for_batch(),
        transaction.atomic(),
    ):
        services.customers_prefetch_for_identities(
            identities=[(item.sender_kind, item.sender_value) for item in items]
        )
        # After the read-ahead, another worker creates one of the senders.
        elsewhere = make_customer(email=items[1].sender_value)
        results = services.messages_receive_openings(incomings=items, batch=items)
        # Nothing of them is written: each goes to message_receive, which finds that customer.
        assert results == {}
        assert not Ticket.objects.exists()
        assert Customer.objects.count() == 1
        one = services.message_receive(incoming=items[1])
    assert one.ticket.customer == elsewhere
    # The rolled-back tickets' events went with them: only the one received is delivered.
    created = [event for event in received if isinstance(event, events.TicketCreated)]
    assert [event.ticket_id for event in created] == [one.ticket.pk]


def test_a_message_received_already_rolls_back_them_all(desk):
    first = services.message_receive(incoming=mail(0))
    first.ticket.customer.identities.all().delete()  # its sender no longer known: a candidate

    assert receive_together([mail(0), mail(1)]) == {}
    assert Message.objects.count() == 1
