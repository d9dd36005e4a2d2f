"""Tickets related without merging: links between two tickets, and a customer's message split off
into a ticket of its own."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.tickets.factories import (
    TeamFactory,
    UserFactory,
    make_attachment,
    make_inbound,
    make_ticket,
)
from tickets import events, selectors, services
from tickets.errors import InvalidLink, InvalidSplit, NotAnAgent, TicketClosed
from tickets.models import Attachment, Channel, Ticket, TicketEvent, TicketLink, Tier

S = Ticket.Status
E = TicketEvent.Kind


def receive(**fields):
    return services.message_receive(incoming=make_inbound(**fields))


def kinds(ticket):
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


def of_kind(received, event_type):
    return [event for event in received if isinstance(event, event_type)]


# --- ticket_link / ticket_unlink -----------------------------------------------------------------


@pytest.fixture
def older(customer):
    return make_ticket(customer=customer, subject="Internet caiu")


@pytest.fixture
def newer(customer):
    return make_ticket(customer=customer, subject="Sem sinal desde ontem")


def test_link_is_stored_with_the_lower_id_first_whatever_the_argument_order(older, newer, n1_agent):
    link = services.ticket_link(ticket=newer, other=older, by=n1_agent)

    link.refresh_from_db()
    assert (link.from_ticket, link.to_ticket, link.created_by) == (older, newer, n1_agent)


def test_linking_again_in_either_order_keeps_a_single_link(older, newer, n1_agent):
    first = services.ticket_link(ticket=older, other=newer, by=n1_agent)

    again = services.ticket_link(ticket=newer, other=older, by=n1_agent)

    assert again.pk == first.pk
    assert TicketLink.objects.count() == 1


def test_link_records_linked_on_both_tickets(older, newer, n1_agent):
    services.ticket_link(ticket=older, other=newer, by=n1_agent)

    on_older = older.events.get(kind=E.LINKED)
    on_newer = newer.events.get(kind=E.LINKED)
    assert (on_older.actor, on_older.after, on_older.data) == (
        n1_agent,
        newer.number,
        {"other": newer.number},
    )
    assert (on_newer.actor, on_newer.after, on_newer.data) == (
        n1_agent,
        older.number,
        {"other": older.number},
    )


def test_linking_again_records_nothing_more(older, newer, n1_agent):
    services.ticket_link(ticket=older, other=newer, by=n1_agent)

    services.ticket_link(ticket=newer, other=older, by=n1_agent)

    assert TicketEvent.objects.filter(kind=E.LINKED).count() == 2


def test_linked_tickets_show_each_other(older, newer, n1_agent):
    services.ticket_link(ticket=newer, other=older, by=n1_agent)

    assert selectors.ticket_links(agent=n1_agent, ticket=older) == [newer]
    assert selectors.ticket_links(agent=n1_agent, ticket=newer) == [older]


def test_linking_a_ticket_to_itself_is_refused(older, n1_agent):
    with pytest.raises(InvalidLink):
        services.ticket_link(ticket=older, other=older, by=n1_agent)

    assert not TicketLink.objects.exists()
    assert not older.events.filter(kind=E.LINKED).exists()


def test_link_by_a_non_agent_is_refused(older, newer):
    with pytest.raises(NotAnAgent):
        services.ticket_link(ticket=older, other=newer, by=UserFactory(username="x"))

    assert not TicketLink.objects.exists()


def test_link_announces_both_tickets_after_commit(
    received, older, newer, n1_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_link(ticket=older, other=newer, by=n1_agent)
        assert received == []

    assert of_kind(received, events.TicketLinked) == [
        events.TicketLinked(ticket_id=older.pk, other_id=newer.pk, by_id=n1_agent.pk),
        events.TicketLinked(ticket_id=newer.pk, other_id=older.pk, by_id=n1_agent.pk),
    ]


def test_linking_again_announces_nothing(
    received, older, newer, n1_agent, django_capture_on_commit_callbacks
):
    services.ticket_link(ticket=older, other=newer, by=n1_agent)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.ticket_link(ticket=newer, other=older, by=n1_agent)

    assert callbacks == []


def test_unlink_removes_the_link_whatever_the_argument_order(older, newer, n1_agent):
    services.ticket_link(ticket=older, other=newer, by=n1_agent)

    services.ticket_unlink(ticket=newer, other=older, by=n1_agent)

    assert not TicketLink.objects.exists()
    assert selectors.ticket_links(agent=n1_agent, ticket=older) == []


def test_unlink_records_unlinked_on_both_tickets(older, newer, n1_agent):
    services.ticket_link(ticket=older, other=newer, by=n1_agent)

    services.ticket_unlink(ticket=older, other=newer, by=n1_agent)

    on_older = older.events.get(kind=E.UNLINKED)
    on_newer = newer.events.get(kind=E.UNLINKED)
    assert (on_older.actor, on_older.before, on_older.data) == (
        n1_agent,
        newer.number,
        {"other": newer.number},
    )
    assert (on_newer.actor, on_newer.before, on_newer.data) == (
        n1_agent,
        older.number,
        {"other": older.number},
    )


def test_unlinking_tickets_that_are_not_linked_changes_nothing(
    older, newer, n1_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.ticket_unlink(ticket=older, other=newer, by=n1_agent)

    assert callbacks == []
    assert not TicketEvent.objects.filter(kind=E.UNLINKED).exists()


def test_unlink_announces_both_tickets_after_commit(
    received, older, newer, n1_agent, django_capture_on_commit_callbacks
):
    """Both tickets' open pages still show the link: each must hear that it is gone."""
    services.ticket_link(ticket=older, other=newer, by=n1_agent)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_unlink(ticket=newer, other=older, by=n1_agent)

    assert {event.ticket_id for event in of_kind(received, events.TicketUnlinked)} == {
        older.pk,
        newer.pk,
    }


