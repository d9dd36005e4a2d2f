# ruff: noqa: E501
"""The floor of email ingestion on this machine: Jornada's own `parse_email`, then the fewest
INSERTs the message needs, in one transaction per message: the inbound event (raw bytes kept),
a customer and its identity for a new sender, a ticket for a new conversation, the message, its
attachments (files written). Threading and customers are looked up in memory, so no SELECT is
spent. The rows go to copies of Jornada's tables (same columns, defaults and indexes, no foreign
keys) in a schema of their own, so the floor runs beside the real pipeline's data.

Run inside Django (bench/_jornada_driver.py), never at import time."""

import multiprocessing
import re
import time
from pathlib import Path

from django.apps import apps
from django.db import connection, connections, transaction
from django.utils import timezone

SCHEMA = "bench_floor"
MODELS = {
    "event": "channels_app.InboundEvent",
    "customer": "tickets.Customer",
    "identity": "tickets.CustomerIdentity",
    "ticket": "tickets.Ticket",
    "message": "tickets.Message",
    "attachment": "tickets.Attachment",
}
SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")


def prepare_schema() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        for label in MODELS.values():
            table = apps.get_model(label)._meta.db_table
            cursor.execute(f'CREATE TABLE {SCHEMA}."{table}" (LIKE public."{table}" INCLUDING ALL)')


