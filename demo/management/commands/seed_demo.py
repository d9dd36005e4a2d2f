"""`manage.py seed_demo`: realistic pt-BR demo data for a Brazilian support team.

Staff (a manager, N1 solvers and dispatchers, N2 analysts, N3 specialists), teams, organizations,
customers known on several channels, and about a thousand tickets spread over the last 90 days,
each with a conversation and an audit trail. Every ticket change goes through tickets.services,
run under a travelled clock (time-machine) so that timestamps, first responses, escalations and
automatic closes look like a real quarter of work.

The pt-BR content it draws from (people, organizations, topics, scenarios, the words of every
conversation, the help center's FAQ) lives in demo.content; the planning in demo.seeder and
demo.story, the writing in demo.actions (demo.knowledge_base for the help center). This module
holds the command.

Deterministic (fixed seed) and idempotent: people, teams and organizations are looked up before
they are created, and the tickets are created only once.
"""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from demo.automation import seed_automation
from demo.chat import seed_chat_channel
from demo.content import DEMO_CUSTOMER_EMAIL, STAFF, STATUS_ORDER
from demo.knowledge_base import seed_knowledge_base
from demo.planning import CONVERSATIONAL, DEFAULT_SEED, DEMO_PASSWORD, TIERS
from demo.seeder import Seeder
from demo.story import TicketStory
from demo.surveys import seed_survey_answers
from demo.workspace import seed_workspace
from sla.defaults import sla_policies_seed_defaults
from tickets import events
from tickets.models import (
    AgentNotification,
    AgentProfile,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Organization,
    Team,
    Ticket,
    TicketEvent,
    Tier,
)

S = Ticket.Status


