"""Live pushes to the agent workspace: reacts to the tickets domain events after commit and sends
them through the channel layer to the agents' websockets (workspace.live.consumers.AgentConsumer).

Who hears what mirrors selectors.ticket_scope_for_agent through channel-layer groups: managers and
superusers join MANAGERS; everyone else joins the group of each of their teams and UNROUTED (tickets
without a team are everyone's), and every agent joins their own group, which also carries the
tickets assigned to them. A ticket's announcement goes to exactly the groups whose members may see
it. Payloads name the ticket, never a message's text. When an agent's access changes (deactivated,
added to or removed from a team), their own group is told, and their connections re-read it.

A push is a courtesy, never a reason to fail: a channel layer that is down or slow is logged and
skipped, and the page still shows the truth on its next load.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from channels_app.realtime import send_many, ticket_group
from tickets import events, selectors
from tickets.models import AgentNotification, AgentProfile, Ticket

logger = logging.getLogger(__name__)

ALL_AGENTS = "agents"
MANAGERS = "managers"
UNROUTED = "unrouted"

# New work in an agent's queues: the inbox offers to refresh.
INBOX_EVENTS = (
    events.TicketCreated,
    events.MessageCreated,  # from the customer only
    events.TicketAssigned,
    events.TicketEscalated,
    events.TicketDeescalated,
)
# Anything an open ticket page shows: the page offers to reload.
CHANGE_EVENTS = (
    events.MessageCreated,
    events.StatusChanged,
    events.PriorityChanged,
    events.TicketAssigned,
    events.TicketEscalated,
    events.TicketDeescalated,
    events.TagsChanged,
    events.TicketMerged,
    events.DeliveryUpdated,
    events.TicketLinked,
    events.TicketUnlinked,
    events.TicketSplit,
    events.SLAWarned,
    events.SLABreached,
)
# A clock warned or breached: the dashboards' "at risk now" lists of those who may see it refresh.
SLA_EVENTS = (events.SLAWarned, events.SLABreached)
SLA_PUSH_CHUNK = 100  # SLA events pushed by one task (about 400 group sends)


def agent_group(user_id: int) -> str:
    return f"agent.{user_id}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


def groups_for_agent(user: AbstractBaseUser, profile: AgentProfile) -> set[str]:
    """The groups an agent's connection joins: the same reach as ticket_scope_for_agent."""
    groups = {ALL_AGENTS, agent_group(user.pk)}
    if profile.is_manager or user.is_superuser:
        return groups | {MANAGERS}
    team_ids = selectors.agent_team_ids(profile)
    return groups | {UNROUTED} | {team_group(pk) for pk in team_ids}


def audience(ticket: Ticket) -> set[str]:
    """The groups whose members may see this ticket."""
    groups = {MANAGERS, team_group(ticket.team_id) if ticket.team_id else UNROUTED}
    if ticket.assignee_id:
        groups.add(agent_group(ticket.assignee_id))
    return groups


def _is_news_for_queues(event: events.DomainEvent) -> bool:
    if isinstance(event, events.MessageCreated):
        # A message that opened its ticket: the ticket's own announcement tells the same people.
        return event.from_customer and not event.created_ticket
    return isinstance(event, INBOX_EVENTS)


# First among the subscribers: an agent is waiting for it (a chat message's push then leaves
# before the tasks the other subscribers queue, not after them).
@events.subscribe_batch(
    *INBOX_EVENTS, *(e for e in CHANGE_EVENTS if e not in SLA_EVENTS), first=True
)
def announce(batch: list[events.DomainEvent]) -> None:
    """One delivery of events, one push per ticket and audience: the latest news of each ticket
    to the queues that may see it, the latest change to the pages that have it open. The
    tickets are read in one query, whatever the size of the batch."""
    news: dict[int, events.DomainEvent] = {}
    changes: dict[int, events.DomainEvent] = {}
    sla_news: dict[int, events.DomainEvent] = {}  # for the managers' "at risk now" lists
    actors: dict[tuple[str, int], set] = defaultdict(set)  # who made the news / the changes
    for event in batch:
        if event.ticket_id is None:
            continue
        if _is_news_for_queues(event):
            news[event.ticket_id] = event
            actors["news", event.ticket_id].add(event.by_id)
        if isinstance(event, SLA_EVENTS):
            sla_news[event.ticket_id] = event
        if isinstance(event, CHANGE_EVENTS):
            for pk in (event.ticket_id, *event.related_ticket_ids()):
                changes[pk] = event
                actors["change", pk].add(event.by_id)

    def by(kind: str, pk: int) -> int | None:
        # A page drops pushes of its own agent's doing: only when all the coalesced events were.
        [only] = actors[kind, pk] if len(actors[kind, pk]) == 1 else [None]
        return only

    if not news and not changes:
        return
    # A lone event may bring its ticket's row (a visitor's chat message): no read then.
    tickets = {
        event.ticket_id: ticket
        for event in batch
        if (ticket := events.ticket_in_hand(event)) is not None
        and ticket.pk == event.ticket_id
        and _CUSTOMER.is_cached(ticket)  # else naming them would read it
    }
    wanted = {*news, *changes, *sla_news} - tickets.keys()
    if wanted:
        tickets |= {
            ticket.pk: ticket
            for ticket in Ticket.objects.select_related("customer")
            .only(*PUSH_FIELDS)
            .filter(pk__in=wanted)
        }
    messages = []
    for pk, event in news.items():
        if ticket := tickets.get(pk):
            payload = {
                "type": "ticket",
                "event": event.name,
                "ticket": ticket.number,
                "subject": ticket.subject,
                "customer": str(ticket.customer),
                "channel": ticket.channel,
                "status": ticket.status,
                "by": by("news", pk),
            }
            # An assignee outside the ticket's teams hears it on their own group too; the id
            # lets each connection drop the second copy.
            push = {"type": "ticket.push", "id": uuid.uuid4().hex, "payload": payload}
            messages += [(group, push) for group in audience(ticket)]
    for pk, event in changes.items():
        if ticket := tickets.get(pk):
            payload = {
                "type": "ticket_changed",
                "ticket": ticket.number,
                "event": event.name,
                "by": by("change", pk),
            }
            # Who may see the ticket now: a page whose agent is no longer among them stops
            # watching it (an escalation or a new team took it out of their reach).
            groups = sorted(audience(ticket))
            change = {"type": "ticket.changed", "payload": payload, "audience": groups}
            messages.append((ticket_group(pk), change))
    for pk, event in sla_news.items():
        if ticket := tickets.get(pk):
            payload = {"type": "sla", "event": event.name, "ticket": ticket.number, "by": None}
            push = {"type": "ticket.push", "id": uuid.uuid4().hex, "payload": payload}
            messages += [(group, push) for group in audience(ticket)]
    send_many(together(messages))


