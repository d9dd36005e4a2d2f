"""Reads of tickets, customers, agents and notifications, always scoped to who is asking."""

from functools import reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404

from ..models import (
    TIER_ORDER,
    AgentNotification,
    AgentProfile,
    Attachment,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Organization,
    Ticket,
    TicketEvent,
    TicketLink,
    tier_rank,
)
from .portal import attachment_visible_to_customer

PRIORITY_ORDER = [
    Ticket.Priority.URGENT,
    Ticket.Priority.HIGH,
    Ticket.Priority.NORMAL,
    Ticket.Priority.LOW,
]
# Channels an agent's answer can be delivered on (phone calls and API messages are not).
REPLYABLE_CHANNELS = (Channel.EMAIL, Channel.WHATSAPP, Channel.SMS, Channel.CHAT)


def _profile(user: AbstractBaseUser) -> AgentProfile | None:
    if not user.is_authenticated:
        return None
    try:
        return user.agent_profile
    except AgentProfile.DoesNotExist:
        return None


def is_agent(user: AbstractBaseUser) -> bool:
    return _profile(user) is not None


def agent_team_ids(profile: AgentProfile) -> list[int]:
    """The agent's team ids, read once per request (the profile object is cached on the user)."""
    if not hasattr(profile, "_team_ids"):
        profile._team_ids = list(profile.teams.values_list("pk", flat=True))
    return profile._team_ids


def ticket_scope_for_agent(
    *, agent: AbstractBaseUser, team_id: int | None = None, assignee_id: int | None = None
) -> QuerySet[Ticket]:
    """Tickets an agent may see: managers see all; others their teams' tickets and their own.

    With `team_id` and/or `assignee_id`, only the tickets of that team and/or assignee among
    them, and the rule is written for that case: one of the agent's teams, or themselves as the
    assignee, sees the whole of it (no condition); another team is seen only where the agent is
    its assignee. The same rows as filtering the whole scope, but without the OR across team
    and assignee, which PostgreSQL estimates as if it were independent of the filter: asked for
    a team the agent is not in, it walked every ticket newest first looking for a page."""
    profile = _profile(agent)
    if profile is None:
        return Ticket.objects.none()
    narrowed = Ticket.objects.all()
    if team_id is not None:
        narrowed = narrowed.filter(team_id=team_id)
    if assignee_id is not None:
        narrowed = narrowed.filter(assignee_id=assignee_id)
    if profile.is_manager or agent.is_superuser:
        return narrowed
    team_ids = agent_team_ids(profile)
    # Each way of seeing a ticket: True when the narrowing already guarantees it, False when
    # it rules it out, or the condition to test.
    # Unrouted tickets (no team) are everyone's to see, so that none is lost.
    ways = [
        Q(team_id__in=team_ids) if team_id is None else team_id in team_ids,
        Q(assignee=agent) if assignee_id is None else assignee_id == agent.pk,
        Q(team=None) if team_id is None else False,
    ]
    if True in ways:
        return narrowed
    conditions = [way for way in ways if way is not False]
    if not conditions:
        return Ticket.objects.none()
    return narrowed.filter(reduce(or_, conditions))


def ticket_visible_to(*, agent: AbstractBaseUser, ticket_id: int) -> bool:
    """Whether the agent may see this ticket (the same rule as every scoped read)."""
    return ticket_scope_for_agent(agent=agent).filter(pk=ticket_id).exists()


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


def customer_get_for_agent(*, agent: AbstractBaseUser, customer_id: int) -> Customer | None:
    """The customer, if the agent may see at least one of their tickets: an id typed into a
    filter must not give a stranger's name away."""
    visible = ticket_scope_for_agent(agent=agent).filter(customer_id=OuterRef("pk"))
    return Customer.objects.filter(Exists(visible), pk=customer_id).first()


def organization_get_for_agent(
    *, agent: AbstractBaseUser, organization_id: int
) -> Organization | None:
    """The organization, if the agent may see at least one ticket of its customers."""
    visible = ticket_scope_for_agent(agent=agent).filter(customer__organization_id=OuterRef("pk"))
    return Organization.objects.filter(Exists(visible), pk=organization_id).first()


def attachment_get_for_user(*, user: AbstractBaseUser, pk: int) -> Attachment:
    """An attachment its reader may open: an agent who sees the ticket, a customer who may
    read its message in the portal (their own or, for an organization manager, their
    organization's tickets; never an internal note or a system message), or staff who may view
    attachments in the admin (which links here). Anyone else gets 404."""
    attachment = Attachment.objects.select_related("message__ticket").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    if user.is_staff and user.has_perm("tickets.view_attachment"):
        return attachment
    ticket = attachment.message.ticket
    if is_agent(user):
        if ticket_visible_to(agent=user, ticket_id=ticket.pk):
            return attachment
        raise Http404
    if attachment_visible_to_customer(user=user, attachment=attachment):
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


