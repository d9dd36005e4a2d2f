# ruff: noqa: E501
"""The REST API under load (issue 15), in one run:

1. Ticket creation throughput over real HTTP on loopback against the production web server
   (gunicorn exactly as docker-compose.yml's web service runs it, production settings, straight to
   PostgreSQL, Redis for cache and broker, no Celery worker: queued work waits in Redis), with `wrk`
   POSTing `/api/v1/tickets` with a Bearer token (requesters drawn from 1,000 customers), with and
   without an Idempotency-Key per request; compared with a minimal DRF endpoint on the same server
   (/bench/drf-floor: parse a JSON body, answer 201, nothing of ours), the framework's floor.
   Target: >= 200 tickets/s.
2. The filtered ticket list, in-process (DRF's test client: the full middleware, view, queries and
   serialization, without the network), pages of 50, as a manager and as an N1 agent, on the data
   sets bench_workspace.py loads (100,000 and 1,000,000 tickets; read only). Target: p95 < 100 ms.
3. With --peer-list (off by default: a peer request takes 20 to 70 s), the peer:
   django-helpdesk 2.6.1's own GET /helpdesk/api/tickets/ on the same 100,000 tickets, as a
   superuser through its Django test client, --peer-requests times (2), beside Jornada's list at
   the peer's page size (25, as a manager) measured a moment before; the ratio is reported. The
   100k list worker exports its tickets and bench_manager.py's peer code loads them into the
   peer's database (bench/_api_peer_list.py; the peer is installed under bench/.peer/ on the
   first run).

    .venv/bin/python bench/bench_api.py [--seconds 20] [--clients 8] [--requests 60] [--json PATH]
        [--skip-create] [--skip-list] [--list-databases URL,URL] [--peer-list] [--peer-requests 2]

Part 1 uses a PostgreSQL database of its own (BENCH_API_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/jornada_restapi_bench: created, migrated, its tickets emptied)
and Redis database 7 (BENCH_API_REDIS_URL; flushed after the run). Part 2 reads
BENCH_API_LIST_DATABASES (default: jornada_bench_manager_100k and jornada_bench_manager, the
workspace data set at 100k and 1M tickets) and writes nothing to them: the requests are
authenticated in process (DRF's force_authenticate), so the one indexed token lookup a Bearer
request costs is not in these figures (it is in part 1's). Part 3 adds the peer's database
(BENCH_MANAGER_PEER_DATABASE, default peer_bench_manager, shared with bench_manager.py) and reads
the 100k data set from BENCH_MANAGER_SMALL_DATABASE_URL (the same default as part 2's first).
"""

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _api_peer_list  # noqa: E402

WRK_SCRIPT = ROOT / "bench" / "api_wrk.lua"
REDIS_URL = os.environ.get("BENCH_API_REDIS_URL", "redis://127.0.0.1:6379/7")
CREATE_DB = os.environ.get(
    "BENCH_API_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jornada_restapi_bench"
)
LIST_DBS = os.environ.get(
    "BENCH_API_LIST_DATABASES",
    "postgres://postgres@127.0.0.1:5432/jornada_bench_manager_100k,"
    "postgres://postgres@127.0.0.1:5432/jornada_bench_manager",
)
LIST_TARGET_MS = 100
CREATE_TARGET = 200
UNTHROTTLED = {
    "JORNADA_API_TOKEN_RATE": "100000000/min",
    "JORNADA_API_ADDRESS_RATE": "100000000/min",
}


