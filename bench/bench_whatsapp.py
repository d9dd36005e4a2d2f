# ruff: noqa: E501
"""WhatsApp webhook benchmark, beside the email one (bench_email_pipeline.py):

1. accept at the service level (split the webhook, one InboundEvent per message, commit, drain
   scheduled): the same measure as the email benchmark's "accept";
2. accept over real HTTP: signed POSTs to /channels/whatsapp/webhook/ on a uvicorn server (the
   whole request: middleware, signature check, JSON, store), one keep-alive client in sequence
   (latency) and four in parallel (rate); then Meta's retries of the same deliveries;
3. end-to-end processing rate with one real Celery worker (parse, customer by wa_id, threading,
   ticket, audit).

Needs PostgreSQL and Redis:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jornada_bench REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/bench_whatsapp.py [--count 10000] [--json PATH]
The database is emptied of tickets and inbound events first: never point it at real data.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ["DEBUG"] = "0"
SECRET = "bench-app-secret"  # noqa: S105  (a throwaway secret for this run only)
os.environ["WHATSAPP_APP_SECRET"] = SECRET

import django  # noqa: E402

django.setup()

from _report import Report, add_json_argument  # noqa: E402
from _whatsapp_payload import make_webhook  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402

from channels_app import services  # noqa: E402
from channels_app.adapters.whatsapp.parse import split_webhook  # noqa: E402
from channels_app.models import InboundEvent  # noqa: E402
from sla.defaults import sla_policies_seed_defaults  # noqa: E402
from sla.models import TicketSLA  # noqa: E402
from tickets.models import Customer, CustomerIdentity, Message, Ticket, TicketEvent  # noqa: E402


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def reset():
    with connection.cursor() as cursor:
        for model in (InboundEvent, TicketEvent, Message, CustomerIdentity, Ticket, Customer):
            cursor.execute(f'TRUNCATE "{model._meta.db_table}" CASCADE')


def bench_store(bodies):
    """Accept as the email benchmark measures it: no HTTP, the storing service only."""
    latencies = []
    start = time.perf_counter()
    for body in bodies:
        t = time.perf_counter()
        for provider_id, raw in split_webhook(json.loads(body), body):
            services.inbound_event_store(
                channel="whatsapp", source="bench", provider_id=provider_id, raw=raw
            )
        latencies.append(time.perf_counter() - t)
    return time.perf_counter() - start, latencies


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings.local", "DEBUG": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("uvicorn did not start")


def post_all(port: int, bodies) -> tuple[list[float], int]:
    """POST each body on one keep-alive connection; latencies and how many were refused."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, refused = [], 0
    for body in bodies:
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}
        t = time.perf_counter()
        connection.request("POST", "/channels/whatsapp/webhook/", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - t)
        refused += response.status != 200
    connection.close()
    return latencies, refused


def bench_http(port: int, bodies, clients: int):
    chunks = [bodies[i::clients] for i in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda chunk: post_all(port, chunk), chunks))
    seconds = time.perf_counter() - start
    latencies = [value for result in results for value in result[0]]
    return seconds, latencies, sum(result[1] for result in results)


