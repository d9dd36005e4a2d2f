"""Automation's routing hook (automation/birth.py): a new ticket is born in the N1 team of the
first active rule on "created" that can be decided before the ticket exists, matches and sets an
N1 team; the rules' task then finds nothing left to move. Rules are saved through the services
(which tell the hook's cache), as the rule editor does."""

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from automation import birth, services
from automation.dispatch import dispatch_queue
from automation.engine import Work, process
from automation.models import Rule
from sla.models import BusinessCalendar
from tests.tickets.factories import (
    AgentFactory,
    CustomerFactory,
    OrganizationFactory,
    TeamFactory,
    make_inbound,
)
from tickets import registries
from tickets import services as ticket_services
from tickets.models import AgentProfile, Channel, Ticket, TicketEvent, Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    return AgentFactory(is_manager=True).user


@pytest.fixture
def teams(db):
    return {
        name: TeamFactory(name=name, tier=tier)
        for name, tier in (
            ("Atendimento", Tier.N1), ("Financeiro", Tier.N1), ("Vendas", Tier.N1),
            ("Especialistas", Tier.N2),
        )
    }  # fmt: skip


@pytest.fixture
def save(manager, teams):
    """A rule saved as the rule editor saves it (on "created", setting a team by default)."""

    def save(name, *, conditions=(), team="Financeiro", actions=None, **fields):
        fields.setdefault("events", ["created"])
        actions = [{"type": "set_team", "team": team}] if actions is None else actions
        return services.rule_save(
            rule=None, by=manager, name=name, conditions=list(conditions), actions=actions,
            **fields,
        )  # fmt: skip

    return save


def when(field, value, negate=False):
    return {"field": field, "value": value, "negate": negate}


def new_ticket(**fields):
    fields = {
        "channel": Channel.EMAIL, "priority": "normal", "language": "pt-br",
        "subject": "Dúvida", "customer_segment": "active", "customer_language": "pt-br",
        "organization_id": None, "text": "Olá, tudo bem?", **fields,
    }  # fmt: skip
    return registries.NewTicket(**fields)


def routed(**fields):
    answer = birth.route_new_ticket(new_ticket(**fields))
    return None if answer is None else (Rule.objects.get(name=answer.reason).name, answer.team_id)


def team_of(answer, teams):
    return next(name for name, team in teams.items() if team.pk == answer[1])


@pytest.mark.parametrize(
    ("condition", "matching", "other"),
    [
        (when("channel", ["whatsapp"]), {"channel": "whatsapp"}, {"channel": "email"}),
        (when("segment", ["vip"]), {"customer_segment": "vip"}, {}),
        (when("priority", ["urgent", "high"]), {"priority": "high"}, {}),
        (when("tag", ["fiscal"]), {"tags": frozenset({"fiscal"})}, {"tags": frozenset({"x"})}),
        (when("contains", ["Nota Fiscal"]), {"subject": "Erro na nota fiscal"}, {}),
        (when("contains", ["ação"]), {"text": "Qual a AÇÃO?"}, {"text": "acaso"}),
        (when("language", ["en"]), {"customer_language": "en"}, {}),
        (when("language", ["en"]), {"language": "en"}, {}),
        (when("channel", ["email"], negate=True), {"channel": "chat"}, {}),
        (when("tier", ["N1"]), {}, None),
        (when("status", ["new"]), {}, None),
        (when("assigned", False), {}, None),
    ],
)
def test_each_decidable_condition_routes_when_it_holds(save, teams, condition, matching, other):
    save("Rota", conditions=[condition])

    answer = routed(**matching)
    assert answer is not None
    assert team_of(answer, teams) == "Financeiro"
    if other is not None:
        assert routed(**other) is None


def test_the_organization_is_matched_by_name_in_any_case(save, teams):
    padaria = OrganizationFactory(name="ÁGUA E PÃO Ltda")
    other = OrganizationFactory(name="Mercado")
    save("Padaria", conditions=[when("organization", ["água e pão ltda"])])

    assert routed(organization_id=padaria.pk) == ("Padaria", teams["Financeiro"].pk)
    assert routed(organization_id=other.pk) is None
    assert routed() is None


