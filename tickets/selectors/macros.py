"""Reads of canned responses and macros, scoped to the agent asking: their personal ones and the
shared ones, never another agent's personal ones."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.http import Http404

from ..models import AgentProfile, CannedResponse, Ticket

SCOPES = ("all", "mine", "shared")


def can_manage_shared(user: AbstractBaseUser) -> bool:
    """Managers and superusers keep the shared responses; every other agent only their own."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    try:
        return user.agent_profile.is_manager
    except AgentProfile.DoesNotExist:
        return False


def canned_response_can_change(*, user: AbstractBaseUser, canned: CannedResponse) -> bool:
    if canned.owner_id is None:
        return can_manage_shared(user)
    return canned.owner_id == user.pk


def canned_responses_for(
    *,
    agent: AbstractBaseUser,
    ticket: Ticket | None = None,
    query: str = "",
    scope: str = "all",
) -> QuerySet[CannedResponse]:
    """The agent's personal responses and the shared ones, most used first. With a ticket, only
    those meant for its customer's segment and its language (a blank segment or language on the
    response means any). Every word of `query` must appear in the title or the text."""
    if not agent.is_authenticated:
        return CannedResponse.objects.none()
    mine, shared = Q(owner=agent), Q(owner__isnull=True)
    responses = CannedResponse.objects.filter(
        {"mine": mine, "shared": shared}.get(scope, mine | shared)
    )
    if ticket is not None:
        responses = responses.filter(
            Q(segment="") | Q(segment=ticket.customer.segment),
            Q(language="") | Q(language=ticket.language),
        )
    for word in query.split()[:8]:
        responses = responses.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return responses.select_related("assign_team").order_by("-usage_count", "title", "id")


def canned_response_get_for_agent(*, agent: AbstractBaseUser, pk: int) -> CannedResponse:
    """One response the agent may use (their own or a shared one), or 404."""
    canned = canned_responses_for(agent=agent).filter(pk=pk).first()
    if canned is None:
        raise Http404
    return canned
