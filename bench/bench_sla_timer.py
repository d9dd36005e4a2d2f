# ruff: noqa: E501, S108, S608 (long report labels; SQL names come from the models, never from input)
"""SLA timer benchmark: bulk recording of breaches and warnings, breach lag under a burst of
10,000 clocks due within a minute, one timer sweep at 10,000 vs 1,000,000 open tickets, and
duplicates under two sweepers at once, on PostgreSQL.

    .venv/bin/python bench/bench_sla_timer.py [--small 10000] [--large 1000000] [--json PATH]

Uses its own database (DATABASE_URL, default jornada_bench_sla_timer: created and migrated) and
Redis (REDIS_URL, default db 9: the escalation tasks' queue, emptied at the start). Open tickets
are copies of one ticket made through the services (INSERT ... SELECT over generate_series),
each with one running resolution clock due in a week; the clocks under test are moved to the
due times wanted. The lag stage runs the timer as beat would (sweep_clocks every
SLA_TIMER_SECONDS, in this process) and a real Celery worker on the "sla" and "default" queues
for the escalation steps (notify the team lead, in the app and by e-mail) and the live pushes,
all on this machine.
"""

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jornada_bench_sla_timer")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ["DEBUG"] = "0"

from _database import ensure_database  # noqa: E402

ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from _report import Report, add_json_argument  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from sla import recording, tasks  # noqa: E402
from sla import services as sla_services  # noqa: E402
from sla.models import BusinessCalendar, EscalationStep, SLAPolicy, TicketSLA  # noqa: E402
from tests.tickets.factories import AgentFactory  # noqa: E402
from tickets import services as ticket_services  # noqa: E402
from tickets.models import Customer, Team, Ticket, TicketEvent, Tier  # noqa: E402

REPORT = Report("sla")
SLA_KINDS = (TicketEvent.Kind.SLA_WARNING, TicketEvent.Kind.SLA_BREACHED)
CLOCKS, TICKETS, EVENTS = (
    TicketSLA._meta.db_table,
    Ticket._meta.db_table,
    TicketEvent._meta.db_table,
)


def sql(statement: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


# -- data ---------------------------------------------------------------------------------------
def setup() -> tuple[SLAPolicy, int]:
    """A clean desk: one 24 × 7 policy with steps (raise the priority on breach, notify the
    team lead on warning and breach), one N1 team with a lead, one template ticket."""
    sql(f"TRUNCATE {TICKETS}, {CLOCKS}, {EVENTS} CASCADE")
    SLAPolicy.objects.all().delete()
    team, _ = Team.objects.get_or_create(name="Bench N1", defaults={"tier": Tier.N1})
    if not team.leads.exists():
        team.leads.add(AgentFactory(user__username="bench.lead", tier=Tier.N1, teams=[team]))
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Bench 24x7",
        defaults={"weekly_hours": [[["00:00", "24:00"]]] * 7, "holiday_country": ""},
    )
    policy = SLAPolicy.objects.create(
        name="Bench", calendar=calendar, first_response_minutes=None,
        resolution_minutes=7 * 24 * 60, warn_before=20,
    )  # fmt: skip
    # Notifications only: a priority change would recompute the clocks from the trail, and the
    # copied tickets' clocks are set by hand here.
    for stage in ("breach", "warning"):
        EscalationStep.objects.create(policy=policy, stage=stage, action="notify")
    customer, _ = Customer.objects.get_or_create(name="Bench customer")
    template = ticket_services.ticket_create(
        customer=customer, subject="Bench", channel="email", team=team
    )
    sla_services.tickets_sla_sync(ticket_ids=[template.pk])
    return policy, template.pk


def grow_to(total: int, template_id: int) -> float:
    """Copy the template ticket until there are `total` open tickets, each with its clock."""
    have = Ticket.objects.count()
    if have >= total:
        return 0.0
    began = time.perf_counter()
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, TICKETS)]
    chosen = {"id": None, "number": "nextval('tickets_ticket_number_seq')",
              "subject": "'Bench ' || g"}  # fmt: skip
    names = [c for c in columns if chosen.get(c, c) is not None]
    values = [chosen.get(c, f"t.{c}") for c in names]
    start_id = sql(f"SELECT coalesce(max(id), 0) FROM {TICKETS}")[0][0]
    step = 100_000
    for offset in range(0, total - have, step):
        count = min(step, total - have - offset)
        sql(
            f"INSERT INTO {TICKETS} ({', '.join(names)}) SELECT {', '.join(values)} "
            f"FROM {TICKETS} t, generate_series(1, %s) g WHERE t.id = %s",
            [count, template_id],
        )
    template = TicketSLA.objects.get(ticket_id=template_id)
    sql(
        f"INSERT INTO {CLOCKS} (ticket_id, target, policy_id, target_minutes, started_at, "
        "due_at, warn_at, paused_seconds, synced_at) "
        f"SELECT t.id, %s, %s, %s, now(), now() + interval '7 days', "
        f"now() + interval '6 days', 0, now() FROM {TICKETS} t WHERE t.id > %s",
        [template.target, template.policy_id, template.target_minutes, start_id],
    )
    sql(f"ANALYZE {TICKETS}")
    sql(f"ANALYZE {CLOCKS}")
    return time.perf_counter() - began


