"""A ticket's conversation: customer messages in from every channel (threading, reopening,
duplicates, sanitizing, attachments), agent replies and internal notes."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from tests.tickets.factories import (
    CustomerIdentityFactory,
    UserFactory,
    make_attachment,
    make_inbound,
    make_ticket,
)
from tickets import events, services
from tickets.errors import AttachmentTooLarge, IllegalTransition, NotAnAgent, TicketClosed
from tickets.identities import InvalidIdentity
from tickets.inbound import InboundAttachment
from tickets.models import (
    Attachment,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Ticket,
    TicketEvent,
)

S = Ticket.Status
E = TicketEvent.Kind
M = Message


def receive(**fields):
    return services.message_receive(incoming=make_inbound(**fields))


def kinds(ticket):
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


def small_attachment_limit(limit):
    return override_settings(JORNADA={**settings.JORNADA, "ATTACHMENT_MAX_BYTES": limit})


@pytest.fixture
def maria(customer):
    """The `customer` fixture, reachable by e-mail."""
    CustomerIdentityFactory(customer=customer, kind="email", value="maria@example.com")
    return customer


# --- message_receive: new conversations ------------------------------------------------------


def test_first_message_creates_customer_and_ticket(db):
    result = receive(
        sender_value="Joao@Example.com", sender_name="João", subject="Boleto", external_id="<1@x>"
    )

    assert result.created_ticket
    assert not result.duplicate
    customer = result.ticket.customer
    assert customer.name == "João"
    assert list(customer.identities.values_list("kind", "value")) == [("email", "joao@example.com")]
    assert (result.ticket.subject, result.ticket.channel, result.ticket.status) == (
        "Boleto",
        Channel.EMAIL,
        S.NEW,
    )


def test_received_message_is_an_inbound_message_of_the_customer(db):
    result = receive(sender_value="joao@example.com", body_text="Olá", external_id="<1@x>")

    message = result.message
    assert (message.ticket, message.direction, message.kind, message.channel) == (
        result.ticket,
        M.Direction.INBOUND,
        M.Kind.MESSAGE,
        Channel.EMAIL,
    )
    assert (message.author_customer, message.author_user) == (result.ticket.customer, None)
    assert (message.body_text, message.external_id, message.delivery_status) == ("Olá", "<1@x>", "")


def test_first_message_records_created_then_message_received(db):
    result = receive(subject="Boleto")

    assert kinds(result.ticket) == [E.CREATED, E.MESSAGE_RECEIVED]
    event = result.ticket.events.get(kind=E.MESSAGE_RECEIVED)
    assert event.actor is None
    assert event.data == {
        "message_id": result.message.pk,
        "channel": Channel.EMAIL,
        "threading": "new conversation",
        "auto_reply": False,
    }


def test_message_from_a_known_identity_reuses_the_customer(maria):
    result = receive(sender_value="MARIA@example.com")

    assert result.ticket.customer == maria
    assert Customer.objects.count() == 1


def test_received_message_sets_last_customer_message_at(db):
    start = timezone.now()

    result = receive()

    result.ticket.refresh_from_db()
    assert result.ticket.last_customer_message_at >= start


def test_message_keeps_the_time_the_customer_sent_it(db):
    sent_at = timezone.now() - timedelta(hours=3)

    result = receive(sent_at=sent_at)

    assert result.message.created_at == sent_at


def test_invalid_sender_creates_nothing(db):
    with pytest.raises(InvalidIdentity):
        receive(channel=Channel.WHATSAPP, sender_value="abc")

    assert not Ticket.objects.exists()
    assert not Message.objects.exists()


# --- message_receive: threading --------------------------------------------------------------


def test_reply_headers_thread_onto_the_earlier_messages_ticket(db):
    first = receive(subject="Boleto", external_id="<first@mail>")

    reply = receive(
        subject="Re: Boleto", external_id="<second@mail>", reply_to_ids=("<first@mail>",)
    )

    assert not reply.created_ticket
    assert reply.ticket == first.ticket
    assert reply.message.threading_reason == "reply to <first@mail>"


def test_reply_headers_find_any_earlier_message_of_the_thread(db):
    first = receive(external_id="<first@mail>")
    receive(external_id="<second@mail>", reply_to_ids=("<first@mail>",))

    third = receive(external_id="<third@mail>", reply_to_ids=("<unknown@mail>", "<second@mail>"))

    assert third.ticket == first.ticket


def test_reply_headers_to_an_unknown_message_open_a_new_ticket(db):
    first = receive(external_id="<first@mail>")

    reply = receive(external_id="<r@mail>", reply_to_ids=("<never-seen@mail>",))

    assert reply.created_ticket
    assert reply.ticket != first.ticket


def test_provider_ids_of_another_channel_do_not_thread(db):
    first = receive(channel=Channel.WEB, external_id="abc-1")

    reply = receive(channel=Channel.EMAIL, external_id="<r@mail>", reply_to_ids=("abc-1",))

    assert reply.ticket != first.ticket


def test_subject_tag_threads_when_the_sender_is_the_tickets_customer(ticket, maria):
    result = receive(sender_value="maria@example.com", subject=f"Re: [#{ticket.number}] Acesso")

    assert not result.created_ticket
    assert result.ticket == ticket
    assert result.message.threading_reason == f"subject tag [#{ticket.number}]"


def test_subject_tag_from_another_sender_opens_a_new_ticket(ticket, maria):
    result = receive(sender_value="intruso@example.com", subject=f"Re: [#{ticket.number}] Acesso")

    assert result.created_ticket
    assert result.ticket != ticket
    assert result.ticket.customer != maria
    assert not ticket.messages.exists()


def test_subject_tag_of_an_unknown_number_opens_a_new_ticket(maria):
    result = receive(sender_value="maria@example.com", subject="Re: [#999999] Acesso")

    assert result.created_ticket


def test_subject_tag_of_a_merged_ticket_threads_onto_the_merge_target(maria, manager):
    source = make_ticket(customer=maria)
    target = make_ticket(customer=maria)
    services.ticket_merge(source=source, target=target, by=manager)

    result = receive(sender_value="maria@example.com", subject=f"Re: [#{source.number}]")

    assert result.ticket == target


def test_reply_to_a_message_of_a_merged_ticket_lands_on_the_target(db, manager):
    first = receive(external_id="<first@mail>")
    target = receive(external_id="<other@mail>").ticket
    services.ticket_merge(source=first.ticket, target=target, by=manager)

    reply = receive(external_id="<r@mail>", reply_to_ids=("<first@mail>",))

    assert reply.ticket == target


@pytest.mark.parametrize("channel", [Channel.WHATSAPP, Channel.SMS, Channel.CHAT])
def test_conversational_channel_threads_onto_the_customers_open_ticket(db, channel):
    sender = "+5511987654321" if channel != Channel.CHAT else "visitor-42"
    first = receive(channel=channel, sender_value=sender, body_text="Oi")

    second = receive(channel=channel, sender_value=sender, body_text="Tudo bem?")

    assert not second.created_ticket
    assert second.ticket == first.ticket
    assert second.message.threading_reason == f"open {channel} conversation"


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.WEB])
def test_email_and_web_open_a_new_ticket_for_an_unrelated_message(db, channel):
    first = receive(channel=channel, sender_value="maria@example.com", subject="Boleto")

    second = receive(channel=channel, sender_value="maria@example.com", subject="Outra coisa")

    assert second.created_ticket
    assert second.ticket != first.ticket


def test_conversational_threading_is_per_customer(db):
    first = receive(channel=Channel.WHATSAPP, sender_value="5511987654321")

    other = receive(channel=Channel.WHATSAPP, sender_value="5521912345678")

    assert other.created_ticket
    assert other.ticket != first.ticket


def test_conversational_channel_does_not_thread_onto_a_closed_ticket(db, n1_agent):
    first = receive(channel=Channel.WHATSAPP, sender_value="5511987654321")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=S.CLOSED)

    second = receive(channel=Channel.WHATSAPP, sender_value="5511987654321")

    assert second.created_ticket
    assert second.ticket != first.ticket


def test_conversational_channel_prefers_the_open_ticket_to_a_later_closed_one(db):
    whatsapp = CustomerIdentity.Kind.WHATSAPP
    maria = CustomerIdentityFactory(kind=whatsapp, value="+5511987654321").customer
    now = timezone.now()
    still_open = make_ticket(
        customer=maria, channel=Channel.WHATSAPP, status=S.OPEN, updated_at=now - timedelta(days=2)
    )
    make_ticket(
        customer=maria,
        channel=Channel.WHATSAPP,
        status=S.CLOSED,
        updated_at=now - timedelta(hours=1),
    )

    result = receive(channel=Channel.WHATSAPP, sender_value="5511987654321")

    assert result.ticket == still_open
    assert not result.created_ticket


# --- message_receive: status ------------------------------------------------------------------


def test_reply_to_a_solved_ticket_reopens_it(db, n1_agent):
    first = receive(external_id="<first@mail>")
    services.ticket_change_status(ticket=first.ticket, to_status=S.SOLVED, by=n1_agent)

    reply = receive(external_id="<r@mail>", reply_to_ids=("<first@mail>",))

    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert reply.ticket == ticket
    assert (ticket.status, ticket.reopen_count, ticket.solved_at) == (S.OPEN, 1, None)
    event = ticket.events.get(kind=E.REOPENED)
    assert (event.actor, event.before, event.after) == (None, S.SOLVED, S.OPEN)


def test_whatsapp_message_reopens_the_customers_solved_conversation(db, n1_agent):
    first = receive(channel=Channel.WHATSAPP, sender_value="5511987654321")
    services.ticket_change_status(ticket=first.ticket, to_status=S.SOLVED, by=n1_agent)

    second = receive(channel=Channel.WHATSAPP, sender_value="5511987654321")

    assert second.ticket == first.ticket
    assert Ticket.objects.get(pk=first.ticket.pk).status == S.OPEN


def test_reply_to_a_closed_ticket_opens_a_follow_up_ticket(db):
    first = receive(external_id="<first@mail>", subject="Boleto")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=S.CLOSED)

    reply = receive(external_id="<r@mail>", subject="Re: Boleto", reply_to_ids=("<first@mail>",))

    assert reply.created_ticket
    assert reply.ticket != first.ticket
    assert reply.ticket.customer == first.ticket.customer
    assert reply.message.threading_reason == f"follow-up of closed ticket #{first.ticket.number}"
    event = reply.ticket.events.get(kind=E.MESSAGE_RECEIVED)
    assert event.data["follow_up_of"] == first.ticket.number


def test_reply_to_a_closed_ticket_leaves_it_closed(db):
    first = receive(external_id="<first@mail>")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=S.CLOSED)
    events_before = first.ticket.events.count()

    receive(external_id="<r@mail>", reply_to_ids=("<first@mail>",))

    closed = Ticket.objects.get(pk=first.ticket.pk)
    assert (closed.status, closed.reopen_count) == (S.CLOSED, 0)
    assert closed.messages.count() == 1
    assert closed.events.count() == events_before


def test_subject_tag_of_a_closed_ticket_opens_a_follow_up_ticket(maria):
    closed = make_ticket(customer=maria, status=S.CLOSED)

    result = receive(sender_value="maria@example.com", subject=f"Re: [#{closed.number}]")

    assert result.created_ticket
    assert result.message.threading_reason == f"follow-up of closed ticket #{closed.number}"


def test_auto_reply_never_reopens_a_solved_ticket(db, n1_agent):
    first = receive(external_id="<first@mail>")
    services.ticket_change_status(ticket=first.ticket, to_status=S.SOLVED, by=n1_agent)

    auto = receive(external_id="<ooo@mail>", reply_to_ids=("<first@mail>",), is_auto_reply=True)

    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert auto.ticket == ticket
    assert auto.message.is_auto_reply
    assert (ticket.status, ticket.reopen_count) == (S.SOLVED, 0)
    assert ticket.events.order_by("-id").first().data["auto_reply"] is True


def test_auto_reply_to_a_closed_ticket_stays_there_instead_of_opening_a_new_one(db):
    first = receive(external_id="<first@mail>")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=S.CLOSED)

    auto = receive(external_id="<ooo@mail>", reply_to_ids=("<first@mail>",), is_auto_reply=True)

    assert not auto.created_ticket
    assert auto.ticket.pk == first.ticket.pk
    assert Ticket.objects.get(pk=first.ticket.pk).status == S.CLOSED
    assert Ticket.objects.count() == 1


def test_auto_reply_does_not_count_as_the_customer_writing(db, n1_agent):
    first = receive(external_id="<first@mail>")
    before = Ticket.objects.get(pk=first.ticket.pk).last_customer_message_at

    receive(external_id="<ooo@mail>", reply_to_ids=("<first@mail>",), is_auto_reply=True)

    assert Ticket.objects.get(pk=first.ticket.pk).last_customer_message_at == before


def test_auto_reply_does_not_wake_a_pending_ticket(db, n1_agent):
    first = receive(external_id="<first@mail>")
    services.ticket_change_status(ticket=first.ticket, to_status=S.PENDING, by=n1_agent)

    receive(external_id="<ooo@mail>", reply_to_ids=("<first@mail>",), is_auto_reply=True)

    assert Ticket.objects.get(pk=first.ticket.pk).status == S.PENDING


def test_customer_reply_moves_a_pending_ticket_to_open(db, n1_agent):
    first = receive(external_id="<first@mail>")
    services.ticket_change_status(ticket=first.ticket, to_status=S.PENDING, by=n1_agent)

    receive(external_id="<r@mail>", reply_to_ids=("<first@mail>",))

    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert ticket.status == S.OPEN
    assert ticket.reopen_count == 0
    event = ticket.events.filter(kind=E.STATUS_CHANGED).order_by("-id").first()
    assert (event.actor, event.before, event.after) == (None, S.PENDING, S.OPEN)


@pytest.mark.parametrize("state", [S.NEW, S.OPEN, S.ON_HOLD])
def test_customer_reply_keeps_other_statuses(db, state):
    first = receive(external_id="<first@mail>")
    Ticket.objects.filter(pk=first.ticket.pk).update(status=state)

    receive(external_id="<r@mail>", reply_to_ids=("<first@mail>",))

    assert Ticket.objects.get(pk=first.ticket.pk).status == state


# --- message_receive: channel switches ---------------------------------------------------------


def test_message_on_another_channel_records_a_channel_switch(maria):
    ticket = make_ticket(customer=maria, channel=Channel.EMAIL)

    receive(channel=Channel.API, sender_value="maria@example.com", subject=f"[#{ticket.number}]")

    event = ticket.events.get(kind=E.CHANNEL_SWITCHED)
    assert (event.actor, event.before, event.after) == (None, Channel.EMAIL, Channel.API)


def test_further_messages_on_the_new_channel_are_not_another_switch(maria):
    ticket = make_ticket(customer=maria, channel=Channel.EMAIL)

    for _ in range(3):
        receive(
            channel=Channel.API, sender_value="maria@example.com", subject=f"[#{ticket.number}]"
        )

    assert ticket.events.filter(kind=E.CHANNEL_SWITCHED).count() == 1


def test_switching_back_to_the_first_channel_is_recorded(maria):
    first = receive(channel=Channel.EMAIL, sender_value="maria@example.com", external_id="<a@m>")
    tag = f"[#{first.ticket.number}]"
    receive(channel=Channel.API, sender_value="maria@example.com", subject=tag)

    receive(channel=Channel.EMAIL, sender_value="maria@example.com", reply_to_ids=("<a@m>",))

    switches = first.ticket.events.filter(kind=E.CHANNEL_SWITCHED).order_by("id")
    assert list(switches.values_list("before", "after")) == [
        (Channel.EMAIL, Channel.API),
        (Channel.API, Channel.EMAIL),
    ]


def test_messages_on_the_channel_of_origin_are_no_switch(db):
    first = receive(channel=Channel.WHATSAPP, sender_value="5511987654321")
    receive(channel=Channel.WHATSAPP, sender_value="5511987654321")

    assert not first.ticket.events.filter(kind=E.CHANNEL_SWITCHED).exists()


# --- message_receive: duplicates -------------------------------------------------------------


def test_same_provider_message_three_times_is_stored_once(db):
    results = [receive(external_id="<same@mail>", body_text="Olá") for _ in range(3)]

    assert Message.objects.count() == 1
    assert [r.duplicate for r in results] == [False, True, True]
    assert {r.message.pk for r in results} == {results[0].message.pk}
    assert {r.ticket.pk for r in results} == {results[0].ticket.pk}
    assert [r.created_ticket for r in results] == [True, False, False]


def test_duplicate_changes_nothing(db, n1_agent):
    first = receive(external_id="<same@mail>")
    services.ticket_change_status(ticket=first.ticket, to_status=S.SOLVED, by=n1_agent)
    events_before = TicketEvent.objects.count()

    receive(external_id="<same@mail>")

    assert TicketEvent.objects.count() == events_before
    assert Ticket.objects.get(pk=first.ticket.pk).status == S.SOLVED
    assert Ticket.objects.count() == 1


def test_same_provider_id_on_another_channel_is_not_a_duplicate(db):
    receive(channel=Channel.WEB, external_id="42")

    other = receive(channel=Channel.CHAT, sender_value="visitor-1", external_id="42")

    assert not other.duplicate
    assert Message.objects.count() == 2


def test_messages_without_provider_id_are_never_duplicates(db):
    receive(channel=Channel.CHAT, sender_value="visitor-1", external_id="")

    second = receive(channel=Channel.CHAT, sender_value="visitor-1", external_id="")

    assert not second.duplicate
    assert Message.objects.count() == 2


# --- message_receive: content ------------------------------------------------------------------


def test_html_is_sanitized(db):
    result = receive(
        body_html='<p onclick="x()">Olá</p><script>alert(1)</script>'
        '<img src="x" onerror="alert(1)"><a href="javascript:alert(1)">link</a>',
    )

    html = result.message.body_html
    assert "<p>Olá</p>" in html
    assert "<script" not in html
    assert "alert(1)" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "javascript:" not in html


def test_body_text_is_derived_from_html_when_missing(db):
    result = receive(body_text="", body_html="<p>Olá, <b>preciso</b> de ajuda</p>")

    assert result.message.body_text == "Olá, preciso de ajuda"


def test_given_body_text_is_kept(db):
    result = receive(body_text="Texto puro", body_html="<p>HTML</p>")

    assert result.message.body_text == "Texto puro"


def test_portuguese_accents_stay_intact(db):
    result = receive(
        sender_name="João Conceição",
        subject="Cobrança indevida – não reconheço a transação",
        body_text="Olá! Ação necessária: não consigo acessar. Atenção à fatura de março.",
        body_html="<p>Olá! Ação necessária: não consigo acessar.</p>",
    )

    message = Message.objects.get(pk=result.message.pk)
    assert message.subject == "Cobrança indevida – não reconheço a transação"
    assert message.body_text == (
        "Olá! Ação necessária: não consigo acessar. Atenção à fatura de março."
    )
    assert "Olá! Ação necessária: não consigo acessar." in message.body_html
    assert result.ticket.subject == "Cobrança indevida – não reconheço a transação"
    assert result.ticket.customer.name == "João Conceição"


def test_provider_metadata_is_kept(db):
    result = receive(metadata={"wa_profile": "Maria"})

    assert result.message.metadata == {"wa_profile": "Maria"}


def test_attachments_are_stored_with_size_and_content_type(db):
    result = receive(
        attachments=(
            make_attachment(filename="boleto.pdf", content_type="application/pdf", size=1234),
            make_attachment(filename="foto.png", content_type="image/png", size=10),
        )
    )

    stored = list(result.message.attachments.order_by("id"))
    assert [(a.filename, a.content_type, a.size) for a in stored] == [
        ("boleto.pdf", "application/pdf", 1234),
        ("foto.png", "image/png", 10),
    ]
    with stored[0].file.open("rb") as fh:
        assert fh.read() == b"x" * 1234


def test_a_messages_attachments_are_written_in_one_insert(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    files = [make_attachment(filename=f"nota-{n}.pdf", size=10 + n) for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        result = receive(attachments=tuple(files))

    assert result.message.attachments.count() == 3
    inserts = [
        q for q in queries.captured_queries if 'INSERT INTO "tickets_attachment"' in q["sql"]
    ]
    assert len(inserts) == 1


def test_inline_attachment_keeps_its_content_id(db):
    image = InboundAttachment(
        filename="logo.png",
        content_type="image/png",
        content=b"\x89PNG",
        content_id="logo@mail",
        is_inline=True,
    )

    result = receive(body_html='<img src="cid:logo@mail">', attachments=(image,))

    stored = result.message.attachments.get()
    assert (stored.content_id, stored.is_inline) == ("logo@mail", True)
    assert 'src="cid:logo@mail"' in result.message.body_html


def test_over_limit_attachment_is_skipped_with_a_warning(db):
    with small_attachment_limit(100):
        result = receive(
            attachments=(
                make_attachment(filename="pequeno.txt", size=100),
                make_attachment(filename="enorme.zip", size=101),
            )
        )

    assert list(result.message.attachments.values_list("filename", flat=True)) == ["pequeno.txt"]
    warnings = Message.objects.get(pk=result.message.pk).metadata["warnings"]
    assert len(warnings) == 1
    assert "enorme.zip" in warnings[0]
    assert "101" in warnings[0]
    assert result.warnings == warnings


def test_message_within_limits_has_no_warnings(db):
    result = receive(attachments=(make_attachment(size=10),))

    assert "warnings" not in result.message.metadata
    assert result.warnings == []


# --- message_reply -----------------------------------------------------------------------------


@pytest.fixture
def conversation(db):
    """An e-mail ticket with the customer's first message."""
    return receive(external_id="<first@mail>", subject="Boleto não chegou").ticket


