# ruff: noqa: E501
"""Jornada's side of bench_peer_email.py, one command per process (DATABASE_URL and REDIS_URL set
by the caller). Prints one JSON object.

    setup                      the support mailbox, acknowledgements on
    inline DIR                 `ingest_email DIR` processing inline, timed around the command
    store DIR                  `ingest_email --queue DIR`, then waits until the worker has processed
                               every event it stored (in this one process: a second one, started
                               while the worker works, would take CPU from it)
    map OUT                    {Message-ID of each original: ticket number}
    check MANIFEST             threading of the replies
    count NEW_DIR REPLY_DIR    SQL statements and transactions per email, queued tasks apart
    floor A_DIR B_DIR PROCS MEDIA   parse + fewest INSERTs (bench/_email_floor.py)
    parse DIR...               parse_email alone
"""

import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402
from django.utils import timezone  # noqa: E402

from channels_app.models import InboundEvent, Mailbox  # noqa: E402
from tickets.models import Attachment, Message, Ticket  # noqa: E402

ADDRESS = "suporte@example.com"
SKIPPED = ("SAVEPOINT", "RELEASE", "ROLLBACK TO", "BEGIN", "COMMIT", "ROLLBACK")


def files(directory: str) -> list[str]:
    return sorted(str(p) for p in Path(directory).iterdir() if p.suffix == ".eml")


def setup() -> dict:
    mailbox = Mailbox.objects.create(name="Suporte", address=ADDRESS, auto_ack_enabled=True)
    return {"mailbox": mailbox.pk}


def inline(directory: str) -> dict:
    count = len(files(directory))
    started = time.perf_counter()
    call_command("ingest_email", directory, mailbox=ADDRESS, verbosity=0)
    seconds = time.perf_counter() - started
    return {"messages": count, "seconds": seconds, "statuses": statuses(0)}


def store(directory: str) -> dict:
    first = (InboundEvent.objects.aggregate(last=Max("id"))["last"] or 0) + 1
    started = time.perf_counter()
    call_command("ingest_email", directory, mailbox=ADDRESS, queue=True, verbosity=0)
    return {"first_id": first, "store_seconds": time.perf_counter() - started, **wait(first)}


def statuses(first_id: int) -> dict:
    events = InboundEvent.objects.filter(id__gte=first_id)
    return dict(events.values_list("status").annotate(n=Count("id")))


def wait(first_id: int, timeout: float = 1800) -> dict:
    waiting = InboundEvent.objects.filter(id__gte=first_id, status=InboundEvent.Status.RECEIVED)
    deadline = time.monotonic() + timeout
    while waiting.exists():
        if time.monotonic() > deadline:
            return {"error": "timeout", "statuses": statuses(first_id)}
        time.sleep(0.2)
    window = InboundEvent.objects.filter(id__gte=first_id).aggregate(
        first=Min("received_at"), last=Max("processed_at"), n=Count("id")
    )
    seconds = (window["last"] - window["first"]).total_seconds()
    return {"messages": window["n"], "seconds": seconds, "statuses": statuses(first_id)}


def outbound() -> dict:
    """Delivery states of the acknowledgements this run's emails caused."""
    since = InboundEvent.objects.filter(source="file").aggregate(first=Min("received_at"))["first"]
    acks = Message.objects.filter(
        direction=Message.Direction.OUTBOUND,
        metadata__automatic="acknowledgement",
        created_at__gte=since or timezone.now(),
    )
    return {"outbound": dict(acks.values_list("delivery_status").annotate(n=Count("id")))}


def ticket_map(out: str) -> dict:
    pairs = Message.objects.filter(external_id__startswith="<orig-").values_list(
        "external_id", "ticket__number"
    )
    mapping = dict(pairs)
    Path(out).write_text(json.dumps(mapping))
    return {"mapped": len(mapping)}


def check(manifest_path: str) -> dict:
    manifest = json.loads(Path(manifest_path).read_text())
    ticket_of = dict(
        Message.objects.filter(direction=Message.Direction.INBOUND).values_list(
            "external_id", "ticket_id"
        )
    )
    chained = [m for m in manifest if not m["tagged"] and m["parent_is_reply"]]
    right = sum(1 for m in chained if ticket_of.get(m["msgid"]) == ticket_of.get(m["root"]))
    all_right = sum(1 for m in manifest if ticket_of.get(m["msgid"]) == ticket_of.get(m["root"]))
    return {
        "untagged_reply_to_reply": len(chained),
        "untagged_reply_to_reply_threaded": right,
        "replies": len(manifest),
        "replies_threaded": all_right,
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "attachments": Attachment.objects.count(),
    }


