# ruff: noqa: E501
"""WhatsApp webhook benchmark: accept rate and latency of signed POSTs to
/channels/whatsapp/webhook/ (through Django's whole request stack: middleware, signature check,
JSON, one InboundEvent per message, commit, drain scheduled), then the end-to-end processing rate
with one real Celery worker (parse, customer by wa_id, threading, ticket, audit).

Needs PostgreSQL and Redis:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jornada_bench REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/bench_whatsapp.py [--count 10000]
The database is emptied of tickets and inbound events first: never point it at real data.
"""

import argparse
import hashlib
import hmac
import json
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
SECRET = "bench-app-secret"  # noqa: S105  (a throwaway secret for this run only)
os.environ["WHATSAPP_APP_SECRET"] = SECRET

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402
from django.test import Client  # noqa: E402

from channels_app.models import InboundEvent  # noqa: E402
from tickets.models import Customer, CustomerIdentity, Message, Ticket, TicketEvent  # noqa: E402

TOPICS = ["Boleto vencido", "Pix não caiu", "Internet caiu", "Segunda via", "Cancelar plano"]


def make_webhook(i: int, run: str) -> bytes:
    customer = i % 2000  # 2,000 customers writing 5 messages each: new tickets, then threads
    wa_id = f"55119{customer:08d}"
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5511955550000", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": f"Cliente {customer}"}, "wa_id": wa_id}],
            "messages": [{
                "from": wa_id, "id": f"wamid.{run}.{i}", "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": f"{TOPICS[customer % len(TOPICS)]}: mensagem {i}, ação urgente."},
            }],
        }}]}],
    }  # fmt: skip
    return json.dumps(payload).encode()


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def reset():
    with connection.cursor() as cursor:
        for model in (InboundEvent, TicketEvent, Message, CustomerIdentity, Ticket, Customer):
            cursor.execute(f'TRUNCATE "{model._meta.db_table}" CASCADE')


def bench_accept(bodies):
    client = Client(HTTP_HOST="127.0.0.1")
    latencies, refused = [], 0
    start = time.perf_counter()
    for body in bodies:
        t = time.perf_counter()
        response = client.post(
            "/channels/whatsapp/webhook/",
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=sign(body),
        )
        latencies.append(time.perf_counter() - t)
        refused += response.status_code != 200
    return time.perf_counter() - start, latencies, refused


def start_worker(concurrency: int):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings.local", "DEBUG": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--queues", "inbound",
         "--concurrency", str(concurrency), "--pool", "prefork", "--loglevel", "WARNING",
         "--hostname", f"bench-wa-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=env,
    )  # fmt: skip


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2, help="processes of the one worker")
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL (Redis) first.")
    call_command("migrate", verbosity=0)
    reset()
    run = uuid.uuid4().hex[:8]
    bodies = [make_webhook(i, run) for i in range(args.count)]
    print(
        f"{args.count} signed webhooks, {sum(map(len, bodies)) / len(bodies):.0f} bytes on average"
    )

    # Accept with no worker running: the drain task waits in Redis, as during a burst.
    from helpdesk.celery import app

    app.control.purge()
    seconds, latencies, refused = bench_accept(bodies)
    print(f"accept (HTTP POST: signature + JSON + InboundEvent + commit): {args.count / seconds:8.0f} webhooks/s   "
          f"p50 {percentile(latencies, 50) * 1000:.2f} ms  p99 {percentile(latencies, 99) * 1000:.2f} ms  "
          f"mean {statistics.mean(latencies) * 1000:.2f} ms  refused {refused}")  # fmt: skip
    replayed, replay_latencies, _ = bench_accept(bodies[: args.count // 10])
    print(f"replayed deliveries (Meta's retries, nothing new stored): {len(replay_latencies) / replayed:8.0f} webhooks/s   "
          f"p99 {percentile(replay_latencies, 99) * 1000:.2f} ms   events {InboundEvent.objects.count()}")  # fmt: skip

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
    window = InboundEvent.objects.aggregate(first=Min("processed_at"), last=Max("processed_at"))
    seconds = (window["last"] - window["first"]).total_seconds()
    statuses = dict(InboundEvent.objects.values_list("status").annotate(n=Count("id")))
    print(f"process with one worker x{args.concurrency} processes (parse + customer + thread + ticket + audit): "
          f"{args.count / seconds:8.0f} msg/s ({seconds:.1f} s)  statuses {statuses}")  # fmt: skip
    print(f"tickets {Ticket.objects.count()}, messages {Message.objects.count()}, "
          f"customers {Customer.objects.count()}")  # fmt: skip


if __name__ == "__main__":
    main()