def test_reply_is_an_outbound_message_queued_for_delivery(conversation, n1_agent):
    message = services.message_reply(ticket=conversation, by=n1_agent, body_text="Olá, Maria!")

    message.refresh_from_db()
    assert (message.direction, message.kind, message.delivery_status) == (
        M.Direction.OUTBOUND,
        M.Kind.MESSAGE,
        M.DeliveryStatus.QUEUED,
    )
    assert (message.author_user, message.author_customer) == (n1_agent, None)
    assert (message.body_text, message.subject) == ("Olá, Maria!", "Boleto não chegou")


def test_reply_records_reply_sent(conversation, n1_agent):
    message = services.message_reply(ticket=conversation, by=n1_agent, body_text="Olá")

    event = conversation.events.get(kind=E.REPLY_SENT)
    assert event.actor == n1_agent
    assert event.data == {"message_id": message.pk, "channel": Channel.EMAIL}


def test_first_reply_sets_first_response_at_once(conversation, n1_agent):
    first = services.message_reply(ticket=conversation, by=n1_agent, body_text="Olá")
    services.message_reply(ticket=conversation, by=n1_agent, body_text="Mais uma coisa")

    conversation.refresh_from_db()
    assert conversation.first_response_at == first.created_at


def test_each_reply_sets_last_agent_reply_at(conversation, n1_agent):
    services.message_reply(ticket=conversation, by=n1_agent, body_text="Olá")
    second = services.message_reply(ticket=conversation, by=n1_agent, body_text="Mais")

    conversation.refresh_from_db()
    assert conversation.last_agent_reply_at == second.created_at


