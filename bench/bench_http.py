# ruff: noqa: E501
"""The web servers under load, over real HTTP on loopback, with `wrk` as the client.

The production settings (helpdesk.settings.production, through bench/http_settings.py, which adds
the bare view /bench/floor), requests as a TLS proxy forwards them (X-Forwarded-Proto: https), and
no Celery worker: accepted events wait in Redis, as during a burst. In one run:

1. baseline, today's shape before issue 9: uvicorn with 2 workers serving everything, connections
   kept 60 s (DATABASE_CONN_MAX_AGE=60), straight to PostgreSQL. Under ASGI each request runs in a
   new thread, so kept connections pile up until PostgreSQL refuses them (500/503);
2. docker-compose.yml's web server (gunicorn, WSGI) through a PgBouncer in transaction mode:
   the floor (/bench/floor, Django and nothing else), one durable INSERT of the body served as
   the webhooks are (/bench/floor-insert: the least any accept that keeps what it answers 200 to
   costs), the signed WhatsApp webhook accept and /healthz with 8 keep-alive clients, each three
   times in turn (the median kept); then the webhook with 64 clients for 60 s; then the same
   server straight to PostgreSQL (what the pooler's hop costs);
3. uvicorn (ASGI, 2 workers as the old web service, connections closed after each request, the
   default helpdesk/asgi.py now gives) through the same PgBouncer, on the same endpoints:
   the case for one server for everything, and why docker-compose.yml's uvicorn serves /ws/ only.
Finally one client's durable INSERT + COMMIT straight to PostgreSQL is timed: the accept waits
for one, which bounds what 8 clients can reach.
A sampler counts PostgreSQL's connections (pg_stat_activity) every 0.2 s during each load, and
each load's CPU per request is read from /proc per process group (bench/_samplers.py).

Needs PostgreSQL, Redis, `wrk` and `pgbouncer` (Debian packages) and gunicorn (a dependency):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jornada_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bench_http.py [--json bench/results/http.json]
The database is emptied of inbound events first: never point it at real data. The baseline runs as
a role of its own (jornada_bench_http, created and dropped here; the URL's user must be allowed to
create roles) capped at --baseline-connections, so its pile-up cannot take the connections other
users of a shared server need; --baseline-connections 0 lets it run into max_connections instead.
"""

import argparse
import hashlib
import hmac
import json
import os
import platform
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

import psycopg2  # noqa: E402
from _samplers import ConnectionSampler, cpu_per_request  # noqa: E402
from _whatsapp_payload import make_webhook  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.http_urls import ACCEPT_TABLE  # noqa: E402
from channels_app.models import InboundEvent  # noqa: E402

APP_SECRET = "bench-http-app-secret"  # noqa: S105  (a throwaway secret for this run only)
WEBHOOK = "/channels/whatsapp/webhook/"
ENDPOINTS = {
    "floor": "/bench/floor",
    "floor_insert": "/bench/floor-insert",
    "webhook": WEBHOOK,
    "healthz": "/healthz",
}
POSTED = ("webhook", "floor_insert")  # endpoints sent the signed deliveries as bodies
BASELINE_ROLE = "jornada_bench_http"
WRK_SCRIPT = ROOT / "bench" / "http_wrk.lua"


def compose_web_command() -> list[str]:
    """The web service's command in docker-compose.yml, its ${VAR:-default}s at their defaults,
    without --bind (each server of the bench binds a port of its own)."""
    import yaml  # PyYAML comes with drf-spectacular

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = [
        re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", part) for part in compose["services"]["web"]["command"]
    ]
    return [part for part in command if not part.startswith("--bind")]