def test_unlink_by_a_non_agent_is_refused(older, newer, n1_agent):
    services.ticket_link(ticket=older, other=newer, by=n1_agent)

    with pytest.raises(NotAnAgent):
        services.ticket_unlink(ticket=older, other=newer, by=UserFactory(username="x"))

    assert TicketLink.objects.count() == 1


# --- message_split -------------------------------------------------------------------------------


@pytest.fixture
def two_requests(teams):
    """An e-mail ticket where the customer's second message, with an attachment, asks for
    something unrelated to the first. Returns (ticket, second message)."""
    first = receive(external_id="<boleto@maria>", subject="Boleto não chegou")
    second = receive(
        external_id="<endereco@maria>",
        reply_to_ids=("<boleto@maria>",),
        subject="Mudança de endereço",
        body_text="Aproveitando: mudei de endereço, segue o comprovante.",
        attachments=(make_attachment(filename="comprovante.pdf"),),
    )
    assert second.ticket == first.ticket
    return first.ticket, second.message


def test_split_moves_the_message_to_a_new_ticket_of_the_same_customer(two_requests, n1_agent):
    source, message = two_requests

    new = services.message_split(message=message, by=n1_agent)

    message.refresh_from_db()
    assert new != source
    assert message.ticket == new
    assert new.customer == source.customer


def test_split_leaves_the_other_messages_on_the_source(two_requests, n1_agent):
    source, message = two_requests

    services.message_split(message=message, by=n1_agent)

    assert list(source.messages.values_list("external_id", flat=True)) == ["<boleto@maria>"]


def test_split_message_takes_its_attachments_along(two_requests, n1_agent):
    _, message = two_requests

    new = services.message_split(message=message, by=n1_agent)

    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.message.ticket) == ("comprovante.pdf", new)


def test_split_ticket_is_named_after_the_message_subject(two_requests, n1_agent):
    _, message = two_requests

    new = services.message_split(message=message, by=n1_agent)

    assert new.subject == "Mudança de endereço"