def test_reply_goes_out_on_the_channel_of_the_last_inbound_message(maria, n1_agent):
    ticket = make_ticket(customer=maria, channel=Channel.PHONE)
    receive(channel=Channel.EMAIL, sender_value="maria@example.com", subject=f"[#{ticket.number}]")

    message = services.message_reply(ticket=ticket, by=n1_agent, body_text="Olá")

    assert message.channel == Channel.EMAIL


def test_reply_without_inbound_messages_uses_the_ticket_channel(maria, n1_agent):
    ticket = make_ticket(customer=maria, channel=Channel.PHONE)

    message = services.message_reply(ticket=ticket, by=n1_agent, body_text="Olá")

    assert message.channel == Channel.PHONE


def test_reply_on_an_explicit_channel(conversation, n1_agent):
    # (WhatsApp would refuse free text here: its 24-hour window never opened. See
    # tests/channels_app/adapters/test_whatsapp_outbound.py.)
    message = services.message_reply(
        ticket=conversation, by=n1_agent, body_text="Olá", channel=Channel.SMS
    )

    assert message.channel == Channel.SMS


def test_reply_opens_a_new_ticket(conversation, n1_agent):
    services.message_reply(ticket=conversation, by=n1_agent, body_text="Olá")

    conversation.refresh_from_db()
    assert conversation.status == S.OPEN
    assert kinds(conversation)[-2:] == [E.REPLY_SENT, E.STATUS_CHANGED]