class Command(BaseCommand):
    help = _(
        "Load realistic demo data (pt-BR): staff of every tier, teams, organizations, customers "
        "on several channels and tickets of the last 90 days. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets",
            type=int,
            default=1000,
            help=_("How many tickets to create (default: %(default)s)."),
        )
        parser.add_argument(
            "--customers",
            type=int,
            default=200,
            help=_("How many customers to create (default: %(default)s)."),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=_("Random seed: the same seed gives the same data (default: %(default)s)."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Load the demo data even when DEBUG is off."),
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                _(
                    "Refusing to load demo data: DEBUG is off, so this may be a production "
                    "database. Use --force to load it anyway."
                )
            )
        if options["tickets"] < 0 or options["customers"] < 1:
            raise CommandError(_("--tickets must be 0 or more and --customers at least 1."))
        started = time.perf_counter()
        self.verbose = options["verbosity"] >= 1
        # tqdm's None: a bar on a terminal, nothing in logs and pipes.
        no_progress = None if self.verbose else True
        seeder = Seeder(
            seed=options["seed"],
            now=timezone.now().replace(microsecond=0),
            n_customers=options["customers"],
            n_tickets=options["tickets"],
        )

        with transaction.atomic():
            created = seeder.setup_staff()
            created["organizations"] = seeder.setup_organizations()
            created["workspace"] = seed_workspace()
            created["chat"] = seed_chat_channel()
            sla_policies_seed_defaults()
            # After the staff: the shipped rules, active, and the WhatsApp N1 team staffed.
            seed_automation()
        self.say(
            _("Staff, teams and organizations: %(users)s users, %(teams)s teams and "
              "%(orgs)s organizations created (existing ones kept).")
            % {
                "users": created.get("users", 0),
                "teams": created.get("teams", 0),
                "orgs": created["organizations"],
            }
        )  # fmt: skip

        with transaction.atomic():
            articles = seed_knowledge_base()
        self.say(
            _("Knowledge base: %(articles)s articles created (existing ones kept).")
            % {"articles": articles}
        )

        seeder.plan_people()
        rng = random.Random(f"{options['seed']}-customers")
        new_customers = 0
        with transaction.atomic():
            seeder.setup_demo_customer()
            for person in tqdm(seeder.people, desc=_("Customers"), unit="", disable=no_progress):
                new_customers += seeder.create_person(person, rng)
        self.say(
            _("Customers: %(created)s created, %(kept)s already there.")
            % {"created": new_customers, "kept": len(seeder.people) - new_customers}
        )

        if seeder.demo_tickets_exist():
            self.say(
                self.style.WARNING(
                    _("Demo tickets are already there: no tickets created this time.")
                )
            )
        elif options["tickets"]:
            self.create_tickets(seeder, no_progress)
            # The history was loaded with events suppressed: the SLA clocks are built from it now.
            call_command("sla_recompute", "--all", "--no-progress", verbosity=0)
            # Assignments of the past were seen back then; only the last day's stay unread.
            AgentNotification.objects.filter(
                created_at__lt=seeder.now - timedelta(days=1), read_at=None
            ).update(read_at=seeder.now)

        with transaction.atomic():
            answers = seed_survey_answers(seed=options["seed"])
        self.say(
            _("Surveys: %(answers)s answers to solved tickets added (existing ones kept).")
            % {"answers": answers}
        )
        if self.verbose:
            self.summary(time.perf_counter() - started)

    def say(self, message: str) -> None:
        if self.verbose:
            self.stdout.write(message)

    def create_tickets(self, seeder: Seeder, no_progress: bool | None) -> None:
        specs = seeder.plan_tickets()
        rng = random.Random(f"{seeder.seed}-stories")
        with (
            transaction.atomic(),
            events.suppressed(),
            tqdm(total=len(specs), desc=_("Tickets"), unit="", disable=no_progress) as bar,
        ):
            for spec in specs:
                seeder.choose_channel_and_person(spec, rng)
                story = TicketStory(seeder, spec, rng)
                story.plan()
                story.fit()
                story.run()
                if spec.channel in CONVERSATIONAL:
                    spec.person.busy_until[spec.channel] = story.busy_until()
                if spec.dup_channel in CONVERSATIONAL and story.merged_at:
                    spec.person.busy_until[spec.dup_channel] = max(
                        story.merged_at,
                        spec.person.busy_until.get(spec.dup_channel, story.merged_at),
                    )
                bar.update()

    def summary(self, seconds: float) -> None:
        statuses = dict(Ticket.objects.values_list("status").annotate(n=Count("id")).order_by())
        channels = dict(Ticket.objects.values_list("channel").annotate(n=Count("id")).order_by())
        tiers = dict(AgentProfile.objects.values_list("tier").annotate(n=Count("id")))
        ticket_tiers = dict(Ticket.objects.values_list("tier").annotate(n=Count("id")).order_by())
        lines = [
            _("Demo data ready in %(seconds).1f s.") % {"seconds": seconds},
            _("  Agents: %(n)s (N1 %(n1)s, N2 %(n2)s, N3 %(n3)s); teams: %(teams)s; "
              "organizations: %(orgs)s")
            % {
                "n": sum(tiers.values()),
                "n1": tiers.get(Tier.N1, 0),
                "n2": tiers.get(Tier.N2, 0),
                "n3": tiers.get(Tier.N3, 0),
                "teams": Team.objects.count(),
                "orgs": Organization.objects.count(),
            },
            _("  Customers: %(customers)s with %(identities)s identities")
            % {
                "customers": Customer.objects.filter(merged_into=None).count(),
                "identities": CustomerIdentity.objects.count(),
            },
            _("  Tickets: %(n)s; by status: %(statuses)s")
            % {
                "n": sum(statuses.values()),
                "statuses": ", ".join(
                    f"{S(s).label} {statuses.get(s, 0)}" for s in STATUS_ORDER
                ),
            },
            _("  By channel: %(channels)s; by tier: %(tiers)s")
            % {
                "channels": ", ".join(
                    f"{Channel(c).label} {n}" for c, n in sorted(channels.items())
                ),
                "tiers": ", ".join(f"{t} {ticket_tiers.get(t, 0)}" for t in TIERS),
            },
            _("  Messages: %(messages)s; audit events: %(events)s (%(escalations)s escalations)")
            % {
                "messages": Message.objects.count(),
                "events": TicketEvent.objects.count(),
                "escalations": TicketEvent.objects.filter(
                    kind=TicketEvent.Kind.ESCALATED
                ).count(),
            },
            _("  Logins (password %(password)s): %(logins)s")
            % {
                "password": DEMO_PASSWORD,
                "logins": ", ".join(
                    [s.username for s in STAFF[:6]] + [DEMO_CUSTOMER_EMAIL]
                ),
            },
        ]  # fmt: skip
        for line in lines:
            self.say(line)
