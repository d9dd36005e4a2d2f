"""What a customer does in the portal, as core services: their portal login, a reply (an inbound
message on the web channel that wakes the ticket as any customer message does) and marking a
ticket solved; and the reads scoped to the customer who asks."""

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404

from tests.tickets.factories import (
    CustomerFactory,
    CustomerIdentityFactory,
    OrganizationFactory,
    make_attachment,
    make_inbound,
    make_ticket,
)
from tickets import events, selectors, services
from tickets.errors import EmptyMessage, IllegalTransition, NotCustomersTicket, TicketClosed
from tickets.models import Channel, CustomerIdentity, Message, Ticket, TicketEvent

S = Ticket.Status
E = TicketEvent.Kind


def with_login(customer, email=""):
    user, _ = services.customer_portal_login_get_or_create(customer=customer, email=email)
    customer.refresh_from_db()
    return user


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Loja Exemplo Ltda")


@pytest.fixture
def maria(org):
    customer = CustomerFactory(name="Maria Souza", organization=org)
    CustomerIdentityFactory(customer=customer, value="maria@loja.example")
    with_login(customer, "maria@loja.example")
    return customer


@pytest.fixture
def ticket(maria, teams):
    return services.message_receive(
        incoming=make_inbound(sender_value="maria@loja.example", subject="Boleto não chegou")
    ).ticket


@pytest.fixture
def delivered():
    got = []
    events.subscribe(events.DomainEvent)(got.append)
    yield got
    events.unsubscribe(got.append)


# --- the portal login -----------------------------------------------------------------------------


def test_a_portal_login_is_made_once_without_a_password(db):
    customer = CustomerFactory(name="Ana Lima")

    user, created = services.customer_portal_login_get_or_create(
        customer=customer, email="ana@example.com"
    )
    again, created_again = services.customer_portal_login_get_or_create(
        customer=customer, email="ana@example.com"
    )

    assert (created, created_again) == (True, False)
    assert again == user
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "ana@example.com", "ana@example.com", "Ana", "Lima",
    )  # fmt: skip
    assert not user.has_usable_password()
    customer.refresh_from_db()
    assert customer.user == user
    assert customer.identities.filter(kind="portal_user", value=str(user.pk)).exists()


def test_a_login_name_taken_by_someone_else_is_not_reused(db):
    get_user_model().objects.create(username="ana@example.com")
    customer = CustomerFactory()

    user, _ = services.customer_portal_login_get_or_create(
        customer=customer, email="ana@example.com"
    )

    assert user.username == f"customer-{customer.pk}"


def test_the_identity_proven_by_a_sign_in_becomes_verified(db):
    customer = CustomerFactory()
    identity = CustomerIdentityFactory(customer=customer, value="ana@example.com", verified=False)

    services.customer_portal_login_get_or_create(customer=customer, proven_identity=identity)

    identity.refresh_from_db()
    assert identity.verified


# --- replies from the portal --------------------------------------------------------------------


def test_a_portal_reply_is_an_inbound_web_message_of_the_customer(
    maria, ticket, delivered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_receive_from_portal(
            ticket=ticket,
            user=maria.user,
            body_text="Ainda não recebi o boleto.",
            attachments=[make_attachment(filename="print.png", content_type="image/png")],
        )

    assert (message.direction, message.kind, message.channel) == ("inbound", "message", "web")
    assert message.author_customer == maria
    assert [a.filename for a in message.attachments.all()] == ["print.png"]
    assert ticket.events.filter(kind=E.MESSAGE_RECEIVED, data__message_id=message.pk).exists()
    # The email conversation went on in the portal: the channel switch is on record.
    assert ticket.events.filter(kind=E.CHANNEL_SWITCHED, before="email", after="web").exists()
    created = [e for e in delivered if isinstance(e, events.MessageCreated)]
    assert [(e.message_id, e.from_customer) for e in created] == [(message.pk, True)]


def test_a_portal_reply_reopens_a_solved_ticket(maria, ticket, n1_agent):
    services.ticket_change_status(ticket=ticket, to_status=S.SOLVED, by=n1_agent)

    services.message_receive_from_portal(ticket=ticket, user=maria.user, body_text="Não resolveu")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count, ticket.solved_at) == (S.OPEN, 1, None)
    assert ticket.events.filter(kind=E.REOPENED).exists()


def test_a_portal_reply_answers_a_pending_ticket(maria, ticket, n1_agent):
    services.ticket_change_status(ticket=ticket, to_status=S.PENDING, by=n1_agent)

    services.message_receive_from_portal(ticket=ticket, user=maria.user, body_text="Segue o CPF")

    ticket.refresh_from_db()
    assert ticket.status == S.OPEN
    assert ticket.last_customer_message_at is not None


def test_a_closed_ticket_takes_no_portal_reply(maria, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status=S.CLOSED)

    with pytest.raises(TicketClosed):
        services.message_receive_from_portal(ticket=ticket, user=maria.user, body_text="Oi?")


def test_an_empty_portal_reply_is_refused(maria, ticket):
    with pytest.raises(EmptyMessage):
        services.message_receive_from_portal(ticket=ticket, user=maria.user, body_text="  ")


def test_the_same_reply_form_sent_twice_is_one_message(maria, ticket):
    first = services.message_receive_from_portal(
        ticket=ticket, user=maria.user, body_text="Oi", submission_id="abc"
    )
    second = services.message_receive_from_portal(
        ticket=ticket, user=maria.user, body_text="Oi", submission_id="abc"
    )

    assert first == second
    assert ticket.messages.filter(channel=Channel.WEB).count() == 1