def spread_clock_ids(count: int, salt: int) -> list[int]:
    """`count` clocks spread over the whole table (not the newest ones only)."""
    total = TicketSLA.objects.count()
    stride = max(1, total // count)
    ids = sql(
        f"SELECT id FROM {CLOCKS} WHERE (id + %s) %% %s = 0 ORDER BY id LIMIT %s",
        [salt, stride, count],
    )
    return [row[0] for row in ids]


def reset(ids: list[int], *, due_sql: str, warn_sql: str, params=()) -> None:
    """Clocks back to running, unwarned, unbreached, with the due and warning times given."""
    sql(
        f"UPDATE {CLOCKS} SET due_at = {due_sql}, warn_at = {warn_sql}, stopped_at = NULL, "
        "warned_at = NULL, breached_at = NULL, breach_recorded_at = NULL, "
        "warning_steps_at = NULL, breach_steps_at = NULL WHERE id = ANY(%s)",
        [*params, ids],
    )
    sql(
        f"DELETE FROM {EVENTS} WHERE kind = ANY(%s) AND ticket_id IN "
        f"(SELECT ticket_id FROM {CLOCKS} WHERE id = ANY(%s))",
        [list(SLA_KINDS), ids],
    )
    sql(f"VACUUM ANALYZE {CLOCKS}")


def purge_queue() -> None:
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def duplicates() -> int:
    return sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {EVENTS} WHERE kind = ANY(%s) "
        "GROUP BY ticket_id, kind, data->>'target', data->>'due_at' HAVING count(*) > 1) d",
        [list(SLA_KINDS)],
    )[0][0]


# -- one sweep, at two sizes ---------------------------------------------------------------------
def sweep_cost(label: str, *, due: int, reps: int) -> dict[str, float]:
    """Median time of one timer run (sweep_clocks) with nothing due, and with `due` breaches."""
    idle = []
    for _ in range(reps * 3):
        began = time.perf_counter()
        tasks.sweep_clocks()
        idle.append((time.perf_counter() - began) * 1000)
    busy = []
    for rep in range(reps):
        ids = spread_clock_ids(due, salt=rep)
        reset(ids, due_sql="now() - interval '1 minute'", warn_sql="now() - interval '2 minutes'")
        began = time.perf_counter()
        totals = tasks.sweep_clocks()
        busy.append((time.perf_counter() - began) * 1000)
        assert totals["breached"] == len(ids), totals
        reset(ids, due_sql="now() + interval '7 days'", warn_sql="now() + interval '6 days'")
    purge_queue()
    figures = {"idle": statistics.median(idle), "busy": statistics.median(busy)}
    print(f"{label}: one sweep, nothing due {figures['idle']:.1f} ms; "
          f"{due} breaches {figures['busy']:.0f} ms")  # fmt: skip
    return figures


# -- bulk rate and two sweepers -------------------------------------------------------------------
def _sweeper(barrier, results) -> None:
    connection.close()
    barrier.wait()
    totals = {"breached": 0, "warned": 0}
    while True:
        result = sla_services.sla_sweep()
        totals["breached"] += result.breached
        totals["warned"] += result.warned
        if not result.looked_at:
            break
    results.put(totals)
    connection.close()


