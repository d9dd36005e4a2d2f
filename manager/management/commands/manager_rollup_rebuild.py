"""Recompute the dashboard's rollups (ticket facts, daily activity) from the tickets, messages
and SLA clocks: after a restore, a bulk import, or a change to how a figure is computed."""

import time

from django.core.management.base import BaseCommand, CommandError

from manager.models import REBUILDING, RollupState
from manager.rollups import RebuildRunning, rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the managers' dashboard rollups from scratch."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=100_000, help="tickets per statement")
        parser.add_argument(
            "--force",
            action="store_true",
            help="start even though another rebuild was claimed less than an hour ago (one that "
            "failed, or whose worker was killed): make sure none is still running",
        )

    def handle(self, *args, batch: int, force: bool, **options):
        started = time.perf_counter()
        if force:
            RollupState.objects.filter(name=REBUILDING).delete()
        try:
            counts = rollups_rebuild(
                batch=batch,
                progress=lambda line: (
                    self.stdout.write(f"  {line}") if options["verbosity"] else None
                ),
            )
        except RebuildRunning as exc:
            raise CommandError(
                f"Another rebuild started at {exc.args[0]:%Y-%m-%d %H:%M} and has not ended "
                "(or failed less than an hour ago): see the workers' log; --force starts anyway."
            ) from exc
        self.stdout.write(
            f"Rebuilt: {counts['tickets']:,} tickets, {counts['days']:,} days "
            f"({counts['activity_rows']:,} activity rows) in {time.perf_counter() - started:.1f} s"
        )
