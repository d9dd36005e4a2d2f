# ruff: noqa: E501
"""Managers' dashboard benchmark (issue 14): server time of /manager/ with the default range and
with filters, at 1,000,000 tickets (target p95 < 500 ms) and at 100,000 tickets, in the same run
as django-helpdesk 2.6.1's /helpdesk/dashboard/ on the same 100,000 tickets (the ratio reported).

    .venv/bin/python bench/bench_manager.py [--requests 40] [--only default] [--skip-peer] [--json PATH]

Every page is requested in-process through Django's test client (Jornada's and the peer's alike):
middleware, view, queries and template, without the network. Jornada logs in as a manager (every
team), the peer as a superuser (every queue).

Data: the workspace benchmark's data set (bench/_workspace_data.py: two years of a desk, 5 messages
a ticket, about 7 % of the tickets open) plus a stage of SLA clocks (bench/_manager_data.py,
INSERT ... SELECT) and the dashboard rollups built by `manage.py manager_rollup_rebuild`, each in a
database of its own (BENCH_MANAGER_DATABASE_URL, default .../jornada_bench_manager, and
BENCH_MANAGER_SMALL_DATABASE_URL, default .../jornada_bench_manager_100k: created and loaded on the
first run, about 7 minutes, then 3 for the clocks and 5 for the rollups on a 2-core machine;
reused afterwards). The peer's database (BENCH_MANAGER_PEER_DATABASE, default peer_bench_manager)
gets the same 100,000 tickets, exported from Jornada's (teams as queues, agents as staff).

Baselines in the same run, per size: the framework's floor (GET /accounts/login/: middleware and a
template, no figures), the main aggregate in raw SQL on the tickets table (count, average and
median/p90 first response of the tickets created in the last 30 days), and the same figures
computed live by sla.metrics without the rollups (what the page cost before them).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
PG = "postgres://postgres@127.0.0.1:5432"
LARGE = os.environ.get("BENCH_MANAGER_DATABASE_URL", f"{PG}/jornada_bench_manager")
SMALL = os.environ.get("BENCH_MANAGER_SMALL_DATABASE_URL", f"{PG}/jornada_bench_manager_100k")
PEER_DB = os.environ.get("BENCH_MANAGER_PEER_DATABASE", "peer_bench_manager")
REDIS = os.environ.get("BENCH_MANAGER_REDIS_URL", "redis://127.0.0.1:6379/4")
TARGET_MS = 500
WORK = ROOT / "var" / "bench" / "manager"
PEER_USER = "gestor01"


# --------------------------------------------------------------------------------------------
# The worker: one data size, in a process of its own (Django is set up once per process)
# --------------------------------------------------------------------------------------------
def worker(args) -> None:
    os.environ["DATABASE_URL"] = args.database
    os.environ["REDIS_URL"] = REDIS
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
    os.environ["DEBUG"] = "0"
    sys.path.insert(0, str(ROOT))
    from _database import ensure_database

    ensure_database(args.database)
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    import _manager_data as manager_data
    import _workspace_data as data
    from django.core.management import call_command
    from django.db import connection

    plan = data.Plan().scaled(args.scale)
    data.refuse_foreign_database()
    call_command("migrate", verbosity=0)
    ready = data.dataset_ready(plan)
    if ready:
        print(
            f"  data set reused ({plan.tickets:,} tickets, loaded {ready['finished_at']:%Y-%m-%d %H:%M})",
            flush=True,
        )
        if data.shift_clock(ready["anchor"]):
            print("  ticket times moved to today: clocks and rollups rebuilt", flush=True)
            manager_data.ensure_clocks(reload=True)
    else:
        print(f"  loading {plan.tickets:,} tickets, {plan.messages:,} messages", flush=True)
        data.generate(plan)
    seconds = manager_data.ensure_clocks()
    if seconds is not None:
        print(f"  SLA clocks stage: {seconds:.0f} s", flush=True)
    seconds = manager_data.ensure_rollup()
    if seconds is not None:
        print(f"  rollup rebuild: {seconds:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT stage, seconds FROM bench_ws_state WHERE stage LIKE 'manager%%'")
        stages = dict(cursor.fetchall())
    result = {"tickets": plan.tickets, "stages": stages, "scenarios": measure_all(args)}
    if args.export_peer:
        export_for_peer(Path(args.export_peer))
    Path(args.out).write_text(json.dumps(result, default=str))


def measure_all(args) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from manager import selectors
    from manager.access import dashboard_scope
    from manager.forms import DashboardFilterForm
    from tickets.models import AgentProfile, Customer, Team

    user = get_user_model().objects.filter(agent_profile__is_manager=True).order_by("pk").first()
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    team = Team.objects.order_by("pk").first()
    agent = AgentProfile.objects.filter(is_manager=False, tier="N1").order_by("pk").first()
    organization = (
        Customer.objects.exclude(organization=None)
        .values_list("organization_id", flat=True)
        .order_by("pk")
        .first()
    )
    scenarios = [
        ("dashboard, default range (30 days)", "/manager/"),
        ("dashboard, team", f"/manager/?team={team.pk}"),
        ("dashboard, tier N2", "/manager/?tier=N2"),
        ("dashboard, channel whatsapp", "/manager/?channel=whatsapp"),
        ("dashboard, agent", f"/manager/?agent={agent.pk}"),
        ("dashboard, segment vip", "/manager/?segment=vip"),
        ("dashboard, team + channel + tier", f"/manager/?team={team.pk}&channel=email&tier=N1"),
        ("dashboard, organization (live)", f"/manager/?organization={organization}"),
        (
            "dashboard, 90 days",
            "/manager/?start=" + (timezone.localdate() - timezone.timedelta(days=89)).isoformat(),
        ),
    ]
    results = []

    def timed(name: str, call, requests: int, kind: str, warmup: int | None = None) -> None:
        if args.only and args.only not in name:
            return
        load = os.getloadavg()[0]
        for _ in range(args.warmup if warmup is None else warmup):
            call()
        samples = []
        deadline = time.perf_counter() + args.max_seconds
        for _ in range(requests):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
            if time.perf_counter() > deadline and len(samples) >= 10:
                break
        with CaptureQueriesContext(connection) as captured:
            call()
        entry = {"name": name, "kind": kind, "samples": samples, "load": load,
                 "queries": len(captured.captured_queries),
                 "db_ms": sum(float(q["time"]) for q in captured.captured_queries) * 1000}  # fmt: skip
        entry.update(summary(samples))
        results.append(entry)
        print(row(entry), flush=True)

    def get(url):
        def call():
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")

        return call

    print(
        f"  {'scenario':<42} {'n':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'queries':>7} {'db ms':>7} {'load':>5}"
    )
    timed("floor: GET /accounts/login/", get("/accounts/login/"), args.requests, "baseline")
    timed("raw SQL: FRT count, avg, p50/p90 (30 days)", raw_aggregate, args.requests, "baseline")
    form = DashboardFilterForm({}, scope=dashboard_scope(user=user))
    form.is_valid()
    filters = form.metric_filters()
    timed(
        "live sla.metrics, no rollup (30 days)",
        lambda: live_figures(filters),
        max(3, args.requests // 10),
        "baseline",
        warmup=1,
    )
    assert selectors.rollup_answers(filters), "the rollups should answer the default range"
    for name, url in scenarios:
        timed(name, get(url), args.requests, "result")
    return results


def raw_aggregate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), avg(s), percentile_cont(0.5) WITHIN GROUP (ORDER BY s), "
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY s) FROM (SELECT extract(epoch FROM "
            "first_response_at - created_at) AS s FROM tickets_ticket WHERE created_at >= "
            "now() - interval '30 days' AND merged_into_id IS NULL) t"
        )
        cursor.fetchone()


def live_figures(filters) -> None:
    from django.utils import timezone

    from sla import metrics

    now = timezone.now()
    metrics.first_response_time(filters)
    metrics.resolution_time(filters)
    metrics.volume(filters)
    metrics.responsiveness(filters)
    metrics.sla_compliance(filters)
    metrics.backlog(filters, now=now)
    metrics.escalations(filters)
    metrics.volume_heatmap(filters)
    metrics.figures_by(filters, group="assignee")
    metrics.figures_by(filters, group="team")
    metrics.at_risk_now(filters, now=now)


def export_for_peer(directory: Path) -> None:
    """Jornada's tickets, teams and agents as the peer's CSV files."""
    from django.db import connection

    directory.mkdir(parents=True, exist_ok=True)
    queries = {
        "queues.csv": "SELECT id, name, 'q' || id FROM tickets_team ORDER BY id",
        "users.csv": "SELECT id, '!', username, first_name, last_name, email, true, is_staff, true, date_joined FROM auth_user ORDER BY id",
        "tickets.csv": """
            SELECT t.id, left(t.subject, 200), coalesce(t.team_id, 1), t.created_at, t.updated_at,
                   coalesce((SELECT value FROM tickets_customeridentity i WHERE i.customer_id = t.customer_id
                             AND i.kind = 'email' ORDER BY i.id LIMIT 1), ''),
                   t.assignee_id,
                   CASE t.status WHEN 'solved' THEN 3 WHEN 'closed' THEN 4
                        ELSE CASE WHEN t.reopen_count > 0 THEN 2 ELSE 1 END END,
                   t.status IN ('pending', 'on_hold'), t.subject, '',
                   CASE t.priority WHEN 'urgent' THEN 1 WHEN 'high' THEN 2 WHEN 'normal' THEN 3 ELSE 4 END,
                   t.sla_due_at, md5(t.id::text)
            FROM tickets_ticket t ORDER BY t.id""",
    }
    with connection.cursor() as cursor:
        for name, query in queries.items():
            with (directory / name).open("w") as handle:
                cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", handle)


# --------------------------------------------------------------------------------------------
# The peer
# --------------------------------------------------------------------------------------------
def peer_driver():
    """The peer installed, its database (PEER_DB) created and its project written: a function that
    runs one command of bench/_peer_dashboard.py in the peer's virtualenv and returns its JSON
    answer. Shared with bench_api.py (the peer's /api/tickets/ on the same data)."""
    import _peer_helpdesk as peer
    from _database import ensure_database

    peer.ensure_installed()
    ensure_database(f"{PG}/{PEER_DB}")
    peer.write_project(
        database={
            "NAME": PEER_DB,
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": 5432,
        },
        media_root=WORK / "peer-media",
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", str(peer.PEER_DIR)),
           "PYTHONPATH": str(peer.PROJECT), "DJANGO_SETTINGS_MODULE": "peer_settings"}  # fmt: skip

    def driver(*argv) -> dict:
        done = subprocess.run([str(peer.PEER_PYTHON), str(BENCH / "_peer_dashboard.py"), *argv],
                              env=env, capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"peer {argv[0]} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    return driver


def run_peer(args, export_dir: Path) -> dict:
    driver = peer_driver()
    loaded = driver("load", str(export_dir))
    print(f"  peer data: {loaded}", flush=True)
    load = os.getloadavg()[0]
    measured = driver("measure", str(max(5, args.requests // 4)), "2", PEER_USER)
    measured.update(summary([s * 1000 for s in measured.pop("samples")]))
    measured.update(
        {"name": "django-helpdesk 2.6.1 /helpdesk/dashboard/", "kind": "peer", "load": load}
    )
    print(row(measured), flush=True)
    return measured


# --------------------------------------------------------------------------------------------
# Orchestration and report
# --------------------------------------------------------------------------------------------
def summary(samples: list[float]) -> dict:
    values = sorted(samples)
    pick = lambda p: values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]  # noqa: E731
    return {"n": len(values), "p50": pick(50), "p95": pick(95), "p99": pick(99), "max": values[-1]}


def row(entry: dict) -> str:
    return (f"  {entry['name'][:42]:<42} {entry['n']:>4} {entry['p50']:8.1f} {entry['p95']:8.1f} "
            f"{entry['p99']:8.1f} {entry.get('queries', '-'):>7} {entry.get('db_ms', 0):7.1f} {entry['load']:5.1f}")  # fmt: skip


def spawn(args, database: str, scale: float, out: Path, export: Path | None) -> dict:
    command = [sys.executable, __file__, "--worker", "--database", database, "--scale", str(scale),
               "--out", str(out), "--requests", str(args.requests), "--warmup", str(args.warmup),
               "--max-seconds", str(args.max_seconds), "--only", args.only]  # fmt: skip
    if export:
        command += ["--export-peer", str(export)]
    subprocess.run(command, check=True)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--max-seconds", type=float, default=60, help="per scenario (at least 10 requests)"
    )
    parser.add_argument("--only", default="", help="run the scenarios whose name contains this")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--skip-large", action="store_true", help="only the 100,000-ticket size")
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH as JSON")
    # internal: one size in a process of its own
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--export-peer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    started_load = os.getloadavg()
    print(
        f"Machine: {os.cpu_count()} cores, load average {', '.join(f'{x:.2f}' for x in started_load)} (shared machine)"
    )
    sizes = {}
    print(f"\n100,000 tickets ({SMALL.rsplit('/', 1)[-1]}), Django test client")
    export = None if args.skip_peer else WORK / "peer-export"
    sizes["100k"] = spawn(args, SMALL, 0.1, WORK / "small.json", export)
    peer_entry = None
    if not args.skip_peer:
        print(
            f"\ndjango-helpdesk 2.6.1 on the same 100,000 tickets ({PEER_DB}), Django test client"
        )
        peer_entry = run_peer(args, export)
    if not args.skip_large:
        print(f"\n1,000,000 tickets ({LARGE.rsplit('/', 1)[-1]}), Django test client")
        sizes["1m"] = spawn(args, LARGE, 1.0, WORK / "large.json", None)
    report(args, sizes, peer_entry, started_load)


def report(args, sizes: dict, peer_entry: dict | None, started_load) -> None:
    from _report import Report

    rep = Report("manager")
    passed = failed = 0
    for size, result in sizes.items():
        base = {e["name"]: e for e in result["scenarios"] if e["kind"] == "baseline"}
        floor_key = f"{size}:floor"
        for name, entry in base.items():
            key = f"{size}:" + (
                "floor"
                if name.startswith("floor")
                else "raw_sql"
                if name.startswith("raw")
                else "live"
            )
            rep.baseline(
                key,
                round(entry["p95"], 1),
                unit="ms p95",
                label=f"{size}: {name} ({entry.get('queries')} queries)",
            )
        for entry in (e for e in result["scenarios"] if e["kind"] == "result"):
            target = f"< {TARGET_MS}" if size == "1m" else None
            ok = entry["p95"] < TARGET_MS
            if size == "1m":
                passed, failed = passed + ok, failed + (not ok)
            rep.result(f"{size}:{entry['name']}", round(entry["p95"], 1), unit="ms p95",
                       label=f"{size}: {entry['name']} ({entry['queries']} queries, db {entry['db_ms']:.0f} ms, load {entry['load']:.1f})",
                       baseline=f"{size}:live" if f"{size}:live" in rep.baselines else floor_key, target=target)  # fmt: skip
        for stage, seconds in result.get("stages", {}).items():
            rep.note(f"{size}: data stage {stage} took {seconds:.0f} s when it was built")
    default = None
    if peer_entry and "100k" in sizes:
        rep.baseline("100k:peer", round(peer_entry["p95"], 1), unit="ms p95",
                     label=f"django-helpdesk 2.6.1 /helpdesk/dashboard/, 100k tickets ({peer_entry['queries']} queries)")  # fmt: skip
        default = next(
            (e for e in sizes["100k"]["scenarios"] if e["name"].startswith("dashboard, default")),
            None,
        )
    if peer_entry and default:
        rep.result("100k:dashboard vs peer", round(default["p95"], 1), unit="ms p95",
                   label="Jornada /manager/ default range vs django-helpdesk /dashboard/, 100k tickets",
                   baseline="100k:peer")  # fmt: skip
        rep.note(f"peer p50 {peer_entry['p50']:.0f} ms, p95 {peer_entry['p95']:.0f} ms; Jornada p50 {default['p50']:.0f} ms, "
                 f"p95 {default['p95']:.0f} ms: Jornada takes {default['p50'] / peer_entry['p50']:.3f}x the peer's time (p50)")  # fmt: skip
    end = os.getloadavg()
    rep.note(f"shared 2-core machine: load average {started_load[0]:.2f} at the start, {end[0]:.2f} at the end; "
             "in-process Django test client for Jornada and the peer alike")  # fmt: skip
    rep.note(f"1M: {passed} scenarios under {TARGET_MS} ms p95, {failed} over")
    rep.write(args.json)
    print(f"\n1,000,000 tickets: {passed} under {TARGET_MS} ms p95, {failed} over")


if __name__ == "__main__":
    main()
