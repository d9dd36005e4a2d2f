"""Internal notes by email: an agent's email becomes a note only when it went to that agent's
own note address for the ticket (a secret never sent to a customer) and its sender is
authenticated. Anything else that looks like one is refused, and the ticket records the attempt."""

import pytest

from tests.tickets.factories import AgentFactory, make_inbound
from tickets import services
from tickets.inbound import SENDER_AUTHENTICATED
from tickets.models import CustomerIdentity, Message, TicketEvent, Tier
from tickets.note_addresses import note_address, note_tokens_in

E = TicketEvent.Kind
MAILBOX = "suporte@jornada.example"
AUTHENTICATED = {SENDER_AUTHENTICATED: True}


def receive(**fields):
    return services.message_receive(incoming=make_inbound(**fields))


@pytest.fixture
def first(teams):
    """A customer's ticket, opened by email."""
    return receive(external_id="<first@mail>")


@pytest.fixture
def rafael(n1_agent):
    """An agent of the ticket's team, with an email address of his own."""
    agent = AgentFactory(user__email="Rafael@Jornada.example", tier=Tier.N2).user
    agent.agent_profile.teams.add(*n1_agent.agent_profile.teams.all())
    return agent


def our_reply(ticket, agent, message_id="<jornada.1.1.secret@jornada.example>") -> str:
    reply = services.message_reply(ticket=ticket, by=agent, body_text="Olá")
    services.message_update_delivery(message=reply, status="sent", external_id=message_id)
    return message_id


def address_of(agent, ticket) -> str:
    return note_address(mailbox_address=MAILBOX, agent_id=agent.pk, ticket_number=ticket.number)


def refusals(ticket):
    return list(ticket.events.filter(kind=E.NOTE_BY_EMAIL_REFUSED).values_list("data", flat=True))


def test_an_authenticated_agent_writing_to_their_note_address_adds_an_internal_note(first, rafael):
    result = receive(
        sender_value="rafael@jornada.example",
        subject="análise do servidor",
        recipients=(address_of(rafael, first.ticket),),
        metadata=AUTHENTICATED,
        body_text="Verifiquei o servidor: o certificado expirou.",
    )

    assert result.ticket == first.ticket
    assert result.message.kind == Message.Kind.INTERNAL_NOTE
    assert result.message.author_user == rafael
    assert result.message.author_customer is None
    assert "note address" in result.message.threading_reason
    assert not CustomerIdentity.objects.filter(value="rafael@jornada.example").exists()
    assert first.ticket.events.filter(kind=E.NOTE_ADDED, actor=rafael).exists()


def test_a_forged_agent_citing_our_acknowledgement_adds_no_note(first, n1_agent, rafael):
    # The attack: our Message-IDs reach customers (every acknowledgement carries one), so the
    # id alone proved nothing.
    ours = our_reply(first.ticket, n1_agent)

    result = receive(
        sender_value="rafael@jornada.example",
        subject=f"Re: [#{first.ticket.number}] reembolso aprovado",
        reply_to_ids=(ours,),
        body_text="Cliente verificado por telefone; reembolso para a conta XX.",
    )

    assert result.message is None
    assert result.refused
    assert not first.ticket.messages.filter(kind=Message.Kind.INTERNAL_NOTE).exists()
    assert not CustomerIdentity.objects.filter(value="rafael@jornada.example").exists()
    [attempt] = refusals(first.ticket)
    assert attempt["sender"] == "rafael@jornada.example"
    assert attempt["refusal"] == "no_note_address"


def test_the_note_address_from_an_unauthenticated_sender_is_refused(first, rafael):
    result = receive(
        sender_value="rafael@jornada.example",
        recipients=(address_of(rafael, first.ticket),),
    )

    assert result.message is None
    assert [data["refusal"] for data in refusals(first.ticket)] == ["unauthenticated"]


def test_another_agents_note_address_is_refused(first, rafael, n1_agent):
    n1_agent.email = "ana@jornada.example"
    n1_agent.save()

    result = receive(
        sender_value="ana@jornada.example",
        recipients=(address_of(rafael, first.ticket),),
        metadata=AUTHENTICATED,
    )

    assert result.message is None
    assert [data["refusal"] for data in refusals(first.ticket)] == ["not_the_agent"]


