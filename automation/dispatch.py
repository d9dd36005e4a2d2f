"""The N1 dispatchers' queue: new tickets nobody has routed yet, the team the rules suggest for
each (and why), and routing one to a team (of its tier, or a higher one by escalation)."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _

from tickets import services
from tickets.models import AgentProfile, Team, Ticket, TicketEvent, Tier

from . import conditions, routing
from .engine import active_rules

S = Ticket.Status
QUEUE_SIZE = 50
E = TicketEvent.Kind
ROUTED = [E.TEAM_CHANGED, E.ESCALATED, E.ASSIGNED, E.CLAIMED]


@dataclass(frozen=True)
class Suggestion:
    team: Team
    why: str


def may_dispatch(user: AbstractBaseUser) -> bool:
    profile = getattr(user, "agent_profile", None) if user.is_authenticated else None
    if profile is None:
        return user.is_authenticated and user.is_superuser
    return profile.is_manager or profile.n1_role == AgentProfile.N1Role.DISPATCHER


def dispatch_queue(*, agent: AbstractBaseUser) -> list[Ticket]:
    """New, unassigned N1 tickets nobody has routed yet (no rule or person gave them a team,
    a tier or an agent: the N1 team they got in turn does not count), oldest first. A ticket
    born in the team a rule chose (its "created" row names the rule) is routed: it is where a
    team change by that rule would have put it."""
    if not may_dispatch(agent):
        return []
    routed = TicketEvent.objects.filter(
        Q(kind__in=ROUTED) | Q(kind=E.CREATED, data__has_key="routing_rule"),
        ticket_id=OuterRef("pk"),
    )
    return list(
        Ticket.objects.filter(status=S.NEW, assignee__isnull=True, tier=Tier.N1)
        .filter(~Exists(routed))
        .select_related("customer__organization", "team")
        .order_by("created_at", "id")[:QUEUE_SIZE]
    )


def suggestions_for(tickets: list[Ticket]) -> dict[int, Suggestion]:
    """The team each ticket's rules would send it to (the first matching rule on "created" that
    sets a team), else the N1 team with the fewest open tickets."""
    rules = [
        r
        for r in active_rules()
        if "created" in (r.events or [])
        and any(a.get("type") in ("set_team", "escalate") for a in r.actions or [])
    ]
    teams = {t.name: t for t in Team.objects.all()}
    facts = conditions.facts_for(
        tickets, with_text=conditions.needs_text(rules), open_hours=conditions.default_open_hours()
    )
    fallback = (
        Team.objects.filter(tier=Tier.N1)
        .annotate(open_count=Count("tickets", filter=~Q(tickets__status__in=[S.SOLVED, S.CLOSED])))
        .order_by("open_count", "name")
        .first()
    )
    found = {}
    for fact in facts:
        for rule in rules:
            if not conditions.matches(rule.conditions, fact):
                continue
            team = _team_of(rule, teams)
            if team is not None:
                found[fact.ticket.pk] = Suggestion(team, _("rule '%(name)s'") % {"name": rule.name})
                break
        else:
            if fallback is not None:
                found[fact.ticket.pk] = Suggestion(fallback, _("fewest open tickets"))
    return found


def _team_of(rule, teams: dict[str, Team]) -> Team | None:
    for action in rule.actions or []:
        if action.get("type") == "set_team" and action.get("team") in teams:
            return teams[action["team"]]
        if action.get("type") == "escalate":
            if action.get("team") in teams:
                return teams[action["team"]]
            tier = action.get("tier") or Tier.N2
            return min(
                (t for t in teams.values() if t.tier == tier), key=lambda t: t.name, default=None
            )
    return None


@transaction.atomic
def ticket_dispatch(*, ticket: Ticket, team: Team, by: AbstractBaseUser) -> Ticket:
    """Route a ticket to a team: of its own tier, then the team's policy may give it an agent;
    of a higher tier, by escalation (reason: routed by the dispatcher)."""
    if not may_dispatch(by):
        raise PermissionDenied
    if team.tier == ticket.tier:
        if team.pk == ticket.team_id:
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("team")
                .get(pk=ticket.pk)
            )
            services.ticket_record_routed(ticket=ticket, by=by)
        else:
            ticket = services.ticket_assign(ticket=ticket, assignee=None, by=by, team=team)
        tags = set(ticket.tags.values_list("name", flat=True))
        routing.ticket_route_to_agent(ticket=ticket, tags=tags)
    else:
        ticket = services.ticket_escalate(
            ticket=ticket,
            reason=_("Routed by the dispatcher"),
            by=by,
            to_tier=team.tier,
            team=team,
        )
    return ticket
