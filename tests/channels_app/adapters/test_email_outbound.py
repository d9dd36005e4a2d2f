"""Email out, through a real SMTP server on loopback: replies threaded the way mail clients
expect, acknowledgements that cannot start a mail loop, refusals, a server that is down, bounces
and our own mail coming back. What happens to sends when things fail is in
test_email_delivery_recovery.py."""
# ruff: noqa: F811  (pytest hands the fixtures imported below to the tests that name them)

from email.utils import parseaddr

import pytest

from channels_app.models import Mailbox
from tests.channels_app.adapters.email_support import (  # noqa: F401  (fixtures)
    CUSTOMER,
    EARLIER_REFS,
    FIRST_ID,
    FIXTURES,
    MAILBOX,
    SUBJECT,
    D,
    S,
    acknowledgements,
    agent,
    email,
    mailbox,
    receive,
    reply,
    subject_of,
    ticket,
)
from tests.tickets.factories import CustomerFactory, CustomerIdentityFactory
from tickets.inbound import InboundAttachment
from tickets.models import Message, Ticket

# --- replies ---------------------------------------------------------------------------------


def test_a_reply_reaches_the_customer_with_our_message_id_and_is_marked_sent(
    ticket, reply, smtp_server
):
    message = reply(ticket)

    assert message.delivery_status == D.SENT
    assert message.external_id.startswith("<jornada.")
    assert message.external_id.endswith("@jornada.example>")
    [envelope] = smtp_server.by_message_id(message.external_id)
    assert envelope.rcpt_tos == [CUSTOMER]
    assert envelope.mail_from == MAILBOX


def test_a_reply_answers_the_customers_message(ticket, reply, smtp_server):
    message = reply(ticket)

    [envelope] = smtp_server.by_message_id(message.external_id)
    sent = envelope.message
    assert sent["In-Reply-To"] == FIRST_ID
    assert str(sent["References"]).split()[-1] == FIRST_ID


def test_a_reply_keeps_the_customers_references_chain(ticket, reply, smtp_server):
    message = reply(ticket)

    sent = smtp_server.by_message_id(message.external_id)[0].message
    assert str(sent["References"]).split() == [*EARLIER_REFS, FIRST_ID]


def test_a_reply_is_from_the_agent_at_the_mailbox_and_answers_to_the_mailbox(
    ticket, reply, smtp_server
):
    message = reply(ticket)

    sent = smtp_server.by_message_id(message.external_id)[0].message
    assert subject_of(sent) == f"Re: {SUBJECT} [#{ticket.number}]"
    name, address = parseaddr(str(sent["From"]))
    assert address == MAILBOX
    assert "Ana Souza" in name
    assert parseaddr(str(sent["Reply-To"]))[1] == MAILBOX
    assert [parseaddr(str(to))[1] for to in sent.get_all("To")] == [CUSTOMER]
    assert sent["Auto-Submitted"] is None  # a person wrote it


def test_a_reply_shows_the_agent_and_the_mailbox_name_as_sender(ticket, reply, smtp_server):
    message = reply(ticket)

    sent = smtp_server.by_message_id(message.external_id)[0].message
    assert sent["From"].addresses[0].display_name == "Ana Souza (Suporte Jornada)"


def test_a_reply_carries_text_and_html_alternatives(ticket, reply, smtp_server):
    message = reply(
        ticket,
        body_text="Olá João,\n\nConfira o CNPJ.",
        body_html="<p>Olá João,</p><p>Confira o <strong>CNPJ</strong>.</p>",
    )

    sent = smtp_server.by_message_id(message.external_id)[0].message
    assert sent.get_content_type() == "multipart/alternative"
    assert "Confira o CNPJ." in sent.get_body(preferencelist=("plain",)).get_content()
    html = sent.get_body(preferencelist=("html",)).get_content()
    assert "<strong>CNPJ</strong>" in html


def test_a_plain_text_reply_still_gets_an_html_alternative(ticket, reply, smtp_server):
    message = reply(ticket, body_text="Linha 1\n\n<Linha 2>")

    sent = smtp_server.by_message_id(message.external_id)[0].message
    html = sent.get_body(preferencelist=("html",)).get_content()
    assert "&lt;Linha 2&gt;" in html  # escaped, not markup


