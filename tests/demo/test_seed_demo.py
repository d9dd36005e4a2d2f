"""`manage.py seed_demo`: demo data through the services, every account and state, safe to
run twice. Each test seeds a small world (--tickets 40 --customers 15) in its own transaction."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count, Min
from django.utils import timezone

from tickets.models import (
    AgentProfile,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Organization,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    Tier,
)
from tickets.selectors import ticket_list_for_customer

User = get_user_model()
SMALL = {"tickets": 40, "customers": 15}
DEMO_ACCOUNTS = ("manager", "n1.solver", "n1.dispatcher", "n2.analyst", "n3.specialist", "admin")


def seed(**options):
    out = StringIO()
    call_command("seed_demo", **{**SMALL, **options}, stdout=out)
    return out.getvalue()


def counts():
    models = (
        User,
        Group,
        Team,
        AgentProfile,
        Organization,
        Customer,
        CustomerIdentity,
        Ticket,
        Message,
        TicketEvent,
        Tag,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    return seed()


def test_creates_every_demo_account_with_the_demo_password(seeded):
    for username in (*DEMO_ACCOUNTS, "cliente@example.com"):
        user = User.objects.get(username=username)
        assert user.check_password("demo1234"), username
        assert user.first_name, username
        assert user.last_name, username


def test_staff_covers_every_tier_and_a_dispatcher(seeded):
    profiles = {p.user.username: p for p in AgentProfile.objects.select_related("user")}
    assert profiles["n1.solver"].tier == Tier.N1
    assert profiles["n1.solver"].n1_role == AgentProfile.N1Role.SOLVER
    assert profiles["n1.dispatcher"].tier == Tier.N1
    assert profiles["n1.dispatcher"].n1_role == AgentProfile.N1Role.DISPATCHER
    assert profiles["n2.analyst"].tier == Tier.N2
    assert profiles["n3.specialist"].tier == Tier.N3
    assert {team.tier for team in Team.objects.all()} == {Tier.N1, Tier.N2, Tier.N3}
    for profile in profiles.values():
        if profile.is_manager:
            continue
        assert profile.teams.exists(), profile
        assert all(team.tier == profile.tier for team in profile.teams.all()), profile


def test_every_team_has_a_lead_who_works_in_it(seeded):
    for team in Team.objects.prefetch_related("leads__teams"):
        leads = list(team.leads.all())
        assert leads, team
        assert all(team in lead.teams.all() for lead in leads), team


def test_manager_can_use_the_admin_and_admin_is_superuser(seeded):
    manager = User.objects.get(username="manager")
    assert manager.agent_profile.is_manager
    assert manager.is_staff
    assert manager.has_perm("tickets.view_ticket")
    assert manager.has_perm("tickets.change_customer")
    assert not manager.has_perm("tickets.delete_ticket")
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff


def test_tickets_cover_every_status_and_several_channels(seeded):
    assert Ticket.objects.count() >= SMALL["tickets"]
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == set(Ticket.Status.values)
    channels = set(Ticket.objects.values_list("channel", flat=True))
    assert len(channels) >= 3
    assert channels <= {c for c in Channel.values if c != Channel.API}


def test_tickets_are_spread_over_weeks_and_none_is_in_the_future(seeded):
    now = timezone.now()
    oldest = Ticket.objects.aggregate(oldest=Min("created_at"))["oldest"]
    assert (now - oldest).days >= 20
    assert not Ticket.objects.filter(created_at__gt=now).exists()
    assert not Message.objects.filter(created_at__gt=now).exists()
    assert not TicketEvent.objects.filter(created_at__gt=now).exists()


def test_every_ticket_went_through_the_services(seeded):
    without_trail = Ticket.objects.exclude(events__kind=TicketEvent.Kind.CREATED)
    assert not without_trail.exists()
    # A merged duplicate hands its messages over to the ticket it was merged into.
    assert not Ticket.objects.filter(messages=None, merged_into=None).exists()
    for ticket in Ticket.objects.exclude(merged_into=None):
        assert ticket.status == Ticket.Status.CLOSED
        assert ticket.events.filter(kind=TicketEvent.Kind.MERGED).exists()
    for ticket in Ticket.objects.filter(status=Ticket.Status.CLOSED):
        assert ticket.closed_at is not None
        assert ticket.events.filter(after=Ticket.Status.CLOSED).exists()
    replied = Ticket.objects.exclude(first_response_at=None)
    assert replied.exists()
    assert all(t.first_response_at >= t.created_at for t in replied)


def test_escalations_carry_a_reason_and_reach_n3(seeded):
    escalations = TicketEvent.objects.filter(kind=TicketEvent.Kind.ESCALATED)
    assert escalations.exists()
    assert not escalations.filter(reason="").exists()
    assert {e.after["tier"] for e in escalations} == {Tier.N2, Tier.N3}
    for ticket in Ticket.objects.exclude(tier=Tier.N1):
        assert ticket.events.filter(kind=TicketEvent.Kind.ESCALATED).exists(), ticket


def test_conversations_have_replies_notes_and_tags(seeded):
    assert Message.objects.filter(direction=Message.Direction.INBOUND).exists()
    assert Message.objects.filter(
        direction=Message.Direction.OUTBOUND, kind=Message.Kind.MESSAGE
    ).exists()
    assert Message.objects.filter(kind=Message.Kind.INTERNAL_NOTE).exists()
    assert Tag.objects.filter(tickets__isnull=False).exists()
    assert Message.objects.filter(body_text__contains="não").exists()  # the content is pt-BR


def test_some_customers_are_known_on_several_channels(seeded):
    multi = Customer.objects.annotate(kinds=Count("identities__kind", distinct=True)).filter(
        kinds__gte=2
    )
    assert multi.exists()
    phones = CustomerIdentity.objects.filter(kind__in=["whatsapp", "phone"])
    assert phones.exists()
    assert all(i.value.startswith("+55") for i in phones)
    assert Customer.objects.exclude(organization=None).exists()
    segments = set(Customer.objects.values_list("segment", flat=True))
    assert len(segments) >= 3


def test_portal_customer_sees_their_own_tickets(seeded):
    user = User.objects.get(username="cliente@example.com")
    customer = Customer.objects.get(user=user)
    assert customer.identities.filter(kind="email", value="cliente@example.com").exists()
    tickets = ticket_list_for_customer(user=user)
    assert tickets.count() >= 3
    assert set(tickets.values_list("customer", flat=True)) == {customer.pk}
    # A ticket merged into another is listed as the one it was merged into.
    assert tickets.count() == Ticket.objects.filter(customer=customer, merged_into=None).count()


def test_running_twice_changes_nothing(seeded):
    before = counts()
    output = seed()
    assert counts() == before
    assert "already" in output


def test_refuses_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        seed()
    assert not Ticket.objects.exists()
    assert not User.objects.exists()


def test_force_loads_even_without_debug(db, settings):
    settings.DEBUG = False
    seed(tickets=8, customers=5, force=True)
    assert Ticket.objects.count() >= 8
    assert User.objects.filter(username="manager").exists()


def test_same_seed_gives_the_same_tickets(db, settings):
    settings.DEBUG = True
    seed(tickets=12, customers=6)
    first = list(Ticket.objects.order_by("number").values_list("subject", "channel", "status"))
    Ticket.objects.all().delete()
    seed(tickets=12, customers=6)
    again = list(Ticket.objects.order_by("number").values_list("subject", "channel", "status"))
    assert again == first


def test_demo_history_leaves_no_work_behind(seeded):
    outbound = Message.objects.filter(direction=Message.Direction.OUTBOUND, kind="message")

    assert outbound.exists()
    assert not outbound.filter(delivery_status=Message.DeliveryStatus.QUEUED).exists()
    assert not Message.objects.filter(kind=Message.Kind.SYSTEM).exists()  # no acknowledgements


def test_solved_tickets_get_survey_answers_with_portuguese_comments_once(seeded):
    from surveys.models import Survey, SurveyInvitation, SurveyResponse

    answers = SurveyResponse.objects.select_related("ticket")
    assert Survey.objects.filter(kind="nps", is_relationship=True).exists()
    assert answers.exists()
    assert all(a.ticket.status in ("solved", "closed") for a in answers)
    assert all(a.created_at > a.ticket.solved_at for a in answers)
    assert answers.exclude(comment="").exists()
    assert TicketEvent.objects.filter(kind="survey_answered").count() == answers.count()
    before = (SurveyInvitation.objects.count(), answers.count())

    seed()

    assert (SurveyInvitation.objects.count(), SurveyResponse.objects.count()) == before


def test_the_shipped_automation_rules_are_active_and_the_whatsapp_team_is_staffed(seeded):
    from automation.defaults import TIME_RULES, TRIGGERS, WHATSAPP_TEAM
    from automation.models import Rule, TimeRule

    assert Rule.objects.filter(is_active=True).count() == len(TRIGGERS)
    assert TimeRule.objects.filter(is_active=True).count() == len(TIME_RULES)
    assert Team.objects.get(name=WHATSAPP_TEAM).agents.count() >= 2