def test_another_customer_cannot_reply_on_a_ticket(ticket, org):
    stranger = CustomerFactory(name="Estranho")
    with_login(stranger, "estranho@example.com")

    with pytest.raises(NotCustomersTicket):
        services.message_receive_from_portal(ticket=ticket, user=stranger.user, body_text="Oi")
    assert not ticket.messages.filter(channel=Channel.WEB).exists()


# --- marking solved -------------------------------------------------------------------------------


def test_the_customer_marks_their_ticket_solved_on_the_record(
    maria, ticket, delivered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_solve_by_customer(ticket=ticket, user=maria.user)

    ticket.refresh_from_db()
    assert ticket.status == S.SOLVED
    assert ticket.solved_at is not None
    event = ticket.events.get(kind=E.STATUS_CHANGED, after=S.SOLVED)
    assert (event.actor, event.data) == (None, {"customer_id": maria.pk})
    assert event.reason
    changed = [e for e in delivered if isinstance(e, events.StatusChanged)]
    assert [(e.after, e.by_id) for e in changed] == [(S.SOLVED, None)]


def test_marking_a_solved_ticket_solved_again_changes_nothing(maria, ticket):
    services.ticket_solve_by_customer(ticket=ticket, user=maria.user)
    services.ticket_solve_by_customer(ticket=ticket, user=maria.user)

    assert ticket.events.filter(kind=E.STATUS_CHANGED, after=S.SOLVED).count() == 1


def test_a_closed_ticket_cannot_be_marked_solved(maria, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status=S.CLOSED)

    with pytest.raises(IllegalTransition):
        services.ticket_solve_by_customer(ticket=ticket, user=maria.user)


def test_another_customer_cannot_mark_a_ticket_solved(ticket):
    stranger = CustomerFactory()
    with_login(stranger)

    with pytest.raises(NotCustomersTicket):
        services.ticket_solve_by_customer(ticket=ticket, user=stranger.user)
    ticket.refresh_from_db()
    assert ticket.status != S.SOLVED


# --- reads scoped to the customer -----------------------------------------------------------------


def test_a_customer_sees_only_their_own_tickets(maria, ticket, org):
    colleague = CustomerFactory(organization=org)
    with_login(colleague)
    theirs = make_ticket(customer=colleague)

    assert list(selectors.ticket_list_for_customer(user=maria.user)) == [ticket]
    with pytest.raises(Http404):
        selectors.ticket_get_for_customer(user=maria.user, number=theirs.number)


def test_an_organization_manager_sees_the_organizations_tickets(maria, ticket, org):
    manager = CustomerFactory(organization=org, is_org_manager=True)
    with_login(manager)
    own = make_ticket(customer=manager)
    elsewhere = make_ticket(customer=CustomerFactory(organization=OrganizationFactory()))

    visible = set(selectors.ticket_list_for_customer(user=manager.user))

    assert visible == {ticket, own}
    assert selectors.ticket_get_for_customer(user=manager.user, number=ticket.number) == ticket
    with pytest.raises(Http404):
        selectors.ticket_get_for_customer(user=manager.user, number=elsewhere.number)


def test_a_manager_without_an_organization_sees_only_their_own(ticket):
    manager = CustomerFactory(is_org_manager=True)
    with_login(manager)

    assert not selectors.ticket_list_for_customer(user=manager.user).exists()


def test_open_requests_leave_out_solved_and_closed_ones(maria, ticket):
    make_ticket(customer=maria, status=S.SOLVED)
    make_ticket(customer=maria, status=S.CLOSED)
    pending = make_ticket(customer=maria, status=S.PENDING)

    listed = set(selectors.ticket_list_for_customer(user=maria.user, open_only=True))

    assert listed == {ticket, pending}


def test_a_merged_tickets_number_leads_to_the_surviving_ticket(maria, ticket, n1_agent):
    other = make_ticket(customer=maria)
    services.ticket_merge(source=other, target=ticket, by=n1_agent)

    assert selectors.ticket_get_for_customer(user=maria.user, number=other.number) == ticket
    assert other not in selectors.ticket_list_for_customer(user=maria.user)


def test_the_conversation_never_shows_notes_or_system_messages(maria, ticket, n1_agent):
    services.note_add(ticket=ticket, by=n1_agent, body_text="Cliente difícil, cuidado")
    services.message_notify(ticket=ticket, body_text="Recebemos sua mensagem", reason="ack")
    reply = services.message_reply(ticket=ticket, by=n1_agent, body_text="Reenviamos o boleto")

    conversation = selectors.ticket_conversation_for_customer(ticket=ticket)

    assert [m.kind for m in conversation] == [Message.Kind.MESSAGE, Message.Kind.MESSAGE]
    assert conversation[-1] == reply


def test_a_customer_may_open_attachments_of_messages_they_may_read_only(maria, ticket, n1_agent):
    reply = services.message_reply(
        ticket=ticket, by=n1_agent, body_text="Segue", attachments=[make_attachment()]
    )
    note = services.note_add(
        ticket=ticket, by=n1_agent, body_text="Interno", attachments=[make_attachment()]
    )
    system = services.message_notify(ticket=ticket, body_text="Aviso")
    system_file = make_attachment(filename="interno.pdf")
    services.message_annotate(message=system, changes={}, attachments=[system_file])

    def opens(message):
        attachment = message.attachments.get()
        try:
            return selectors.attachment_get_for_user(user=maria.user, pk=attachment.pk) is not None
        except Http404:
            return False

    assert (opens(reply), opens(note), opens(system)) == (True, False, False)


def test_a_portal_login_without_a_customer_sees_nothing(db, n1_agent, ticket):
    assert not selectors.ticket_scope_for_customer(user=n1_agent).exists()
    assert CustomerIdentity.objects.filter(kind="portal_user").count() == 1  # maria's only