def test_a_customer_writing_to_a_leaked_note_address_adds_no_note(first, rafael):
    result = receive(
        sender_value="maria@example.com",
        recipients=(address_of(rafael, first.ticket),),
        metadata=AUTHENTICATED,
    )

    assert result.message is None
    assert not first.ticket.messages.filter(kind=Message.Kind.INTERNAL_NOTE).exists()
    assert [data["refusal"] for data in refusals(first.ticket)] == ["not_the_agent"]


def test_a_note_address_with_its_ticket_number_changed_is_refused(first, rafael):
    other = receive(sender_value="joana@example.com")
    forged = address_of(rafael, first.ticket).replace(
        f"note-{first.ticket.number}-", f"note-{other.ticket.number}-"
    )

    result = receive(sender_value="rafael@jornada.example", recipients=(forged,))

    assert result.message is None
    assert "not one we gave out" in result.refused
    assert not other.ticket.messages.filter(kind=Message.Kind.INTERNAL_NOTE).exists()


def test_an_agent_who_cannot_see_the_ticket_adds_no_note(first):
    outsider = AgentFactory(user__email="x@jornada.example", tier=Tier.N3).user

    result = receive(
        sender_value="x@jornada.example",
        recipients=(address_of(outsider, first.ticket),),
        metadata=AUTHENTICATED,
    )

    assert result.message is None
    assert [data["refusal"] for data in refusals(first.ticket)] == ["not_visible"]


def test_a_deactivated_agent_adds_no_note(first, rafael):
    rafael.is_active = False
    rafael.save()

    result = receive(
        sender_value="rafael@jornada.example",
        recipients=(address_of(rafael, first.ticket),),
        metadata=AUTHENTICATED,
    )

    assert result.message is None


def test_an_agent_address_without_a_ticket_tag_is_treated_as_a_customer(db, rafael):
    result = receive(sender_value="rafael@jornada.example", subject="Teste do formulário")

    assert result.created_ticket
    assert result.message.kind == Message.Kind.MESSAGE


def test_a_forged_agent_address_without_our_message_id_is_a_customer_message(first, rafael):
    result = receive(
        sender_value="rafael@jornada.example",
        subject=f"[#{first.ticket.number}] reembolso aprovado",
    )

    assert result.message.kind == Message.Kind.MESSAGE
    assert result.ticket != first.ticket
    assert not first.ticket.messages.filter(kind=Message.Kind.INTERNAL_NOTE).exists()


def test_note_addresses_are_found_among_recipients_whatever_their_case(first, rafael):
    address = address_of(rafael, first.ticket)

    [token] = note_tokens_in(["cliente@example.com", address.upper()])

    assert (token.ticket_number, token.agent_id, token.valid) == (
        first.ticket.number,
        rafael.pk,
        True,
    )


def test_each_agent_and_ticket_has_its_own_note_address(first, rafael, n1_agent):
    other = receive(sender_value="joana@example.com")

    addresses = {
        address_of(rafael, first.ticket),
        address_of(rafael, other.ticket),
        address_of(n1_agent, first.ticket),
    }

    assert len(addresses) == 3
    assert all(a.startswith("suporte+note-") and a.endswith("@jornada.example") for a in addresses)


def test_in_a_drains_batch_the_agents_addresses_are_read_once_and_still_catch_a_forger(
    first, n1_agent, rafael
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.memo import memoized_for_batch

    ours = our_reply(first.ticket, n1_agent)
    customer = first.ticket.customer.identities.get().value
    tagged = f"Re: [#{first.ticket.number}] reembolso"
    with memoized_for_batch(), CaptureQueriesContext(connection) as queries:
        forged = [
            receive(sender_value="RAFAEL@jornada.example", subject=tagged, reply_to_ids=(ours,),
                    external_id=f"<forged-{n}@mail>")
            for n in range(2)
        ]  # fmt: skip
        replies = [
            receive(sender_value=customer, subject=tagged, reply_to_ids=(ours,),
                    external_id=f"<reply-{n}@mail>")
            for n in range(3)
        ]  # fmt: skip

    assert all(result.refused for result in forged)
    assert len(refusals(first.ticket)) == 2
    assert all(result.ticket == first.ticket and not result.refused for result in replies)
    # The agents' addresses once, then each forger's account: the customer's replies read none.
    assert sum('FROM "auth_user"' in query["sql"] for query in queries.captured_queries) == 3
