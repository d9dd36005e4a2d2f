"""Runs inside the peer's virtualenv (bench/.peer/), never with Jornada's: django-helpdesk's own
email import, driven for bench_peer_email.py. Prints one JSON object per command.

    bench/.peer/bin/python bench/_peer_driver.py setup MAILDIR
    bench/.peer/bin/python bench/_peer_driver.py ingest
    bench/.peer/bin/python bench/_peer_driver.py map OUT.json
    bench/.peer/bin/python bench/_peer_driver.py check MANIFEST_REPLIES.json

DJANGO_SETTINGS_MODULE and PYTHONPATH point at the settings bench_peer_email.py generated.
"""

import json
import os
import sys
import time

import django

django.setup()

from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from helpdesk.models import FollowUp, FollowUpAttachment, Queue, Ticket  # noqa: E402

QUEUE_ADDRESS = "suporte@example.com"
SLUG = "support"


def setup(maildir: str) -> dict:
    call_command("migrate", verbosity=0)
    Queue.objects.create(
        title="Suporte",
        slug=SLUG,
        email_address=QUEUE_ADDRESS,
        email_box_type="local",
        email_box_local_dir=maildir,
        email_box_interval=0,  # every get_email run reads the directory
        allow_email_submission=True,
        logging_type="none",
    )
    return {"queue": SLUG}


def ingest() -> dict:
    """One `get_email` run, timed around the command itself (Django start-up not included),
    SQL statements counted (the peer's own baseline for Jornada's per-email counts)."""
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        if not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements += 1
        return execute(sql, params, many, context)

    maildir = Queue.objects.get(slug=SLUG).email_box_local_dir
    waiting = len(os.listdir(maildir))
    tickets, followups = Ticket.objects.count(), FollowUp.objects.count()
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        call_command("get_email", quiet=True)
        seconds = time.perf_counter() - started
    return {
        "files": waiting,
        "seconds": seconds,
        "left_in_maildir": len(os.listdir(maildir)),
        "new_tickets": Ticket.objects.count() - tickets,
        "new_followups": FollowUp.objects.count() - followups,
        "emails_sent": len(getattr(mail, "outbox", [])),
        "statements": statements,
    }


def ticket_map(out: str) -> dict:
    """{Message-ID of each original: id of the ticket it opened}, for the replies' tags."""
    pairs = FollowUp.objects.filter(message_id__startswith="<orig-").values_list(
        "message_id", "ticket_id"
    )
    mapping = dict(pairs)
    with open(out, "w") as handle:
        json.dump(mapping, handle)
    return {"mapped": len(mapping)}


def check(manifest_path: str) -> dict:
    with open(manifest_path) as handle:
        manifest = json.load(handle)
    ticket_of = dict(FollowUp.objects.values_list("message_id", "ticket_id"))
    chained = [m for m in manifest if not m["tagged"] and m["parent_is_reply"]]
    right = sum(1 for m in chained if ticket_of.get(m["msgid"]) == ticket_of.get(m["root"]))
    all_right = sum(1 for m in manifest if ticket_of.get(m["msgid"]) == ticket_of.get(m["root"]))
    return {
        "untagged_reply_to_reply": len(chained),
        "untagged_reply_to_reply_threaded": right,
        "replies": len(manifest),
        "replies_threaded": all_right,
        "tickets": Ticket.objects.count(),
        "followups": FollowUp.objects.count(),
        "attachments": FollowUpAttachment.objects.count(),
    }


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    result = {"setup": setup, "ingest": ingest, "map": ticket_map, "check": check}[command](*rest)
    print(json.dumps(result))