def bulk_rates(count: int) -> None:
    ids = spread_clock_ids(count, salt=7)
    half = len(ids) // 2
    # Same-run baseline: the shape of the timer before, one clock per transaction (its
    # escalation queued too, so only the recording differs).
    reset(ids, due_sql="now() - interval '1 minute'", warn_sql="now() - interval '2 minutes'")
    one_by_one = ids[:1000]
    began = time.perf_counter()
    singles = sum(sla_services.clock_record_breach(clock_id=pk) for pk in one_by_one)
    elapsed = time.perf_counter() - began
    print(f"one clock per transaction: {singles} in {elapsed:.2f} s, {singles / elapsed:.0f}/s")
    REPORT.baseline("breaches_per_second_one_by_one", round(singles / elapsed), unit="breaches/s",
                    label="same run: one clock per transaction (the timer's shape before), "
                          f"{singles} breaches")  # fmt: skip

    reset(ids, due_sql="now() - interval '1 minute'", warn_sql="now() - interval '2 minutes'")
    began = time.perf_counter()
    breached = 0
    while recorded := recording.clocks_record_breaches().count:
        breached += recorded
    elapsed = time.perf_counter() - began
    print(f"bulk breaches: {breached} in {elapsed:.2f} s, {breached / elapsed:.0f}/s")
    REPORT.result("breaches_per_second", round(breached / elapsed), unit="breaches/s",
                  label=f"breaches recorded in bulk ({breached} overdue, one process, "
                        "escalations queued)", baseline="breaches_per_second_one_by_one",
                  target=">= 1000/s")  # fmt: skip

    reset(ids, due_sql="now() + interval '1 hour'", warn_sql="now() - interval '1 minute'")
    began = time.perf_counter()
    warned = 0
    while recorded := recording.clocks_record_warnings().count:
        warned += recorded
    elapsed = time.perf_counter() - began
    print(f"bulk warnings: {warned} in {elapsed:.2f} s, {warned / elapsed:.0f}/s")
    REPORT.result("warnings_per_second", round(warned / elapsed), unit="warnings/s",
                  label="warnings recorded in bulk, one process")  # fmt: skip

    # Two sweeper processes at once over the same clocks: half overdue, half warned.
    reset(ids[:half], due_sql="now() - interval '1 minute'", warn_sql="now() - interval '2 min'")
    reset(ids[half:], due_sql="now() + interval '1 hour'", warn_sql="now() - interval '1 minute'")
    connection.close()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_sweeper, args=(barrier, results)) for _ in range(2)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    recorded = sum(o["breached"] + o["warned"] for o in outcomes)
    dupes = duplicates()
    print(f"two sweepers: {outcomes}, {recorded} of {len(ids)} in {elapsed:.2f} s, "
          f"{dupes} duplicates")  # fmt: skip
    REPORT.result("two_sweepers_recorded", recorded, unit="records",
                  label=f"two sweeper processes at once over {len(ids)} clocks: recorded "
                        f"(split {[o['breached'] + o['warned'] for o in outcomes]})")  # fmt: skip
    REPORT.result("two_sweepers_duplicates", dupes, unit="duplicates",
                  label="duplicate warnings or breaches, two sweepers", target="0")  # fmt: skip
    reset(ids, due_sql="now() + interval '7 days'", warn_sql="now() + interval '6 days'")
    purge_queue()


