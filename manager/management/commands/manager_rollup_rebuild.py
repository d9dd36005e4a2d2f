"""Recompute the dashboard's rollups (ticket facts, daily activity) from the tickets, messages
and SLA clocks: after a restore, a bulk import, or a change to how a figure is computed."""

import time

from django.core.management.base import BaseCommand

from manager.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the managers' dashboard rollups from scratch."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=100_000, help="tickets per statement")

    def handle(self, *args, batch: int, **options):
        started = time.perf_counter()
        counts = rollups_rebuild(
            batch=batch,
            progress=lambda line: self.stdout.write(f"  {line}") if options["verbosity"] else None,
        )
        self.stdout.write(
            f"Rebuilt: {counts['tickets']:,} tickets, {counts['days']:,} days "
            f"({counts['activity_rows']:,} activity rows) in {time.perf_counter() - started:.1f} s"
        )