def test_a_reply_carries_its_attachments_with_name_and_type(ticket, reply, smtp_server):
    pdf = b"%PDF-1.4\n% boleto de teste\n"
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    message = reply(
        ticket,
        body_html="<p>Seguem os arquivos.</p>",
        attachments=[
            InboundAttachment(filename="boleto.pdf", content_type="application/pdf", content=pdf),
            InboundAttachment(
                filename="captura de tela ação.png", content_type="image/png", content=png
            ),
        ],
    )

    sent = smtp_server.by_message_id(message.external_id)[0].message
    assert sent.get_content_type() == "multipart/mixed"
    files = {
        part.get_filename(): (part.get_content_type(), part.get_content())
        for part in sent.iter_attachments()
    }
    assert files == {
        "boleto.pdf": ("application/pdf", pdf),
        "captura de tela ação.png": ("image/png", png),
    }
    assert "Seguem os arquivos." in sent.get_body(preferencelist=("html",)).get_content()
    assert sent.get_body(preferencelist=("plain",)) is not None


@pytest.mark.parametrize(
    ("switch", "refusal", "code"),
    [
        ("reject_rcpt", "550 5.1.1 mailbox unavailable", "550"),
        ("reject_data", "554 5.7.1 message refused as spam", "554"),
    ],
)
def test_a_reply_refused_by_the_server_is_marked_failed_with_its_reason(
    ticket, reply, smtp_server, switch, refusal, code
):
    smtp_server.clear()
    setattr(smtp_server, switch, refusal)

    message = reply(ticket)

    assert message.delivery_status == D.FAILED
    assert code in message.delivery_error
    assert refusal.split(" ", 2)[2] in message.delivery_error
    assert smtp_server.envelopes == []


@pytest.mark.parametrize(
    ("switch", "refusal"),
    [
        ("reject_rcpt", "450 4.2.0 greylisted, try again later"),
        ("reject_data", "451 4.3.0 temporary local problem"),
    ],
)
def test_a_reply_refused_for_now_stays_queued_for_another_attempt(
    ticket, reply, smtp_server, switch, refusal
):
    setattr(smtp_server, switch, refusal)

    message = reply(ticket)

    assert message.delivery_status == D.QUEUED
    assert not message.delivery_error


def test_a_reply_while_the_server_is_down_stays_queued_and_the_request_does_not_fail(
    ticket, reply, smtp_server
):
    smtp_server.stop()

    message = reply(ticket)  # the agent's request (and its commit) must not raise

    assert message.delivery_status == D.QUEUED
    assert message.external_id  # the Message-ID of the failed attempt, kept for the next one


def test_the_customer_answering_our_reply_lands_on_the_same_ticket(
    ticket, reply, receive, smtp_server
):
    message = reply(ticket)

    event = receive(
        email(
            message_id="<cliente-2@cliente.com.br>",
            subject=f"Re: {SUBJECT}",  # no [#number]: only the headers can thread it
            body="Conferi o CNPJ e continua dando erro.",
            headers={
                "In-Reply-To": message.external_id,
                "References": " ".join([*EARLIER_REFS, FIRST_ID, message.external_id]),
            },
        )
    )

    answer = event.message
    assert answer.ticket_id == ticket.pk
    assert "reply" in answer.threading_reason
    assert message.external_id in answer.threading_reason
    assert Ticket.objects.count() == 1


@pytest.fixture
def conversation(ticket, reply, receive):
    """Our first reply, and the customer's answer to it."""
    first = reply(ticket)
    receive(
        email(
            message_id="<cliente-2@cliente.com.br>",
            subject=f"Re: {SUBJECT} [#{ticket.number}]",
            headers={
                "In-Reply-To": first.external_id,
                "References": " ".join([*EARLIER_REFS, FIRST_ID, first.external_id]),
            },
        )
    )
    return first


def test_the_next_reply_answers_the_customers_latest_message(
    ticket, conversation, reply, smtp_server
):
    second = reply(ticket, body_text="Pode enviar o XML da nota?")

    sent = smtp_server.by_message_id(second.external_id)[0].message
    assert sent["In-Reply-To"] == "<cliente-2@cliente.com.br>"
    assert str(sent["References"]).split()[-1] == "<cliente-2@cliente.com.br>"
    assert subject_of(sent) == f"Re: {SUBJECT} [#{ticket.number}]"  # one tag, one "Re:"


def test_the_next_reply_references_the_whole_conversation(ticket, conversation, reply, smtp_server):
    second = reply(ticket, body_text="Pode enviar o XML da nota?")

    sent = smtp_server.by_message_id(second.external_id)[0].message
    assert str(sent["References"]).split() == [
        *EARLIER_REFS,
        FIRST_ID,
        conversation.external_id,
        "<cliente-2@cliente.com.br>",
    ]


