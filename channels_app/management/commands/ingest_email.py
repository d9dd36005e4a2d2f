"""python manage.py ingest_email PATH... : raw RFC 5322 files, Maildir folders or mbox files into
the inbound pipeline, exactly as if they had arrived by IMAP."""

import mailbox as mailboxes
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from channels_app import services
from channels_app.adapters.email.adapter import email_provider_id
from channels_app.models import InboundEvent, Mailbox
from channels_app.tasks import HOLD_SECONDS
from tickets import events

# Messages stored by one INSERT and processed in one transaction.
CHUNK = 25


def _is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def read_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) for every message under `path`."""
    if _is_maildir(path):
        box = mailboxes.Maildir(path, factory=None, create=False)
        for key in box.iterkeys():
            yield f"{path}:{key}", box.get_bytes(key)
    elif path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            yield from read_messages(child)
    elif _is_mbox(path):
        box = mailboxes.mbox(path, factory=None, create=False)
        for index, key in enumerate(box.iterkeys()):
            yield f"{path}#{index + 1}", box.get_bytes(key)
    else:
        yield str(path), path.read_bytes()


class Command(BaseCommand):
    help = _(
        "Import raw emails (.eml files, Maildir folders, mbox files) into the inbound pipeline."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--mailbox",
            help=_("Support address the messages were sent to (for replies and acknowledgements)."),
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help=_("Only store the messages and let the Celery workers process them."),
        )

    def handle(self, *args, paths, mailbox=None, queue=False, verbosity=1, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(_("Not found: %(paths)s") % {"paths": ", ".join(missing)})
        target = None
        if mailbox:
            target = Mailbox.objects.filter(address__iexact=mailbox).first()
            if target is None:
                raise CommandError(
                    _("No mailbox with the address %(address)s.") % {"address": mailbox}
                )
        messages = [item for path in paths for item in read_messages(path)]
        counts: Counter[str] = Counter(stored=0, duplicates=0, processed=0, ignored=0, failed=0)
        failures: list[tuple[str, str]] = []
        # As the drain does: the messages' domain events are delivered together every half
        # second (one SLA sync, one push per ticket, one acknowledgement task per batch).
        held = events.HeldEvents(seconds=HOLD_SECONDS)
        with tqdm(total=len(messages), unit="msg", disable=verbosity == 0 or not messages) as bar:
            for start in range(0, len(messages), CHUNK):
                chunk = messages[start : start + CHUNK]
                held.hold()
                try:
                    self._ingest(chunk, target, queue, counts, failures)
                finally:
                    held.deliver_if_due()
                bar.update(len(chunk))
        held.deliver()
        if queue and counts["stored"]:
            services.schedule_processing()
        self._summary(len(messages), counts, failures, queued=queue)

    def _ingest(self, chunk, target, queue, counts, failures) -> None:
        """One INSERT stores the chunk, one transaction processes it."""
        items = [(email_provider_id(raw)[:255], raw, {"file": label[:500]}) for label, raw in chunk]
        labels = {provider_id: headers["file"] for provider_id, _, headers in items}
        stored = services.inbound_files_store(
            channel="email", source="file", mailbox=target, items=items
        )
        counts["stored"] += len(stored)
        counts["duplicates"] += len(chunk) - len(stored)
        if queue and stored:
            # The workers start on the first chunk while the rest is read and stored (at most
            # one Redis round trip per chunk; one drain waits queued at a time).
            services.schedule_processing_after_accept()
        if queue or not stored:
            return
        label_of = {pk: labels[provider_id] for provider_id, pk in stored.items()}
        done = services.inbound_events_process_batch(event_ids=list(label_of))
        left = set(label_of) - {event.pk for event in done}
        done += InboundEvent.objects.filter(pk__in=left)  # waiting for a retry
        for event in done:
            counts[event.status] += 1
            if event.status != InboundEvent.Status.PROCESSED and event.error:
                failures.append((label_of[event.pk], event.error))

    def _summary(self, total, counts, failures, *, queued):
        write = self.stdout.write
        message = _("%(total)d message(s) read: %(stored)d stored, %(duplicates)d already there.")
        write(message % {"total": total, **counts})
        if queued:
            write(_("Processing was left to the Celery workers."))
        else:
            write(_("Processed: %(processed)d, ignored: %(ignored)d, failed: %(failed)d.") % counts)
        for label, reason in failures:
            write(self.style.ERROR(f"  {label}: {reason}"))
