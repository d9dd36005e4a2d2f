"""Canned responses and macros: placeholders filled safely, who is offered which response, who
may keep them, and macros applied through the ticket services in one transaction."""

import pytest
from django.contrib.auth import get_user_model

from tests.tickets.factories import (
    AgentFactory,
    CannedResponseFactory,
    CustomerFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from tickets import services
from tickets.errors import (
    CannedResponseForbidden,
    IllegalTransition,
    InvalidCannedResponse,
    InvalidChoice,
    InvalidEscalation,
    NotAnAgent,
    TierNotAllowed,
)
from tickets.models import CannedResponse, Customer, Ticket, TicketEvent, Tier
from tickets.selectors import ticket_get_for_agent
from tickets.selectors.macros import canned_responses_for

S = Ticket.Status
E = TicketEvent.Kind


@pytest.fixture
def agent(n1_agent):
    n1_agent.first_name, n1_agent.last_name = "Ana", "Souza"
    n1_agent.save()
    return n1_agent


@pytest.fixture
def vip_ticket(teams):
    customer = CustomerFactory(
        name="Maria  da Silva",
        segment=Customer.Segment.VIP,
        organization=OrganizationFactory(name="Padaria Pão Quente"),
    )
    return make_ticket(customer=customer, team=teams[Tier.N1], subject="Boleto não chegou")


def render(body, ticket, agent):
    return services.canned_response_render(
        canned=CannedResponse(title="t", body=body), ticket=ticket, agent=agent
    )


# --- Rendering -----------------------------------------------------------------------------------


def test_every_placeholder_is_filled_for_the_ticket(vip_ticket, agent):
    body = (
        "{customer_name}|{customer_first_name}|{ticket_number}|{ticket_subject}|"
        "{agent_name}|{agent_first_name}|{organization}"
    )

    assert render(body, vip_ticket, agent) == (
        f"Maria da Silva|Maria|{vip_ticket.number}|Boleto não chegou|"
        "Ana Souza|Ana|Padaria Pão Quente"
    )


def test_placeholders_forgive_spaces_and_capitals(vip_ticket, agent):
    assert render("Olá { Customer_First_Name },", vip_ticket, agent) == "Olá Maria,"


def test_unknown_placeholders_and_braces_stay_exactly_as_typed(vip_ticket, agent):
    body = 'Rode `systemctl status {service}`; envie {"id": 1} { } {{ }} { e }}'

    assert render(body, vip_ticket, agent) == body


@pytest.mark.parametrize(
    "attempt",
    [
        "{0.__class__}",
        "{0}",
        "{}",
        "{customer_name.__class__.__mro__}",
        "{customer_name!r}",
        "{ticket_number[0]}",
        "{agent_name:>999999999}",
        "{customer_name.__init__.__globals__}",
    ],
)
def test_format_tricks_are_never_evaluated(vip_ticket, agent, attempt):
    assert render(f"x {attempt} y", vip_ticket, agent) == f"x {attempt} y"


def test_a_nameless_customer_is_greeted_in_the_tickets_language(teams, agent):
    portuguese = make_ticket(customer=CustomerFactory(name=""), team=teams[Tier.N1])
    english = make_ticket(customer=CustomerFactory(name="", language="en"), team=teams[Tier.N1])

    assert render("Olá {customer_first_name},", portuguese, agent) == "Olá cliente,"
    assert render("Hi {customer_name},", english, agent) == "Hi customer,"


def test_an_agent_without_a_full_name_signs_with_the_login(vip_ticket, n2_agent):
    assert render("{agent_name} / {agent_first_name}", vip_ticket, n2_agent) == "n2 / n2"


def test_no_organization_renders_empty(teams, agent):
    ticket = make_ticket(customer=CustomerFactory(name="Jo"), team=teams[Tier.N1])

    assert render("[{organization}]", ticket, agent) == "[]"


# --- Who is offered what -------------------------------------------------------------------------


def titles(responses):
    return [canned.title for canned in responses]


def test_an_agent_is_offered_their_own_and_the_shared_never_anothers(agent, n2_agent):
    CannedResponseFactory(title="mine", owner=agent)
    CannedResponseFactory(title="shared")
    CannedResponseFactory(title="theirs", owner=n2_agent)

    assert sorted(titles(canned_responses_for(agent=agent))) == ["mine", "shared"]
    assert titles(canned_responses_for(agent=agent, scope="mine")) == ["mine"]
    assert titles(canned_responses_for(agent=agent, scope="shared")) == ["shared"]


def test_segment_and_language_narrow_what_a_ticket_is_offered(agent, vip_ticket):
    CannedResponseFactory(title="any")
    CannedResponseFactory(title="vip", segment=Customer.Segment.VIP)
    CannedResponseFactory(title="at risk", segment=Customer.Segment.AT_RISK)
    CannedResponseFactory(title="pt", language="pt-br")
    CannedResponseFactory(title="en", language="en")
    CannedResponseFactory(title="vip en", segment=Customer.Segment.VIP, language="en")

    offered = canned_responses_for(agent=agent, ticket=vip_ticket)

    assert sorted(titles(offered)) == ["any", "pt", "vip"]


def test_search_needs_every_word_in_the_title_or_the_text(agent):
    CannedResponseFactory(title="Segunda via de boleto", body="Segue o link.")
    CannedResponseFactory(title="Senha", body="Para trocar a senha do boleto digital…")
    CannedResponseFactory(title="Entrega", body="Seu pedido saiu.")

    assert sorted(titles(canned_responses_for(agent=agent, query="BOLETO"))) == [
        "Segunda via de boleto",
        "Senha",
    ]
    assert titles(canned_responses_for(agent=agent, query="boleto senha")) == ["Senha"]


def test_the_most_used_come_first(agent):
    CannedResponseFactory(title="b rare", usage_count=1)
    CannedResponseFactory(title="a never")
    CannedResponseFactory(title="c popular", usage_count=40)

    assert titles(canned_responses_for(agent=agent)) == ["c popular", "b rare", "a never"]


def test_the_selector_costs_one_query(agent, vip_ticket, django_assert_num_queries):
    for n in range(5):
        CannedResponseFactory(title=f"r{n}", owner=agent if n % 2 else None)

    ticket = ticket_get_for_agent(agent=agent, number=vip_ticket.number)  # as views load it

    with django_assert_num_queries(1):
        list(canned_responses_for(agent=agent, ticket=ticket, query="olá"))


# --- Keeping them --------------------------------------------------------------------------------


def test_an_agent_keeps_their_personal_responses(agent):
    canned = services.canned_response_create(
        by=agent, title="  Boas-vindas ", body="Olá {customer_first_name}!"
    )
    assert (canned.owner, canned.title) == (agent, "Boas-vindas")

    services.canned_response_update(canned=canned, by=agent, title="Oi", set_status=S.PENDING)
    canned.refresh_from_db()
    assert (canned.title, canned.set_status, canned.owner) == ("Oi", S.PENDING, agent)

    services.canned_response_delete(canned=canned, by=agent)
    assert not CannedResponse.objects.filter(pk=canned.pk).exists()


def test_an_agent_cannot_create_a_shared_response(agent):
    with pytest.raises(CannedResponseForbidden):
        services.canned_response_create(by=agent, title="t", body="b", shared=True)

    assert not CannedResponse.objects.exists()


def test_an_agent_cannot_change_a_shared_one_or_anothers(agent, n2_agent):
    shared = CannedResponseFactory(title="shared")
    theirs = CannedResponseFactory(title="theirs", owner=n2_agent)

    for canned in (shared, theirs):
        with pytest.raises(CannedResponseForbidden):
            services.canned_response_update(canned=canned, by=agent, title="mine now")
        with pytest.raises(CannedResponseForbidden):
            services.canned_response_delete(canned=canned, by=agent)
    with pytest.raises(CannedResponseForbidden):
        services.canned_response_update(
            canned=CannedResponseFactory(owner=agent), by=agent, shared=True
        )

    assert set(CannedResponse.objects.values_list("title", flat=True)) >= {"shared", "theirs"}


def test_a_manager_keeps_the_shared_ones_but_not_other_agents_personal_ones(manager, agent):
    canned = services.canned_response_create(by=manager, title="Aviso", body="b", shared=True)
    assert canned.owner is None

    services.canned_response_update(canned=canned, by=manager, body="novo texto")
    canned.refresh_from_db()
    assert (canned.body, canned.owner) == ("novo texto", None)

    with pytest.raises(CannedResponseForbidden):
        services.canned_response_delete(canned=CannedResponseFactory(owner=agent), by=manager)
    services.canned_response_delete(canned=canned, by=manager)


def test_a_manager_may_share_a_personal_response_and_take_a_shared_one_back(manager):
    canned = services.canned_response_create(by=manager, title="t", body="b")

    services.canned_response_update(canned=canned, by=manager, shared=True)
    canned.refresh_from_db()
    assert canned.owner is None
    services.canned_response_update(canned=canned, by=manager, shared=False)
    canned.refresh_from_db()
    assert canned.owner == manager


def test_a_superuser_without_agent_profile_keeps_shared_ones_only(db):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "x")

    assert services.canned_response_create(by=root, title="t", body="b", shared=True).owner is None
    with pytest.raises(NotAnAgent):
        services.canned_response_create(by=root, title="t", body="b")