# --- acknowledgements ------------------------------------------------------------------------


def test_a_new_ticket_is_acknowledged_once_as_an_automatic_reply(ticket, smtp_server):
    [ack] = acknowledgements(smtp_server)
    assert len(smtp_server.envelopes) == 1

    assert ack["Auto-Submitted"] == "auto-replied"
    assert f"[#{ticket.number}]" in subject_of(ack)
    assert f"#{ticket.number}" in ack.get_body(preferencelist=("plain",)).get_content()
    assert ack["In-Reply-To"] == FIRST_ID
    assert [parseaddr(str(to))[1] for to in ack.get_all("To")] == [CUSTOMER]
    assert parseaddr(str(ack["From"]))[1] == MAILBOX
    stored = Message.objects.get(kind=Message.Kind.SYSTEM)
    assert stored.external_id == ack["Message-ID"]
    assert stored.delivery_status == D.SENT
    assert stored.metadata["automatic"] == "acknowledgement"


def test_the_acknowledgement_is_not_a_response_to_the_customer(ticket):
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.last_agent_reply_at is None


def test_the_acknowledgement_is_in_portuguese_for_a_portuguese_speaking_customer(
    ticket, smtp_server
):
    assert ticket.language == "pt-br"
    [ack] = acknowledgements(smtp_server)
    body = ack.get_body(preferencelist=("plain",)).get_content()

    assert not subject_of(ack).startswith("We received your message")
    assert "We received your message" not in body
    assert "This is an automatic message" not in body
    assert subject_of(ack) == f"Recebemos sua mensagem [#{ticket.number}]"


def test_the_acknowledgement_is_in_english_for_an_english_speaking_customer(
    smtp_settings, receive, smtp_server
):
    customer = CustomerFactory(name="John Smith", language="en")
    CustomerIdentityFactory(customer=customer, value="john@client.example")

    event = receive(email(sender="John Smith <john@client.example>", subject="Invoice error"))

    assert event.message.ticket.language == "en"
    [ack] = acknowledgements(smtp_server)
    assert subject_of(ack) == f"We received your message [#{event.message.ticket.number}]"
    assert "This is an automatic message." in ack.get_body(preferencelist=("plain",)).get_content()