@pytest.mark.parametrize("state", [S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED])
def test_reply_without_then_status_keeps_the_status(conversation, n1_agent, state):
    Ticket.objects.filter(pk=conversation.pk).update(status=state)

    services.message_reply(ticket=conversation, by=n1_agent, body_text="Olá")

    conversation.refresh_from_db()
    assert conversation.status == state


@pytest.mark.parametrize("then_status", [S.PENDING, S.SOLVED])
def test_reply_then_status_moves_the_ticket(conversation, n1_agent, then_status):
    services.message_reply(
        ticket=conversation, by=n1_agent, body_text="Olá", then_status=then_status
    )

    conversation.refresh_from_db()
    assert conversation.status == then_status
    event = conversation.events.order_by("-id").first()
    assert (event.kind, event.actor, event.before, event.after) == (
        E.STATUS_CHANGED,
        n1_agent,
        S.NEW,
        then_status,
    )


def test_reply_with_an_illegal_then_status_stores_nothing(conversation, n1_agent):
    with pytest.raises(IllegalTransition):
        services.message_reply(
            ticket=conversation, by=n1_agent, body_text="Olá", then_status=S.CLOSED
        )

    assert not conversation.messages.filter(direction=M.Direction.OUTBOUND).exists()
    assert not conversation.events.filter(kind=E.REPLY_SENT).exists()


