"""What a demo topic is made of: the scenarios customers write about and how each is worked."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    """One thing that goes wrong, told consistently from the customer's first message to the
    fix: two things the customer adds when asked, the fix, and two internal notes."""

    subject: str
    opening: str
    details: tuple[str, str]
    solution: str
    notes: tuple[str, str]


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    team: str  # N1 queue
    n2_team: str
    weight: float
    p_n2: float  # chance the ticket needs N2
    p_n3: float  # chance an N2 ticket needs N3
    priorities: tuple[float, float, float, float]  # low, normal, high, urgent
    tags: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    asks: tuple[str, ...]  # what an agent asks for, whatever the scenario
    to_n2: tuple[str, ...]  # escalation reasons
    to_n3: tuple[str, ...]
