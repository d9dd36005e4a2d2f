"""Which agent of a team gets a new ticket: the team's policy (manual, round-robin, least
loaded), among its agents who are online, may hold the ticket's tier, speak its language and
have the skills its tags ask for, below their capacity (open tickets and live chats counted
apart). The agents' rows are locked (in id order) while their load is counted and the ticket
assigned, so two tickets routed at once never both take an agent's last slot."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q
from django.utils import timezone

from tickets import services
from tickets.models import AgentProfile, Channel, Team, Ticket, tier_rank

from .models import AgentRouting, TeamRouting

# An agent counts as online while their workspace's live connection stamped them this lately.
SEEN_WITHIN = timedelta(seconds=90)
DEFAULT_TICKET_CAPACITY = AgentRouting._meta.get_field("ticket_capacity").default
OPEN = ~Q(status__in=[Ticket.Status.SOLVED, Ticket.Status.CLOSED])


@dataclass
class Candidate:
    profile: AgentProfile
    tickets: int = 0  # open tickets held, chats apart
    chats: int = 0
    ticket_capacity: int = DEFAULT_TICKET_CAPACITY
    skills: frozenset[str] = frozenset()

    @property
    def user_id(self) -> int:
        return self.profile.user_id


def team_policy(team: Team | None) -> str:
    if team is None:
        return TeamRouting.Policy.MANUAL
    routing = TeamRouting.objects.filter(team=team).values_list("policy", flat=True).first()
    return routing or TeamRouting.Policy.MANUAL


def _speaks(profile: AgentProfile, language: str) -> bool:
    spoken = {code.strip().lower() for code in profile.languages.split(",") if code.strip()}
    language = language.lower()
    return language in spoken or language.split("-")[0] in {c.split("-")[0] for c in spoken}


def candidates(*, ticket: Ticket, team: Team, tags: set[str], lock: bool) -> list[Candidate]:
    """The team's agents who could take the ticket now, with their load; their rows locked
    (in id order) when `lock`."""
    now = timezone.now()
    profiles = (
        AgentProfile.objects.filter(
            teams=team,
            user__is_active=True,
            availability=AgentProfile.Availability.ONLINE,
            last_seen_at__gte=now - SEEN_WITHIN,
        )
        .order_by("pk")
        .select_related("routing", "user")
    )
    if lock:
        profiles = profiles.select_for_update(of=("self",))
    found = [
        p
        for p in profiles
        if tier_rank(p.tier) >= tier_rank(ticket.tier) and _speaks(p, ticket.language)
    ]
    people = []
    for profile in found:
        routing = getattr(profile, "routing", None)
        people.append(
            Candidate(
                profile=profile,
                ticket_capacity=routing.ticket_capacity if routing else DEFAULT_TICKET_CAPACITY,
                skills=frozenset(routing.skill_set) if routing else frozenset(),
            )
        )
    # A tag that is some team member's skill asks for an agent with that skill.
    known_skills = set().union(*(c.skills for c in people)) if people else set()
    required = tags & known_skills
    people = [c for c in people if required <= c.skills]
    by_user = {c.user_id: c for c in people}
    if by_user:
        loads = (
            Ticket.objects.filter(OPEN, assignee_id__in=list(by_user))
            .values("assignee_id")
            .annotate(
                chats=Count("pk", filter=Q(channel=Channel.CHAT)),
                tickets=Count("pk", filter=~Q(channel=Channel.CHAT)),
            )
        )
        for row in loads:
            by_user[row["assignee_id"]].tickets = row["tickets"]
            by_user[row["assignee_id"]].chats = row["chats"]
    return people


def _has_room(candidate: Candidate, ticket: Ticket) -> bool:
    if ticket.channel == Channel.CHAT:
        return candidate.chats < candidate.profile.chat_capacity
    return candidate.tickets < candidate.ticket_capacity


def choose(*, ticket: Ticket, team: Team, policy: str, people: list[Candidate], last_id=None):
    """The candidate the policy picks (None: nobody has room)."""
    room = [c for c in people if _has_room(c, ticket)]
    if not room:
        return None
    if policy == TeamRouting.Policy.LEAST_LOADED:
        load = (lambda c: c.chats) if ticket.channel == Channel.CHAT else (lambda c: c.tickets)
        return min(room, key=lambda c: (load(c), c.user_id))
    room.sort(key=lambda c: c.user_id)
    after = [c for c in room if last_id is not None and c.user_id > last_id]
    return (after or room)[0]


def ticket_route_to_agent(*, ticket: Ticket, tags: set[str]) -> AbstractBaseUser | None:
    """Assign the ticket (locked by the caller, in its transaction) to the agent its team's
    policy picks; None when the policy is manual or nobody has room (it stays in the queue)."""
    team = ticket.team
    if team is None or ticket.assignee_id is not None:
        return None
    routing = TeamRouting.objects.select_for_update().filter(team=team).first()
    if routing is None or routing.policy == TeamRouting.Policy.MANUAL:
        return None
    people = candidates(ticket=ticket, team=team, tags=tags, lock=True)
    chosen = choose(
        ticket=ticket,
        team=team,
        policy=routing.policy,
        people=people,
        last_id=routing.last_assignee_id,
    )
    if chosen is None:
        return None
    if routing.policy == TeamRouting.Policy.ROUND_ROBIN:
        TeamRouting.objects.filter(pk=routing.pk).update(last_assignee_id=chosen.user_id)
    user = chosen.profile.user
    services.ticket_assign(ticket=ticket, assignee=user, by=None)
    return user