def test_split_ticket_takes_the_subject_the_agent_gives(two_requests, n1_agent):
    _, message = two_requests

    new = services.message_split(message=message, by=n1_agent, subject="  Alterar endereço  ")

    assert new.subject == "Alterar endereço"


def test_split_of_a_message_without_subject_keeps_the_source_subject(teams, n1_agent):
    first = receive(external_id="<boleto@maria>", subject="Boleto não chegou")
    second = receive(external_id="<sem-assunto@maria>", reply_to_ids=("<boleto@maria>",))

    new = services.message_split(message=second.message, by=n1_agent)

    assert new.subject == first.ticket.subject == "Boleto não chegou"


def test_split_records_split_on_the_source_and_split_from_on_the_new_ticket(two_requests, n1_agent):
    source, message = two_requests

    new = services.message_split(message=message, by=n1_agent)

    split = source.events.get(kind=E.SPLIT)
    split_from = new.events.get(kind=E.SPLIT_FROM)
    assert (split.actor, split.after, split.data) == (
        n1_agent,
        new.number,
        {"message_id": message.pk},
    )
    assert (split_from.actor, split_from.before, split_from.data) == (
        n1_agent,
        source.number,
        {"message_id": message.pk},
    )


def test_split_links_the_two_tickets(two_requests, n1_agent):
    source, message = two_requests

    new = services.message_split(message=message, by=n1_agent)

    assert selectors.ticket_links(agent=n1_agent, ticket=source) == [new]
    assert selectors.ticket_links(agent=n1_agent, ticket=new) == [source]


def test_split_ticket_is_created_and_routed_like_any_new_ticket(two_requests, teams, n1_agent):
    _, message = two_requests
    # The new ticket takes its turn among the N1 teams, whichever the source sits in.
    night = TeamFactory(name="Atendimento N1 Noite", tier=Tier.N1)

    new = services.message_split(message=message, by=n1_agent)

    assert new.team in (teams[Tier.N1], night)
    assert (new.tier, new.status) == (Tier.N1, S.NEW)
    assert kinds(new) == [E.CREATED, E.SPLIT_FROM]
    assert new.events.get(kind=E.CREATED).actor == n1_agent


def test_split_from_an_escalated_ticket_starts_at_n1(two_requests, teams, n1_agent):
    source, message = two_requests
    services.ticket_escalate(ticket=source, reason="Falha no gateway", by=n1_agent)

    new = services.message_split(message=message, by=n1_agent)

    assert (new.tier, new.team) == (Tier.N1, teams[Tier.N1])


def test_split_ticket_keeps_the_source_priority_language_and_channel(two_requests, n1_agent):
    source, message = two_requests
    Ticket.objects.filter(pk=source.pk).update(priority=Ticket.Priority.HIGH, language="en")

    new = services.message_split(message=message, by=n1_agent)

    assert (new.priority, new.language, new.channel) == (
        Ticket.Priority.HIGH,
        "en",
        Channel.EMAIL,
    )


def test_split_ticket_waits_since_the_message_was_received(two_requests, n1_agent):
    _, message = two_requests

    new = services.message_split(message=message, by=n1_agent)

    new.refresh_from_db()
    assert new.last_customer_message_at == message.created_at


def test_split_announces_the_new_ticket_and_the_split_after_commit(
    received, two_requests, n1_agent, django_capture_on_commit_callbacks
):
    source, message = two_requests

    with django_capture_on_commit_callbacks(execute=True):
        new = services.message_split(message=message, by=n1_agent)
        assert received == []

    assert [(event.name, event.ticket_id) for event in received] == [
        ("ticket.created", new.pk),
        ("ticket.split", source.pk),
    ]
    assert received[1] == events.TicketSplit(
        ticket_id=source.pk, new_ticket_id=new.pk, by_id=n1_agent.pk
    )


