# ruff: noqa: E501 (long pt-BR demo sentences read better unbroken)
"""`manage.py seed_demo`: realistic pt-BR demo data for a Brazilian support team.

Staff (a manager, N1 solvers and dispatchers, N2 analysts, N3 specialists), teams, organizations,
customers known on several channels, and about a thousand tickets spread over the last 90 days,
each with a conversation and an audit trail. Every ticket change goes through tickets.services,
run under a travelled clock (time-machine) so that timestamps, first responses, escalations and
automatic closes look like a real quarter of work.

The pt-BR content it draws from (people, organizations, topics, scenarios, the words of every
conversation) lives in _seed_demo_content.py; this module holds the planning and the writing.

Deterministic (fixed seed) and idempotent: people, teams and organizations are looked up before
they are created, and the tickets are created only once.
"""

import random
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from sla.defaults import sla_policies_seed_defaults
from tickets import events, services
from tickets.inbound import NormalizedMessage
from tickets.management.commands._seed_demo_content import (
    AGENT_CLOSE_REASONS,
    AREA_CODES,
    CHANNEL_NAMES,
    CHANNEL_WEIGHTS,
    CHANNEL_WORDS,
    CHASERS,
    CITIES,
    DEESCALATE_REASONS,
    DEMO_CUSTOMER,
    DEMO_CUSTOMER_EMAIL,
    DISPATCH_NOTES,
    DISPATCHER,
    DUP_MESSAGES,
    ERPS,
    ESPECIALISTAS,
    FEMALE_NAMES,
    FIRST_REPLY_INTROS,
    FORWARD_REPLIES,
    HOUR_WEIGHTS,
    MALE_NAMES,
    MANAGER_NOTES,
    MANAGERS_GROUP,
    MERGE_NOTES,
    ON_HOLD_CASES,
    ORGANIZATIONS,
    PERSONAL_DOMAINS,
    PICKUP_REPLIES,
    PRIORITY_REASONS,
    REASSIGN_NOTES,
    REOPEN_MESSAGES,
    SECOND_SOLUTIONS,
    SEGMENT_LABELS,
    SEGMENT_SHARES,
    SEGMENT_TICKET_WEIGHT,
    SOLVER,
    STAFF,
    STATUS_BY_AGE,
    STATUS_ORDER,
    SURNAMES,
    TEAMS,
    TOPICS,
    WORKING_NOTES,
    Scenario,
    Topic,
)
from tickets.management.commands._seed_workspace import seed_workspace
from tickets.models import (
    AgentNotification,
    AgentProfile,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Organization,
    Team,
    Ticket,
    TicketEvent,
    Tier,
)
from tickets.services.messages import whatsapp_window_closes_at

User = get_user_model()
S = Ticket.Status
P = Ticket.Priority
Kind = CustomerIdentity.Kind

DEMO_PASSWORD = "demo1234"  # noqa: S105 (demo accounts, refused outside DEBUG without --force)
DEFAULT_SEED = 2025
# Inbound demo messages carry this in their metadata: it is how a second run knows the tickets
# are already there.
DEMO_MARK = {"seed": "seed_demo"}
LOCAL_TZ = ZoneInfo("America/Sao_Paulo")
WINDOW_DAYS = 90
CONVERSATIONAL = frozenset({Channel.WHATSAPP, Channel.CHAT, Channel.SMS})
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
TIERS = (Tier.N1, Tier.N2, Tier.N3)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------
def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def brl(value: float) -> str:
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"R$ {text}"


def make_cnpj(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(8)] + [0, 0, 0, 1]
    for weights in ((5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)):
        rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        digits.append(0 if rest < 2 else 11 - rest)
    d = "".join(map(str, digits))
    return f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"


def weighted(rng: random.Random, items: dict[Any, float]) -> Any:
    keys = list(items)
    return rng.choices(keys, weights=[items[k] for k in keys])[0]


def local(dt: datetime) -> datetime:
    return dt.astimezone(LOCAL_TZ)


def day_greeting(dt: datetime) -> str:
    hour = local(dt).hour
    return "Bom dia" if 5 <= hour < 12 else "Boa tarde" if 12 <= hour < 18 else "Boa noite"


# --------------------------------------------------------------------------------------------
# Planned data
# --------------------------------------------------------------------------------------------
@dataclass
class Person:
    """A demo customer as planned, and the Customer row once it exists."""

    first: str
    last: str
    female: bool
    segment: str
    created_at: datetime
    org: tuple[str, str] | None = None  # (name, domain)
    email: str = ""
    whatsapp: str = ""
    phone: str = ""
    phone_is_mobile: bool = False
    merged_whatsapp: bool = False  # the WhatsApp contact first showed up as another customer
    customer: Customer | None = None
    busy_until: dict[str, datetime] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def weight(self) -> float:
        return SEGMENT_TICKET_WEIGHT[self.segment]

    def sender(self, channel: str) -> tuple[str, str]:
        if channel == Channel.WHATSAPP:
            return Kind.WHATSAPP, self.whatsapp
        if channel == Channel.SMS:
            return Kind.PHONE, self.phone
        return Kind.EMAIL, self.email

    def can_use(self, channel: str, when: datetime) -> bool:
        if channel in (Channel.EMAIL, Channel.WEB, Channel.CHAT):
            ok = bool(self.email)
        elif channel == Channel.WHATSAPP:
            ok = bool(self.whatsapp)
        elif channel == Channel.SMS:
            ok = bool(self.phone) and self.phone_is_mobile
        else:  # a call: any number we know
            ok = bool(self.phone or self.whatsapp)
        if ok and channel in CONVERSATIONAL:
            ok = when > self.busy_until.get(channel, datetime.min.replace(tzinfo=UTC))
        return ok


@dataclass
class TicketSpec:
    index: int
    t0: datetime
    status: str
    topic: Topic
    scenario: Scenario
    path: int  # highest tier reached: 0 N1, 1 N2, 2 N3
    priority: str
    subject: str
    reopen: bool = False
    dup: bool = False
    dispatcher: bool = False
    deescalate: bool = False
    reassign: bool = False
    manager_note: bool = False
    demo_customer: bool = False
    person: Person | None = None
    channel: str = ""
    dup_channel: str = ""


