"""The planned demo world: its constants, the people and tickets as planned before they are
written, and the small pure helpers planning uses."""

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tickets.models import Channel, Customer, CustomerIdentity, Tier

from .content import SEGMENT_TICKET_WEIGHT, Scenario, Topic

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
