"""Reads for the customer portal, scoped to the customer who asks: their own tickets, and an
organization manager's organization. What is out of reach is a 404, never a hint that it exists.
A customer sees the conversation (messages to and from them on every channel), never internal
notes or system messages."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from ..models import Attachment, Customer, Message, Ticket

S = Ticket.Status
# What the customer still waits on: everything but solved and closed.
OPEN_FOR_CUSTOMER = (S.NEW, S.OPEN, S.PENDING, S.ON_HOLD)


def customer_for_user(*, user: AbstractBaseUser) -> Customer | None:
    """The customer behind a portal login (None for a login that is no customer's)."""
    if not user.is_authenticated:
        return None
    customer = Customer.objects.filter(user=user).select_related("merged_into").first()
    # A login of a customer merged into another (possibly more than once) sees the survivor.
    return customer_survivor(customer) if customer is not None else None


def customer_survivor(customer: Customer) -> Customer:
    """The customer record that one was merged into (itself when it was not merged)."""
    seen = set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = customer.merged_into
    return customer


def ticket_scope_for_customer(*, user: AbstractBaseUser) -> QuerySet[Ticket]:
    """Tickets a portal login may see: its customer's, and, for a customer who manages their
    organization, every ticket of that organization's customers."""
    customer = customer_for_user(user=user)
    if customer is None:
        return Ticket.objects.none()
    scope = Q(customer=customer)
    if customer.is_org_manager and customer.organization_id:
        scope |= Q(customer__organization_id=customer.organization_id)
    return Ticket.objects.filter(scope)


def ticket_list_for_customer(
    *, user: AbstractBaseUser, open_only: bool = False
) -> QuerySet[Ticket]:
    """The portal's request list, newest first (tickets merged into another are left out: their
    conversation moved to the surviving one)."""
    tickets = ticket_scope_for_customer(user=user).filter(merged_into=None)
    if open_only:
        tickets = tickets.filter(status__in=OPEN_FOR_CUSTOMER)
    return tickets.select_related("customer").order_by("-created_at", "-id")


def ticket_get_for_customer(*, user: AbstractBaseUser, number: int) -> Ticket:
    """A ticket in the customer's reach, or 404. A merged ticket's number leads to the ticket it
    was merged into, when that one is in reach too."""
    scope = ticket_scope_for_customer(user=user).select_related("customer")
    ticket = scope.filter(number=number).first()
    seen = set()
    while ticket is not None and ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = scope.filter(pk=ticket.merged_into_id).first()
    if ticket is None:
        raise Http404
    return ticket


def customer_visible_messages() -> QuerySet[Message]:
    """Messages a customer may read: to and from them, on any channel. Internal notes and
    system messages (automatic acknowledgements, notices) stay with the agents."""
    return Message.objects.filter(kind=Message.Kind.MESSAGE)


def ticket_conversation_for_customer(*, ticket: Ticket) -> list[Message]:
    """The conversation of a ticket got from ticket_get_for_customer, oldest first, in two
    queries (the attachments prefetched)."""
    return list(
        customer_visible_messages()
        .filter(ticket=ticket)
        .select_related("author_user", "author_customer")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def attachment_visible_to_customer(*, user: AbstractBaseUser, attachment: Attachment) -> bool:
    """Whether a portal login may open this attachment: on a message it may read, of a ticket
    in its reach."""
    return (
        attachment.message.kind == Message.Kind.MESSAGE
        and ticket_scope_for_customer(user=user).filter(pk=attachment.message.ticket_id).exists()
    )
