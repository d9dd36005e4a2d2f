# ruff: noqa: E501
"""The floor of WhatsApp processing on this machine: the adapter's own parse of each stored
event, then the fewest writes a message needs, one transaction per message (commit not waiting
for the disk, as the pipeline's): the event marked processed, a customer and its identity for a
number first seen, a ticket for a new conversation, the message. Customers and open
conversations are looked up in memory, so no SELECT is spent. The rows go to the floor's copies
of Jornada's tables (bench/_email_floor.py), in as many processes as the worker has, the
messages of one number in one process.

Run inside Django (bench/bench_whatsapp.py), never at import time."""

import multiprocessing
import time

from _email_floor import SCHEMA, Rows, prepare_schema
from django.db import connection, connections, transaction
from django.utils import timezone


def _run_share(event_ids: list[int]) -> dict:
    from channels_app.adapters import get_adapter
    from channels_app.models import InboundEvent
    from tickets.inbound import NormalizedMessage

    connections.close_all()  # a forked child opens its own connection
    adapter = get_adapter("whatsapp")
    rows = {name: Rows(label) for name, label in
            {"customer": "tickets.Customer", "identity": "tickets.CustomerIdentity",
             "ticket": "tickets.Ticket", "message": "tickets.Message"}.items()}  # fmt: skip
    event_table = f'{SCHEMA}."{InboundEvent._meta.db_table}"'
    stored = list(InboundEvent.objects.filter(pk__in=event_ids).order_by("pk"))
    customers: dict[str, int] = {}
    tickets: dict[int, int] = {}
    started = time.time()
    for number, event in enumerate(stored):
        items = [i for i in adapter.parse(event) if isinstance(i, NormalizedMessage)]
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            for item in items:
                customer_id = customers.get(item.sender_value)
                if customer_id is None:
                    customer_id = rows["customer"].insert(cursor, now, name=item.sender_name[:200])
                    rows["identity"].insert(cursor, now, customer_id=customer_id, kind=item.sender_kind, value=item.sender_value)  # fmt: skip
                    customers[item.sender_value] = customer_id
                ticket_id = tickets.get(customer_id)
                if ticket_id is None:
                    ticket_id = rows["ticket"].insert(cursor, now, number=event.pk * 10 + number % 10, subject="", channel="whatsapp", customer_id=customer_id, last_customer_message_at=now)  # fmt: skip
                    tickets[customer_id] = ticket_id
                rows["message"].insert(cursor, now, ticket_id=ticket_id, direction="inbound", channel="whatsapp", author_customer_id=customer_id, body_text=item.body_text, external_id=item.external_id, metadata=item.metadata)  # fmt: skip
            cursor.execute(
                f"UPDATE {event_table} SET status = 'processed', processed_at = %s WHERE id = %s",  # noqa: S608
                [now, event.pk],
            )
    finished = time.time()
    connections.close_all()
    return {"started": started, "finished": finished, "messages": len(stored)}


def run_floor(*, procs: int) -> dict:
    """Every stored WhatsApp event, split over `procs` processes by sender."""
    from channels_app.adapters import get_adapter
    from channels_app.models import InboundEvent

    prepare_schema()
    table = InboundEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {SCHEMA}."{table}" SELECT * FROM public."{table}" WHERE channel = %s',  # noqa: S608
            ["whatsapp"],
        )
    shares: list[list[int]] = [[] for _ in range(procs)]
    adapter = get_adapter("whatsapp")
    for event in InboundEvent.objects.filter(channel="whatsapp"):
        senders = [getattr(item, "sender_value", "") for item in adapter.parse(event)]
        shares[sum(map(ord, senders[0] if senders else "")) % procs].append(event.pk)
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        results = pool.map(_run_share, shares)
    seconds = max(r["finished"] for r in results) - min(r["started"] for r in results)
    return {"messages": sum(r["messages"] for r in results), "seconds": seconds, "procs": procs}