def test_reply_to_a_closed_ticket_is_refused(conversation, n1_agent):
    Ticket.objects.filter(pk=conversation.pk).update(status=S.CLOSED)

    with pytest.raises(TicketClosed) as excinfo:
        services.message_reply(ticket=conversation, by=n1_agent, body_text="Olá")

    assert excinfo.value.code == "ticket_closed"
    assert not conversation.messages.filter(direction=M.Direction.OUTBOUND).exists()


def test_reply_with_an_over_limit_attachment_is_refused(conversation, n1_agent):
    with (
        small_attachment_limit(100),
        pytest.raises(AttachmentTooLarge) as excinfo,
    ):
        services.message_reply(
            ticket=conversation,
            by=n1_agent,
            body_text="Segue o arquivo",
            attachments=(make_attachment(filename="enorme.zip", size=101),),
        )

    assert excinfo.value.code == "attachment_too_large"
    assert not conversation.messages.filter(direction=M.Direction.OUTBOUND).exists()
    assert not Attachment.objects.exists()
    conversation.refresh_from_db()
    assert conversation.first_response_at is None


def test_reply_stores_its_attachments(conversation, n1_agent):
    message = services.message_reply(
        ticket=conversation,
        by=n1_agent,
        body_text="Segue a segunda via",
        attachments=(make_attachment(filename="2via.pdf", size=50),),
    )

    stored = message.attachments.get()
    assert (stored.filename, stored.content_type, stored.size) == (
        "2via.pdf",
        "application/pdf",
        50,
    )


