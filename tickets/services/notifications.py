"""Notifications for agents: mentions in internal notes, tickets given to them."""

import re
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import events
from ..models import AgentNotification, Message, Ticket

# "@ana", "@n1.solver" at a word start; an e-mail address (ana@example.com) is not a mention,
# and a sentence's final period is not part of the name.
MENTION = re.compile(r"(?<![\w.@])@(\w(?:[\w.+-]*\w)?)")


def mentioned_agents(text: str) -> list[AbstractBaseUser]:
    """Active agents whose username is @mentioned in the text (case-insensitive)."""
    names = {name.lower() for name in MENTION.findall(text)}
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    return list(
        get_user_model()
        .objects.filter(query, is_active=True, agent_profile__isnull=False)
        .select_related("agent_profile")
        .order_by("username")
    )


def notify_agents(
    *,
    recipients: Iterable[AbstractBaseUser],
    kind: str,
    ticket: Ticket,
    actor: AbstractBaseUser | None,
    message: Message | None = None,
) -> list[AgentNotification]:
    """Record one notification per recipient (never the actor themself) and push each after
    commit. Call inside the service's transaction."""
    rows = AgentNotification.objects.bulk_create(
        AgentNotification(
            recipient=recipient, kind=kind, ticket=ticket, message=message, actor=actor
        )
        for recipient in recipients
        if actor is None or recipient.pk != actor.pk
    )
    for row in rows:
        events.publish(
            events.AgentNotified(
                ticket_id=ticket.pk,
                recipient_id=row.recipient_id,
                notification_id=row.pk,
                kind=kind,
            )
        )
    return rows


@transaction.atomic
def notifications_mark_read(
    *, recipient: AbstractBaseUser, ticket: Ticket | None = None, ids: Iterable[int] = ()
) -> int:
    """Mark the recipient's unread notifications read: those of one ticket, those ids, or all."""
    unread = AgentNotification.objects.filter(recipient=recipient, read_at=None)
    if ticket is not None:
        unread = unread.filter(ticket=ticket)
    ids = list(ids)
    if ids:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