def database_sessions() -> int:
    """Connections PostgreSQL has accepted so far (PostgreSQL 14+): under ASGI, Django opens one
    per request unless a pool keeps them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


REPORT = Report("whatsapp")


def report(label: str, count: int, seconds: float, latencies: list[float], extra: str = ""):
    key = label.split(" (")[0].replace(",", "").replace("'", "").replace(" ", "_").lower()
    REPORT.result(key, count / seconds, unit="webhooks/s", label=label)
    REPORT.result(f"{key}_p99", percentile(latencies, 99) * 1000, unit="ms", label=f"{label}: p99")
    print(f"{label}: {count / seconds:8.0f} webhooks/s   p50 {percentile(latencies, 50) * 1000:.2f} ms  "
          f"p99 {percentile(latencies, 99) * 1000:.2f} ms  mean {statistics.mean(latencies) * 1000:.2f} ms{extra}")  # fmt: skip


def start_worker(concurrency: int):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings.local", "DEBUG": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--queues", "default,inbound,outbound,sla",
         "--concurrency", str(concurrency), "--pool", "prefork", "--loglevel", "WARNING",
         "--hostname", f"bench-wa-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=env,
    )  # fmt: skip


def sla_sync_delays() -> list[float]:
    """For each ticket, seconds from its last message's processing to its clocks' last sync."""
    processed = dict(
        InboundEvent.objects.filter(message__isnull=False)
        .values_list("message__ticket_id")
        .annotate(last=Max("processed_at"))
    )
    synced = dict(TicketSLA.objects.values_list("ticket_id").annotate(last=Max("synced_at")))
    return sorted(
        max(0.0, (synced[pk] - at).total_seconds()) for pk, at in processed.items() if pk in synced
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2, help="processes of the one worker")
    add_json_argument(parser)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL (Redis) first.")
    call_command("migrate", verbosity=0)
    sla_policies_seed_defaults()  # so that every new ticket has clocks to sync
    reset()
    run = uuid.uuid4().hex[:8]
    bodies = [make_webhook(i, run) for i in range(args.count)]
    print(
        f"{args.count} signed webhooks, {sum(map(len, bodies)) / len(bodies):.0f} bytes on average"
    )

    # Accept with no worker running: the drain task waits in Redis, as during a burst.
    from helpdesk.celery import app

    app.control.purge()
    third = args.count // 3
    seconds, latencies = bench_store(bodies[:third])
    report("accept, service level (split + InboundEvent + commit)", third, seconds, latencies)
    port = free_port()
    server = start_server(port)
    try:
        sessions = database_sessions()
        seconds, latencies, refused = bench_http(port, bodies[third : 2 * third], clients=1)
        opened = (database_sessions() - sessions) / third
        report("accept over HTTP, 1 client (uvicorn, signature + JSON + store)", third, seconds,
               latencies, f"  refused {refused}  new DB connections per request {opened:.2f}")  # fmt: skip
        rest = bodies[2 * third :]
        seconds, latencies, refused = bench_http(port, rest, clients=4)
        report("accept over HTTP, 4 clients in parallel", len(rest), seconds, latencies,
               f"  refused {refused}")  # fmt: skip
        replays = bodies[: args.count // 10]
        seconds, latencies, refused = bench_http(port, replays, clients=4)
        report("Meta's retries of stored deliveries (nothing new stored)", len(replays), seconds,
               latencies, f"  events {InboundEvent.objects.count()}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)

    worker = start_worker(args.concurrency)
    try:
        started = time.perf_counter()
        while InboundEvent.objects.filter(status="received").exists():
            time.sleep(0.5)
            if time.perf_counter() - started > 1800:
                sys.exit("timeout: events still waiting")
        while Ticket.objects.filter(sla_clocks=None).exists():  # the queued clock syncs
            time.sleep(0.2)
            if time.perf_counter() - started > 1900:
                sys.exit("timeout: clocks still not synced")
        time.sleep(1)  # the syncs of the last replies
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    window = InboundEvent.objects.aggregate(first=Min("processed_at"), last=Max("processed_at"))
    seconds = (window["last"] - window["first"]).total_seconds()
    statuses = dict(InboundEvent.objects.values_list("status").annotate(n=Count("id")))
    print(f"process with one worker x{args.concurrency} processes (parse + customer + thread + ticket + audit): "
          f"{args.count / seconds:8.0f} msg/s ({seconds:.1f} s)  statuses {statuses}")  # fmt: skip
    print(f"tickets {Ticket.objects.count()}, messages {Message.objects.count()}, "
          f"customers {Customer.objects.count()}")  # fmt: skip
    delays = sla_sync_delays()
    print(f"SLA clocks synced after the ticket's last message was processed: p50 "
          f"{percentile(delays, 50):.2f} s  p99 {percentile(delays, 99):.2f} s  max {max(delays):.2f} s")  # fmt: skip
    REPORT.result("sla_sync_delay_p99", percentile(delays, 99), unit="s", target="< 2",
                  label="SLA clocks synced after the last message processed, p99")  # fmt: skip

    from _whatsapp_floor import run_floor

    floor = run_floor(procs=args.concurrency)
    floor_rate = floor["messages"] / floor["seconds"]
    print(f"floor: parse + fewest writes, {args.concurrency} processes: {floor_rate:8.0f} msg/s "
          f"({floor['seconds']:.1f} s)")  # fmt: skip
    REPORT.baseline("floor", floor_rate, unit="msg/s",
                    label=f"floor: the adapter's parse + fewest writes, {args.concurrency} processes")  # fmt: skip
    REPORT.result("process", args.count / seconds, unit="msg/s", target=">= 300", baseline="floor",
                  label=f"process with one worker x{args.concurrency} processes")  # fmt: skip
    REPORT.note(f"{args.count} generated webhooks; statuses {statuses}")
    REPORT.write(args.json)


if __name__ == "__main__":
    main()