def setup_django(database_url: str, settings_module: str = "helpdesk.settings.local") -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ["DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ.update(UNTHROTTLED)
    import django

    django.setup()


def ensure_database(url: str) -> None:
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    params = dj_database_url.parse(url)
    admin = psycopg2.connect(dbname="postgres", user=params["USER"], host=params["HOST"] or None,
                             port=params["PORT"] or None, password=params["PASSWORD"] or None)  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [params["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["NAME"])))
    admin.close()


# -------------------------------------------------------------------------------------------
# Part 1: creation throughput over HTTP
# -------------------------------------------------------------------------------------------
def compose_web_command() -> list[str]:
    """docker-compose.yml's web command with its ${VAR:-default}s from the environment (WEB_WORKERS,
    WEB_THREADS) or at their defaults."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    def value(match: re.Match) -> str:
        return os.environ.get(match.group(1), match.group(2))

    command = [
        re.sub(r"\$\{(\w+):-([^}]*)\}", value, part)
        for part in compose["services"]["web"]["command"]
    ]
    return [part for part in command if not part.startswith("--bind")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) of a process and its descendants so far, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents, times = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


@contextmanager
def gunicorn(logs: Path):
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.api_bench_settings",
           "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "DATABASE_URL": CREATE_DB, "REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING",
           "PYTHONWARNINGS": "ignore:No directory at", **UNTHROTTLED}  # fmt: skip
    env.pop("DEBUG", None)
    log = logs / f"gunicorn-{port}.log"
    argv = [
        sys.executable,
        "-m",
        *compose_web_command(),
        "--log-level",
        "warning",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
                response.read()
            break
        except Exception:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.3)
    try:
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk(
    server: tuple[int, int],
    path: str,
    *,
    clients: int,
    seconds: float,
    token: str = "",
    idempotency: bool = False,
) -> dict:
    port, pid = server
    cpu_before = cpu_seconds(pid)
    threads = min(2, clients)
    env = {**os.environ, "BENCH_PATH": path, "BENCH_TOKEN": token, "BENCH_IDEMPOTENCY": "1" if idempotency else "0",
           "BENCH_RUN": uuid.uuid4().hex[:8]}  # fmt: skip
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{round(seconds)}s", "--timeout", "10s",
         "-H", "X-Forwarded-Proto: https", "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}{path}"],
        env=env, capture_output=True, text=True, timeout=seconds + 120, check=True,
    )  # fmt: skip
    line = next(x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = raw["duration_us"] / 1e6
    cpu = cpu_seconds(pid) - cpu_before
    return {
        "web_cpu_ms_per_request": round(1000 * cpu / max(raw["requests"], 1), 2),
        "clients": clients, "requests": raw["requests"], "req_s": round(raw["requests"] / seconds_run, 1),
        "ok_s": round(raw["status_2xx"] / seconds_run, 1), "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p90_ms": round(raw["p90_us"] / 1000, 1), "p99_ms": round(raw["p99_us"] / 1000, 1),
        "status_2xx": raw["status_2xx"], "status_4xx": raw["status_4xx"], "status_5xx": raw["status_5xx"],
        "socket_errors": raw["socket_errors"],
    }  # fmt: skip


def durable_commits(clients: int, seconds: float = 5.0) -> float:
    """One-row INSERT + COMMIT per transaction from `clients` connections at once, straight to
    the bench's PostgreSQL: the ceiling a one-transaction-per-ticket create meets on this machine
    right now (every ticket is at least one durable commit)."""
    import threading

    import psycopg2

    with psycopg2.connect(CREATE_DB) as setup, setup.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_api_commit (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())"
        )
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def loop(index: int) -> None:
        connection = psycopg2.connect(CREATE_DB)
        with connection.cursor() as cursor:
            while time.monotonic() < stop:
                cursor.execute("INSERT INTO bench_api_commit DEFAULT VALUES")
                connection.commit()
                counts[index] += 1
        connection.close()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with psycopg2.connect(CREATE_DB) as cleanup, cleanup.cursor() as cursor:
        cursor.execute("DROP TABLE bench_api_commit")
    return round(sum(counts) / seconds, 1)


def prepare_create_database() -> str:
    """Migrated, tickets emptied; an N1 team, an agent and a token with tickets:write."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tickets_ticket, tickets_customer, api_idempotencyrecord CASCADE")
    from api.tokens import api_token_create
    from tests.tickets.factories import AgentFactory, TeamFactory
    from tickets.models import Team, Tier

    team = Team.objects.filter(tier=Tier.N1).first() or TeamFactory(name="Bench N1", tier=Tier.N1)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="bench-integrator").first()
    if user is None:
        user = AgentFactory(user__username="bench-integrator", tier=Tier.N1, teams=[team]).user
    return api_token_create(user=user, scopes=["tickets:write"], name="bench")[1]


def run_create(args, report) -> None:
    ensure_database(CREATE_DB)
    setup_django(CREATE_DB)
    from django.db import connection

    from tickets.models import Message, Ticket

    token = prepare_create_database()
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    with gunicorn(logs) as server:
        short = {"clients": args.clients, "seconds": args.seconds}
        wrk(server, "/bench/drf-floor", clients=args.clients, seconds=3)  # warm-up
        wrk(server, "/api/v1/tickets", clients=args.clients, seconds=3, token=token)  # warm-up
        before = Ticket.objects.count()
        floor = wrk(server, "/bench/drf-floor", **short)
        plain = wrk(server, "/api/v1/tickets", token=token, **short)
        middle = Ticket.objects.count()
        keyed = wrk(server, "/api/v1/tickets", token=token, idempotency=True, **short)
        after = Ticket.objects.count()
    connection.close()
    commits = durable_commits(args.clients)
    print(
        f"  durable INSERT + COMMIT, {args.clients} connections straight to PostgreSQL: {commits}/s"
    )
    report.baseline("durable_commits_per_s", commits, unit="commits/s",
                    label=f"one-row INSERT + COMMIT from {args.clients} connections, same database, same run")  # fmt: skip
    for name, figures in (
        ("drf_floor", floor),
        ("create", plain),
        ("create_idempotency_key", keyed),
    ):
        print(f"  {name:26} {figures['req_s']:7.1f} req/s ({figures['ok_s']:.1f} 2xx/s), p50 {figures['p50_ms']} ms, "
              f"p99 {figures['p99_ms']} ms, web CPU {figures['web_cpu_ms_per_request']} ms/request, 4xx {figures['status_4xx']}, 5xx {figures['status_5xx']}, socket errors {figures['socket_errors']}")  # fmt: skip
    created_plain, created_keyed = middle - before, after - middle
    print(
        f"  tickets in the database: +{created_plain} (2xx {plain['status_2xx']}), +{created_keyed} with keys (2xx {keyed['status_2xx']})"
    )
    print(f"  messages: {Message.objects.count()}")
    report.baseline(
        "drf_floor",
        floor["req_s"],
        unit="req/s",
        label="minimal DRF POST endpoint, same server, same run",
    )
    report.result("create_per_s", plain["ok_s"], unit="tickets/s", label="POST /api/v1/tickets (Bearer token)",
                  baseline="drf_floor", target=f">= {CREATE_TARGET}/s")  # fmt: skip
    report.result("create_idempotency_per_s", keyed["ok_s"], unit="tickets/s",
                  label="POST /api/v1/tickets with an Idempotency-Key each", baseline="drf_floor",
                  target=f">= {CREATE_TARGET}/s")  # fmt: skip
    report.result(
        "create_p99_ms", plain["p99_ms"], unit="ms", label=f"create p99 at {args.clients} clients"
    )
    report.note("web CPU per request (ms): " + ", ".join(
        f"{name} {figures['web_cpu_ms_per_request']}"
        for name, figures in (("drf_floor", floor), ("create", plain), ("create_idempotency_key", keyed))
    ))  # fmt: skip
    report.note(f"created {created_plain} and {created_keyed} tickets for {plain['status_2xx']} and {keyed['status_2xx']} 2xx answers; "
                f"5xx: {plain['status_5xx']}, {keyed['status_5xx']}; gunicorn as docker-compose.yml's web; load average at the end {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")  # fmt: skip
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# -------------------------------------------------------------------------------------------
# Part 2: the filtered list (a child process per database)
# -------------------------------------------------------------------------------------------
def list_worker(database_url: str, requests: int, export_peer: str = "") -> dict:
    """The list scenarios on one database; with `export_peer`, also the request comparable with the
    peer's /api/tickets/ (its page of 25, as a manager) and the export of this database's tickets
    for the peer (bench_manager.export_for_peer)."""
    setup_django(database_url)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from tickets.models import AgentProfile, Tag, Team, Ticket

    users = get_user_model().objects
    manager = users.filter(agent_profile__is_manager=True).order_by("pk").first()
    agent = (
        AgentProfile.objects.filter(is_manager=False, tier="N1")
        .order_by("pk")
        .select_related("user")
        .first()
        .user
    )
    total = Ticket.objects.count()
    team = Team.objects.filter(tier="N1").order_by("pk").first()
    # Filters that pick tickets mostly outside the N1 agent's reach: another N1 team, an agent
    # of other teams, and a tier above theirs (few of those are theirs to see).
    agent_teams = list(agent.agent_profile.teams.values_list("pk", flat=True))
    other_team = Team.objects.filter(tier="N1").exclude(pk__in=agent_teams).order_by("pk").first()
    stranger = (
        AgentProfile.objects.filter(is_manager=False)
        .exclude(teams__in=agent_teams)
        .exclude(user=agent)
        .order_by("pk")
        .first()
    )
    tag = Tag.objects.order_by("pk").first()
    newest = Ticket.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    since = (newest.replace(microsecond=0) - __import__("datetime").timedelta(days=2)).isoformat()
    scenarios = [
        ("default (newest change first)", "/api/v1/tickets"),
        ("status=open", "/api/v1/tickets?status=open"),
        ("status=open&priority=urgent", "/api/v1/tickets?status=open&priority=urgent"),
        ("tier=N2&channel=whatsapp", "/api/v1/tickets?tier=N2&channel=whatsapp"),
        (f"team={team.pk}&status=new", f"/api/v1/tickets?team={team.pk}&status=new"),
        (f"tag={tag.name}", f"/api/v1/tickets?tag={tag.name}") if tag else None,
        ("sla_breached=true", "/api/v1/tickets?sla_breached=true"),
        (f"team={other_team.pk} (not the agent's)", f"/api/v1/tickets?team={other_team.pk}")
        if other_team
        else None,
        (f"assignee={agent.pk} (the N1 agent)", f"/api/v1/tickets?assignee={agent.pk}"),
        (
            f"assignee={stranger.user_id} (of other teams)",
            f"/api/v1/tickets?assignee={stranger.user_id}",
        )
        if stranger
        else None,
        ("tier=N2&priority=urgent", "/api/v1/tickets?tier=N2&priority=urgent"),
        ("updated_since (2 days)", f"/api/v1/tickets?updated_since={since.replace('+', '%2B')}"),
        ("ordering=created_at", "/api/v1/tickets?ordering=created_at"),
        (
            "created range, one month",
            "/api/v1/tickets?created_after=2025-01-01T00:00:00Z&created_before=2025-02-01T00:00:00Z",
        ),
    ]
    results = {"tickets": total, "scenarios": []}
    for persona, user in (("manager", manager), ("N1 agent", agent)):
        client = APIClient()
        client.force_authenticate(user)
        deep = "/api/v1/tickets?status=solved"
        for _ in range(20):
            page = client.get(deep).json()
            deep = page.get("next") or deep
            if not page.get("next"):
                break
        items = [s for s in scenarios if s] + [
            ("status=solved, page 21 (cursor)", deep.replace("http://testserver", ""))
        ]
        if export_peer and persona == "manager":
            items += _api_peer_list.COMPARABLE
        for name, url in items:
            for _ in range(3):
                response = client.get(url)
            if response.status_code != 200:
                results["scenarios"].append(
                    {"persona": persona, "name": name, "error": response.status_code}
                )
                continue
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                client.get(url)
                samples.append((time.perf_counter() - started) * 1000)
            samples.sort()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            page = response.json()["results"]
            rows = len(page)
            results["scenarios"].append({
                "persona": persona, "name": name, "rows": rows, "queries": len(captured),
                "bytes": len(response.content), "fields": sorted(page[0]) if page else [],
                "p50_ms": round(samples[len(samples) // 2], 1),
                "p95_ms": round(samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))], 1),
            })  # fmt: skip
    if export_peer:
        import bench_manager

        bench_manager.export_for_peer(Path(export_peer))
    return results