def test_split_refuses_an_internal_note(two_requests, n1_agent):
    source, _ = two_requests
    note = services.note_add(ticket=source, by=n1_agent, body_text="Cliente pediu duas coisas.")

    with pytest.raises(InvalidSplit):
        services.message_split(message=note, by=n1_agent)


def test_split_refuses_an_agent_reply(two_requests, n1_agent):
    source, _ = two_requests
    reply = services.message_reply(ticket=source, by=n1_agent, body_text="Vamos verificar.")

    with pytest.raises(InvalidSplit):
        services.message_split(message=reply, by=n1_agent)


def test_split_refuses_the_only_customer_message_even_beside_notes(teams, n1_agent):
    only = receive(subject="Boleto não chegou")
    services.note_add(ticket=only.ticket, by=n1_agent, body_text="Verificar com financeiro.")

    with pytest.raises(InvalidSplit):
        services.message_split(message=only.message, by=n1_agent)


def test_split_refuses_a_message_of_a_closed_ticket(two_requests, n1_agent):
    source, message = two_requests
    Ticket.objects.filter(pk=source.pk).update(status=S.CLOSED, closed_at=timezone.now())

    with pytest.raises(TicketClosed):
        services.message_split(message=message, by=n1_agent)


def test_refused_split_changes_nothing(two_requests, n1_agent):
    source, _ = two_requests
    reply = services.message_reply(ticket=source, by=n1_agent, body_text="Vamos verificar.")
    tickets_before = Ticket.objects.count()

    with pytest.raises(InvalidSplit):
        services.message_split(message=reply, by=n1_agent)

    reply.refresh_from_db()
    assert reply.ticket == source
    assert Ticket.objects.count() == tickets_before
    assert not TicketLink.objects.exists()
    assert not source.events.filter(kind=E.SPLIT).exists()


def test_split_by_a_non_agent_is_refused(two_requests):
    source, message = two_requests

    with pytest.raises(NotAnAgent):
        services.message_split(message=message, by=UserFactory(username="x"))

    message.refresh_from_db()
    assert message.ticket == source


def test_email_answering_the_split_message_threads_onto_the_new_ticket(two_requests, n1_agent):
    _, message = two_requests
    new = services.message_split(message=message, by=n1_agent)

    follow_up = receive(
        external_id="<endereco-2@maria>",
        reply_to_ids=("<endereco@maria>",),
        subject="Re: Mudança de endereço",
    )

    assert follow_up.ticket == new
    assert not follow_up.created_ticket


def test_email_whose_references_name_both_messages_threads_onto_the_new_ticket(teams, n1_agent):
    """A mail client's References carry the whole chain; the latest message named decides."""
    start = timezone.now() - timedelta(hours=2)
    receive(external_id="<boleto@maria>", subject="Boleto não chegou", sent_at=start)
    second = receive(
        external_id="<endereco@maria>",
        reply_to_ids=("<boleto@maria>",),
        subject="Mudança de endereço",
        sent_at=start + timedelta(hours=1),
    )
    new = services.message_split(message=second.message, by=n1_agent)

    follow_up = receive(
        external_id="<endereco-2@maria>",
        reply_to_ids=("<endereco@maria>", "<boleto@maria>"),
        subject="Re: Mudança de endereço",
    )

    assert follow_up.ticket == new


def test_splitting_the_latest_customer_message_moves_the_waiting_time_back(teams, n1_agent):
    first = services.message_receive(
        incoming=make_inbound(external_id="<a@split.example>", body_text="Primeiro pedido")
    )
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        second = services.message_receive(
            incoming=make_inbound(
                external_id="<b@split.example>",
                reply_to_ids=("<a@split.example>",),
                body_text="Outro assunto",
            )
        )
    ticket = first.ticket
    ticket.refresh_from_db()
    assert abs(ticket.last_customer_message_at - second.message.created_at) < timedelta(seconds=1)

    services.message_split(message=second.message, by=n1_agent)

    ticket.refresh_from_db()
    assert ticket.last_customer_message_at == first.message.created_at
