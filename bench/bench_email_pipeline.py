# ruff: noqa: E501
"""Email pipeline benchmark: accept rate and latency of storing inbound emails, end-to-end
processing rate with one real Celery worker, beside a raw PostgreSQL INSERT baseline.

Needs PostgreSQL and Redis:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jornada_bench REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/bench_email_pipeline.py [--count 10000] [--json PATH]
The database is emptied of tickets and inbound events first: never point it at real data.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from _report import Report, add_json_argument  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402

from channels_app import services  # noqa: E402
from channels_app.adapters.email.adapter import email_provider_id  # noqa: E402
from channels_app.models import InboundEvent  # noqa: E402
from tickets.models import Customer, Message, Ticket, TicketEvent  # noqa: E402

TOPICS = [
    "Boleto vencido",
    "Nota fiscal com erro",
    "Não consigo acessar",
    "Pix não caiu",
    "VPN caiu",
]


def make_email(i: int, run: str) -> bytes:
    customer = i % 2000  # 2,000 customers writing 5 emails each: new tickets and threads
    thread = f"<thread-{run}-{customer}@cliente.example>"
    reply = i >= 2000
    headers = [
        f"From: Cliente {customer} <cliente{customer}@cliente.example>",
        "To: suporte@jornada.example",
        f"Subject: {'Re: ' if reply else ''}{TOPICS[customer % len(TOPICS)]} (pedido {customer})",
        f"Message-ID: <m-{run}-{i}@cliente.example>" if reply else f"Message-ID: {thread}",
        "Date: Mon, 23 Nov 2026 10:00:00 -0300",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if reply:
        headers.append(f"In-Reply-To: {thread}")
    body = (
        f"Olá, equipe!\n\nMensagem {i}: a emissão não funciona desde ontem, ação urgente.\n\n"
        "Obrigado,\nCliente\n"
    )
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def reset():
    with connection.cursor() as cursor:
        for model in (InboundEvent, TicketEvent, Message, Ticket, Customer):
            cursor.execute(f'TRUNCATE "{model._meta.db_table}" CASCADE')
        cursor.execute("DROP TABLE IF EXISTS bench_raw_insert")
        cursor.execute("CREATE TABLE bench_raw_insert (id bigserial primary key, provider_id text "
                       "unique, raw bytea, received_at timestamptz default now())")  # fmt: skip


def bench_raw_insert(emails):
    latencies = []
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for i, raw in enumerate(emails):
            t = time.perf_counter()
            cursor.execute(
                "INSERT INTO bench_raw_insert (provider_id, raw) VALUES (%s, %s)", [f"raw-{i}", raw]
            )
            latencies.append(time.perf_counter() - t)
    return time.perf_counter() - start, latencies


def bench_accept(emails):
    latencies = []
    start = time.perf_counter()
    for raw in emails:
        t = time.perf_counter()
        services.inbound_event_store(
            channel="email", source="bench", provider_id=email_provider_id(raw), raw=raw
        )
        latencies.append(time.perf_counter() - t)
    return time.perf_counter() - start, latencies


def start_worker(concurrency: int):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings.local", "DEBUG": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--queues", "inbound",
         "--concurrency", str(concurrency), "--pool", "prefork", "--loglevel", "WARNING",
         "--hostname", f"bench-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=env,
    )  # fmt: skip


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2, help="processes of the one worker")
    add_json_argument(parser)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL (Redis) first.")
    call_command("migrate", verbosity=0)
    reset()
    report = Report("email_pipeline")
    run = uuid.uuid4().hex[:8]
    emails = [make_email(i, run) for i in range(args.count)]
    print(f"{args.count} emails, {sum(map(len, emails)) / len(emails):.0f} bytes on average")

    raw_seconds, raw_lat = bench_raw_insert(emails)
    print(f"raw INSERT (autocommit, one row each): {args.count / raw_seconds:8.0f} rows/s   "
          f"p50 {percentile(raw_lat, 50) * 1000:.2f} ms  p99 {percentile(raw_lat, 99) * 1000:.2f} ms")  # fmt: skip
    report.baseline("raw_insert", args.count / raw_seconds, unit="rows/s", label="raw INSERT (autocommit, one row each)")  # fmt: skip

    # Accept with no worker running: the tasks wait in Redis, as during a burst.
    from helpdesk.celery import app

    app.control.purge()
    accept_seconds, accept_lat = bench_accept(emails)
    print(f"accept (store InboundEvent + queue task): {args.count / accept_seconds:8.0f} events/s   "
          f"p50 {percentile(accept_lat, 50) * 1000:.2f} ms  p99 {percentile(accept_lat, 99) * 1000:.2f} ms  "
          f"mean {statistics.mean(accept_lat) * 1000:.2f} ms")  # fmt: skip
    report.result("accept", args.count / accept_seconds, unit="events/s", baseline="raw_insert", label="accept (store InboundEvent + queue task)")  # fmt: skip
    report.result(
        "accept_p99", percentile(accept_lat, 99) * 1000, unit="ms", label="accept latency p99"
    )

    worker = start_worker(args.concurrency)
    try:
        started = time.perf_counter()
        while InboundEvent.objects.filter(status="received").exists():
            time.sleep(0.5)
            if time.perf_counter() - started > 1800:
                sys.exit("timeout: events still waiting")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    # From the first event processed to the last: worker start-up is not part of it.
    window = InboundEvent.objects.aggregate(first=Min("processed_at"), last=Max("processed_at"))
    seconds = (window["last"] - window["first"]).total_seconds()
    statuses = dict(InboundEvent.objects.values_list("status").annotate(n=Count("id")))
    print(f"process with one worker x{args.concurrency} processes (parse + thread + ticket + audit): "
          f"{args.count / seconds:8.0f} msg/s ({seconds:.1f} s)  statuses {statuses}")  # fmt: skip
    print(f"tickets {Ticket.objects.count()}, messages {Message.objects.count()}")
    report.result("process", args.count / seconds, unit="msg/s", label=f"process with one worker x{args.concurrency} processes")  # fmt: skip
    report.note(f"{args.count} generated emails; statuses {statuses}")
    report.write(args.json)


if __name__ == "__main__":
    main()