def run_list(args, report) -> None:
    import bench_manager

    urls = [u for u in args.list_databases.split(",") if u]
    if args.peer_list and bench_manager.SMALL not in urls:
        urls.insert(0, bench_manager.SMALL)
    for url in urls:
        export = args.peer_list and url == bench_manager.SMALL
        command = [sys.executable, __file__, "--list-worker", url, "--requests", str(args.requests)]
        if export:
            command += ["--export-peer", str(bench_manager.WORK / "peer-export")]
        child = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=3600)
        line = next((x for x in child.stdout.splitlines() if x.startswith("LIST_JSON ")), None)
        if line is None:
            print(child.stdout[-2000:], child.stderr[-3000:])
            continue
        data = json.loads(line.removeprefix("LIST_JSON "))
        size = f"{data['tickets'] // 1000}k"
        print(
            f"\n  {url.rsplit('/', 1)[-1]}: {data['tickets']:,} tickets (p95 target {LIST_TARGET_MS} ms)"
        )
        worst = 0.0
        for row in data["scenarios"]:
            if "error" in row:
                print(f"    {row['persona']:9} {row['name']:40} HTTP {row['error']}")
                continue
            worst = max(worst, row["p95_ms"])
            mark = "ok" if row["p95_ms"] < LIST_TARGET_MS else "OVER"
            print(f"    {row['persona']:9} {row['name']:40} p50 {row['p50_ms']:7.1f}  p95 {row['p95_ms']:7.1f} ms  "
                  f"{row['rows']:3} rows, {row['queries']} queries  {mark}")  # fmt: skip
            key = (
                re.sub(r"\W+", "_", f"list_{size}_{row['persona']}_{row['name']}")
                .strip("_")
                .lower()
            )
            report.result(key, row["p95_ms"], unit="ms p95", label=f"{size} tickets, {row['persona']}: {row['name']}",
                          target=f"< {LIST_TARGET_MS} ms")  # fmt: skip
        report.result(f"list_{size}_worst_p95", worst, unit="ms", label=f"worst p95 over the list scenarios at {size}",
                      target=f"< {LIST_TARGET_MS} ms")  # fmt: skip
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        report.note(
            f"list at {size}: load average {load} after it on {os.cpu_count()} cores (a shared machine)"
        )
        print(f"    load average after it: {load}")
        if export:
            _api_peer_list.run(args, report, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per list scenario")
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--list-databases", default=LIST_DBS)
    parser.add_argument(
        "--peer-list",
        action="store_true",
        help="also django-helpdesk 2.6.1's /api/tickets/ on the same 100k tickets (20-70 s a request)",
    )
    parser.add_argument("--peer-requests", type=int, default=2, help="timed peer requests")
    parser.add_argument("--list-worker", help=argparse.SUPPRESS)
    parser.add_argument("--export-peer", default="", help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    if args.list_worker:
        print(
            "LIST_JSON "
            + json.dumps(list_worker(args.list_worker, args.requests, args.export_peer))
        )
        return
    from _report import Report

    report = Report("api")
    print(f"{os.cpu_count()} cores, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.skip_create:
        print("Ticket creation over HTTP (gunicorn, production settings):")
        run_create(args, report)
    if not args.skip_list:
        print("The filtered list, pages of 50 (in process):")
        run_list(args, report)
    report.write(args.json)


if __name__ == "__main__":
    main()
