"""Which agent of a team gets a new ticket: the team's policy (manual, round-robin, least
loaded), among its agents who are online, may hold the ticket's tier, speak its language and
have the skills its tags ask for, below their capacity (open tickets and live chats counted
apart). The team's routing row and its agents' rows are locked (in id order) while their load is
counted and the ticket assigned, so two tickets routed at once never both take an agent's last
slot.

A Router serves the tickets of one transaction (a batch of the rules' task): each team's routing
row and online agents are read and locked once, the agents' load counted once and kept up to
date in memory as the router assigns tickets. Any other change to the load (a rule that assigns
or solves a ticket: see settle()) and any error makes it count again."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Q
from django.utils import timezone

from tickets import services
from tickets.models import AgentProfile, Channel, Team, Ticket, tier_rank

from .models import AgentRouting, TeamRouting

# An agent counts as online while their workspace's live connection stamped them this lately.
SEEN_WITHIN = timedelta(seconds=90)
DEFAULT_TICKET_CAPACITY = AgentRouting._meta.get_field("ticket_capacity").default
CLOSED = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)
OPEN = ~Q(status__in=CLOSED)


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


@dataclass
class _Team:
    routing: TeamRouting
    members: list[AgentProfile] = field(default_factory=list)  # online, by id


def team_policy(team: Team | None) -> str:
    if team is None:
        return TeamRouting.Policy.MANUAL
    routing = TeamRouting.objects.filter(team=team).values_list("policy", flat=True).first()
    return routing or TeamRouting.Policy.MANUAL


def _speaks(profile: AgentProfile, language: str) -> bool:
    spoken = {code.strip().lower() for code in profile.languages.split(",") if code.strip()}
    language = language.lower()
    return language in spoken or language.split("-")[0] in {c.split("-")[0] for c in spoken}


def load_key(ticket: Ticket) -> tuple:
    """What of a ticket its agent's load counts: who holds it, whether it is open, a chat."""
    return (ticket.assignee_id, ticket.status not in CLOSED, ticket.channel == Channel.CHAT)


class Router:
    """Routing for the tickets of one transaction (see the module's docstring)."""

    def __init__(self) -> None:
        self.teams: dict[int, _Team | None] = {}  # None: manual, or no routing row
        self.loads: dict[int, list[int]] = {}  # user id -> [open tickets, chats]
        self.picked: dict[int, int] = {}  # ticket id -> user id the router gave it to

    def prepare(self, team_ids) -> None:
        """Lock and read these teams' routing rows and online agents, in id order, and count
        their agents' load: one query each for all of them."""
        new = sorted({pk for pk in team_ids if pk is not None and pk not in self.teams})
        if not new:
            return
        rows = TeamRouting.objects.select_for_update().filter(team_id__in=new).order_by("pk")
        for pk in new:
            self.teams[pk] = None
        routed = {}
        for row in rows:
            if row.policy != TeamRouting.Policy.MANUAL:
                routed[row.team_id] = self.teams[row.team_id] = _Team(routing=row)
        if not routed:
            return
        now = timezone.now()
        profiles = (
            AgentProfile.objects.filter(
                teams__in=list(routed),
                user__is_active=True,
                availability=AgentProfile.Availability.ONLINE,
                last_seen_at__gte=now - SEEN_WITHIN,
            )
            .annotate(_team_id=F("teams"))
            .order_by("pk")
            .select_related("routing", "user")
            .select_for_update(of=("self",))
        )
        for profile in profiles:
            routed[profile._team_id].members.append(profile)
        self._count({p.user_id for team in routed.values() for p in team.members})

    def _count(self, user_ids: set[int]) -> None:
        missing = [pk for pk in user_ids if pk not in self.loads]
        if not missing:
            return
        for pk in missing:
            self.loads[pk] = [0, 0]
        rows = (
            Ticket.objects.filter(OPEN, assignee_id__in=missing)
            .values("assignee_id")
            .annotate(
                chats=Count("pk", filter=Q(channel=Channel.CHAT)),
                tickets=Count("pk", filter=~Q(channel=Channel.CHAT)),
            )
        )
        for row in rows:
            self.loads[row["assignee_id"]] = [row["tickets"], row["chats"]]

    def candidates(self, *, ticket: Ticket, team: _Team, tags: set[str]) -> list[Candidate]:
        """The team's agents who could take the ticket now, with their load."""
        self._count({p.user_id for p in team.members})
        people = []
        for profile in team.members:
            if tier_rank(profile.tier) < tier_rank(ticket.tier):
                continue
            if not _speaks(profile, ticket.language):
                continue
            routing = getattr(profile, "routing", None)
            tickets, chats = self.loads[profile.user_id]
            people.append(
                Candidate(
                    profile=profile,
                    tickets=tickets,
                    chats=chats,
                    ticket_capacity=routing.ticket_capacity if routing else DEFAULT_TICKET_CAPACITY,
                    skills=frozenset(routing.skill_set) if routing else frozenset(),
                )
            )
        # A tag that is some team member's skill asks for an agent with that skill.
        known_skills = set().union(*(c.skills for c in people)) if people else set()
        required = tags & known_skills
        return [c for c in people if required <= c.skills]

    def route(self, *, ticket: Ticket, tags: set[str]) -> AbstractBaseUser | None:
        if ticket.team_id is None or ticket.assignee_id is not None:
            return None
        try:
            return self._route(ticket, tags)
        except BaseException:
            self.reset()
            raise

    def _route(self, ticket: Ticket, tags: set[str]) -> AbstractBaseUser | None:
        self.prepare([ticket.team_id])
        team = self.teams[ticket.team_id]
        if team is None:
            return None
        policy = team.routing.policy
        people = self.candidates(ticket=ticket, team=team, tags=tags)
        chosen = choose(
            ticket=ticket, policy=policy, people=people, last_id=team.routing.last_assignee_id
        )
        if chosen is None:
            return None
        if policy == TeamRouting.Policy.ROUND_ROBIN:
            TeamRouting.objects.filter(pk=team.routing.pk).update(last_assignee_id=chosen.user_id)
            team.routing.last_assignee_id = chosen.user_id
        user = chosen.profile.user
        services.ticket_assign(ticket=ticket, assignee=user, by=None)
        _, is_open, is_chat = load_key(ticket)
        if is_open:
            self.loads[chosen.user_id][1 if is_chat else 0] += 1
        self.picked[ticket.pk] = chosen.user_id
        return user

    def settle(self, ticket_id: int, *, before: tuple, after: tuple) -> None:
        """After a ticket's rules ran and it was routed: its load_key() before and after. A
        change the router did not make itself (a rule assigned the ticket, solved it, moved it
        away from its agent) makes it count the load again."""
        picked = self.picked.pop(ticket_id, None)
        expected = before
        if picked is not None:
            expected = (picked, *before[1:]) if before[0] is None else None
        if after != expected:
            self.loads = {}


def _has_room(candidate: Candidate, ticket: Ticket) -> bool:
    if ticket.channel == Channel.CHAT:
        return candidate.chats < candidate.profile.chat_capacity
    return candidate.tickets < candidate.ticket_capacity


def choose(*, ticket: Ticket, policy: str, people: list[Candidate], last_id=None):
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


def ticket_route_to_agent(
    *, ticket: Ticket, tags: set[str], router: Router | None = None
) -> AbstractBaseUser | None:
    """Assign the ticket (locked by the caller, in its transaction) to the agent its team's
    policy picks; None when the policy is manual or nobody has room (it stays in the queue).
    `router`: the one serving the caller's transaction, when it routes several tickets."""
    return (router or Router()).route(ticket=ticket, tags=tags)