def test_people_who_are_not_agents_keep_nothing(db):
    with pytest.raises(NotAnAgent):
        services.canned_response_create(by=UserFactory(), title="t", body="b")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"body": ""}, "body"),
        ({"body": "Olá {custmer_name}"}, "body"),
        ({"body": "Olá {first_name}"}, "body"),
    ],
)
def test_invalid_responses_are_refused_with_the_field_at_fault(agent, changes, field):
    values = {"title": "t", "body": "b", **changes}

    with pytest.raises(InvalidCannedResponse) as refused:
        services.canned_response_create(by=agent, **values)

    assert refused.value.code == "invalid_canned_response"
    assert refused.value.field == field


def test_a_misspelled_placeholder_is_named_with_its_likely_meaning(agent):
    with pytest.raises(InvalidCannedResponse, match=r"\{custmer_name\}.*\{customer_name\}"):
        services.canned_response_create(by=agent, title="t", body="Olá {custmer_name}")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("set_status", S.NEW),
        ("set_status", S.CLOSED),
        ("set_priority", "critical"),
        ("segment", "gold"),
        ("language", "fr"),
    ],
)
def test_choices_outside_the_lists_are_refused(agent, field, value):
    with pytest.raises(InvalidChoice):
        services.canned_response_create(by=agent, title="t", body="b", **{field: value})


