"""Services for what a customer does in the portal, signed in: their portal login, a reply on
one of their tickets (an inbound message on the web channel, as a customer's message on any
channel is) and marking a ticket solved."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from .. import selectors
from ..errors import EmptyMessage, NotCustomersTicket, TicketClosed
from ..inbound import SENDER_AUTH, SENDER_AUTHENTICATED, InboundAttachment, NormalizedMessage
from ..models import Channel, Customer, CustomerIdentity, Message, Ticket, TicketEvent
from ._common import audit_row, lock_ticket
from .messages import _already_received, _continue, _publish_message
from .tickets import apply_status

S = Ticket.Status
USERNAME_MAX = 150


def _free_username(email: str, customer: Customer) -> str:
    User = get_user_model()
    if email and len(email) <= USERNAME_MAX and not User.objects.filter(username=email).exists():
        return email
    return f"customer-{customer.pk}"


@transaction.atomic
def customer_portal_login_get_or_create(
    *, customer: Customer, email: str = "", proven_identity: CustomerIdentity | None = None
) -> tuple[AbstractBaseUser, bool]:
    """The customer's portal login, created the first time (a user without a password: they
    sign in by email links until they set one), and the portal identity that ties the login's
    requests to this customer. `proven_identity`, one of the customer's identities its owner
    just proved (by clicking a link sent to it), becomes verified. Returns (user, created)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if proven_identity is not None:
        CustomerIdentity.objects.filter(pk=proven_identity.pk, customer=customer).update(
            verified=True
        )
    created = customer.user is None
    if created:
        User = get_user_model()
        user = User(username=_free_username(email, customer), email=email)
        user.first_name, _, user.last_name = (customer.name or "").partition(" ")
        user.first_name, user.last_name = user.first_name[:150], user.last_name[:150]
        user.set_unusable_password()
        user.save()
        customer.user = user
        customer.save(update_fields=["user", "updated_at"])
    portal_identity_ensure(customer=customer, user=customer.user)
    return customer.user, created


def portal_identity_ensure(*, customer: Customer, user: AbstractBaseUser) -> CustomerIdentity:
    """The identity a portal login writes under (kind portal_user, value the user's id), so that
    requests sent from the portal through the pipeline reach this customer."""
    identity, _ = CustomerIdentity.objects.get_or_create(
        kind=CustomerIdentity.Kind.PORTAL_USER,
        value=str(user.pk),
        defaults={"customer": customer, "verified": True},
    )
    return identity


def _check_reach(ticket: Ticket, user: AbstractBaseUser) -> Customer:
    customer = selectors.customer_for_user(user=user)
    reachable = selectors.ticket_scope_for_customer(user=user).filter(pk=ticket.pk).exists()
    if customer is None or not reachable:
        raise NotCustomersTicket(number=ticket.number)
    return customer


def message_receive_from_portal(
    *,
    ticket: Ticket,
    user: AbstractBaseUser,
    body_text: str,
    attachments: Iterable[InboundAttachment] = (),
    submission_id: str = "",
) -> Message:
    """A customer's reply written in the portal: an inbound message on the web channel from
    the signed-in customer, received as a message on any channel is (a pending or solved ticket
    opens again, the clocks and the agents learn of it through MessageCreated). A closed
    ticket takes no more messages. `submission_id` (the form's one-time id) makes a form sent
    twice one message."""
    attachments = tuple(attachments)
    if not body_text.strip() and not attachments:
        raise EmptyMessage()
    incoming = NormalizedMessage(
        channel=Channel.WEB,
        sender_kind=CustomerIdentity.Kind.PORTAL_USER,
        sender_value=str(user.pk),
        subject=ticket.subject,
        body_text=body_text.strip(),
        external_id=f"portal:{submission_id}" if submission_id else "",
        attachments=attachments,
        metadata={
            "portal": {"user_id": user.pk},
            SENDER_AUTHENTICATED: True,
            SENDER_AUTH: {"reason": "a signed-in portal login"},
        },
    )
    try:
        with transaction.atomic():
            return _receive_from_portal(incoming, ticket=ticket, user=user)
    except IntegrityError:
        duplicate = _already_received(incoming)
        if duplicate is None:
            raise
        return duplicate.message


def _receive_from_portal(incoming: NormalizedMessage, *, ticket: Ticket, user) -> Message:
    customer = _check_reach(ticket, user)
    ticket = lock_ticket(ticket)
    if ticket.status == S.CLOSED:
        raise TicketClosed(number=ticket.number)
    message, _ = _continue(incoming, ticket, customer, "portal reply", timezone.now())
    audit_row(
        ticket,
        TicketEvent.Kind.MESSAGE_RECEIVED,
        message_id=message.pk,
        channel=incoming.channel,
        threading="portal reply",
        auto_reply=False,
    ).save(force_insert=True)
    _publish_message(message)
    return message


@transaction.atomic
def ticket_solve_by_customer(*, ticket: Ticket, user: AbstractBaseUser) -> Ticket:
    """The customer says their request is answered: the ticket is solved (and closes later as
    solved tickets do; a message from them reopens it). Already solved: nothing changes."""
    customer = _check_reach(ticket, user)
    ticket = lock_ticket(ticket)
    if ticket.status == S.SOLVED:
        return ticket
    with translation.override(ticket.language):
        reason = gettext("Marked solved by the customer in the portal")
    apply_status(ticket, S.SOLVED, by=None, reason=reason, customer_id=customer.pk)
    return ticket