def test_reply_html_is_sanitized_and_gives_the_text(conversation, n1_agent):
    message = services.message_reply(
        ticket=conversation,
        by=n1_agent,
        body_text="",
        body_html="<p>Olá, <b>Maria</b></p><script>alert(1)</script>",
    )

    assert "<script" not in message.body_html
    assert message.body_text == "Olá, Maria"


def test_reply_by_a_non_agent_is_refused(conversation):
    with pytest.raises(NotAnAgent):
        services.message_reply(ticket=conversation, by=UserFactory(username="x"), body_text="Oi")

    assert conversation.messages.count() == 1


# --- note_add ----------------------------------------------------------------------------------


def test_note_is_an_internal_note_of_the_agent(conversation, n1_agent):
    note = services.note_add(ticket=conversation, by=n1_agent, body_text="Cliente VIP, cuidado.")

    note.refresh_from_db()
    assert (note.kind, note.author_user, note.body_text) == (
        M.Kind.INTERNAL_NOTE,
        n1_agent,
        "Cliente VIP, cuidado.",
    )
    assert note.delivery_status == ""


def test_note_records_note_added(conversation, n1_agent):
    note = services.note_add(ticket=conversation, by=n1_agent, body_text="Nota")

    event = conversation.events.order_by("-id").first()
    assert (event.kind, event.actor, event.data) == (
        E.NOTE_ADDED,
        n1_agent,
        {"message_id": note.pk},
    )


