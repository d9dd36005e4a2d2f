"""Notes by email, end to end: the agent finds their note address on the ticket page, writes to
it from their own (authenticated) address, and the email becomes an internal note; a forged
one is refused with a clear error on the InboundEvent and a line in the ticket's timeline. On
the same page, a customer email whose sender could not be verified says so."""

# ruff: noqa: F811  (pytest hands the fixtures imported below to the tests that name them)

import pytest
from django.core.cache import cache

from channels_app.models import InboundEvent
from channels_app.selectors import NOTE_MAILBOX_KEY
from tests.channels_app.adapters.email_support import (  # noqa: F401  (fixtures)
    MAILBOX,
    SUBJECT,
    agent,
    email,
    mailbox,
    receive,
    reply,
    ticket,
)
from tests.channels_app.adapters.test_email_forgery import passed_dmarc, trusted_mx  # noqa: F401
from tickets.models import Message, TicketEvent
from tickets.note_addresses import note_address

S = InboundEvent.Status
NOTE_ADDRESS = r"<code>(suporte\+note-[^<]+)</code>"


@pytest.fixture
def agent_page(client, agent, mailbox):
    cache.delete(NOTE_MAILBOX_KEY)
    client.force_login(agent)

    def page(ticket, language="en") -> str:
        response = client.get(f"/agent/tickets/{ticket.number}/", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        return response.content.decode()

    yield page
    cache.delete(NOTE_MAILBOX_KEY)


def test_the_agent_finds_their_own_note_address_on_the_ticket_page(ticket, agent, agent_page):
    body = agent_page(ticket)

    mine = note_address(mailbox_address=MAILBOX, agent_id=agent.pk, ticket_number=ticket.number)
    assert mine in body
    assert "Add notes by email" in body


def test_an_email_to_the_note_address_from_the_agent_becomes_an_internal_note(
    ticket, agent, receive, trusted_mx
):
    agent.email = "ana.souza@jornada.example"
    agent.save()
    address = note_address(mailbox_address=MAILBOX, agent_id=agent.pk, ticket_number=ticket.number)

    event = receive(
        email(
            message_id="<ana-1@jornada.example>",
            sender="Ana Souza <ana.souza@jornada.example>",
            subject="Fwd: log do emissor",
            body="O emissor rejeita o CNPJ com pontuação.",
            headers={"Cc": address, **passed_dmarc("jornada.example")},
        )
    )

    assert event.status == S.PROCESSED, (event.error, event.notes)
    note = event.message
    assert (note.ticket_id, note.kind, note.author_user) == (
        ticket.pk,
        Message.Kind.INTERNAL_NOTE,
        agent,
    )


def test_a_forged_note_is_refused_with_a_clear_error_and_shown_in_the_timeline(
    ticket, agent, receive, reply, agent_page
):
    # The attack: the acknowledgement (and every reply) gives the customer one of our ids.
    agent.email = "ana.souza@jornada.example"
    agent.save()
    ours = reply(ticket)
    messages_before = Message.objects.count()

    event = receive(
        email(
            message_id="<forged-note@evil.example>",
            sender="Ana Souza <ana.souza@jornada.example>",
            subject=f"Re: {SUBJECT} [#{ticket.number}]",
            body="Cliente verificado por telefone; reembolso aprovado para a conta XX.",
            headers={"In-Reply-To": ours.external_id},
        )
    )

    assert event.status == S.IGNORED
    assert "refused as an internal note" in event.error
    assert event.message is None
    assert Message.objects.count() == messages_before
    assert ticket.events.filter(kind=TicketEvent.Kind.NOTE_BY_EMAIL_REFUSED).exists()
    body = agent_page(ticket)
    assert "Internal note by email refused" in body
    assert "an email from ana.souza@jornada.example: it was not sent to the agent&#x27;s" in body


def test_an_unverified_sender_is_marked_in_the_timeline(ticket, agent_page):
    assert "Sender not verified" in agent_page(ticket)
    assert "Remetente não verificado" in agent_page(ticket, language="pt-br")


def test_a_verified_sender_is_not_marked(receive, trusted_mx, agent_page, smtp_settings):
    event = receive(email(headers=passed_dmarc("cliente.com.br")))

    assert event.message.metadata["sender_authenticated"] is True
    assert "Sender not verified" not in agent_page(event.message.ticket)
