"""`manage.py sla_recompute`: build (or rebuild) the SLA clocks of existing tickets from their
audit trail, e.g. after installing the SLA engine, loading demo data or changing policies.

Breaches that happened before are recorded as history (at their due time, without escalating
and without publishing domain events); the running timer takes over from there."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from tqdm import tqdm

from tickets import events
from tickets.models import Ticket

from ... import services
from ...selectors import OPEN_STATUSES


class Command(BaseCommand):
    help = "Recompute the SLA clocks of open tickets (or of all with --all), in batches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Also solved and closed tickets (their history)."
        )
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        tickets = Ticket.objects.all()
        if not options["all"]:
            tickets = tickets.filter(status__in=OPEN_STATUSES)
        ids = list(tickets.order_by("pk").values_list("pk", flat=True))
        batch = max(1, options["batch_size"])
        totals = services.SyncResult()
        breaches = 0
        with (
            events.suppressed(),
            tqdm(
                total=len(ids),
                desc=_("SLA clocks"),
                unit="",
                disable=options["no_progress"],
            ) as bar,
        ):
            for start in range(0, len(ids), batch):
                chunk = ids[start : start + batch]
                result = services.tickets_sla_sync(ticket_ids=chunk)
                breaches += services.sla_record_overdue_silently(ticket_ids=chunk)
                totals.created += result.created
                totals.updated += result.updated
                totals.deleted += result.deleted
                breaches += result.late_breaches
                bar.update(len(chunk))
        self.stdout.write(
            _(
                "%(tickets)d tickets: %(created)d clocks created, %(updated)d updated, "
                "%(deleted)d removed; %(breaches)d past breaches recorded."
            )
            % {
                "tickets": len(ids),
                "created": totals.created,
                "updated": totals.updated,
                "deleted": totals.deleted,
                "breaches": breaches,
            }
        )