def test_note_is_not_a_response_to_the_customer(conversation, n1_agent):
    services.note_add(ticket=conversation, by=n1_agent, body_text="Nota")

    conversation.refresh_from_db()
    assert conversation.status == S.NEW
    assert conversation.first_response_at is None
    assert conversation.last_agent_reply_at is None


def test_note_is_not_taken_for_the_customers_channel(maria, n1_agent):
    ticket = make_ticket(customer=maria, channel=Channel.PHONE)
    receive(channel=Channel.EMAIL, sender_value="maria@example.com", subject=f"[#{ticket.number}]")
    services.note_add(ticket=ticket, by=n1_agent, body_text="Nota")

    message = services.message_reply(ticket=ticket, by=n1_agent, body_text="Olá")

    assert message.channel == Channel.EMAIL


def test_note_by_a_non_agent_is_refused(conversation):
    with pytest.raises(NotAnAgent):
        services.note_add(ticket=conversation, by=UserFactory(username="x"), body_text="Nota")

    assert not conversation.messages.filter(kind=M.Kind.INTERNAL_NOTE).exists()


def test_identity_kinds_follow_the_channel(db):
    """Guard for the test helper: each channel's sender becomes the right identity kind."""
    receive(channel=Channel.WHATSAPP, sender_value="5511987654321")
    receive(channel=Channel.SMS, sender_value="5521912345678")
    receive(channel=Channel.CHAT, sender_value="visitor-9")

    assert set(CustomerIdentity.objects.values_list("kind", "value")) == {
        ("whatsapp", "+5511987654321"),
        ("phone", "+5521912345678"),
        ("chat_visitor", "visitor-9"),
    }


