# ruff: noqa: E501 (long pt-BR demo sentences read better unbroken)
"""Plans the demo world with one seeded random generator: staff, organizations, customers and
the tickets to tell, each given a channel and a customer."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import holidays
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils import timezone

from tickets import services
from tickets.models import (
    AgentProfile,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Organization,
    Team,
    Ticket,
)
from tickets.registries import routing_inputs_changed

from .content import (
    AREA_CODES,
    CHANNEL_WEIGHTS,
    DEMO_CUSTOMER,
    DEMO_CUSTOMER_EMAIL,
    FEMALE_NAMES,
    HOUR_WEIGHTS,
    MALE_NAMES,
    MANAGERS_GROUP,
    ORGANIZATIONS,
    PERSONAL_DOMAINS,
    SEGMENT_SHARES,
    STAFF,
    STATUS_BY_AGE,
    STATUS_ORDER,
    SURNAMES,
    TEAMS,
    TOPICS,
)
from .planning import (
    DEMO_MARK,
    DEMO_PASSWORD,
    LOCAL_TZ,
    WINDOW_DAYS,
    Person,
    TicketSpec,
    ascii_slug,
    local,
    weighted,
)

User = get_user_model()
S = Ticket.Status
P = Ticket.Priority
Kind = CustomerIdentity.Kind


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
        if created["teams"]:
            routing_inputs_changed()  # rules name teams
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
            for team_name in spec.leads:
                self.teams[team_name].leads.add(profile)  # adding twice changes nothing
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
        if created:
            routing_inputs_changed()  # rules name organizations
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
            # The demo login has a password of its own, so it is linked here rather than made
            # by customer_portal_login_get_or_create (which makes a login without one).
            customer.user = self.users[DEMO_CUSTOMER_EMAIL]
            customer.save(update_fields=["user", "updated_at"])
        services.portal_identity_ensure(customer=customer, user=customer.user)

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