class Seeder:
    """Plans the demo world with one seeded random generator and writes it through services."""

    def __init__(self, *, seed: int, now: datetime, n_customers: int, n_tickets: int):
        self.seed = seed
        self.now = now
        self.n_customers = n_customers
        self.n_tickets = n_tickets
        self.holidays = holidays.country_holidays("BR", subdiv="SP")
        self.users: dict[str, Any] = {}
        self.female_staff: dict[int, bool] = {}
        self.teams: dict[str, Team] = {}
        self.agents: dict[str, list[tuple[Any, float, str]]] = {}  # team -> (user, weight, role)
        self.people: list[Person] = []
        self.demo_person: Person | None = None
        self._external_seq = 0

    # ---- calendar -------------------------------------------------------------------------
    def is_workday(self, day) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def agent_time(self, when: datetime, rng: random.Random) -> datetime:
        """The first moment at or after `when` that an agent is at work (8h-18h, workdays)."""
        t = local(when)
        for _day in range(15):
            if self.is_workday(t.date()) and 8 <= t.hour < 18:
                return t.astimezone(UTC)
            if self.is_workday(t.date()) and t.hour < 8:
                t = t.replace(hour=8, minute=rng.randint(0, 45), second=rng.randint(0, 59))
            else:
                t = (t + timedelta(days=1)).replace(
                    hour=8, minute=rng.randint(0, 45), second=rng.randint(0, 59)
                )
        return t.astimezone(UTC)

    def customer_time(self, when: datetime, rng: random.Random) -> datetime:
        """Customers write at any hour, but most of them sleep at night."""
        t = local(when)
        if t.hour >= 23 or t.hour < 7:
            base = t if t.hour < 7 else t + timedelta(days=1)
            t = base.replace(hour=rng.randint(7, 9), minute=rng.randint(0, 59))
        return t.astimezone(UTC)

    def office_open(self, when: datetime, *, until: int = 18) -> bool:
        t = local(when)
        return self.is_workday(t.date()) and 8 <= t.hour < until

    # ---- ids ------------------------------------------------------------------------------
    def external_id(self, channel: str, rng: random.Random, domain: str) -> str:
        self._external_seq += 1
        token = f"{rng.getrandbits(64):016x}{self._external_seq:05x}"
        if channel == Channel.EMAIL:
            return f"<{token}@mail.{domain or 'example.com'}>"
        if channel == Channel.WHATSAPP:
            return f"wamid.HBgN{token.upper()}"
        if channel == Channel.SMS:
            return f"SM{token}{rng.getrandbits(44):011x}"
        return f"{channel}-{token}"

    # ---- staff --------------------------------------------------------------------------
    def setup_staff(self) -> dict[str, int]:
        created = Counter()
        for name, tier, description in TEAMS:
            team, new = Team.objects.get_or_create(
                name=name, defaults={"tier": tier, "description": description}
            )
            self.teams[name] = team
            created["teams"] += new
        password = None
        for spec in (*STAFF, None):
            if spec is None:  # the portal customer's login
                username, first, last = DEMO_CUSTOMER_EMAIL, *DEMO_CUSTOMER[:2]
                email = DEMO_CUSTOMER_EMAIL
            else:
                username, first, last = spec.username, spec.first_name, spec.last_name
                email = f"{spec.username}@jornada.example"
            user, new = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "is_staff": bool(spec and spec.is_staff),
                    "is_superuser": bool(spec and spec.is_superuser),
                },
            )
            if new:
                # One hash for every demo account: hashing is slow on purpose.
                password = password or make_password(DEMO_PASSWORD)
                user.password = password
                user.save(update_fields=["password"])
                created["users"] += 1
            self.users[username] = user
            self.female_staff[user.pk] = bool(spec and spec.female)
            if spec is None or spec.tier is None:
                continue
            profile, new = AgentProfile.objects.get_or_create(
                user=user,
                defaults={
                    "tier": spec.tier,
                    "n1_role": spec.n1_role,
                    "is_manager": spec.is_manager,
                    "languages": spec.languages,
                },
            )
            if new:
                profile.teams.add(*(self.teams[t] for t in spec.teams))
                created["agents"] += 1
            for team_name in spec.teams:
                role = spec.n1_role or "agent"
                self.agents.setdefault(team_name, []).append((user, spec.weight, role))
        group, _created = Group.objects.get_or_create(name=MANAGERS_GROUP)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="tickets").filter(
                Q(codename__startswith="view_") | Q(codename__startswith="change_")
            )
        )
        self.users["manager"].groups.add(group)
        return dict(created)

    def pick_agent(self, rng: random.Random, team: str, role: str | None = None):
        pool = [(u, w) for u, w, r in self.agents[team] if role is None or r == role]
        return rng.choices([u for u, _ in pool], weights=[w for _, w in pool])[0]

    @property
    def manager(self):
        return self.users["manager"]

    # ---- customers -----------------------------------------------------------------------
    def plan_people(self) -> None:
        rng = random.Random(f"{self.seed}-people")
        orgs = [(name, f"{slug}.example") for name, slug, _notes in ORGANIZATIONS]
        emails, phones = {DEMO_CUSTOMER_EMAIL}, {DEMO_CUSTOMER[3]}
        segments = dict(SEGMENT_SHARES)

        def new_phone(mobile: bool) -> str:
            while True:
                ddd = rng.choice(AREA_CODES)
                if mobile:
                    number = f"+55{ddd}9{rng.randint(6000, 9999)}{rng.randint(0, 9999):04d}"
                else:
                    number = f"+55{ddd}{rng.choice('2345')}{rng.randint(0, 999):03d}{rng.randint(0, 9999):04d}"
                if number not in phones:
                    phones.add(number)
                    return number

        for _index in range(self.n_customers):
            female = rng.random() < 0.52
            first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
            last = rng.choice(SURNAMES)
            if rng.random() < 0.35:
                last = f"{rng.choice(SURNAMES)} {last}"
            segment = weighted(rng, segments)
            if segment == Customer.Segment.NEW:
                created_at = self.now - timedelta(days=rng.uniform(3, 45))
            else:
                created_at = self.now - timedelta(days=rng.uniform(100, 3 * 365))
            person = Person(first, last, female, segment, created_at)
            profile = rng.random()
            has_email = profile < 0.82
            person.org = rng.choice(orgs) if has_email and rng.random() < 0.6 else None
            if has_email:
                surname = ascii_slug(last.split()[-1])
                given = ascii_slug(first)
                domain = person.org[1] if person.org else rng.choice(PERSONAL_DOMAINS)
                local_part = rng.choice(
                    [f"{given}.{surname}", f"{given[0]}{surname}", f"{given}{surname}"]
                )
                email = f"{local_part}@{domain}"
                while email in emails:
                    email = f"{local_part}{rng.randint(2, 99)}@{domain}"
                emails.add(email)
                person.email = email
            if not has_email or rng.random() < 0.45:
                person.whatsapp = new_phone(mobile=True)
            if rng.random() < 0.2:
                mobile = rng.random() < 0.6
                if mobile and person.whatsapp and rng.random() < 0.7:
                    person.phone = person.whatsapp  # same number, now also known for calls/SMS
                else:
                    person.phone = new_phone(mobile)
                person.phone_is_mobile = mobile
            person.merged_whatsapp = (
                bool(person.email and person.whatsapp)
                and segment != Customer.Segment.NEW
                and rng.random() < 0.12
            )
            self.people.append(person)
        first, last, female, whatsapp = DEMO_CUSTOMER
        self.demo_person = Person(
            first,
            last,
            female,
            Customer.Segment.ACTIVE,
            self.now - timedelta(days=410),
            email=DEMO_CUSTOMER_EMAIL,
            whatsapp=whatsapp,
        )

    def setup_organizations(self) -> int:
        created = 0
        for name, slug, notes in ORGANIZATIONS:
            _org, new = Organization.objects.get_or_create(
                name=name,
                defaults={
                    "domain": f"{slug}.example",
                    "notes": notes,
                    "created_at": self.now - timedelta(days=3 * 365 + len(name)),
                },
            )
            created += new
        return created

    def create_person(self, person: Person, rng: random.Random) -> bool:
        """The customer and identities of one planned person, through the services."""
        dispatcher = self.users["n1.dispatcher"]
        first_kind, first_value = (
            (Kind.EMAIL, person.email) if person.email else (Kind.WHATSAPP, person.whatsapp)
        )
        with time_machine.travel(person.created_at, tick=False) as traveller:
            customer, created = services.customer_get_or_create_for_identity(
                kind=first_kind, value=first_value, name=person.name
            )
            person.customer = customer
            if not created:
                return False
            # The CRM's view of the customer: no service owns it (yet), so it is set here.
            customer.segment = person.segment
            customer.save(update_fields=["segment", "updated_at"])
            if person.whatsapp and first_kind != Kind.WHATSAPP:
                if person.merged_whatsapp:
                    # They wrote from WhatsApp first under a nickname; an agent merged the two.
                    traveller.move_to(person.created_at + timedelta(days=rng.uniform(2, 20)))
                    other, _new = services.customer_get_or_create_for_identity(
                        kind=Kind.WHATSAPP, value=person.whatsapp, name=person.first
                    )
                    traveller.move_to(self.agent_time(timezone.now(), rng))
                    services.customer_merge(source=other, target=customer, by=dispatcher)
                else:
                    services.customer_add_identity(
                        customer=customer,
                        kind=Kind.WHATSAPP,
                        value=person.whatsapp,
                        verified=rng.random() < 0.6,
                    )
            if person.phone:
                services.customer_add_identity(
                    customer=customer,
                    kind=Kind.PHONE,
                    value=person.phone,
                    verified=rng.random() < 0.5,
                )
        return True

    def setup_demo_customer(self) -> None:
        person = self.demo_person
        self.create_person(person, random.Random(f"{self.seed}-demo-customer"))
        customer = person.customer
        if customer.user_id is None:
            # Linking a portal login to a customer has no service yet either.
            customer.user = self.users[DEMO_CUSTOMER_EMAIL]
            customer.save(update_fields=["user", "updated_at"])

    # ---- tickets -------------------------------------------------------------------------
    def sample_t0(self, rng: random.Random) -> datetime:
        today = local(self.now).date()
        days = []
        for back in range(WINDOW_DAYS):
            day = today - timedelta(days=back)
            weight = 1.0 if self.is_workday(day) else 0.3 if day.weekday() == 5 else 0.18
            days.append((day, weight * (1.25 - 0.5 * back / WINDOW_DAYS)))
        while True:
            day = rng.choices([d for d, _ in days], weights=[w for _, w in days])[0]
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            moment = datetime(
                day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59),
                tzinfo=LOCAL_TZ,
            ).astimezone(UTC)  # fmt: skip
            if moment < self.now - timedelta(minutes=20):
                return moment

    def plan_tickets(self) -> list[TicketSpec]:
        rng = random.Random(f"{self.seed}-tickets")
        t0s = sorted(self.sample_t0(rng) for _ in range(self.n_tickets))
        topics = {topic: topic.weight for topic in TOPICS}
        specs = []
        for index, t0 in enumerate(t0s):
            age = (self.now - t0).total_seconds() / 86400
            weights = next(w for limit, w in STATUS_BY_AGE if age < limit)
            status = rng.choices(STATUS_ORDER, weights=weights)[0]
            topic = weighted(rng, topics)
            path = 0
            if rng.random() < topic.p_n2:
                path = 2 if rng.random() < topic.p_n3 else 1
            if topic.p_n2 and status in (S.OPEN, S.PENDING, S.ON_HOLD):
                # What is still unsolved is more often what went up the tiers (a vendor's fix).
                lift = 0.7 if status == S.ON_HOLD else 0.25
                if path == 0 and rng.random() < lift:
                    path = 1
                if path == 1 and rng.random() < lift:
                    path = 2
            priority = rng.choices(list(P), weights=topic.priorities)[0]
            scenario = rng.choice(topic.scenarios)
            spec = TicketSpec(
                index=index,
                t0=t0,
                status=status,
                topic=topic,
                scenario=scenario,
                path=path,
                priority=priority,
                subject=scenario.subject,
                reopen=rng.random() < 0.08,
                dup=rng.random() < 0.04,
                dispatcher=rng.random() < 0.4,
                deescalate=rng.random() < 0.12,
                reassign=rng.random() < 0.04,
                manager_note=rng.random() < 0.05,
            )
            specs.append(spec)
        self._cover_every_status(specs)
        self._cover_every_tier(specs)
        self._give_demo_customer_tickets(specs)
        return specs

    @staticmethod
    def _cover_every_status(specs: list[TicketSpec]) -> None:
        """Small runs still show every status: the newest tickets of plentiful statuses lend
        themselves to the missing ones."""
        counts = Counter(spec.status for spec in specs)
        for status in STATUS_ORDER:
            if counts[status] or len(specs) < len(STATUS_ORDER):
                continue
            for spec in reversed(specs):
                if counts[spec.status] > 1:
                    counts[spec.status] -= 1
                    spec.status = status
                    counts[status] += 1
                    break

    @staticmethod
    def _cover_every_tier(specs: list[TicketSpec]) -> None:
        integration = next(t for t in TOPICS if t.key == "integracao")
        for tier in (2, 1):
            if any(spec.path == tier for spec in specs):
                continue
            for spec in specs:
                if spec.status not in (S.NEW, S.PENDING) and spec.path == 0:
                    spec.path, spec.topic = tier, integration
                    spec.scenario = integration.scenarios[tier]
                    spec.subject = spec.scenario.subject
                    break

    @staticmethod
    def _give_demo_customer_tickets(specs: list[TicketSpec]) -> None:
        """The portal customer gets a handful of recent tickets in different states."""
        for status in (S.OPEN, S.PENDING, S.SOLVED, S.CLOSED, S.CLOSED, S.ON_HOLD):
            for spec in reversed(specs):
                if spec.status == status and not spec.demo_customer:
                    spec.demo_customer = True
                    break

    def choose_channel_and_person(self, spec: TicketSpec, rng: random.Random) -> None:
        weights = dict(CHANNEL_WEIGHTS)
        if not self.office_open(spec.t0, until=17):
            weights.pop(Channel.CHAT)  # the chat widget is offline: people use the web form
        if spec.status == S.NEW or not self.office_open(spec.t0):
            weights.pop(Channel.PHONE)  # calls are answered (and registered) at once
        candidates = [self.demo_person] if spec.demo_customer else self.people
        limit = spec.t0 - timedelta(hours=1)
        while weights:
            channel = weighted(rng, weights)
            weights.pop(channel)
            eligible = [
                p for p in candidates if p.created_at < limit and p.can_use(channel, spec.t0)
            ]
            if eligible:
                spec.channel = channel
                spec.person = rng.choices(eligible, weights=[p.weight for p in eligible])[0]
                break
        else:
            spec.channel = Channel.EMAIL
            spec.person = next(p for p in (*candidates, *self.people) if p.email)
        person = spec.person
        if spec.dup and spec.status != S.NEW and spec.channel != Channel.PHONE:
            later = spec.t0 + timedelta(hours=2)
            if spec.channel in (Channel.EMAIL, Channel.WEB) and person.can_use(
                Channel.WHATSAPP, later
            ):
                spec.dup_channel = Channel.WHATSAPP
            elif spec.channel == Channel.WHATSAPP and person.email:
                spec.dup_channel = Channel.EMAIL

    def demo_tickets_exist(self) -> bool:
        return Message.objects.filter(metadata__seed=DEMO_MARK["seed"]).exists()


