"""Automation benchmark: the cost of evaluating triggers per event with 100 active rules, and a
burst of new tickets processed with the rules and routing against the same burst without them,
in the same run, on PostgreSQL.

    .venv/bin/python bench/bench_automation.py [--tickets 1000] [--rules 100] [--json PATH]

Uses its own PostgreSQL database (DATABASE_URL, default jornada_bench_automation: created and
migrated, emptied of tickets at each run) and Redis database 9 (REDIS_URL). Celery runs eagerly,
so the queued work (rules, SLA clock sync) is timed with the burst that causes it.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jornada_bench_automation")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ["DEBUG"] = "0"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"

from _database import ensure_database  # noqa: E402

ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from _report import Report, add_json_argument  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from automation import conditions, engine  # noqa: E402
from automation.models import AgentRouting, Rule, TeamRouting, TimeRule  # noqa: E402
from tickets import events  # noqa: E402
from tickets import services as ticket_services  # noqa: E402
from tickets.inbound import NormalizedMessage  # noqa: E402
from tickets.models import AgentProfile, Customer, Team, Ticket, Tier  # noqa: E402

REPORT = Report("automation")
DRAIN = 20  # messages per delivery of events, as the inbound drain takes them


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def setup_team(agents: int) -> Team:
    from django.contrib.auth import get_user_model

    team, _ = Team.objects.get_or_create(name="Bench N1", defaults={"tier": Tier.N1})
    Team.objects.get_or_create(name="Bench N2", defaults={"tier": Tier.N2})
    Team.objects.get_or_create(name="Bench Fiscal", defaults={"tier": Tier.N1})
    for n in range(agents):
        user, _ = get_user_model().objects.get_or_create(username=f"bench.agent{n}")
        profile, _ = AgentProfile.objects.get_or_create(
            user=user, defaults={"tier": Tier.N1, "n1_role": "solver"}
        )
        profile.teams.add(team)
        AgentRouting.objects.update_or_create(
            profile=profile,
            defaults={"ticket_capacity": 10_000, "skills": "fiscal" if n % 4 else ""},
        )
    return team


def keep_agents_online() -> None:
    AgentProfile.objects.filter(user__username__startswith="bench.agent").update(
        availability="online", last_seen_at=timezone.now()
    )


def make_rules(count: int) -> None:
    """`count` active rules of the kinds desks write: each matches few tickets or none, the
    last one matches them all (it tags them for triage)."""
    Rule.objects.all().delete()
    rules = []
    for n in range(count):
        kind = n % 5
        if kind == 0:
            cond = [{"field": "contains", "value": [f"frase rara {n}", f"estorno {n}x"]}]
        elif kind == 1:
            cond = [
                {"field": "tag", "value": [f"tag-{n}"]},
                {"field": "priority", "value": "urgent"},
            ]
        elif kind == 2:
            cond = [{"field": "segment", "value": "vip"}, {"field": "priority", "value": "urgent"}]
        elif kind == 3:
            cond = [
                {"field": "channel", "value": ["whatsapp"]},
                {"field": "sla", "value": ["breached"]},
            ]
        else:
            cond = [
                {"field": "language", "value": ["en"]},
                {"field": "organization", "value": [f"org {n}"]},
            ]
        actions = [{"type": "add_tags", "tags": [f"r{n}"]}]
        if n == count - 1:  # one broad rule: every new ticket matches
            cond = [
                {"field": "status", "value": ["new", "open"]},
                {"field": "tag", "value": "triagem", "negate": True},  # once per ticket
            ]
            actions = [{"type": "add_tags", "tags": ["triagem"]}]
        rules.append(Rule(name=f"Bench rule {n:03}", position=n, events=["created", "updated"],
                          conditions=cond, actions=actions))  # fmt: skip
    Rule.objects.bulk_create(rules)


def burst(count: int, tag: str, rng: random.Random) -> float:
    """`count` new tickets by email, delivered in drains of DRAIN; seconds taken (the rules and
    routing included, run eagerly at each delivery)."""
    began = time.perf_counter()
    for start in range(0, count, DRAIN):
        keep_agents_online()  # their workspaces' live connections would (one UPDATE a drain)
        with events.batch():
            for n in range(start, min(count, start + DRAIN)):
                words = rng.choice(
                    ["Boleto em atraso", "Nota fiscal", "Acesso", "Estorno duplicado"]
                )
                ticket_services.message_receive(
                    incoming=NormalizedMessage(
                        channel="email",
                        sender_kind="email",
                        sender_value=f"bench-{tag}-{n}@example.com",
                        sender_name=f"Bench {n}",
                        subject=f"{words} {n}",
                        body_text="Olá, preciso de ajuda com o pedido.",
                        external_id=f"<bench-{tag}-{n}@example.com>",
                    )
                )
    return time.perf_counter() - began


def clean() -> None:
    Ticket.objects.all().delete()
    Customer.objects.filter(name__startswith="Bench ").delete()


def per_event(tickets: list[int], rules: list[Rule]) -> list[float]:
    timings = []
    for pk in tickets:
        began = time.perf_counter()
        engine.process([engine.Work(pk, {"updated"})], rules=rules)
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--agents", type=int, default=20)
    add_json_argument(parser)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    TimeRule.objects.update(is_active=False)
    team = setup_team(options.agents)
    rng = random.Random(2026)

    # 1. The burst without rules (no trigger active, the team assigns by hand) ...
    clean()
    Rule.objects.all().delete()
    TeamRouting.objects.update_or_create(team=team, defaults={"policy": TeamRouting.Policy.MANUAL})
    without = burst(options.tickets, "plain", rng)
    # ... and with the rules and least-loaded routing among the team's agents.
    clean()
    make_rules(options.rules)
    TeamRouting.objects.update_or_create(
        team=team, defaults={"policy": TeamRouting.Policy.LEAST_LOADED}
    )
    with_rules = burst(options.tickets, "rules", rng)
    routed = Ticket.objects.filter(assignee__isnull=False).count()
    tagged = Ticket.objects.filter(tags__name="triagem").count()
    n = options.tickets
    print(f"burst of {n} new tickets without rules: {n / without:.0f} tickets/s ({without:.1f} s)")
    print(f"burst with {options.rules} rules + routing: {n / with_rules:.0f} tickets/s "
          f"({with_rules:.1f} s); {routed} assigned, {tagged} tagged")  # fmt: skip
    REPORT.baseline("burst_without_rules", round(n / without, 1), unit="tickets/s",
                    label=f"{n} new tickets, no rules, manual team")  # fmt: skip
    REPORT.result("burst_with_rules", round(n / with_rules, 1), unit="tickets/s",
                  label=f"{n} new tickets, {options.rules} rules + least-loaded routing",
                  baseline="burst_without_rules")  # fmt: skip

    # 2. Per event: the rules evaluated for one ticket's update (the ticket locked, its facts
    #    read, 100 rules checked; the broad rule finds its tag there already).
    rules = engine.active_rules()
    sample = list(Ticket.objects.order_by("-id").values_list("pk", flat=True)[:n])
    per_event(sample[:50], rules)  # warm up
    with_timings = per_event(sample, rules)
    never = Rule(name="never", events=["updated"], conditions=[{"field": "tag", "value": "x"}])
    empty_timings = per_event(sample, [never])
    facts = conditions.facts_for(
        list(Ticket.objects.select_related("customer__organization", "team")[:200]), with_text=True
    )
    began = time.perf_counter()
    for fact in facts:
        for rule in rules:
            conditions.matches(rule.conditions, fact)
    matching_ms = (time.perf_counter() - began) * 1000 / len(facts)
    p50, p95 = statistics.median(with_timings), percentile(with_timings, 0.95)
    e50, e95 = statistics.median(empty_timings), percentile(empty_timings, 0.95)
    print(f"per event with {len(rules)} rules: p50 {p50:.2f} ms, p95 {p95:.2f} ms "
          f"(1 rule: p50 {e50:.2f} ms, p95 {e95:.2f} ms); "
          f"conditions alone {matching_ms:.3f} ms")  # fmt: skip
    REPORT.baseline("per_event_one_rule_p95", round(e95, 3), unit="ms",
                    label="per event, 1 rule listening (never matches)")  # fmt: skip
    REPORT.result("per_event_p95", round(p95, 3), unit="ms", target="< 5 ms",
                  label=f"per event, {len(rules)} active rules (p95)",
                  baseline="per_event_one_rule_p95", ratio=False)  # fmt: skip
    REPORT.result("per_event_p50", round(p50, 3), unit="ms",
                  label=f"per event, {len(rules)} active rules (p50)")  # fmt: skip
    REPORT.result("conditions_only", round(matching_ms, 3), unit="ms",
                  label=f"{len(rules)} rules' conditions on one ticket, in Python")  # fmt: skip
    REPORT.note(
        f"{options.agents} online agents in one of the two N1 teams (new tickets take the N1 "
        f"teams in turn: half reach the routed team); drains of {DRAIN}; Celery eager"
    )
    REPORT.write(options.json)
    clean()


if __name__ == "__main__":
    main()