# -- breach lag under a burst -----------------------------------------------------------------------
def start_worker() -> subprocess.Popen:
    log = open(Path("/tmp") / "bench-sla-timer-worker.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--queues", "sla,default",
         "--concurrency", "1", "--pool", "prefork", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env={**os.environ}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def breach_lag(count: int, window: float) -> None:
    interval = settings.SLA_TIMER_SECONDS
    ids = spread_clock_ids(count, salt=3)
    lead = 35.0  # the earliest warning (30 s before its due time) comes after the start
    rng = random.Random(14)
    offsets = [lead + rng.uniform(0, window) for _ in ids]
    sql(
        f"UPDATE {CLOCKS} c SET due_at = now() + make_interval(secs => o.delay), "
        "warn_at = now() + make_interval(secs => o.delay - 30), warned_at = NULL, "
        "breached_at = NULL, breach_recorded_at = NULL, warning_steps_at = NULL, "
        "breach_steps_at = NULL FROM unnest(%s::bigint[], %s::float8[]) AS o(id, delay) "
        "WHERE c.id = o.id",
        [ids, offsets],
    )
    sql(f"VACUUM ANALYZE {CLOCKS}")
    purge_queue()
    worker = start_worker()
    runs = []
    try:
        began = time.monotonic()
        tick = began + rng.uniform(0, interval)  # beat's phase is anyone's guess
        end = began + lead + window + 2 * interval
        while time.monotonic() < end:
            time.sleep(max(0.0, tick - time.monotonic()))
            started = time.perf_counter()
            totals = tasks.sweep_clocks(seconds=interval * 0.8)
            runs.append((time.perf_counter() - started, totals["breached"], totals["warned"]))
            tick += interval
        deadline = time.monotonic() + 600
        pending = TicketSLA.objects.filter(pk__in=ids, breach_steps_at=None)
        while pending.exists() and time.monotonic() < deadline:
            time.sleep(2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    rows = sql(
        f"SELECT extract(epoch FROM breach_recorded_at - due_at), "
        "extract(epoch FROM warned_at - warn_at), extract(epoch FROM breach_steps_at - due_at) "
        f"FROM {CLOCKS} WHERE id = ANY(%s)",
        [ids],
    )
    lags = [row[0] for row in rows if row[0] is not None]
    warn_lags = [row[1] for row in rows if row[1] is not None]
    step_lags = [row[2] for row in rows if row[2] is not None]
    busiest = max(runs, key=lambda run: run[1])
    print(f"lag: {len(lags)} breaches, p50 {statistics.median(lags):.1f} s, "
          f"p99 {percentile(lags, 0.99):.1f} s; warnings {len(warn_lags)}; "
          f"steps done {len(step_lags)}; runs {[(round(d, 2), b, w) for d, b, w in runs]}")  # fmt: skip
    REPORT.baseline("timer_interval", interval, unit="s", label="timer interval")
    REPORT.result("breach_lag_p50", round(statistics.median(lags), 2), unit="s",
                  label=f"breach lag p50 ({count} clocks due within {window:.0f} s, "
                        f"{len(lags)} recorded)")  # fmt: skip
    REPORT.result("breach_lag_p99", round(percentile(lags, 0.99), 2), unit="s",
                  label="breach lag p99", baseline="timer_interval", ratio=False,
                  target=f"<= {interval + 5:.0f} s (interval + 5 s)")  # fmt: skip
    REPORT.result("breach_lag_max", round(max(lags), 2), unit="s", label="breach lag max")
    REPORT.result("warning_lag_p99", round(percentile(warn_lags, 0.99), 2), unit="s",
                  label=f"warning lag p99 ({len(warn_lags)} warnings)")  # fmt: skip
    if step_lags:
        REPORT.result("steps_lag_p50", round(statistics.median(step_lags), 1), unit="s",
                      label=f"due -> escalation steps done, p50 ({len(step_lags)} tickets; "
                            "one worker, notify the lead)")  # fmt: skip
        REPORT.result("steps_lag_p99", round(percentile(step_lags, 0.99), 1), unit="s",
                      label="due -> escalation steps done, p99")  # fmt: skip
    REPORT.result(
        "busiest_run",
        round(busiest[0], 2),
        unit="s",
        label=f"busiest timer run ({busiest[1]} breaches, {busiest[2]} warnings)",
    )
    REPORT.result(
        "lag_duplicates",
        duplicates(),
        unit="duplicates",
        label="duplicate warnings or breaches after the burst",
        target="0",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1000, help="breaches in the busy sweep")
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--lag-only", action="store_true", help="only the burst, at --large")
    parser.add_argument("--rates-only", action="store_true", help="only the bulk rates")
    add_json_argument(parser)
    options = parser.parse_args()
    load = os.getloadavg()
    call_command("migrate", verbosity=0)
    purge_queue()
    _policy, template_id = setup()
    REPORT.baseline("breaches_per_second_before", 50, unit="breaches/s",
                    label="quoted from issue 14, not measured in this run: bench_sla.py on "
                          "main, one clock per transaction with inline escalation "
                          "(2,106 in 42 s)")  # fmt: skip

    if options.rates_only:
        grow_to(options.small, template_id)
        bulk_rates(options.burst)
        finish(load, options.json)
        return
    if options.lag_only:
        grow_to(options.large, template_id)
        breach_lag(options.burst, window=60.0)
        finish(load, options.json)
        return
    built = grow_to(options.small, template_id)
    print(f"{options.small} open tickets built in {built:.1f} s")
    small = sweep_cost(f"{options.small} open", due=options.due, reps=options.reps)
    bulk_rates(options.burst)

    built = grow_to(options.large, template_id)
    print(f"{options.large} open tickets built in {built:.1f} s")
    large = sweep_cost(f"{options.large} open", due=options.due, reps=options.reps)
    for key, what in (("idle", "nothing due"), ("busy", f"{options.due} breaches")):
        REPORT.baseline(f"sweep_{key}_small", round(small[key], 2), unit="ms",
                        label=f"one timer sweep, {what}, {options.small:,} open tickets")  # fmt: skip
        REPORT.result(f"sweep_{key}_large", round(large[key], 2), unit="ms",
                      label=f"one timer sweep, {what}, {options.large:,} open tickets",
                      baseline=f"sweep_{key}_small", target="ratio <= 2")  # fmt: skip
    breach_lag(options.burst, window=60.0)
    finish(load, options.json)


def finish(load, path) -> None:
    after = os.getloadavg()
    REPORT.note(
        f"machine: {os.cpu_count()} cores shared with other engineers; load average "
        f"{[round(x, 2) for x in load]} before, {[round(x, 2) for x in after]} after"
    )
    REPORT.note(
        f"timer interval {settings.SLA_TIMER_SECONDS:.0f} s (JORNADA_SLA_TIMER_SECONDS), "
        f"batch {recording.BATCH} clocks per transaction, escalation chunks of "
        f"{recording.STEPS_CHUNK}; policy steps: notify the team lead on warning and breach "
        "(in the app + e-mail, locmem backend)"
    )
    REPORT.write(path)


if __name__ == "__main__":
    main()