class Rows:
    """One INSERT ... RETURNING id into the floor's copy of a model's table; every column the
    caller does not give gets the model's default, as the ORM would write it."""

    def __init__(self, label: str):
        model = apps.get_model(label)
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(f'"{f.column}"' for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        table = f'{SCHEMA}."{model._meta.db_table}"'
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"  # noqa: S608
        self.now_fields = {
            f.attname for f in self.fields if getattr(f, "auto_now", False) or f.attname in ("created_at", "updated_at", "received_at")
        }  # fmt: skip

    def insert(self, cursor, now, **given) -> int:
        values = []
        for f in self.fields:
            if f.attname in given:
                value = given[f.attname]
            elif f.attname in self.now_fields:
                value = now
            else:
                value = f.get_default()
            values.append(f.get_db_prep_save(value, connection))
        cursor.execute(self.sql, values)
        return cursor.fetchone()[0]


class Floor:
    def __init__(self, *, media: Path, first_number: int, step: int, known: dict | None = None):
        from channels_app.adapters.email.parse import parse_email

        self.parse_email = parse_email
        self.rows = {name: Rows(label) for name, label in MODELS.items()}
        self.media = media
        self.next_number, self.step = first_number, step
        known = known or {}
        self.customers: dict[str, int] = known.get("customers", {})
        self.ticket_by_message: dict[str, int] = known.get("tickets", {})
        self.ticket_by_number: dict[int, int] = {int(k): v for k, v in known.get("numbers", {}).items()}  # fmt: skip
        self.customer_of_ticket: dict[int, int] = {int(k): v for k, v in known.get("owners", {}).items()}  # fmt: skip
        self.threaded = 0

    def _thread(self, message, customer_id) -> int | None:
        for earlier in message.reply_to_ids:
            ticket_id = self.ticket_by_message.get(earlier)
            if ticket_id is not None:
                return ticket_id
        match = SUBJECT_TAG.search(message.subject or "")
        if match:
            ticket_id = self.ticket_by_number.get(int(match.group(1)))
            if ticket_id is not None and self.customer_of_ticket.get(ticket_id) == customer_id:
                return ticket_id
        return None

    def ingest(self, raw: bytes) -> None:
        parsed = self.parse_email(raw)
        message = parsed.message
        now = timezone.now()
        rows = self.rows
        with transaction.atomic(), connection.cursor() as cursor:
            rows["event"].insert(cursor, now, channel="email", source="file", provider_id=parsed.message_id, raw=raw, size=len(raw), status="processed", processed_at=now)  # fmt: skip
            customer_id = self.customers.get(message.sender_value)
            if customer_id is None:
                customer_id = rows["customer"].insert(cursor, now, name=message.sender_name[:200])
                rows["identity"].insert(cursor, now, customer_id=customer_id, kind="email", value=message.sender_value)  # fmt: skip
                self.customers[message.sender_value] = customer_id
            ticket_id = self._thread(message, customer_id)
            if ticket_id is None:
                number = self.next_number
                self.next_number += self.step
                ticket_id = rows["ticket"].insert(cursor, now, number=number, subject=message.subject[:255], channel="email", customer_id=customer_id, last_customer_message_at=now)  # fmt: skip
                self.ticket_by_number[number] = ticket_id
                self.customer_of_ticket[ticket_id] = customer_id
            else:
                self.threaded += 1
            message_id = rows["message"].insert(cursor, now, ticket_id=ticket_id, direction="inbound", channel="email", author_customer_id=customer_id, subject=message.subject[:255], body_text=message.body_text, body_html=message.body_html, external_id=message.external_id, metadata=message.metadata)  # fmt: skip
            for index, item in enumerate(message.attachments):
                path = self.media / f"{message_id}-{index}"
                path.write_bytes(item.content)
                rows["attachment"].insert(cursor, now, message_id=message_id, file=str(path), filename=item.filename[:255], content_type=item.content_type[:255], size=len(item.content), content_id=item.content_id[:255], is_inline=item.is_inline)  # fmt: skip
            self.ticket_by_message[message.external_id] = ticket_id

    def known(self) -> dict:
        return {
            "customers": self.customers,
            "tickets": self.ticket_by_message,
            "numbers": self.ticket_by_number,
            "owners": self.customer_of_ticket,
        }


def _run_share(args) -> dict:
    files, media, index, procs, known = args
    connections.close_all()  # a forked child opens its own connection
    floor = Floor(media=Path(media), first_number=1_000_000 + index, step=procs, known=known)
    started = time.time()
    for path in files:
        floor.ingest(Path(path).read_bytes())
    finished = time.time()
    connections.close_all()
    return {"started": started, "finished": finished, "known": floor.known(), "threaded": floor.threaded}  # fmt: skip


def _shares(files: list[str], procs: int) -> list[list[str]]:
    """Messages of one sender stay in one process (its customer row is created once)."""
    shares = [[] for _ in range(procs)]
    for path in files:
        match = re.search(rb"^From: .*<([^>]+)>", Path(path).read_bytes(), re.M)
        sender = match.group(1) if match else path.encode()
        shares[sum(sender) % procs].append(path)
    return shares


def run_floor(phases: list[list[str]], *, media: Path, procs: int) -> dict:
    """The phases in order (originals, then replies), each split over `procs` processes; the
    seconds from the first message's start to the last one's end, summed over the phases."""
    media.mkdir(parents=True, exist_ok=True)
    prepare_schema()
    known: dict = {"customers": {}, "tickets": {}, "numbers": {}, "owners": {}}
    seconds, threaded = 0.0, 0
    connections.close_all()
    context = multiprocessing.get_context("fork")
    for files in phases:
        args = [(share, str(media), i, procs, known) for i, share in enumerate(_shares(files, procs))]  # fmt: skip
        with context.Pool(procs) as pool:
            results = pool.map(_run_share, args)
        seconds += max(r["finished"] for r in results) - min(r["started"] for r in results)
        threaded += sum(r["threaded"] for r in results)
        for result in results:
            for key in known:
                known[key].update(result["known"][key])
    messages = sum(len(files) for files in phases)
    return {"messages": messages, "seconds": seconds, "threaded": threaded, "procs": procs}


def run_parse_only(paths: list[str]) -> dict:
    from channels_app.adapters.email.parse import parse_email

    raws = [Path(path).read_bytes() for path in paths]
    started = time.perf_counter()
    for raw in raws:
        parse_email(raw)
    seconds = time.perf_counter() - started
    return {"messages": len(raws), "seconds": seconds}