def customer_panel(*, agent: AbstractBaseUser, ticket: Ticket, limit: int = 10) -> dict:
    """What an agent wants to know about the person behind a ticket: every identity, their other
    tickets on any channel (those the agent may see), and how they rated us lately."""
    customer = ticket.customer
    others = (
        ticket_scope_for_agent(agent=agent)
        .filter(customer=customer)
        .exclude(pk=ticket.pk)
        .only("number", "subject", "status", "channel", "created_at")
        .order_by("-created_at")[:limit]
    )
    visible = ticket_scope_for_agent(agent=agent).filter(customer=customer)
    answers = (
        TicketEvent.objects.filter(ticket__in=visible, kind=TicketEvent.Kind.SURVEY_ANSWERED)
        .select_related("ticket")
        .order_by("-created_at", "-id")[:20]
    )
    ratings: dict[int, TicketEvent] = {}
    for answer in answers:  # a changed answer: only the last one counts
        ratings.setdefault(answer.ticket_id, answer)
    return {
        "customer": customer,
        "identities": list(customer.identities.order_by("kind", "value")),
        "other_tickets": list(others),
        "ratings": list(ratings.values())[:5],
    }


def ticket_links(*, agent: AbstractBaseUser, ticket: Ticket) -> list[Ticket]:
    """Tickets linked to this one that the agent may see."""
    linked = TicketLink.objects.filter(Q(from_ticket=ticket) | Q(to_ticket=ticket)).values_list(
        "from_ticket_id", "to_ticket_id"
    )
    ids = {pk for pair in linked for pk in pair} - {ticket.pk}
    if not ids:
        return []
    return list(
        ticket_scope_for_agent(agent=agent)
        .filter(pk__in=ids)
        .only("number", "subject", "status")
        .order_by("number")
    )


def agents_who_can_hold(*, tier: str) -> QuerySet:
    """Active agents of that tier or above, for the assignee picker."""
    allowed = [t for t in TIER_ORDER if tier_rank(t) >= tier_rank(tier)]
    return (
        get_user_model()
        .objects.filter(is_active=True, agent_profile__tier__in=allowed)
        .only("username", "first_name", "last_name")
        .order_by("first_name", "username")
    )


def reply_channels(*, ticket: Ticket, identities: list[CustomerIdentity]) -> list[str]:
    """Channels an answer can go out on, the default first: the channel of the customer's last
    message (web-form writers are answered by email), then every channel the customer is
    known on."""
    inbound = list(
        ticket.messages.filter(direction=Message.Direction.INBOUND, kind=Message.Kind.MESSAGE)
        .order_by("-created_at")
        .values_list("channel", flat=True)[:1]
    )
    kinds = {identity.kind for identity in identities}
    by_identity = {
        CustomerIdentity.Kind.EMAIL: [Channel.EMAIL],
        CustomerIdentity.Kind.WHATSAPP: [Channel.WHATSAPP],
        CustomerIdentity.Kind.PHONE: [Channel.SMS],
        CustomerIdentity.Kind.CHAT_VISITOR: [Channel.CHAT],
    }
    candidates = [*inbound, ticket.channel]
    for kind, channels in by_identity.items():
        if kind in kinds:
            candidates += channels
    ordered = []
    for channel in candidates:
        channel = Channel.EMAIL if channel == Channel.WEB else channel
        if channel not in ordered and channel in REPLYABLE_CHANNELS:
            ordered.append(channel)
    return ordered


def notifications_for(*, agent: AbstractBaseUser, limit: int = 30) -> list[AgentNotification]:
    return list(
        AgentNotification.objects.filter(recipient=agent)
        .select_related("ticket", "actor", "message")
        .order_by("-created_at", "-id")[:limit]
    )


def unread_notification_count(*, agent: AbstractBaseUser) -> int:
    return AgentNotification.objects.filter(recipient=agent, read_at=None).count()


WORK_QUEUE_SIZE = 200


def next_ticket_for_agent(*, agent: AbstractBaseUser, after_number: int | None) -> int | None:
    """The number of the ticket to work after this one: the agent's own open tickets and the
    unassigned ones they may take, most urgent first (SLA due, priority, age); wraps around."""
    priority_rank = Case(
        *(When(priority=p, then=Value(i)) for i, p in enumerate(PRIORITY_ORDER)),
        output_field=IntegerField(),
    )
    queue = list(
        ticket_scope_for_agent(agent=agent)
        .filter(
            Q(assignee=agent) | Q(assignee=None), status__in=[Ticket.Status.NEW, Ticket.Status.OPEN]
        )
        .order_by(F("sla_due_at").asc(nulls_last=True), priority_rank, "created_at", "pk")
        .values_list("number", flat=True)[:WORK_QUEUE_SIZE]
    )
    if after_number in queue:
        position = queue.index(after_number)
        queue = queue[position + 1 :] + queue[:position]
    return queue[0] if queue else None
