# ruff: noqa: E501, S608 (SQL names come from the models, never from input)
"""Runs inside the peer's virtualenv (bench/.peer/), never with Jornada's: django-helpdesk's staff
dashboard (`/helpdesk/dashboard/`), driven for bench_manager.py, and its REST ticket list
(`/helpdesk/api/tickets/`), driven for bench_api.py. Prints one JSON object.

    bench/.peer/bin/python bench/_peer_dashboard.py load DIR      (queues.csv, users.csv, tickets.csv)
    bench/.peer/bin/python bench/_peer_dashboard.py measure REQUESTS WARMUP USERNAME
    bench/.peer/bin/python bench/_peer_dashboard.py api REQUESTS USERNAME

The tickets are Jornada's benchmark tickets (bench_manager.py exports them): Jornada's teams as
queues, its agents as staff users, statuses and priorities mapped to the peer's. The peer's
dashboard reads tickets and queues only, so follow-ups are not loaded. Requests go through
Django's test client, as Jornada's do in bench_manager.py.
"""

import json
import os
import sys
import time

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from helpdesk.models import Queue, Ticket  # noqa: E402

User = get_user_model()


def _copy(model, path: str, columns: list[str]) -> int:
    """COPY a CSV into the model's table; other columns get the field's default."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    missing = [f for column, f in fields.items() if column not in columns and f.has_default()]
    table = model._meta.db_table
    staging = f"{table}_staging"
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor, open(path) as handle:
        cursor.execute(f'CREATE TEMP TABLE "{staging}" AS SELECT {names} FROM "{table}" LIMIT 0')
        cursor.copy_expert(f'COPY "{staging}" ({names}) FROM STDIN WITH (FORMAT csv)', handle)
        extra = [f.column for f in missing]
        defaults = [f.get_default() for f in missing]
        select = ", ".join([f'"{c}"' for c in columns] + ["%s"] * len(extra))
        all_names = ", ".join(f'"{c}"' for c in columns + extra)
        cursor.execute(
            f'INSERT INTO "{table}" ({all_names}) SELECT {select} FROM "{staging}"', defaults
        )
        count = cursor.rowcount
        cursor.execute(f'DROP TABLE "{staging}"')
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
        )
    return count


def load(directory: str) -> dict:
    call_command("migrate", verbosity=0)
    with open(os.path.join(directory, "tickets.csv")) as handle:
        expected = sum(1 for _ in handle)
    if Ticket.objects.count() == expected:
        return {"tickets": expected, "loaded": False}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE helpdesk_ticket, helpdesk_queue CASCADE")
        cursor.execute("TRUNCATE auth_user CASCADE")
    _copy(Queue, os.path.join(directory, "queues.csv"), ["id", "title", "slug"])
    _copy(
        User,
        os.path.join(directory, "users.csv"),
        ["id", "password", "username", "first_name", "last_name", "email", "is_staff",
         "is_superuser", "is_active", "date_joined"],
    )  # fmt: skip
    tickets = _copy(
        Ticket,
        os.path.join(directory, "tickets.csv"),
        ["id", "title", "queue_id", "created", "modified", "submitter_email", "assigned_to_id",
         "status", "on_hold", "description", "resolution", "priority", "due_date", "secret_key"],
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"tickets": tickets, "loaded": True, "seconds": time.perf_counter() - started}


def measure(requests: str, warmup: str, username: str) -> dict:
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=username))
    url = "/helpdesk/dashboard/"
    for _ in range(int(warmup)):
        response = client.get(url)
        if response.status_code != 200:
            return {"error": f"HTTP {response.status_code}"}
    samples = []
    for _ in range(int(requests)):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return {
        "samples": samples,
        "queries": len(captured.captured_queries),
        "db_ms": sum(float(q["time"]) for q in captured.captured_queries) * 1000,
        "tickets": Ticket.objects.count(),
        "bytes": len(response.content),
    }


def api(requests: str, username: str) -> dict:
    """GET /helpdesk/api/tickets/ as a superuser (DRF's TicketViewSet, HELPDESK_API_ENABLED, on by
    default in 2.6.1). Its get_queryset() reads every ticket the user may see and runs
    set_custom_field_values() on each (a CustomField query per ticket) before DRF paginates
    (ConservativePagination, 25 a page): the cost grows with the whole desk, not the page. One
    cheap warm-up (the API root: session, DRF, URL resolving), then REQUESTS timed requests, each
    with its SQL statements counted and timed by a connection wrapper (a function call per
    statement: under 1 % of the request)."""
    user = User.objects.get(username=username)
    if not user.is_superuser:
        return {"error": f"{username} is not a superuser"}
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    if client.get("/helpdesk/api/").status_code != 200:
        return {"error": "no /helpdesk/api/ (HELPDESK_API_ENABLED?)"}
    url = "/helpdesk/api/tickets/"
    counted = {"statements": 0, "db": 0.0}

    def count(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            counted["db"] += time.perf_counter() - started
            counted["statements"] += 1

    samples, statements, db_seconds = [], [], []
    for _ in range(int(requests)):
        counted.update(statements=0, db=0.0)
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            return {"error": f"HTTP {response.status_code}"}
        statements.append(counted["statements"])
        db_seconds.append(counted["db"])
    body = response.json()
    return {
        "url": url,
        "samples": samples,
        "statements": statements,
        "db_seconds": db_seconds,
        "rows": len(body["results"]),
        "count": body["count"],
        "next": body["next"],
        "bytes": len(response.content),
        "first_ids": [item["id"] for item in body["results"][:3]],
        "fields": sorted(body["results"][0]) if body["results"] else [],
        "followups_in_page": sum(len(item.get("followup_set") or []) for item in body["results"]),
        "tickets": Ticket.objects.count(),
    }


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    print(json.dumps({"load": load, "measure": measure, "api": api}[command](*rest)))