def test_an_organization_renamed_in_the_admin_is_seen_at_once(save, teams, admin_client):
    padaria = OrganizationFactory(name="Padaria")
    save("Padaria", conditions=[when("organization", ["padaria"])])
    assert routed(organization_id=padaria.pk) is not None

    response = admin_client.post(
        f"/admin/tickets/organization/{padaria.pk}/change/", {"name": "Confeitaria", "domain": ""}
    )

    assert response.status_code == 302
    assert routed(organization_id=padaria.pk) is None


def test_business_hours_are_read_from_the_first_calendar(save, teams):
    # Open on one day only, three days from today: closed now.
    calendar = BusinessCalendar(name="Fechado hoje")
    today = timezone.localtime(timezone.now(), ZoneInfo(calendar.time_zone)).weekday()
    calendar.weekly_hours = [
        [["00:00", "23:59"]] if day == (today + 3) % 7 else [] for day in range(7)
    ]
    calendar.save()
    save("Fora do horário", conditions=[when("business_hours", False)], team="Vendas")
    save("No horário", conditions=[when("business_hours", True)])

    assert routed() == ("Fora do horário", teams["Vendas"].pk)


def test_a_rule_it_cannot_decide_is_passed_over_when_it_changes_nothing_later_rules_read(
    save, teams
):
    note = [{"type": "note", "body": "Verificar SLA"}]
    save("SLA", conditions=[when("sla", ["none"])], actions=note)
    save("Equipe", conditions=[when("team", ["atendimento"])], actions=note)
    save("Todos")

    assert routed() == ("Todos", teams["Financeiro"].pk)


@pytest.mark.parametrize(
    "fields",
    [
        {"team": "Vendas"},  # it may move the ticket
        {"actions": [{"type": "set_priority", "value": "high"}]},  # it changes what rules read
        {"actions": [{"type": "note", "body": "x"}], "stop": True},  # it may stop the rules
    ],
)
def test_a_rule_it_cannot_decide_that_may_move_change_or_stop_ends_the_walk(save, teams, fields):
    """The rules' task would run it first, on the ticket as it is born: the hook answers nothing
    rather than a team the task might then leave."""
    save("Equipe", conditions=[when("team", ["Financeiro"])], **fields)
    save("Todos")

    assert routed() is None


def test_a_phrase_is_undecidable_before_the_opening_message_is_known(save, teams):
    save("Boletos", conditions=[when("contains", ["boleto"], negate=True)], team="Vendas")

    assert routed(subject="Dúvida", text="") is None
    assert routed(subject="Dúvida", text="Minha senha") == ("Boletos", teams["Vendas"].pk)


def test_a_skipped_rule_ahead_no_longer_moves_the_born_ticket(save, teams):
    """Review finding: rule 1 reads the team (undecidable), rule 2 decides at birth; the task
    then ran rule 1 on the team the hook chose and moved the ticket away."""
    save("Financeiro vai para Vendas", conditions=[when("team", ["Financeiro"])], team="Vendas",
         stop=True)  # fmt: skip
    save("Boletos", conditions=[when("contains", ["boleto"])], team="Financeiro")

    ticket = ticket_services.message_receive(incoming=make_inbound(body_text="Meu boleto")).ticket
    created = ticket.events.get(kind=TicketEvent.Kind.CREATED)

    assert "routing_rule" not in created.data  # born by the turn; the task decides


def test_the_first_matching_rule_that_sets_an_n1_team_answers(save, teams):
    save("Só confirma", actions=[{"type": "reply", "canned": "Oi"}])
    save("Não casa", conditions=[when("channel", ["sms"])], team="Vendas")
    save("Vendas", conditions=[when("contains", ["comprar"])], team="Vendas")
    save("Financeiro")

    assert routed(subject="Quero comprar") == ("Vendas", teams["Vendas"].pk)
    assert routed() == ("Financeiro", teams["Financeiro"].pk)