def _our_reply(ticket, agent, message_id="<jornada.1.1.secret@jornada.example>"):
    reply = services.message_reply(ticket=ticket, by=agent, body_text="Olá")
    services.message_update_delivery(message=reply, status="sent", external_id=message_id)
    return message_id


def test_a_stranger_quoting_a_customers_message_id_opens_a_new_ticket(db):
    first = receive(sender_value="maria@example.com", external_id="<maria-1@example.com>")

    stranger = receive(sender_value="mallory@evil.example", reply_to_ids=("<maria-1@example.com>",))

    assert stranger.created_ticket
    assert stranger.ticket != first.ticket


def test_anyone_answering_our_own_email_joins_the_ticket(db, n1_agent):
    first = receive(sender_value="maria@example.com", external_id="<maria-1@example.com>")
    ours = _our_reply(first.ticket, n1_agent)

    colleague = receive(sender_value="bob@example.com", reply_to_ids=(ours,))

    assert colleague.ticket == first.ticket


def test_the_web_form_never_joins_a_ticket_by_its_tag(db):
    first = receive(sender_value="maria@example.com")

    forged = receive(
        channel=Channel.WEB,
        sender_value="maria@example.com",
        subject=f"[#{first.ticket.number}] mudei de conta",
    )

    assert forged.created_ticket


# --- messages_notify: automatic messages to many tickets at once -----------------------------


def test_messages_notify_writes_and_publishes_what_message_notify_does_for_each_ticket(
    db, received, django_capture_on_commit_callbacks
):
    tickets = [make_ticket(channel=Channel.WEB), make_ticket(channel=Channel.PHONE)]
    alone = make_ticket(channel=Channel.WEB)
    kwargs = {"body_text": "Recebemos sua mensagem.", "reason": "ack", "metadata": {"x": 1}}

    with django_capture_on_commit_callbacks(execute=True):
        one = services.message_notify(ticket=alone, **kwargs)
    with django_capture_on_commit_callbacks(execute=True):
        many = services.messages_notify(
            notices=[services.Notice(ticket=ticket, **kwargs) for ticket in tickets]
        )

    def written(message):
        message.refresh_from_db()
        return {
            field: getattr(message, field)
            for field in ("direction", "kind", "subject", "body_text", "body_html", "metadata")
        } | {"status": message.delivery_status}

    assert [message.ticket_id for message in many] == [ticket.pk for ticket in tickets]
    assert [message.channel for message in many] == [Channel.WEB, Channel.PHONE]
    assert written(many[0]) == written(many[1]) == written(one)
    created = [event for event in received if isinstance(event, events.MessageCreated)]
    assert created == [
        events.MessageCreated(
            ticket_id=message.ticket_id,
            message_id=message.pk,
            direction="outbound",
            kind="system",
            channel=message.channel,
        )
        for message in (one, *many)
    ]


def test_messages_notify_leaves_out_a_ticket_that_is_gone(db):
    kept, gone = make_ticket(channel=Channel.WEB), make_ticket(channel=Channel.WEB)
    Ticket.objects.filter(pk=gone.pk).delete()

    notices = [services.Notice(ticket=ticket, body_text="Aviso") for ticket in (gone, kept)]
    [message] = services.messages_notify(notices=notices)

    assert message.ticket_id == kept.pk