def test_tags_are_stored_as_the_ticket_services_name_them(agent):
    canned = services.canned_response_create(
        by=agent, title="t", body="b", add_tags="Segunda Via, billing,, billing ,"
    )

    assert canned.add_tags == "segunda-via, billing"


def test_only_known_fields_can_be_updated(agent):
    canned = CannedResponseFactory(owner=agent)

    with pytest.raises(TypeError):
        services.canned_response_update(canned=canned, by=agent, usage_count=99)


# --- Applying macros -----------------------------------------------------------------------------


def test_a_macro_applies_each_action_with_its_audit_row(agent, teams, vip_ticket):
    other_n1 = TeamFactory(name="Atendimento VIP", tier=Tier.N1)
    macro = CannedResponseFactory(
        owner=agent,
        set_status=S.PENDING,
        set_priority=Ticket.Priority.HIGH,
        add_tags="vip, segunda-via",
        assign_to_me=True,
        assign_team=other_n1,
    )

    services.macro_apply(ticket=vip_ticket, canned=macro, by=agent)

    vip_ticket.refresh_from_db()
    assert vip_ticket.status == S.PENDING
    assert vip_ticket.priority == Ticket.Priority.HIGH
    assert (vip_ticket.assignee, vip_ticket.team) == (agent, other_n1)
    assert sorted(vip_ticket.tags.values_list("name", flat=True)) == ["segunda-via", "vip"]
    events = list(vip_ticket.events.exclude(kind=E.CREATED).values_list("kind", "actor"))
    assert events == [
        (E.TAGS_CHANGED, agent.pk),
        (E.PRIORITY_CHANGED, agent.pk),
        (E.TEAM_CHANGED, agent.pk),
        (E.ASSIGNED, agent.pk),
        (E.STATUS_CHANGED, agent.pk),
    ]
    macro.refresh_from_db()
    assert macro.usage_count == 1