def test_a_matching_rule_that_stops_ends_the_walk(save, teams):
    save("Para", conditions=[when("segment", ["vip"])], stop=True,
         actions=[{"type": "notify", "to": "team_leads"}])  # fmt: skip
    save("Depois")

    assert routed(customer_segment="vip") is None
    assert routed() == ("Depois", teams["Financeiro"].pk)


def test_a_matching_rule_that_changes_the_ticket_ends_the_walk(save, teams):
    # The task would read the ticket urgent from there on: the later rules are left to it.
    save("Urgente", actions=[{"type": "set_priority", "priority": "urgent"}])
    save("Normal", conditions=[when("priority", ["normal"])])
    assert routed() is None


@pytest.mark.parametrize(
    "actions",
    [
        [{"type": "set_team", "team": "Especialistas"}],  # N2: an escalation, left to the task
        [{"type": "escalate", "tier": "N2"}, {"type": "set_team", "team": "Vendas"}],
        [{"type": "set_team", "team": "Não existe"}],
    ],
)
def test_a_rule_that_does_not_set_an_n1_team_first_does_not_answer(save, teams, actions):
    save("Outro", actions=actions)
    save("Depois")
    assert routed() is None


def test_a_rule_setting_the_team_after_side_effects_answers(save, teams):
    save("Avisa e move", actions=[
        {"type": "notify", "to": "team_leads"}, {"type": "set_team", "team": "Vendas"},
        {"type": "set_priority", "priority": "high"},
    ])  # fmt: skip
    assert routed() == ("Avisa e move", teams["Vendas"].pk)


def test_inactive_rules_and_rules_on_other_events_are_ignored(save, teams, manager):
    off = save("Desligada", team="Vendas")
    services.rule_set_active(rule=off, active=False, by=manager)
    save("Atualizações", events=["updated", "message"], team="Vendas")
    assert routed() is None
    save("Ligada")
    assert routed() == ("Ligada", teams["Financeiro"].pk)


def test_a_rule_change_is_seen_at_once_and_reading_costs_no_sql(
    save, teams, manager, django_assert_num_queries
):
    rule = save("Regra", conditions=[when("channel", ["whatsapp"])])
    assert routed(channel="whatsapp") == ("Regra", teams["Financeiro"].pk)
    with django_assert_num_queries(0):
        assert birth.route_new_ticket(new_ticket(channel="whatsapp")) is not None

    services.rule_save(rule=rule, by=manager, conditions=[when("channel", ["email"])])
    assert routed(channel="whatsapp") is None
    assert routed(channel="email") == ("Regra", teams["Financeiro"].pk)

    services.rule_set_active(rule=rule, active=False, by=manager)
    assert routed(channel="email") is None


def test_rules_changed_behind_the_services_back_wait_for_the_next_change(save, teams, manager):
    save("Primeira", team="Vendas")
    assert routed()[0] == "Primeira"
    Rule.objects.filter(name="Primeira").update(is_active=False)  # not through a service
    assert routed()[0] == "Primeira"
    second = save("Segunda")
    services.rule_move(rule=second, up=True, by=manager)
    assert routed() == ("Segunda", teams["Financeiro"].pk)


def test_rules_are_read_again_after_a_while_whatever_the_version(save, teams, settings):
    save("Primeira", team="Vendas")
    assert routed()[0] == "Primeira"
    Rule.objects.filter(name="Primeira").update(is_active=False)  # not through a service
    settings.JORNADA = {**settings.JORNADA, "ROUTING_RULES_SECONDS": 0.0}
    assert routed() is None


