"""Reads of tickets and customers, always scoped to who is asking."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .models import AgentProfile, Attachment, Customer, Ticket


def _profile(user: AbstractBaseUser) -> AgentProfile | None:
    if not user.is_authenticated:
        return None
    try:
        return user.agent_profile
    except AgentProfile.DoesNotExist:
        return None


def is_agent(user: AbstractBaseUser) -> bool:
    return _profile(user) is not None


def ticket_scope_for_agent(*, agent: AbstractBaseUser) -> QuerySet[Ticket]:
    """Tickets an agent may see: managers see all; others their teams' tickets and their own."""
    profile = _profile(agent)
    if profile is None:
        return Ticket.objects.none()
    if profile.is_manager or agent.is_superuser:
        return Ticket.objects.all()
    team_ids = list(profile.teams.values_list("pk", flat=True))
    # Unrouted tickets (no team) are everyone's to see, so that none is lost.
    return Ticket.objects.filter(Q(team_id__in=team_ids) | Q(assignee=agent) | Q(team=None))


def ticket_list_for_agent(
    *, agent: AbstractBaseUser, status: str | None = None
) -> QuerySet[Ticket]:
    tickets = ticket_scope_for_agent(agent=agent).select_related("customer", "assignee", "team")
    if status:
        tickets = tickets.filter(status=status)
    return tickets.order_by("-updated_at", "-id")


def ticket_get_for_agent(*, agent: AbstractBaseUser, number: int) -> Ticket:
    ticket = (
        ticket_scope_for_agent(agent=agent)
        .select_related("customer__organization", "assignee", "team")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def ticket_status_counts_for_agent(*, agent: AbstractBaseUser) -> dict[str, int]:
    rows = ticket_scope_for_agent(agent=agent).values("status").annotate(n=Count("id"))
    counts = dict.fromkeys(Ticket.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def customer_for_user(*, user: AbstractBaseUser) -> Customer | None:
    if not user.is_authenticated:
        return None
    customer = Customer.objects.filter(user=user).first()
    # A login of a customer merged into another (possibly more than once) sees the survivor.
    seen = set()
    while customer is not None and customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = customer.merged_into
    return customer


def ticket_list_for_customer(*, user: AbstractBaseUser) -> QuerySet[Ticket]:
    customer = customer_for_user(user=user)
    if customer is None:
        return Ticket.objects.none()
    return Ticket.objects.filter(customer=customer).order_by("-created_at")


def ticket_get_for_customer(*, user: AbstractBaseUser, number: int) -> Ticket:
    """A customer's own ticket, or 404: never another customer's."""
    ticket = ticket_list_for_customer(user=user).filter(number=number).first()
    if ticket is None:
        raise Http404
    return ticket


def attachment_get_for_user(*, user: AbstractBaseUser, pk: int) -> Attachment:
    """An attachment its reader may open: an agent who sees the ticket, or the ticket's own
    customer (never on an internal note). Anyone else gets 404."""
    attachment = Attachment.objects.select_related("message__ticket").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    ticket = attachment.message.ticket
    if is_agent(user):
        if ticket_scope_for_agent(agent=user).filter(pk=ticket.pk).exists():
            return attachment
        raise Http404
    customer = customer_for_user(user=user)
    if (
        customer is not None
        and ticket.customer_id == customer.pk
        and attachment.message.kind != attachment.message.Kind.INTERNAL_NOTE
    ):
        return attachment
    raise Http404


def ticket_timeline(*, ticket: Ticket) -> list[tuple[str, object]]:
    """Messages and audit events of a ticket in time order, in a fixed number of queries."""
    messages = (
        ticket.messages.select_related("author_user", "author_customer")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    events = ticket.events.select_related("actor").order_by("created_at", "id")
    entries = [("message", m.created_at, m.pk, m) for m in messages]
    entries += [("event", e.created_at, e.pk, e) for e in events]
    entries.sort(key=lambda entry: (entry[1], entry[0] == "message", entry[2]))
    return [(kind, item) for kind, _, _, item in entries]