class TicketStory:
    """The life of one demo ticket: timed steps planned first, then run under a travelled clock."""

    def __init__(self, seeder: Seeder, spec: TicketSpec, rng: random.Random):
        self.s = seeder
        self.spec = spec
        self.rng = rng
        self.person = spec.person
        self.steps: list[tuple[datetime, Callable[..., None], dict[str, Any]]] = []
        self.t = spec.t0 - timedelta(minutes=1)
        self.ticket: Ticket | None = None
        self.dup_ticket: Ticket | None = None
        self.thread_ids: dict[str, str] = {}
        self.details_told = 0  # how many of the scenario's details the customer gave
        self.notes_written = 0
        self.holder = None  # the agent working the ticket
        self.last_writer = None
        self.solution_step: int | None = None
        self.closed_at: datetime | None = None
        self.merged_at: datetime | None = None
        self.n1_team = spec.topic.team
        self.n2_team = spec.topic.n2_team
        self.vars = self._vars()
        self.priority = spec.priority
        if (
            spec.person.segment == Customer.Segment.VIP
            and self.priority in (P.LOW, P.NORMAL)
            and self.rng.random() < 0.6
        ):
            self.priority = P.HIGH
        if spec.channel == Channel.PHONE:
            self.reply_channel = (
                Channel.EMAIL if self.person.email else
                Channel.WHATSAPP if self.person.whatsapp else Channel.SMS
            )  # fmt: skip
        else:
            self.reply_channel = spec.channel

    # ---- planning -----------------------------------------------------------------------
    def _vars(self) -> dict[str, Any]:
        rng, person = self.rng, self.person
        t0 = local(self.spec.t0)
        nf = rng.randint(10_000, 99_999)
        hour = rng.randint(8, 17)
        return {
            "pedido": f"{rng.randint(100_000, 999_999)}",
            "fatura": f"FAT-{t0.year}-{rng.randint(1000, 99_999):05d}",
            "nf": f"{nf}",
            "nf2": f"{nf + rng.randint(40, 400)}",
            "valor": brl(rng.choice([49.9, 89.9, 149.9, 199.0, 349.9]) * rng.randint(1, 12)),
            "data": (t0 - timedelta(days=rng.randint(1, 6))).strftime("%d/%m"),
            "data2": (t0 + timedelta(days=rng.randint(3, 8))).strftime("%d/%m"),
            "hora": f"{hour}h{rng.randint(0, 59):02d}",
            "hora2": f"{hour + 1}h{rng.randint(0, 59):02d}",
            "e2e": "E" + "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=31)),
            "req": f"{rng.getrandbits(64):016x}",
            "erp": rng.choice(ERPS),
            "cidade": rng.choice(CITIES),
            "ip": f"192.168.{rng.randint(0, 20)}.{rng.randint(20, 250)}",
            "rastreio": f"{rng.choice(['QB', 'OY', 'NL', 'AB'])}{rng.randint(10**8, 10**9 - 1)}BR",
            "protocolo": f"{t0.year}{rng.randint(100_000, 999_999)}",
            "cnpj": make_cnpj(rng),
            "versao": f"{rng.randint(3, 5)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}",
            "usuario": (person.email.split("@")[0] if person.email else ascii_slug(person.first)),
            "email": person.email or f"{ascii_slug(person.first)}@example.com",
            "assunto": self.spec.subject.lower(),
            "assunto_label": self.spec.topic.label,
            "segmento": SEGMENT_LABELS[person.segment],
        }

    def pick(self, options: Iterable[str]) -> str:
        return self.rng.choice(tuple(options))

    def next_note(self) -> str:
        notes = self.spec.scenario.notes
        note = notes[self.notes_written] if self.notes_written < len(notes) else None
        self.notes_written += 1
        return note or self.pick(WORKING_NOTES)

    def at(self, when: datetime, action: Callable[..., None], **kwargs: Any) -> None:
        when = max(when, self.t + timedelta(seconds=30))
        self.steps.append((when, action, kwargs))
        self.t = when

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def agent_next(self, low: float, high: float) -> datetime:
        if self.spec.channel == Channel.CHAT and high <= 300:
            return self.t + self.minutes(1, 6)
        return self.s.agent_time(self.t + self.minutes(low, high), self.rng)

    def customer_next(self) -> datetime:
        channel = self.spec.channel
        if channel == Channel.CHAT:
            return self.t + self.minutes(1, 5)
        bucket = self.rng.random()
        if channel in (Channel.WHATSAPP, Channel.SMS):
            delay = self.minutes(3, 90) if bucket < 0.6 else self.minutes(90, 24 * 60)
        else:
            delay = self.minutes(30, 240) if bucket < 0.5 else self.minutes(240, 36 * 60)
        return self.s.customer_time(self.t + delay, self.rng)

    def first_response_delay(self) -> tuple[float, float]:
        return {
            P.URGENT: (5, 40),
            P.HIGH: (15, 120),
            P.NORMAL: (30, 300),
            P.LOW: (60, 600),
        }[self.priority]

    def plan(self) -> None:
        spec, rng, s = self.spec, self.rng, self.s
        if spec.channel == Channel.PHONE:
            agent = s.pick_agent(rng, self.n1_team, SOLVER)
            self.at(spec.t0, self.do_phone_call, agent=agent)
            self.at(self.t + self.minutes(1, 4), self.do_note, agent=agent, text=None)
            self.at(self.t + self.minutes(0.5, 2), self.do_claim, agent=agent)
            self.holder = agent
        else:
            self.at(spec.t0, self.do_receive, body=spec.scenario.opening, first=True)
            self.at(self.t + timedelta(seconds=5), self.do_route)
        if spec.dup_channel:
            self.at(s.customer_time(self.t + self.minutes(15, 90), rng), self.do_receive_dup)
        if spec.status == S.NEW:
            if rng.random() < 0.45:
                dispatcher = s.pick_agent(rng, self.n1_team, DISPATCHER)
                self.at(self.agent_next(5, 45), self.do_tag, agent=dispatcher)
                self.at(self.t + self.minutes(0.5, 2), self.do_assign, agent=dispatcher,
                        assignee=s.pick_agent(rng, self.n1_team, SOLVER))  # fmt: skip
            return
        low, high = self.first_response_delay()
        direct_n2 = False
        if spec.channel != Channel.PHONE and spec.dispatcher:
            dispatcher = s.pick_agent(rng, self.n1_team, DISPATCHER)
            self.at(self.agent_next(low / 2, high / 2), self.do_tag, agent=dispatcher)
            self._triage(dispatcher)
            if spec.path >= 1 and rng.random() < 0.5:
                self.at(self.t + self.minutes(1, 4), self.do_reply, agent=dispatcher,
                        text=self.pick(FORWARD_REPLIES), equipe=self.n2_team)  # fmt: skip
                self.at(self.t + self.minutes(0.5, 2), self.do_escalate, agent=dispatcher,
                        to_tier=Tier.N2, reason=self.pick(spec.topic.to_n2))  # fmt: skip
                direct_n2 = True
            else:
                solver = s.pick_agent(rng, self.n1_team, SOLVER)
                self.at(self.t + self.minutes(1, 5), self.do_assign, agent=dispatcher,
                        assignee=solver, note=rng.random() < 0.35)  # fmt: skip
                self.holder = solver
                self.at(self.agent_next(10, 150), self.do_start, agent=solver)
        else:
            if spec.channel != Channel.PHONE:
                solver = s.pick_agent(rng, self.n1_team, SOLVER)
                self.at(self.agent_next(low, high), self.do_claim, agent=solver)
                self.holder = solver
            self.at(self.t + self.minutes(0.5, 2), self.do_tag, agent=self.holder)
            self._triage(self.holder)
        for level in range(1 if direct_n2 else 0, spec.path + 1):
            if level > 0 and not self._pick_up(level):
                return  # left in the N2/N3 queue, nobody has taken it yet
            if level == 2 and spec.deescalate and spec.status != S.PENDING:
                self._send_back_to_n2()
                self._finish(1)
                return
            if level == spec.path:
                self._finish(level)
                return
            self._work_then_escalate(level)

    def _triage(self, agent) -> None:
        spec, priority = self.spec, self.priority
        if priority != P.NORMAL and spec.channel != Channel.PHONE:
            reasons = PRIORITY_REASONS[priority]
            if priority == P.HIGH and spec.person.segment == Customer.Segment.VIP:
                reasons = ("Cliente VIP.",)
            self.at(self.t + self.minutes(0.5, 2), self.do_priority, agent=agent,
                    priority=priority, reason=self.pick(reasons))  # fmt: skip
        if spec.dup_channel:
            self.at(self.t + self.minutes(1, 3), self.do_merge, agent=agent)
        if spec.manager_note:
            self.at(self.t + self.minutes(5, 90), self.do_note, agent=self.s.manager,
                    text=self.pick(MANAGER_NOTES))  # fmt: skip

    def _ask_round(self, *, answer: bool = True) -> None:
        self.at(self.agent_next(3, 60), self.do_reply, agent=self.holder,
                text=self.pick(self.spec.topic.asks), then_status=S.PENDING)  # fmt: skip
        if answer:
            details = self.spec.scenario.details
            body = details[min(self.details_told, len(details) - 1)]
            self.details_told += 1
            self.at(self.customer_next(), self.do_customer, agent=self.holder, body=body)

    def _pick_up(self, level: int) -> bool:
        spec, rng = self.spec, self.rng
        tier = TIERS[level]
        team = self.n2_team if level == 1 else ESPECIALISTAS
        if spec.status == S.OPEN and level == spec.path and rng.random() < 0.35:
            return False
        agent = self.s.pick_agent(rng, team)
        wait = (15, 8 * 60) if level == 1 else (60, 2 * 24 * 60)
        self.at(self.agent_next(*wait), self.do_claim, agent=agent)
        self.holder = agent
        if spec.reassign and level == spec.path:
            others = [u for u, _w, _r in self.s.agents[team] if u != agent]
            if others:
                other = rng.choice(others)
                self.at(self.t + self.minutes(30, 240), self.do_reassign, assignee=other,
                        previous=agent)  # fmt: skip
                self.holder = other
        self.at(self.t + self.minutes(5, 60), self.do_reply, agent=self.holder,
                text=self.pick(PICKUP_REPLIES[tier]), equipe=team)  # fmt: skip
        return True

    def _work_then_escalate(self, level: int) -> None:
        spec, rng = self.spec, self.rng
        if rng.random() < 0.4:
            self._ask_round()
        self.at(self.agent_next(10, 120), self.do_note, agent=self.holder, text=self.next_note())
        to_tier = TIERS[level + 1]
        reasons = spec.topic.to_n2 if level == 0 else spec.topic.to_n3
        next_team = self.n2_team if level == 0 else ESPECIALISTAS
        if level == 0 or rng.random() < 0.5:
            self.at(self.t + self.minutes(1, 5), self.do_reply, agent=self.holder,
                    text=self.pick(FORWARD_REPLIES), equipe=next_team)  # fmt: skip
        self.at(self.t + self.minutes(0.5, 3), self.do_escalate, agent=self.holder,
                to_tier=to_tier, reason=self.pick(reasons))  # fmt: skip

    def _send_back_to_n2(self) -> None:
        specialist = self.holder
        self.at(self.agent_next(30, 300), self.do_note, agent=specialist, text=self.next_note())
        self.at(self.t + self.minutes(1, 10), self.do_deescalate, agent=specialist,
                reason=self.pick(DEESCALATE_REASONS))  # fmt: skip
        analyst = self.s.pick_agent(self.rng, self.n2_team)
        self.at(self.t + self.minutes(1, 5), self.do_assign, agent=specialist, assignee=analyst)
        self.holder = analyst

    def _finish(self, level: int) -> None:
        spec, rng = self.spec, self.rng
        status = spec.status
        if status == S.PENDING:
            self._ask_round(answer=False)
            return
        if status == S.OPEN:
            choice = rng.random()
            if choice < 0.55:
                self._ask_round()
            elif choice < 0.8 and spec.channel != Channel.PHONE:
                self.at(self.customer_next(), self.do_customer, agent=self.holder,
                        body=self.pick(CHASERS))  # fmt: skip
            else:
                self.at(self.agent_next(10, 120), self.do_note, agent=self.holder,
                        text=self.pick(WORKING_NOTES))  # fmt: skip
            return
        if rng.random() < (0.5 if level == 0 else 0.35):
            self._ask_round()
        if status == S.ON_HOLD or (level == 2 and rng.random() < 0.5):
            cases = [case for case in ON_HOLD_CASES if case[0] <= level]
            _level, reply, hold_reason, resume_reason = rng.choice(cases)
            self.at(self.agent_next(20, 240), self.do_reply, agent=self.holder, text=reply)
            self.at(self.t + self.minutes(0.5, 2), self.do_status, agent=self.holder,
                    to_status=S.ON_HOLD, reason=hold_reason)  # fmt: skip
            if status == S.ON_HOLD:
                return
            self.at(self.agent_next(24 * 60, 6 * 24 * 60), self.do_status, agent=self.holder,
                    to_status=S.OPEN, reason=resume_reason)  # fmt: skip
        self.solution_step = len(self.steps)
        self.at(self.agent_next(20, 8 * 60 if level else 120), self.do_reply, agent=self.holder,
                text=spec.scenario.solution, then_status=S.SOLVED)  # fmt: skip
        if spec.reopen:
            self.at(self.customer_next(), self.do_customer, agent=self.holder,
                    body=self.pick(REOPEN_MESSAGES))  # fmt: skip
            self.at(self.agent_next(30, 6 * 60), self.do_reply, agent=self.holder,
                    text=self.pick(SECOND_SOLUTIONS), then_status=S.SOLVED)  # fmt: skip
            self.at(self.t + self.minutes(0.5, 2), self.do_tag, agent=self.holder,
                    tags=("reaberto",))  # fmt: skip

    def fit(self) -> None:
        """Make the story end before now: a new ticket keeps only what already happened; a
        solved one was solved recently (older ones are closed by the hourly task); the rest is
        squeezed in. Closed tickets then get their close."""
        limit = self.s.now - timedelta(minutes=2)
        if self.spec.status == S.NEW:
            self.steps = [step for step in self.steps if step[0] <= limit] or self.steps[:1]
        close_days = settings.JORNADA["CLOSE_SOLVED_AFTER_DAYS"]
        anchor = 0
        if self.spec.status == S.SOLVED and self.solution_step is not None:
            oldest_allowed = self.s.now - timedelta(days=close_days, hours=-6)
            if self.steps[-1][0] < oldest_allowed:
                anchor = self.solution_step
                target = self.s.now - timedelta(hours=self.rng.uniform(2, (close_days - 1) * 24))
                shift = target - self.steps[anchor][0]
                self.steps[anchor:] = [(when + shift, a, kw) for when, a, kw in self.steps[anchor:]]
        last, start = self.steps[-1][0], self.steps[anchor][0]
        if last > limit:
            end = limit - (limit - start) * self.rng.uniform(0, 0.3)
            factor = (end - start) / (last - start)
            self.steps[anchor:] = [
                (start + (when - start) * factor, a, kw) for when, a, kw in self.steps[anchor:]
            ]
        self.t = self.steps[-1][0]
        if self.spec.status == S.CLOSED:
            automatic = self.t + timedelta(days=close_days, minutes=self.rng.uniform(5, 59))
            if automatic < limit:
                self.at(automatic, self.do_auto_close)
            else:
                when = min(self.agent_next(10, 20 * 60), limit)
                self.at(when, self.do_status, agent=self.holder, to_status=S.CLOSED,
                        reason=self.pick(AGENT_CLOSE_REASONS))  # fmt: skip
            self.closed_at = self.t

    def busy_until(self) -> datetime:
        return self.closed_at or FAR_FUTURE

    # ---- running -----------------------------------------------------------------------
    def run(self) -> None:
        with time_machine.travel(self.steps[0][0], tick=False) as traveller:
            for when, action, kwargs in self.steps:
                traveller.move_to(when)
                action(**kwargs)

    def text(self, template: str, **extra: Any) -> str:
        values = dict(self.vars)
        values["numero"] = self.ticket.number if self.ticket else ""
        values["agente"] = ""
        values.update(extra)
        return template.format_map(values)

    def customer_text(self, body: str, *, first: bool, channel: str) -> str:
        rng, person = self.rng, self.person
        body = self.text(body)
        now = timezone.now()
        if channel in (Channel.EMAIL, Channel.WEB):
            if first:
                greeting = rng.choice([f"{day_greeting(now)},", "Olá,", "Prezados,"])
                thanks = "Obrigada" if person.female else "Obrigado"
                closing = rng.choice([f"{thanks}.", "Aguardo retorno.", "Atenciosamente,"])
                signature = person.name + (f"\n{person.org[0]}" if person.org else "")
            else:
                writer = self.last_writer.first_name if self.last_writer else ""
                greeting = f"Olá, {writer}." if writer else "Olá,"
                thanks = "Obrigada" if person.female else "Obrigado"
                closing = rng.choice([f"{thanks}.", "Abraço,", "Fico no aguardo."])
                signature = person.first
            return f"{greeting}\n\n{body}\n\n{closing}\n{signature}"
        if channel == Channel.SMS:
            return body
        if first:
            return f"{rng.choice([day_greeting(now) + '!', 'Olá!', 'Oi, tudo bem?'])} {body}"
        return body

    def agent_text(self, agent, body: str, **extra: Any) -> str:
        person, rng = self.person, self.rng
        body = self.text(body, agente=agent.get_full_name(), **extra)
        if self.last_writer is None:
            thanks = "Obrigada" if self.s.female_staff.get(agent.pk) else "Obrigado"
            intro = self.text(rng.choice(FIRST_REPLY_INTROS), obrigado=thanks)
            body = f"{intro} {body}".strip()
        if self.reply_channel in (Channel.EMAIL, Channel.WEB):
            dear = "Prezada" if person.female else "Prezado"
            greeting = rng.choice([f"Olá, {person.first}!", f"{dear} {person.first},"])
            signoff = rng.choice(["Atenciosamente,", "Abraços,", "Fico à disposição."])
            return f"{greeting}\n\n{body}\n\n{signoff}\n{agent.get_full_name()}\nSuporte Jornada"
        if self.reply_channel == Channel.SMS:
            return f"Jornada: {body}"
        return f"Oi, {person.first}! {body}\n— {agent.first_name}"

    def do_start(self, *, agent) -> None:
        """The assigned agent opens the ticket and starts working on it."""
        services.ticket_change_status(ticket=self.ticket, to_status=S.OPEN, by=agent)

    def do_receive(self, *, body: str, first: bool = False, channel: str | None = None) -> None:
        channel = channel or self.spec.channel
        kind, value = self.person.sender(channel)
        subject = self.spec.subject
        if not first and channel in (Channel.EMAIL, Channel.WEB):
            subject = f"Re: [#{self.ticket.number}] {subject}"
        elif not first:
            subject = ""
        reply_to = self.thread_ids.get(channel)
        external_id = self.s.external_id(channel, self.rng, value.partition("@")[2])
        result = services.message_receive(
            incoming=NormalizedMessage(
                channel=channel,
                sender_kind=kind,
                sender_value=value,
                sender_name=self.person.name,
                subject=subject,
                body_text=self.customer_text(body, first=first, channel=channel),
                external_id=external_id,
                reply_to_ids=(reply_to,) if reply_to and not first else (),
                sent_at=timezone.now() - timedelta(seconds=self.rng.randint(1, 20)),
                metadata=dict(DEMO_MARK),
            )
        )
        if first:
            if not result.created_ticket:
                raise CommandError(
                    _("Demo message %(id)s did not open a ticket.") % {"id": external_id}
                )
            self.ticket = result.ticket
        elif result.ticket.pk != self.ticket.pk:
            raise CommandError(
                _("Demo message %(id)s landed on the wrong ticket.") % {"id": external_id}
            )
        self.thread_ids.setdefault(channel, external_id)

    def do_receive_dup(self) -> None:
        channel = self.spec.dup_channel
        kind, value = self.person.sender(channel)
        external_id = self.s.external_id(channel, self.rng, value.partition("@")[2])
        body = self.text(self.pick(DUP_MESSAGES), canal_main=CHANNEL_WORDS[self.spec.channel])
        result = services.message_receive(
            incoming=NormalizedMessage(
                channel=channel,
                sender_kind=kind,
                sender_value=value,
                sender_name=self.person.name,
                subject=self.spec.subject,
                body_text=self.customer_text(body, first=True, channel=channel),
                external_id=external_id,
                metadata=dict(DEMO_MARK),
            )
        )
        if not result.created_ticket:
            raise CommandError(
                _("Demo message %(id)s did not open a ticket.") % {"id": external_id}
            )
        self.dup_ticket = result.ticket
        self.thread_ids[channel] = external_id

    def do_customer(self, *, body: str, agent) -> None:
        """The customer writes back, on the channel of the ticket (a call is written down)."""
        if self.spec.channel != Channel.PHONE:
            self.do_receive(body=body)
        elif self.person.email:
            self.do_receive(body=body, channel=Channel.EMAIL)
        else:
            services.note_add(
                ticket=self.ticket,
                by=agent,
                body_text=f"Cliente retornou a ligação: “{self.text(body)}”",
            )
            services.ticket_change_status(
                ticket=self.ticket, to_status=S.OPEN, by=agent, reason="Cliente retornou"
            )

    def do_phone_call(self, *, agent) -> None:
        self.ticket = services.ticket_create(
            customer=self.person.customer,
            subject=self.spec.subject,
            channel=Channel.PHONE,
            priority=self.priority,
            team=self.s.teams[self.n1_team],
            by=agent,
        )

    def do_route(self) -> None:
        """The inbound routing rule puts the ticket in its N1 queue."""
        services.ticket_assign(
            ticket=self.ticket, assignee=None, by=None, team=self.s.teams[self.n1_team]
        )

    def do_claim(self, *, agent) -> None:
        services.ticket_claim(ticket=self.ticket, by=agent)

    def do_assign(self, *, agent, assignee, note: bool = False) -> None:
        services.ticket_assign(ticket=self.ticket, assignee=assignee, by=agent)
        if note:
            body = self.text(self.pick(DISPATCH_NOTES), agente=assignee.get_full_name())
            services.note_add(ticket=self.ticket, by=agent, body_text=body)

    def do_reassign(self, *, assignee, previous) -> None:
        manager = self.s.manager
        services.ticket_assign(ticket=self.ticket, assignee=assignee, by=manager)
        body = self.text(
            self.pick(REASSIGN_NOTES),
            agente=assignee.get_full_name(),
            anterior=previous.get_full_name(),
        )
        services.note_add(ticket=self.ticket, by=manager, body_text=body)

    def do_tag(self, *, agent, tags: Iterable[str] | None = None) -> None:
        if tags is None:
            tags = list(self.spec.topic.tags)
            if self.person.segment == Customer.Segment.VIP:
                tags.append("vip")
            if self.person.org:
                tags.append("cliente-empresa")
        services.ticket_tag(ticket=self.ticket, by=agent, add=tags)

    def do_priority(self, *, agent, priority: str, reason: str) -> None:
        services.ticket_change_priority(
            ticket=self.ticket, priority=priority, by=agent, reason=reason
        )

    def do_merge(self, *, agent) -> None:
        services.ticket_merge(source=self.dup_ticket, target=self.ticket, by=agent)
        self.merged_at = timezone.now()
        services.note_add(
            ticket=self.ticket,
            by=agent,
            body_text=self.text(
                self.pick(MERGE_NOTES),
                canal_dup=CHANNEL_NAMES[self.spec.dup_channel],
                dup=self.dup_ticket.number,
            ),
        )

    def do_reply(self, *, agent, text: str, then_status: str | None = None, **extra) -> None:
        reply = services.message_reply(
            ticket=self.ticket,
            by=agent,
            body_text=self.agent_text(agent, text, **extra),
            channel=self.channel_open_now(),
            then_status=then_status,
        )
        # History, not work to do: the reply reached the customer back then.
        services.message_update_delivery(message=reply, status=Message.DeliveryStatus.DELIVERED)
        self.last_writer = agent

    def channel_open_now(self) -> str:
        """WhatsApp takes free text only within 24 h of the customer's last message there; past
        that, the agent answers by email when the customer has one, else by SMS."""
        if self.reply_channel != Channel.WHATSAPP:
            return self.reply_channel
        closes_at = whatsapp_window_closes_at(customer_id=self.ticket.customer_id)
        if closes_at is not None and closes_at > timezone.now():
            return Channel.WHATSAPP
        kinds = set(self.ticket.customer.identities.values_list("kind", flat=True))
        return Channel.EMAIL if CustomerIdentity.Kind.EMAIL in kinds else Channel.SMS

    def do_note(self, *, agent, text: str | None) -> None:
        if text is None:  # the summary of the call that opened the ticket
            opening = self.text(self.spec.scenario.opening)
            hour = local(self.spec.t0).strftime("%Hh%M")
            body = f"Ligação recebida às {hour}. Relato do cliente: “{opening}”"
        else:
            body = self.text(text)
        services.note_add(ticket=self.ticket, by=agent, body_text=body)

    def do_escalate(self, *, agent, to_tier: str, reason: str) -> None:
        team = self.n2_team if to_tier == Tier.N2 else ESPECIALISTAS
        services.ticket_escalate(
            ticket=self.ticket,
            reason=self.text(reason),
            by=agent,
            to_tier=to_tier,
            team=self.s.teams[team],
        )

    def do_deescalate(self, *, agent, reason: str) -> None:
        services.ticket_deescalate(
            ticket=self.ticket,
            reason=reason,
            by=agent,
            to_tier=Tier.N2,
            team=self.s.teams[self.n2_team],
        )

    def do_status(self, *, agent, to_status: str, reason: str) -> None:
        services.ticket_change_status(
            ticket=self.ticket, to_status=to_status, by=agent, reason=self.text(reason)
        )

    def do_auto_close(self) -> None:
        """What the hourly close_stale_solved_tickets task does, at the hour it would."""
        days = settings.JORNADA["CLOSE_SOLVED_AFTER_DAYS"]
        closed = services.tickets_close_stale_solved(
            solved_before=timezone.now() - timedelta(days=days)
        )
        if not closed:
            raise CommandError(
                _("Demo ticket #%(number)s was not closed automatically.")
                % {"number": self.ticket.number}
            )


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------
class Command(BaseCommand):
    help = _(
        "Load realistic demo data (pt-BR): staff of every tier, teams, organizations, customers "
        "on several channels and tickets of the last 90 days. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets",
            type=int,
            default=1000,
            help=_("How many tickets to create (default: %(default)s)."),
        )
        parser.add_argument(
            "--customers",
            type=int,
            default=200,
            help=_("How many customers to create (default: %(default)s)."),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=_("Random seed: the same seed gives the same data (default: %(default)s)."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Load the demo data even when DEBUG is off."),
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                _(
                    "Refusing to load demo data: DEBUG is off, so this may be a production "
                    "database. Use --force to load it anyway."
                )
            )
        if options["tickets"] < 0 or options["customers"] < 1:
            raise CommandError(_("--tickets must be 0 or more and --customers at least 1."))
        started = time.perf_counter()
        self.verbose = options["verbosity"] >= 1
        # tqdm's None: a bar on a terminal, nothing in logs and pipes.
        no_progress = None if self.verbose else True
        seeder = Seeder(
            seed=options["seed"],
            now=timezone.now().replace(microsecond=0),
            n_customers=options["customers"],
            n_tickets=options["tickets"],
        )

        with transaction.atomic():
            created = seeder.setup_staff()
            created["organizations"] = seeder.setup_organizations()
            created["workspace"] = seed_workspace()
            sla_policies_seed_defaults()
        self.say(
            _("Staff, teams and organizations: %(users)s users, %(teams)s teams and "
              "%(orgs)s organizations created (existing ones kept).")
            % {
                "users": created.get("users", 0),
                "teams": created.get("teams", 0),
                "orgs": created["organizations"],
            }
        )  # fmt: skip

        seeder.plan_people()
        rng = random.Random(f"{options['seed']}-customers")
        new_customers = 0
        with transaction.atomic():
            seeder.setup_demo_customer()
            for person in tqdm(seeder.people, desc=_("Customers"), unit="", disable=no_progress):
                new_customers += seeder.create_person(person, rng)
        self.say(
            _("Customers: %(created)s created, %(kept)s already there.")
            % {"created": new_customers, "kept": len(seeder.people) - new_customers}
        )

        if seeder.demo_tickets_exist():
            self.say(
                self.style.WARNING(
                    _("Demo tickets are already there: no tickets created this time.")
                )
            )
        elif options["tickets"]:
            self.create_tickets(seeder, no_progress)
            # The history was loaded with events suppressed: the SLA clocks are built from it now.
            call_command("sla_recompute", "--all", "--no-progress", verbosity=0)
            # Assignments of the past were seen back then; only the last day's stay unread.
            AgentNotification.objects.filter(
                created_at__lt=seeder.now - timedelta(days=1), read_at=None
            ).update(read_at=seeder.now)

        if self.verbose:
            self.summary(time.perf_counter() - started)

    def say(self, message: str) -> None:
        if self.verbose:
            self.stdout.write(message)

    def create_tickets(self, seeder: Seeder, no_progress: bool | None) -> None:
        specs = seeder.plan_tickets()
        rng = random.Random(f"{seeder.seed}-stories")
        with (
            transaction.atomic(),
            events.suppressed(),
            tqdm(total=len(specs), desc=_("Tickets"), unit="", disable=no_progress) as bar,
        ):
            for spec in specs:
                seeder.choose_channel_and_person(spec, rng)
                story = TicketStory(seeder, spec, rng)
                story.plan()
                story.fit()
                story.run()
                if spec.channel in CONVERSATIONAL:
                    spec.person.busy_until[spec.channel] = story.busy_until()
                if spec.dup_channel in CONVERSATIONAL and story.merged_at:
                    spec.person.busy_until[spec.dup_channel] = max(
                        story.merged_at,
                        spec.person.busy_until.get(spec.dup_channel, story.merged_at),
                    )
                bar.update()

    def summary(self, seconds: float) -> None:
        statuses = dict(Ticket.objects.values_list("status").annotate(n=Count("id")).order_by())
        channels = dict(Ticket.objects.values_list("channel").annotate(n=Count("id")).order_by())
        tiers = dict(AgentProfile.objects.values_list("tier").annotate(n=Count("id")))
        ticket_tiers = dict(Ticket.objects.values_list("tier").annotate(n=Count("id")).order_by())
        lines = [
            _("Demo data ready in %(seconds).1f s.") % {"seconds": seconds},
            _("  Agents: %(n)s (N1 %(n1)s, N2 %(n2)s, N3 %(n3)s); teams: %(teams)s; "
              "organizations: %(orgs)s")
            % {
                "n": sum(tiers.values()),
                "n1": tiers.get(Tier.N1, 0),
                "n2": tiers.get(Tier.N2, 0),
                "n3": tiers.get(Tier.N3, 0),
                "teams": Team.objects.count(),
                "orgs": Organization.objects.count(),
            },
            _("  Customers: %(customers)s with %(identities)s identities")
            % {
                "customers": Customer.objects.filter(merged_into=None).count(),
                "identities": CustomerIdentity.objects.count(),
            },
            _("  Tickets: %(n)s; by status: %(statuses)s")
            % {
                "n": sum(statuses.values()),
                "statuses": ", ".join(
                    f"{S(s).label} {statuses.get(s, 0)}" for s in STATUS_ORDER
                ),
            },
            _("  By channel: %(channels)s; by tier: %(tiers)s")
            % {
                "channels": ", ".join(
                    f"{Channel(c).label} {n}" for c, n in sorted(channels.items())
                ),
                "tiers": ", ".join(f"{t} {ticket_tiers.get(t, 0)}" for t in TIERS),
            },
            _("  Messages: %(messages)s; audit events: %(events)s (%(escalations)s escalations)")
            % {
                "messages": Message.objects.count(),
                "events": TicketEvent.objects.count(),
                "escalations": TicketEvent.objects.filter(
                    kind=TicketEvent.Kind.ESCALATED
                ).count(),
            },
            _("  Logins (password %(password)s): %(logins)s")
            % {
                "password": DEMO_PASSWORD,
                "logins": ", ".join(
                    [s.username for s in STAFF[:6]] + [DEMO_CUSTOMER_EMAIL]
                ),
            },
        ]  # fmt: skip
        for line in lines:
            self.say(line)