def test_an_auto_reply_is_never_acknowledged(smtp_settings, receive, smtp_server):
    receive(
        email(
            subject="Ausência temporária: Não consigo emitir a nota fiscal",
            body="Estou fora do escritório até segunda-feira.",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )

    assert smtp_server.envelopes == []
    assert not Message.objects.filter(kind=Message.Kind.SYSTEM).exists()


def test_a_follow_up_on_an_existing_ticket_is_not_acknowledged_again(ticket, receive, smtp_server):
    event = receive(
        email(
            message_id="<cliente-2@cliente.com.br>",
            subject=f"Re: {SUBJECT} [#{ticket.number}]",
            body="Esqueci de dizer: o erro é 539.",
        )
    )

    assert event.message.ticket_id == ticket.pk
    assert len(acknowledgements(smtp_server)) == 1
    assert len(smtp_server.envelopes) == 1


def test_acknowledgements_are_limited_to_three_per_customer_an_hour(
    smtp_settings, receive, smtp_server
):
    for n in range(1, 6):
        event = receive(email(message_id=f"<pedido-{n}@cliente.com.br>", subject=f"Pedido {n}"))
        assert event.message.threading_reason == "new conversation"

    assert Ticket.objects.count() == 5
    assert len(acknowledgements(smtp_server)) == 3
    assert Message.objects.filter(kind=Message.Kind.SYSTEM).count() == 3


def test_another_customer_is_acknowledged_when_one_reached_the_limit(
    smtp_settings, receive, smtp_server
):
    for n in range(1, 5):
        receive(email(message_id=f"<pedido-{n}@cliente.com.br>", subject=f"Pedido {n}"))

    receive(email(message_id="<outra@example.org>", sender="Bia <bia@example.org>"))

    to = [parseaddr(str(m["To"]))[1] for m in acknowledgements(smtp_server)]
    assert to == [CUSTOMER] * 3 + ["bia@example.org"]


def test_a_mailbox_that_does_not_acknowledge_sends_nothing(
    smtp_settings, mailbox, receive, smtp_server
):
    Mailbox.objects.filter(pk=mailbox.pk).update(auto_ack_enabled=False)

    event = receive(email())

    assert event.status == S.PROCESSED
    assert smtp_server.envelopes == []


# --- bounces ---------------------------------------------------------------------------------
# Through a mailbox whose mail server is trusted (our own MTA): see test_email_forgery.py for
# the reports nobody vouches for.

BOUNCES = [
    # (sample, Message-ID of the bounced message inside it, what the failure must mention)
    ("flanker_bounce_aol_mailbox_full.eml", "<4E326A95.3010907@example.com>", "5.2.2"),
    (
        "mikelmail_dsn_bounce_multi_address.eml",
        "<118707422.15521266992174819.JavaMail.root@lvmail01>",
        "5.1.1",
    ),
    (
        "chatwoot_bounce_gmail_x-failed-recipients.eml",
        "<conversation/93775311-9416-4428-964b-862001f8a8b2/messages/27855337@gmail.com>",
        "",
    ),
]


@pytest.fixture
def our_mail_server(mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(trusts_mta=True)


def bounce_of(sample: str, original_id: str, our_id: str) -> bytes:
    raw = (FIXTURES / sample).read_bytes()
    assert original_id.encode() in raw
    return raw.replace(original_id.encode(), our_id.encode())


@pytest.mark.parametrize(("sample", "original_id", "status"), BOUNCES)
def test_a_bounce_marks_our_reply_failed_with_the_reason(
    ticket, reply, receive, our_mail_server, sample, original_id, status
):
    message = reply(ticket)
    assert message.delivery_status == D.SENT
    messages_before = Message.objects.count()

    event = receive(bounce_of(sample, original_id, message.external_id))

    message.refresh_from_db()
    assert event.status == S.PROCESSED, (event.error, event.notes)
    assert message.delivery_status == D.FAILED
    assert message.delivery_error
    assert status in message.delivery_error
    assert Message.objects.count() == messages_before  # a bounce is no customer message
    assert Ticket.objects.count() == 1


def test_the_aol_bounce_keeps_the_servers_diagnostic(ticket, reply, receive, our_mail_server):
    message = reply(ticket)

    receive(bounce_of(*BOUNCES[0][:2], message.external_id))

    message.refresh_from_db()
    assert "MAILBOX FULL" in message.delivery_error


def test_a_delay_warning_does_not_mark_our_reply_failed(ticket, reply, receive, our_mail_server):
    message = reply(ticket)
    original_id = "<15655788.13.1200472642578.JavaMail.Administrator@mail.ttttt.com.au>"
    raw = bounce_of(
        "mikelmail_dsn_delay_warning_auto-submitted.eml", original_id, message.external_id
    )

    event = receive(raw)

    message.refresh_from_db()
    assert event.status == S.IGNORED
    assert message.delivery_status == D.SENT
    assert Ticket.objects.count() == 1


def test_a_bounce_of_a_message_we_never_sent_changes_nothing(
    ticket, reply, receive, our_mail_server
):
    message = reply(ticket)

    event = receive((FIXTURES / BOUNCES[0][0]).read_bytes())

    message.refresh_from_db()
    assert message.delivery_status == D.SENT
    assert event.status in (S.IGNORED, S.PROCESSED)
    assert Ticket.objects.count() == 1


# --- our own mail coming back ----------------------------------------------------------------


def test_our_own_reply_coming_back_is_ignored(ticket, reply, receive, smtp_server):
    message = reply(ticket)
    raw = smtp_server.by_message_id(message.external_id)[0].raw  # e.g. a copy to the mailbox
    messages_before = Message.objects.count()

    event = receive(raw)

    assert event.status == S.IGNORED
    assert event.message is None
    assert Message.objects.count() == messages_before


def test_a_message_with_our_message_id_is_ignored_whatever_its_sender(
    ticket, reply, receive, smtp_server
):
    message = reply(ticket)
    messages_before = Message.objects.count()
    sent_before = len(smtp_server.envelopes)

    event = receive(email(message_id=message.external_id, subject=f"Re: {SUBJECT}"))

    assert event.status == S.IGNORED
    assert Message.objects.count() == messages_before
    assert len(smtp_server.envelopes) == sent_before  # and nothing is sent in return


@pytest.mark.parametrize("sender", [MAILBOX, "Suporte Jornada <Suporte@Jornada.Example>"])
def test_a_message_from_our_own_address_is_ignored(
    smtp_settings, mailbox, receive, smtp_server, sender
):
    event = receive(
        email(message_id="<loop-1@jornada.example>", sender=sender, subject="Teste de envio")
    )

    assert event.status == S.IGNORED
    assert not Message.objects.exists()
    assert not Ticket.objects.exists()
    assert smtp_server.envelopes == []
