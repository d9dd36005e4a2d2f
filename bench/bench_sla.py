"""SLA engine benchmark: business-time arithmetic, the per-event recomputation of a ticket's
clocks, the backfill (sla_recompute) and the breach timer, on PostgreSQL.

    .venv/bin/python bench/bench_sla.py [--tickets 2000] [--json PATH]

Uses its own PostgreSQL database (DATABASE_URL, default jornada_bench_sla: created and migrated,
emptied of tickets at each run) and Redis database 9 (REDIS_URL). Tickets are written through the
ticket services under a travelled clock, spread over the last five business days, with replies,
customer answers, pending and solved periods; domain events are held back while loading so that
the backfill has work to do.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jornada_bench_sla")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ["DEBUG"] = "0"

import dj_database_url  # noqa: E402
import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402


def ensure_database(url: str) -> None:
    params = dj_database_url.parse(url)
    admin = psycopg2.connect(
        dbname="postgres",
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [params["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["NAME"])))
    admin.close()


if os.environ["DATABASE_URL"].startswith("postgres"):
    ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from _report import Report, add_json_argument  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from sla import services  # noqa: E402
from sla.defaults import sla_policies_seed_defaults  # noqa: E402
from sla.models import BusinessCalendar, SLAPolicy, TicketSLA  # noqa: E402
from tickets import events  # noqa: E402
from tickets import services as ticket_services  # noqa: E402
from tickets.inbound import NormalizedMessage  # noqa: E402
from tickets.models import AgentProfile, Customer, Team, Ticket, Tier  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def setup_people():
    from django.contrib.auth import get_user_model

    for tier in Tier:
        Team.objects.get_or_create(name=f"Bench {tier}", defaults={"tier": tier})
    user, _ = get_user_model().objects.get_or_create(username="bench.agent")
    AgentProfile.objects.get_or_create(user=user, defaults={"tier": Tier.N1, "n1_role": "solver"})
    return user


def load_tickets(count: int, agent, rng: random.Random) -> None:
    """Each ticket: a first message, usually a reply, sometimes the customer answers, some go
    pending, some are solved. Written in the past (five days), events held back."""
    Ticket.objects.all().delete()
    Customer.objects.filter(name__startswith="Bench ").delete()
    now = timezone.now()
    began = time.perf_counter()
    with events.suppressed():
        for n in range(count):
            start = now - timedelta(minutes=rng.randrange(30, 5 * 24 * 60))
            with time_machine.travel(start, tick=False) as clock:
                incoming = NormalizedMessage(
                    channel="email", sender_kind="email", sender_value=f"bench{n}@example.com",
                    sender_name=f"Bench {n}", subject=f"Pedido {n}", body_text="Olá",
                    external_id=f"<bench-{n}@example.com>",
                )  # fmt: skip
                ticket = ticket_services.message_receive(incoming=incoming).ticket
                if n % 4 == 0:
                    ticket_services.ticket_change_priority(
                        ticket=ticket, priority=rng.choice(list(Ticket.Priority)), by=agent
                    )
                if rng.random() < 0.7:
                    clock.shift(timedelta(minutes=rng.randrange(5, 600)))
                    status = rng.choice([None, None, "pending", "solved"])
                    ticket_services.message_reply(
                        ticket=ticket, by=agent, body_text="Vamos verificar.", then_status=status
                    )
                    if rng.random() < 0.5:
                        clock.shift(timedelta(minutes=rng.randrange(5, 600)))
                        answer = NormalizedMessage(
                            channel="email", sender_kind="email",
                            sender_value=f"bench{n}@example.com", subject=f"Re: Pedido {n}",
                            body_text="Obrigado", external_id=f"<bench-{n}-2@example.com>",
                            reply_to_ids=(incoming.external_id,),
                        )  # fmt: skip
                        ticket_services.message_receive(incoming=answer)
    print(f"loaded {count} tickets in {time.perf_counter() - began:.1f} s")


REPORT = Report("sla")


def bench_calendar() -> None:
    calendar = BusinessCalendar.objects.get(name="Horário comercial")
    hours = calendar.hours
    start = timezone.now()
    starts = [start + timedelta(minutes=97 * n) for n in range(2000)]
    for amount, label in ((timedelta(hours=4), "4 business hours"),
                          (timedelta(hours=100), "10 business days"),
                          (timedelta(hours=400), "40 business days")):  # fmt: skip
        began = time.perf_counter()
        for moment in starts:
            hours.add(moment, amount)
        per_call = (time.perf_counter() - began) / len(starts) * 1e6
        print(f"add_business_time, {label}: {per_call:.0f} µs per call")
        REPORT.result(
            f"add_business_time_{label.replace(' ', '_')}",
            per_call,
            unit="µs",
            label=f"add_business_time, {label}",
        )
    began = time.perf_counter()
    for moment in starts:
        hours.between(moment - timedelta(days=30), moment)
    per_call = (time.perf_counter() - began) / len(starts) * 1e6
    print(f"business_minutes_between over 30 days: {per_call:.0f} µs per call")
    REPORT.result(
        "business_minutes_between_30_days",
        per_call,
        unit="µs",
        label="business_minutes_between over 30 days",
    )


def bench_sync(sample: int) -> None:
    ids = list(Ticket.objects.order_by("?").values_list("pk", flat=True)[:sample])
    timings = []
    for pk in ids:
        began = time.perf_counter()
        services.ticket_sla_sync(ticket_id=pk)
        timings.append((time.perf_counter() - began) * 1000)
    print(
        f"one ticket's clocks recomputed (as after each domain event): median "
        f"{statistics.median(timings):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms"
    )
    REPORT.result(
        "ticket_sla_sync_median",
        statistics.median(timings),
        unit="ms",
        label="one ticket's clocks recomputed: median",
    )
    REPORT.result(
        "ticket_sla_sync_p95",
        percentile(timings, 0.95),
        unit="ms",
        label="one ticket's clocks recomputed: p95",
    )


def explain_breach_query() -> str:
    query = (
        TicketSLA.objects.filter(stopped_at=None, breached_at=None, due_at__lte=timezone.now())
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:200]
    )
    text, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + text, params)
        return " / ".join(row[0].strip() for row in cursor.fetchall()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=2000)
    add_json_argument(parser)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    sla_policies_seed_defaults()
    agent = setup_people()
    load_tickets(options.tickets, agent, rng)
    bench_calendar()

    began = time.perf_counter()
    call_command("sla_recompute", "--all", "--no-progress")
    elapsed = time.perf_counter() - began
    print(f"sla_recompute --all: {options.tickets / elapsed:.0f} tickets/s ({elapsed:.1f} s)")
    REPORT.result(
        "sla_recompute_all",
        options.tickets / elapsed,
        unit="tickets/s",
        label="sla_recompute --all",
    )
    bench_sync(200)

    # The timer after a day of downtime: reopen every recorded breach of running clocks.
    running = TicketSLA.objects.filter(stopped_at=None, due_at__isnull=False)
    running.update(breached_at=None, warned_at=None)
    SLAPolicy.objects.update(escalate_on_breach=True)
    print(f"breach query plan: {explain_breach_query()}")
    waiting = running.filter(due_at__lte=timezone.now()).count()
    began = time.perf_counter()
    result = services.sla_sweep(limit=100_000)
    elapsed = time.perf_counter() - began
    print(
        f"breach sweep: {result.breached} breaches (of {waiting} due, {result.warned} warnings) "
        f"recorded in {elapsed:.1f} s, {result.breached / elapsed:.0f} per second (escalation "
        "steps queued to the sla queue, not run here)"
    )
    REPORT.result(
        "breach_sweep",
        result.breached / elapsed,
        unit="breaches/s",
        label="breach sweep (bulk; escalation steps queued, see bench_sla_timer.py)",
    )
    REPORT.note(f"{options.tickets} tickets; breach query plan: {explain_breach_query()}")
    REPORT.write(options.json)


if __name__ == "__main__":
    main()
