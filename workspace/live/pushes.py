"""Live pushes to the agent workspace: reacts to the tickets domain events after commit and sends
them through the channel layer to the agents' websockets (workspace.live.consumers.AgentConsumer).

Who hears what mirrors selectors.ticket_scope_for_agent through channel-layer groups: managers and
superusers join MANAGERS; everyone else joins the group of each of their teams and UNROUTED (tickets
without a team are everyone's), and every agent joins their own group, which also carries the
tickets assigned to them. A ticket's announcement goes to exactly the groups whose members may see
it. Payloads name the ticket, never a message's text.

A push is a courtesy, never a reason to fail: a channel layer that is down or slow is logged and
skipped, and the page still shows the truth on its next load.
"""

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from tickets import events, selectors
from tickets.models import AgentNotification, AgentProfile, Ticket

logger = logging.getLogger(__name__)

ALL_AGENTS = "agents"
MANAGERS = "managers"
UNROUTED = "unrouted"
SEND_TIMEOUT = 2.0  # seconds for one push to all its groups; past that the layer counts as down

# New work in an agent's queues: the inbox offers to refresh.
INBOX_EVENTS = (
    events.TICKET_CREATED,
    events.MESSAGE_RECEIVED,
    events.TICKET_ASSIGNED,
    events.TICKET_ESCALATED,
    events.TICKET_DEESCALATED,
)
# Anything an open ticket page shows: the page offers to reload.
CHANGE_EVENTS = (
    events.MESSAGE_RECEIVED,
    events.REPLY_QUEUED,
    events.NOTE_ADDED,
    events.TICKET_STATUS_CHANGED,
    events.TICKET_PRIORITY_CHANGED,
    events.TICKET_ASSIGNED,
    events.TICKET_ESCALATED,
    events.TICKET_DEESCALATED,
    events.TICKET_TAGS_CHANGED,
    events.TICKET_MERGED,
    events.DELIVERY_UPDATED,
    events.TICKET_LINKED,
    events.TICKET_UNLINKED,
    events.TICKET_SPLIT,
    events.SLA_WARNED,
    events.SLA_BREACHED,
)


def agent_group(user_id: int) -> str:
    return f"agent.{user_id}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


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


@events.subscribe(*INBOX_EVENTS)
def announce_to_queues(event: events.DomainEvent) -> None:
    if event.name == events.MESSAGE_RECEIVED and event.data.get("created_ticket"):
        return  # its ticket_created already told the same people
    ticket = Ticket.objects.select_related("customer").filter(pk=event.ticket_id).first()
    if ticket is None:
        return
    payload = {
        "type": "ticket",
        "event": event.name,
        "ticket": ticket.number,
        "subject": ticket.subject,
        "customer": str(ticket.customer),
        "channel": ticket.channel,
        "status": ticket.status,
        "by": _actor_id(event),
    }
    # An assignee outside the ticket's teams hears it on their own group too; the id lets each
    # connection drop the second copy.
    send(audience(ticket), {"type": "ticket.push", "id": uuid.uuid4().hex, "payload": payload})


@events.subscribe(*CHANGE_EVENTS)
def announce_change(event: events.DomainEvent) -> None:
    ticket_ids = [event.ticket_id, *_related_ticket_ids(event.data)]
    numbers = dict(
        Ticket.objects.filter(pk__in=[pk for pk in ticket_ids if pk]).values_list("pk", "number")
    )
    if not numbers:
        return
    by = _actor_id(event)
    for pk, number in numbers.items():
        payload = {"type": "ticket_changed", "ticket": number, "event": event.name, "by": by}
        send([ticket_group(pk)], {"type": "ticket.changed", "payload": payload})


@events.subscribe(events.AGENT_NOTIFIED)
def announce_notification(event: events.DomainEvent) -> None:
    notification = (
        AgentNotification.objects.select_related("ticket", "actor", "recipient__agent_profile")
        .filter(pk=event.data.get("notification_id"))
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


def send(groups: Iterable[str], message: dict[str, Any]) -> bool:
    """Send one message to several groups; False (and a log line) when the layer failed."""
    layer = get_channel_layer()
    if layer is None:
        return False
    groups = sorted(groups)

    async def send_all() -> None:
        async with asyncio.timeout(SEND_TIMEOUT):
            await asyncio.gather(*(layer.group_send(group, message) for group in groups))

    try:
        if isinstance(layer, InMemoryChannelLayer):
            # Its queues belong to the event loop of this process's consumers: async_to_sync
            # finds that loop when called from a request or a consumer.
            async_to_sync(send_all)()
        else:
            future = asyncio.run_coroutine_threadsafe(send_all(), _push_loop())
            future.result(timeout=SEND_TIMEOUT + 1)
    except Exception:
        logger.warning(
            "Live push %s to %s failed; agents see it on their next page load",
            message["type"],
            ", ".join(groups),
            exc_info=True,
        )
        return False
    return True


_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _push_loop() -> asyncio.AbstractEventLoop:
    """One long-lived event loop per process for pushes through Redis, so that its connections
    are reused (a fresh loop per push, as async_to_sync makes in a worker, reconnects every time).
    Started lazily and again after a fork: Celery's prefork children do not inherit threads."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="realtime-push", daemon=True).start()
            _loop_pid = os.getpid()
        return _loop


def _related_ticket_ids(data: dict[str, Any]) -> list[int]:
    """Other tickets an event changed as well (the source of a merge, the other end of a link,
    the new ticket of a split), so that their open pages hear about it too."""
    return [
        value
        for key, value in data.items()
        if (key == "source_id" or key.endswith("ticket_id")) and isinstance(value, int)
    ]


def _actor_id(event: events.DomainEvent) -> int | None:
    """Who made the change (every service publishes `by_id`; None for the customer, the
    provider or the clock), so that their own pages do not tell them about it."""
    return event.data.get("by_id")