def together(messages: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """The news of one delivery, one layer message per group ("ticket.pushes", a list) instead
    of one per ticket and group: a drain's batch of new tickets is a few sends to the queues'
    groups, not hundreds, and never more than a connection's channel holds (capacity 100 on
    Redis: the rest would be dropped). The pages' changes stay one per ticket (one group each)."""
    news: dict[str, list[dict]] = defaultdict(list)
    out = []
    for group, message in messages:
        if message["type"] == "ticket.push":
            news[group].append(message)
        else:
            out.append((group, message))
    for group, pushes in news.items():
        batch = {"type": "ticket.pushes", "pushes": pushes}
        out.append((group, pushes[0] if len(pushes) == 1 else batch))
    return out


@events.subscribe_batch(*SLA_EVENTS)
def announce_sla_later(batch: list[events.DomainEvent]) -> None:
    """The SLA timer records warnings and breaches a thousand at a time: their pushes (one per
    ticket page and per audience) are sent by a queued task, so the timer never waits on the
    channel layer. Constant work here: one task per 100 events (each task's pushes fit in the
    channel layer's timeout)."""
    from workspace.tasks import push_domain_events

    try:
        for start in range(0, len(batch), SLA_PUSH_CHUNK):
            chunk = batch[start : start + SLA_PUSH_CHUNK]
            push_domain_events.delay([event.payload() for event in chunk])
    except Exception:
        logger.warning("Could not queue the pushes of %s SLA events", len(batch), exc_info=True)


def announce_payloads(payloads: list[dict[str, Any]]) -> None:
    """announce() for events that travelled as their public payloads (a queued task)."""
    batch = []
    for payload in payloads:
        fields = {k: v for k, v in payload.items() if k not in ("event", "version")}
        batch.append(events.EVENT_TYPES[payload["event"]](**fields))
    announce(batch)


_CUSTOMER = Ticket._meta.get_field("customer")
PUSH_FIELDS = (
    "number", "subject", "channel", "status", "team_id", "assignee_id",
    "customer__name", "customer__id",
)  # fmt: skip


@events.subscribe(events.AgentNotified)
def announce_notification(event: events.AgentNotified) -> None:
    notification = (
        AgentNotification.objects.select_related("ticket", "actor", "recipient__agent_profile")
        .filter(pk=event.notification_id)
        .first()
    )
    if notification is None:
        return
    ticket, recipient = notification.ticket, notification.recipient
    visible = selectors.ticket_visible_to(agent=recipient, ticket_id=ticket.pk)
    actor = notification.actor
    message = {
        "type": "agent.notification",
        "id": notification.pk,
        "kind": notification.kind,
        "ticket": ticket.number,
        # The subject only to someone who may open the ticket.
        "subject": ticket.subject if visible else "",
        "actor": (actor.get_full_name() or actor.get_username()) if actor else "",
        "url": reverse("ticket-detail", args=[ticket.number]) if visible else "",
    }
    send([agent_group(recipient.pk)], message)


# Changes to what an agent may see that are not changes to a ticket.
ACCESS_EVENTS = (events.AgentDeactivated, events.AgentTeamAdded, events.AgentTeamRemoved)


@events.subscribe(*ACCESS_EVENTS)
def announce_access_change(event: events.DomainEvent) -> None:
    """The agent's own connections re-read their access at once (a deactivated agent's close):
    one push, the reading is theirs. Should it be lost, their periodic re-check catches up."""
    send([agent_group(event.agent_id)], {"type": "agent.access_changed", "event": event.name})


def send(groups: Iterable[str], message: dict[str, Any]) -> bool:
    """Send one message to several groups; False (and a log line) when the layer failed."""
    return send_many([(group, message) for group in sorted(groups)])