def test_moving_to_a_team_keeps_the_current_assignee(agent, n2_agent, teams, vip_ticket):
    Ticket.objects.filter(pk=vip_ticket.pk).update(assignee=n2_agent)
    macro = CannedResponseFactory(assign_team=TeamFactory(name="Cobrança", tier=Tier.N1))

    ticket = services.macro_apply(ticket=vip_ticket, canned=macro, by=agent)

    assert (ticket.assignee_id, ticket.team.name) == (n2_agent.pk, "Cobrança")


def test_a_refused_status_change_undoes_every_action(agent, vip_ticket):
    Ticket.objects.filter(pk=vip_ticket.pk).update(status=S.SOLVED)
    events_before = vip_ticket.events.count()
    macro = CannedResponseFactory(
        set_status=S.PENDING, set_priority=Ticket.Priority.URGENT, add_tags="retorno"
    )

    with pytest.raises(IllegalTransition):
        services.macro_apply(ticket=vip_ticket, canned=macro, by=agent)

    vip_ticket.refresh_from_db()
    assert (vip_ticket.status, vip_ticket.priority) == (S.SOLVED, Ticket.Priority.NORMAL)
    assert not vip_ticket.tags.exists()
    assert vip_ticket.events.count() == events_before
    macro.refresh_from_db()
    assert macro.usage_count == 0


def test_a_team_of_another_tier_is_refused_and_nothing_changes(agent, teams, vip_ticket):
    macro = CannedResponseFactory(add_tags="n2", assign_team=teams[Tier.N2])

    with pytest.raises(InvalidEscalation):
        services.macro_apply(ticket=vip_ticket, canned=macro, by=agent)

    vip_ticket.refresh_from_db()
    assert (vip_ticket.team, list(vip_ticket.tags.all())) == (teams[Tier.N1], [])


def test_a_plain_response_is_only_counted(agent, vip_ticket):
    canned = CannedResponseFactory(usage_count=4)
    events_before = vip_ticket.events.count()

    services.macro_apply(ticket=vip_ticket, canned=canned, by=agent)

    canned.refresh_from_db()
    assert canned.usage_count == 5
    assert vip_ticket.events.count() == events_before


def test_another_agents_personal_macro_cannot_be_applied(agent, n2_agent, vip_ticket):
    theirs = CannedResponseFactory(owner=n2_agent, set_status=S.SOLVED)

    with pytest.raises(CannedResponseForbidden):
        services.macro_apply(ticket=vip_ticket, canned=theirs, by=agent)

    vip_ticket.refresh_from_db()
    assert vip_ticket.status == S.NEW


def test_an_agent_of_another_tier_cannot_take_the_ticket_by_macro(vip_ticket):
    # A ticket escalated to N3 cannot be taken by an N1 agent's "assign to me" macro.
    n1 = AgentFactory(tier=Tier.N1).user
    Ticket.objects.filter(pk=vip_ticket.pk).update(tier=Tier.N3)

    with pytest.raises(TierNotAllowed):
        services.macro_apply(
            ticket=vip_ticket, canned=CannedResponseFactory(assign_to_me=True), by=n1
        )


def test_a_reply_with_a_status_macro_moves_a_new_ticket_once(agent, vip_ticket):
    assert vip_ticket.status == S.NEW
    macro = CannedResponseFactory(set_status=S.PENDING)

    services.message_reply(ticket=vip_ticket, by=agent, body_text="Aguardo.", macro=macro)

    changes = vip_ticket.events.filter(kind=E.STATUS_CHANGED)
    assert [(e.before, e.after) for e in changes] == [(S.NEW, S.PENDING)]