# gunicorn exactly as docker-compose.yml's web service runs it; uvicorn as the old single web
# service ran it.
GUNICORN = ["-m", *compose_web_command(), "--log-level", "warning"]
UVICORN = ["-m", "uvicorn", "helpdesk.asgi:application", "--workers", "2", "--no-access-log",
           "--log-level", "warning", "--proxy-headers"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_line(sequence: int, run: str) -> str:
    """One signed delivery, as bench_whatsapp.py sends them: signature, tab, body (one line)."""
    body = make_webhook(sequence, run)
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return f"{signature}\t{body.decode()}\n"


class Bodies:
    """Files of deliveries never sent before in this run, one file per load."""

    def __init__(self, folder: Path):
        self.folder, self.run, self.sequence = folder, uuid.uuid4().hex[:8], 0

    def file_for(self, count: int) -> Path:
        path = self.folder / f"bodies-{self.sequence}.txt"
        with path.open("w") as out:
            for _ in range(count):
                out.write(webhook_line(self.sequence, self.run))
                self.sequence += 1
        return path


def with_user(database_url: str, *, user: str | None = None, port: int | None = None) -> str:
    parts = urlsplit(database_url)
    netloc = parts.netloc
    if user is not None:
        netloc = f"{user}@{parts.hostname}:{parts.port or 5432}"
    if port is not None:
        credentials = netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


@contextmanager
def pgbouncer(database_url: str, *, pool_size: int, folder: Path):
    """A PgBouncer of our own on a free loopback port, in transaction mode, as the `pooler`
    service of docker-compose.yml is configured. Yields the DATABASE_URL that goes through it."""
    target = urlsplit(database_url)
    user, password = target.username or "postgres", target.password or ""
    port = free_port()
    home = folder / "pgbouncer"
    home.mkdir()
    (home / "userlist.txt").write_text(f'"{user}" "{password}"\n')
    (home / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={target.hostname or "127.0.0.1"} port={target.port or 5432}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {home / "userlist.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 2000
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = {home / "pgbouncer.log"}
"""
    )
    command = [shutil.which("pgbouncer") or "/usr/sbin/pgbouncer", str(home / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        account = "postgres" if _user_exists("postgres") else "nobody"
        folder.chmod(0o711)
        for path in (home, *home.iterdir()):
            shutil.chown(path, user=account)
        command[1:1] = ["-u", account]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        pooled = with_user(database_url, port=port)
        _wait_for(lambda: psycopg2.connect(pooled).close(), what="pgbouncer", process=process)
        yield pooled
    finally:
        stop_process(process)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_for(probe, *, what: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            sys.exit(f"{what} exited with status {process.returncode}")
        try:
            probe()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def web_server(argv: list[str], *, database_url: str, extra_env: dict[str, str], logs: Path):
    """A server of the bench's own on a free loopback port; its log goes to a file (a failing
    baseline logs every refused connection)."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.http_settings",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore:No directory at",  # whitenoise: no collectstatic here
        **extra_env,
    }
    env.pop("DEBUG", None)
    bind = (
        ["--bind", f"127.0.0.1:{port}"]
        if "gunicorn" in argv
        else ["--host", "127.0.0.1", "--port", str(port)]
    )
    log = logs / f"{argv[1]}-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, *argv, *bind], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )

    def healthy():
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
            response.read()

    try:
        try:
            _wait_for(healthy, what=argv[1], process=process)
        except BaseException:
            print(log.read_text()[-3000:], file=sys.stderr)
            raise
        yield port
    finally:
        stop_process(process)


def wrk(port: int, path: str, *, clients: int, seconds: float, bodies: Path | None = None) -> dict:
    threads = min(2, clients)
    env = {
        **os.environ,
        "BENCH_PATH": path,
        "BENCH_BODIES": str(bodies or ""),
        "BENCH_THREADS": str(threads),
    }
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{round(seconds)}s", "--timeout", "10s",
         "-H", "X-Forwarded-Proto: https", "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}{path}"],
        env=env, capture_output=True, text=True, timeout=seconds + 120, check=True,
    )  # fmt: skip
    line = next(x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    requests = raw["requests"]
    return {
        "clients": clients,
        "seconds": round(raw["duration_us"] / 1e6, 2),
        "requests": requests,
        "req_s": round(requests / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "status_5xx": raw["status_5xx"],
        "rate_5xx": round(raw["status_5xx"] / requests, 4) if requests else 0.0,
        "status_2xx": raw["status_2xx"],
        "status_4xx": raw["status_4xx"],
        "status_3xx": raw["status_3xx"],
        "socket_errors": raw["socket_errors"],
        "bodies_reused": raw["bodies_reused"],
    }


def load(port, name, *, clients, seconds, bodies: Bodies, sampler, role="", rate_guess=1500):
    """One measured load on one endpoint, with PostgreSQL's connections sampled meanwhile."""
    file = bodies.file_for(int(rate_guess * seconds) + 1000) if name in POSTED else None
    with sampler.sampling(role=role) as peak, cpu_per_request() as cpu:
        result = wrk(port, ENDPOINTS[name], clients=clients, seconds=seconds, bodies=file)
        cpu["requests"] = result["requests"]
    result["cpu_us_per_request"] = cpu
    if file:
        file.unlink()
    result["max_pg_connections"] = peak["database"]
    result["max_pg_connections_server"] = peak["server"]
    return result


def median_run(runs: list[dict]) -> dict:
    """The run of median rate, with every run's rate beside it."""
    middle = sorted(runs, key=lambda run: run["req_s"])[len(runs) // 2]
    return {**middle, "rounds_req_s": [run["req_s"] for run in runs]}


def warm_up(port: int, bodies: Bodies, names=ENDPOINTS) -> None:
    for name in names:
        file = bodies.file_for(3000) if name in POSTED else None
        wrk(port, ENDPOINTS[name], clients=4, seconds=2, bodies=file)


@contextmanager
def capped_role(limit: int):
    """A login role that may hold `limit` connections at most, with the rights the web needs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [BASELINE_ROLE])
        if not cursor.fetchone():
            cursor.execute(f"CREATE ROLE {BASELINE_ROLE} LOGIN")
        cursor.execute(f"ALTER ROLE {BASELINE_ROLE} CONNECTION LIMIT {int(limit)}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {BASELINE_ROLE}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {BASELINE_ROLE}")
    try:
        yield BASELINE_ROLE
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {BASELINE_ROLE}")
            # Still granted something in another database: left for its owner.
            with suppress(django.db.Error):
                cursor.execute(f"DROP ROLE {BASELINE_ROLE}")


def max_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        return int(cursor.fetchone()[0])


def commit_latency_ms(database_url: str, count: int = 200) -> float:
    """One client's INSERT + COMMIT on this server, straight to PostgreSQL: the webhook's accept
    waits for one such durable commit, so 8 clients cannot beat 8 / this latency."""
    conn = psycopg2.connect(database_url)
    table = f"bench_commit_{uuid.uuid4().hex[:8]}"
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {table} (n integer)")  # logged, as InboundEvent is
            conn.commit()
            started = time.perf_counter()
            for n in range(count):
                cursor.execute(f"INSERT INTO {table} VALUES (%s)", [n])  # noqa: S608
                conn.commit()
            elapsed = time.perf_counter() - started
            cursor.execute(f"DROP TABLE {table}")
            conn.commit()
            return elapsed / count * 1000
    finally:
        conn.close()


def drop_accept_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {ACCEPT_TABLE}")


def discard_queued_tasks() -> None:
    """No worker runs here: drop the drain tasks the accepted webhooks queued."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("inbound")
    client.close()


def row(label: str, r: dict) -> str:
    setup, _, endpoint = label.partition(".")
    label = f"{setup:<29} {endpoint:<13} {r['clients']:>3} {r['seconds']:>4.0f}"
    return (f"{label} {r['req_s']:>8.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
            f"{r['status_5xx']:>6} {r['rate_5xx'] * 100:>6.2f}% {r['requests'] - r['status_2xx'] - r['status_5xx']:>6} "
            f"{r['max_pg_connections']:>6}")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--long-clients", type=int, default=64)
    parser.add_argument("--long-seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=8)
    parser.add_argument("--baseline-connections", type=int, default=50,
                        help="cap of the baseline's role; 0: the URL's user, up to max_connections")  # fmt: skip
    parser.add_argument("--pool-size", type=int, default=20, help="PgBouncer's default_pool_size")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each short load on the production server (median kept)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL (Redis) first.")
    for tool in ("wrk", "pgbouncer"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            sys.exit(f"`{tool}` is missing: apt-get install {tool}")
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        sys.exit("gunicorn is missing: make install")

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(f'TRUNCATE "{InboundEvent._meta.db_table}" CASCADE')
        cursor.execute(f"DROP TABLE IF EXISTS {ACCEPT_TABLE}")
        cursor.execute(
            f"CREATE TABLE {ACCEPT_TABLE} (id bigserial PRIMARY KEY, body bytea NOT NULL)"
        )
    database_url = os.environ["DATABASE_URL"]
    sampler = ConnectionSampler(database_url)
    results, baselines, notes = {}, {}, []
    short = {"clients": args.clients, "seconds": args.seconds, "sampler": sampler}
    print(f"PostgreSQL max_connections {max_connections()}; {platform.node()}, {os.cpu_count()} CPUs; "
          f"wrk {args.clients} keep-alive clients x {args.seconds:.0f} s per line")  # fmt: skip

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-http-")))
        bodies = Bodies(folder)
        stack.callback(discard_queued_tasks)
        stack.callback(drop_accept_table)

        # 1. Baseline: one ASGI server for everything, kept connections, no pooler.
        if args.baseline_connections:
            role = stack.enter_context(capped_role(args.baseline_connections))
            baseline_url = with_user(database_url, user=role)
        else:
            role, baseline_url = "", database_url
        with web_server(UVICORN, database_url=baseline_url,
                        extra_env={"DATABASE_CONN_MAX_AGE": "60"}, logs=folder) as port:  # fmt: skip
            for name in ("webhook", "healthz"):
                baselines[f"uvicorn_direct_kept.{name}"] = load(
                    port, name, clients=args.clients, seconds=args.baseline_seconds,
                    bodies=bodies, sampler=sampler, role=role,
                )  # fmt: skip
        if role:
            notes.append(
                f"baseline connects as a role capped at {args.baseline_connections} connections "
                f"(PostgreSQL's max_connections is {max_connections()}, shared with other users "
                "of this server): its pile-up is refused at the cap instead of at max_connections"
            )

        pooled_url = stack.enter_context(
            pgbouncer(database_url, pool_size=args.pool_size, folder=folder)
        )
        pooled_env = {"DATABASE_POOLER": "pgbouncer"}

        # 2. The WSGI server of docker-compose.yml, through PgBouncer.
        with web_server(
            GUNICORN, database_url=pooled_url, extra_env=pooled_env, logs=folder
        ) as port:
            warm_up(port, bodies)
            rounds = {name: [] for name in ENDPOINTS}
            for _ in range(args.rounds):  # in turn, so that a slow spell hits every endpoint
                for name in ENDPOINTS:
                    rounds[name].append(load(port, name, bodies=bodies, **short))
            for name, runs in rounds.items():
                results[f"gunicorn_pgbouncer.{name}"] = median_run(runs)
            results["gunicorn_pgbouncer.webhook_long"] = load(
                port, "webhook", clients=args.long_clients, seconds=args.long_seconds,
                bodies=bodies, sampler=sampler,
            )  # fmt: skip

        # 2b. The same WSGI server straight to PostgreSQL (each thread keeps its connection, so
        # they are bounded too): what the pooler's extra hop costs.
        with web_server(
            GUNICORN, database_url=database_url, extra_env={"DATABASE_CONN_MAX_AGE": "60"},
            logs=folder,
        ) as port:  # fmt: skip
            warm_up(port, bodies, names=("floor", "webhook"))
            for name in ("floor", "webhook"):
                results[f"gunicorn_direct_kept.{name}"] = load(port, name, bodies=bodies, **short)

        # 3. The ASGI server of docker-compose.yml (websockets), through the same PgBouncer.
        with web_server(
            UVICORN, database_url=pooled_url, extra_env=pooled_env, logs=folder
        ) as port:
            warm_up(port, bodies)
            for name in ENDPOINTS:
                results[f"uvicorn_pgbouncer.{name}"] = load(port, name, bodies=bodies, **short)

    commit_ms = commit_latency_ms(database_url)
    floor = results["gunicorn_pgbouncer.floor"]["req_s"]
    webhook = results["gunicorn_pgbouncer.webhook"]
    long = results["gunicorn_pgbouncer.webhook_long"]
    results["targets"] = {
        "webhook_over_floor": round(webhook["req_s"] / floor, 3),
        "floor_insert_over_floor": round(
            results["gunicorn_pgbouncer.floor_insert"]["req_s"] / floor, 3
        ),
        "webhook_over_floor_insert": round(
            webhook["req_s"] / results["gunicorn_pgbouncer.floor_insert"]["req_s"], 3
        ),
        "webhook_over_floor_at_least_0.5": webhook["req_s"] >= floor / 2,
        # The machine's CPU time per request (all cores, idle included): at half the floor's
        # rate each webhook may cost this much, against what it costs.
        "cpu_us_per_request_at_half_the_floor": round(os.cpu_count() * 1e6 / (floor / 2)),
        "cpu_us_per_request_webhook": round(os.cpu_count() * 1e6 / webhook["req_s"]),
        "cpu_us_per_request_floor_insert": round(
            os.cpu_count() * 1e6 / results["gunicorn_pgbouncer.floor_insert"]["req_s"]
        ),
        "webhook_p99_under_50_ms": webhook["p99_ms"] < 50,
        "long_run_zero_5xx": long["status_5xx"] == 0 and not any(long["socket_errors"].values()),
        "long_run_max_pg_connections": long["max_pg_connections"],
        "pool_size": args.pool_size,
        "postgres_commit_ms": round(commit_ms, 2),
        "webhook_ceiling_req_s": round(args.clients / commit_ms * 1000),
    }
    notes.append(
        f"PgBouncer in transaction mode, default_pool_size {args.pool_size}; gunicorn "
        f"{' '.join(GUNICORN[3:])}; uvicorn {' '.join(UVICORN[3:])}; no Celery worker running"
    )
    notes.append(
        f"one client's INSERT + COMMIT straight to PostgreSQL takes {commit_ms:.2f} ms here "
        f"(synchronous_commit on: the accept is durable before Meta gets its 200), so "
        f"{args.clients} clients cannot accept more than {args.clients / commit_ms * 1000:.0f} "
        "webhooks/s whatever the server (webhook_ceiling_req_s)"
    )
    notes.append(
        f"the short loads on gunicorn through PgBouncer are run {args.rounds} times in turn and "
        "the run of median rate kept (rounds_req_s: every run's): each gunicorn process keeps the "
        "keep-alive connections it accepted, so how wrk's connections fall among its processes "
        "moves one 10 s figure by up to 1.5x on the same code"
    )
    notes.append(
        "floor_insert: one INSERT of the request's body into a table of two columns in "
        "autocommit (a durable commit per request, as the webhook's), served by the webhooks' "
        "handler (helpdesk/machine.py), nothing else: floor_insert_over_floor "
        "is what any accept that keeps each delivery before answering reaches against the floor "
        "on this server, webhook_over_floor_insert how close the webhook comes to it"
    )
    notes.append(
        "cpu_us_per_request: CPU microseconds per request spent by the web server's processes "
        "(web), PostgreSQL's, PgBouncer's, Redis's and wrk's, read from /proc before and after "
        "each load, and the machine's idle time per request; what is left of the cores' time "
        "(the kernel's own threads, other processes) is not listed"
    )
    notes.append("max_pg_connections: connections to the bench database (baseline: of its role) "
                 "seen by a sampler every 0.2 s; max_pg_connections_server: all of the server's")  # fmt: skip

    header = f"{'setup':<29} {'endpoint':<13} {'c':>3} {'s':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'5xx':>6} {'5xx %':>7} {'other':>6} {'max PG':>6}"
    print(header)
    print("-" * len(header))
    for key, value in {**baselines, **results}.items():
        if key != "targets":
            print(row(("baseline: " if key in baselines else "") + key, value))
    print(json.dumps(results["targets"]))
    for note in notes:
        print("note:", note)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(
            {"benchmark": "http", "results": results, "baselines": baselines, "notes": notes}, indent=2
        ) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