def test_a_team_renamed_in_the_admin_is_seen_at_once(save, teams, admin_client):
    save("Vendas", team="Vendas")
    assert routed() == ("Vendas", teams["Vendas"].pk)

    team = teams["Vendas"]
    response = admin_client.post(
        f"/admin/tickets/team/{team.pk}/change/", {"name": "Comercial", "tier": Tier.N1}
    )

    assert response.status_code == 302
    assert routed() is None  # the rule names a team no longer there


def test_the_task_then_leaves_the_team_as_it_is_and_logs_the_run(save, teams):
    online = AgentFactory(
        user__username="ana", tier=Tier.N1, teams=[teams["Financeiro"]],
        availability=AgentProfile.Availability.ONLINE, last_seen_at=timezone.now(),
    )  # fmt: skip
    save(
        "Boletos",
        conditions=[when("contains", ["boleto"])],
        actions=[{"type": "set_team", "team": "Financeiro"}, {"type": "assign", "to": "ana"}],
    )

    result = ticket_services.message_receive(incoming=make_inbound(body_text="Meu boleto venceu"))
    ticket = result.ticket
    assert ticket.team == teams["Financeiro"]
    process([Work(ticket.pk, {"created"})])

    ticket.refresh_from_db()
    assert ticket.team == teams["Financeiro"]
    assert ticket.assignee == online.user
    kinds = list(ticket.events.order_by("pk").values_list("kind", flat=True))
    assert TicketEvent.Kind.TEAM_CHANGED not in kinds
    run = ticket.events.get(kind=TicketEvent.Kind.RULE_RAN)
    assert run.data["rule_name"] == "Boletos"
    assert run.after == [{"type": "assign", "value": "ana"}]


def test_a_ticket_born_in_a_rules_team_is_routed_for_the_dispatchers(save, teams, manager):
    save("Boletos", conditions=[when("contains", ["boleto"])])
    born = ticket_services.message_receive(incoming=make_inbound(subject="Boleto")).ticket
    in_turn = ticket_services.message_receive(
        incoming=make_inbound(subject="Outra coisa", sender_value="jose@example.com")
    ).ticket
    process([Work(born.pk, {"created"}), Work(in_turn.pk, {"created"})])

    assert born.team == teams["Financeiro"]
    assert [t.pk for t in dispatch_queue(agent=manager)] == [in_turn.pk]
    assert Ticket.objects.get(pk=born.pk).team == teams["Financeiro"]


def test_the_hook_leaves_customers_tickets_to_the_turn_without_rules(teams):
    customer = CustomerFactory()
    names = {
        ticket_services.ticket_create(customer=customer, subject="x", channel="email").team.name
        for _ in range(3)
    }
    assert names == {"Atendimento", "Financeiro", "Vendas"}


def test_calendars_deleted_in_bulk_and_seeded_teams_and_calendars_are_seen_at_once(
    admin_client, teams
):
    """The review's list of changes that reached the hook only through its 60 s re-read."""
    from sla.defaults import sla_policies_seed_defaults
    from tests.sla.factories import BusinessCalendarFactory

    def changed_by(action) -> bool:
        before = registries.routing_inputs_version()
        action()
        return registries.routing_inputs_version() != before

    assert changed_by(sla_policies_seed_defaults)  # its calendar is new
    assert not changed_by(sla_policies_seed_defaults)  # nothing new the second time
    spare = BusinessCalendarFactory(name="Plantão")  # no policy uses it: it can be deleted
    assert changed_by(
        lambda: admin_client.post(
            "/admin/sla/businesscalendar/",
            {"action": "delete_selected", "_selected_action": [spare.pk], "post": "yes"},
        )
    )
    assert not BusinessCalendar.objects.filter(pk=spare.pk).exists()


def test_the_demo_seeder_tells_the_hook_of_its_teams_and_organizations(db):
    from demo.seeder import Seeder

    seeder = Seeder(seed=1, now=timezone.now(), n_customers=0, n_tickets=0)
    for step in (seeder.setup_organizations, seeder.setup_staff):
        before = registries.routing_inputs_version()
        step()
        assert registries.routing_inputs_version() != before, step.__name__