class SqlCounter:
    """Statements and transactions on the default connection while counting. A transaction is a
    commit (or rollback) of an atomic block that ran a statement, or a statement run in autocommit
    (counted apart too). BEGIN, COMMIT, SAVEPOINT and RELEASE are not statements here."""

    def __init__(self):
        self.statements = self.transactions = self.autocommit = 0
        self.dirty = self.active = False
        self.log: list[str] = []
        self._commit, self._rollback = connection.commit, connection.rollback
        connection.commit = self._wrap(self._commit)
        connection.rollback = self._wrap(self._rollback)
        connection.execute_wrappers.append(self)

    def _wrap(self, original):
        def ending(*args, **kwargs):
            if self.active and self.dirty:
                self.transactions += 1
                self.log.append("-- COMMIT")
            self.dirty = False
            return original(*args, **kwargs)

        return ending

    def __call__(self, execute, sql, params, many, context):
        if self.active and not sql.lstrip()[:12].upper().startswith(SKIPPED):
            self.statements += 1
            self.log.append(" ".join(sql.split())[:160])
            if connection.in_atomic_block:
                self.dirty = True
            else:
                self.transactions += 1
                self.autocommit += 1
                self.log.append("-- (autocommit)")
        return execute(sql, params, many, context)

    def measure(self, function, *args, **kwargs) -> tuple[int, int, int]:
        self.statements = self.transactions = self.autocommit = 0
        self.dirty, self.active, self.log = False, True, []
        try:
            function(*args, **kwargs)
        finally:
            self.active = False
        return self.statements, self.transactions, self.autocommit


def _pipeline():
    """(store, process, provider_id) as `ingest_email` calls them on this commit."""
    from channels_app.adapters.email.adapter import email_provider_id

    try:
        from channels_app.services import inbound_events_process_batch, inbound_files_store
    except ImportError:  # before batches (commit 8340324): one event at a time
        from channels_app.services import inbound_event_process, inbound_event_store

        return inbound_event_store, inbound_event_process, email_provider_id

    def store(*, channel, source, provider_id, raw, mailbox, headers):
        stored = inbound_files_store(channel=channel, source=source, mailbox=mailbox,
                                     items=[(provider_id, raw, headers)])  # fmt: skip
        return SimpleNamespace(pk=stored.get(provider_id[:255])), bool(stored)

    def process(*, event_id):
        return inbound_events_process_batch(event_ids=[event_id])

    return store, process, email_provider_id


def count(new_dir: str, reply_dir: str) -> dict:
    """Each email stored and processed as `ingest_email` does, after-commit subscribers run (a
    real commit, not a test); the Celery tasks it queued are then run eagerly and counted apart
    (the drain task excepted: its work was done inline). The first email of each kind warms up
    and is not counted."""
    from celery.signals import before_task_publish

    from helpdesk.celery import app

    store_event, process_event, provider_id = _pipeline()
    mailbox = Mailbox.objects.get(address=ADDRESS)
    published = []
    before_task_publish.connect(
        lambda sender=None, body=None, **_: published.append((sender, body)), weak=False
    )
    counter = SqlCounter()

    def ingest(raw: bytes, name: str) -> None:
        event, _ = store_event(channel="email", source="file", provider_id=provider_id(raw), raw=raw, mailbox=mailbox, headers={"file": name})  # fmt: skip
        process_event(event_id=event.pk)

    result = {}
    for kind, directory in (("new_ticket", new_dir), ("reply", reply_dir)):
        samples, tasks, logs = [], {}, {}
        for index, path in enumerate(files(directory)):
            published.clear()
            started = time.perf_counter()
            measured = counter.measure(ingest, Path(path).read_bytes(), Path(path).name)
            elapsed = time.perf_counter() - started
            logs["email"] = counter.log
            queued = [(name, body) for name, body in published if name != "channels_app.process_inbound_events"]  # fmt: skip
            for name, body in queued:
                args, kwargs = (body[0], body[1]) if isinstance(body, (list, tuple)) else ((), {})
                began = time.perf_counter()
                task = counter.measure(app.tasks[name].apply, args=args, kwargs=kwargs)
                logs[name] = counter.log
                if index:
                    tasks.setdefault(name, []).append((*task, time.perf_counter() - began))
            if index:
                samples.append((*measured, elapsed))
        result[kind] = {
            "emails": len(samples),
            "statements": _spread([s[0] for s in samples]),
            "transactions": _spread([s[1] for s in samples]),
            "autocommit_statements": _spread([s[2] for s in samples]),
            "ms": _spread([s[3] * 1000 for s in samples]),
            "tasks": {
                name: {
                    "per_email": len(runs) / max(1, len(samples)),
                    "statements": _spread([r[0] for r in runs]),
                    "transactions": _spread([r[1] for r in runs]),
                    "ms": _spread([r[3] * 1000 for r in runs]),
                }
                for name, runs in tasks.items()
            },
            "last_email_sql": logs,
        }
    return result


def _spread(values: list[float]) -> dict:
    if not values:
        return {"median": None, "min": None, "max": None, "mean": None}
    ordered = sorted(values)
    return {
        "median": ordered[len(ordered) // 2],
        "min": ordered[0],
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def floor(a_dir: str, b_dir: str, procs: str, media: str) -> dict:
    from _email_floor import run_floor

    return run_floor([files(a_dir), files(b_dir)], media=Path(media), procs=int(procs))


def parse(*directories: str) -> dict:
    from _email_floor import run_parse_only

    return run_parse_only([path for d in directories for path in files(d)])


COMMANDS = {
    "setup": setup, "inline": inline, "store": store, "outbound": outbound,
    "map": ticket_map, "check": check, "count": count, "floor": floor, "parse": parse,
}  # fmt: skip

if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    print(json.dumps(COMMANDS[command](*rest), default=str))
