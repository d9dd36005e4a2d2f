"""Whether an agent can take live chats now: the availability they chose (online or away) and
when their workspace was last seen. Core data, since chat and routing both read it."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from ..errors import InvalidChoice
from ..models import AgentProfile
from ._common import agent_profile

A = AgentProfile.Availability
# A live connection beats every 20 s: its stamp is rewritten at most this often.
SEEN_REFRESH = timedelta(seconds=30)


def agent_set_availability(*, agent: AbstractBaseUser, availability: str) -> AgentProfile:
    """The agent's own choice (the top bar's switch): online or away. Offline is what an agent
    whose workspace is closed is, not something to choose. One UPDATE."""
    profile = agent_profile(agent)
    if availability not in (A.ONLINE, A.AWAY):
        raise InvalidChoice(field="availability", value=availability)
    now = timezone.now()
    AgentProfile.objects.filter(pk=profile.pk).update(availability=availability, last_seen_at=now)
    profile.availability, profile.last_seen_at = availability, now
    return profile


def agent_seen(*, agent_id: int) -> bool:
    """The agent's workspace is open (its live connection connected or beat): they are online
    unless they chose away. One conditional UPDATE, skipped while the last stamp is fresh;
    whether a row was written."""
    now = timezone.now()
    return bool(
        AgentProfile.objects.filter(user_id=agent_id)
        .filter(
            Q(last_seen_at__isnull=True)
            | Q(last_seen_at__lt=now - SEEN_REFRESH)
            | Q(availability=A.OFFLINE)
        )
        .update(
            last_seen_at=now,
            availability=Case(
                When(availability=A.AWAY, then=Value(A.AWAY)), default=Value(A.ONLINE)
            ),
        )
    )
