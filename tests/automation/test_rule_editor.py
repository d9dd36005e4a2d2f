"""The managers' trigger editor: rows of conditions and actions in, the engine's JSON out."""

import pytest

from automation.forms import ActionForm, ConditionForm
from automation.models import Rule
from tests.automation.conftest import post, rule
from tests.tickets.factories import AgentFactory, TeamFactory
from tickets.models import CannedResponse, Tier


@pytest.fixture
def boss(client, db):
    user = AgentFactory(user__username="boss", tier=Tier.N3, is_manager=True).user
    client.force_login(user)
    return user


def test_the_form_rows_make_the_rule_the_engine_reads(client, boss):
    response = client.post(
        "/manager/rules/new/",
        post(
            "Urgente VIP",
            conditions=[
                {"field": "segment", "choice": ["segment:vip"]},
                {"field": "channel", "negate": "1", "choice": ["channel:whatsapp", "channel:sms"]},
                {"field": "contains", "text": "nota fiscal, boleto"},
                {"field": "business_hours", "choice": ["business_hours:false"]},
                {"field": "", "text": ""},  # the blank row left alone
            ],
            actions=[
                {"type": "set_priority", "priority": "urgent"},
                {"type": "add_tags", "tags": "vip, Urgente"},
                {"type": ""},
            ],
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Rule.objects.get(name="Urgente VIP")
    assert saved.conditions == [
        {"field": "segment", "value": ["vip"]},
        {"field": "channel", "value": ["whatsapp", "sms"], "negate": True},
        {"field": "contains", "value": ["nota fiscal", "boleto"]},
        {"field": "business_hours", "value": False},
    ]
    assert saved.actions == [
        {"type": "set_priority", "priority": "urgent"},
        {"type": "add_tags", "tags": ["vip", "Urgente"]},
    ]
    assert (saved.events, saved.is_active, saved.stop) == (["created"], True, False)


def test_the_json_shape_of_every_row_is_the_one_the_engine_reads(db):
    """Pinned: the engine, the shipped rules and the rules people already saved read these."""
    TeamFactory(name="Financeiro", tier=Tier.N2)
    choices = ActionForm.choices()
    shapes = [
        ({"field": "tier", "choice": ["tier:N1"]}, {"field": "tier", "value": ["N1"]}),
        ({"field": "tag", "text": "fiscal"}, {"field": "tag", "value": ["fiscal"]}),
        ({"field": "assigned", "choice": ["assigned:true"]}, {"field": "assigned", "value": True}),
    ]
    for data, expected in shapes:
        form = ConditionForm(data)
        assert form.is_valid(), form.errors
        assert form.condition() == expected
        assert ConditionForm(ConditionForm.initial_for(expected)).is_valid()
    form = ActionForm(
        {"type": "escalate", "tier": "N2", "team": "Financeiro", "reason": "VIP"}, choices=choices
    )
    assert form.is_valid(), form.errors
    assert form.action() == {
        "type": "escalate",
        "tier": "N2",
        "team": "Financeiro",
        "reason": "VIP",
    }


ACTIONS = [
    {"type": "assign", "to": "auto"},
    {"type": "assign", "to": "ana"},
    {"type": "set_team", "team": "Financeiro"},
    {"type": "escalate", "tier": "N2", "reason": "VIP urgente"},
    {"type": "escalate", "tier": "N2", "team": "Financeiro", "reason": "Fiscal"},
    {"type": "set_priority", "priority": "high"},
    {"type": "set_status", "status": "solved"},
    {"type": "add_tags", "tags": ["vip", "fiscal"]},
    {"type": "remove_tags", "tags": ["triagem"]},
    {"type": "note", "text": "Cliente VIP: responder em 1 hora."},
    {"type": "reply", "canned": "Recebemos sua mensagem"},
    {"type": "notify", "to": "dispatchers"},
    {"type": "notify", "to": "ana, boss"},
    {"type": "webhook", "url": "https://hooks.example.com/T000/B000", "text": "Atenção"},
    {"type": "webhook", "url": "https://hooks.example.com/T000/B000"},
    {"type": "event", "key": "vip-urgente"},
]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a["type"])
def test_each_action_kind_round_trips_through_the_editor(client, boss, action):
    AgentFactory(user__username="ana")
    TeamFactory(name="Financeiro", tier=Tier.N2)
    CannedResponse.objects.create(title="Recebemos sua mensagem", body="Olá")
    saved = rule("Ida e volta", actions=[action])

    page = client.get(f"/manager/rules/{saved.pk}/")
    form = page.context["action_rows"].forms[0]
    data = {
        f"actions-0-{name}": value
        for name, value in ActionForm.initial_for(action).items()
        if value is not None
    }
    response = client.post(
        f"/manager/rules/{saved.pk}/",
        {**post("Ida e volta", actions=[{}], initial=(0, 1)), **data},
    )

    assert form.initial == ActionForm.initial_for(action)
    assert response.status_code == 302, response.context["action_rows"].errors
    saved.refresh_from_db()
    assert saved.actions == [action]


def test_editing_an_existing_rule_shows_its_rows_prefilled(client, boss):
    TeamFactory(name="Financeiro", tier=Tier.N1)
    saved = rule(
        "Fiscal",
        conditions=[
            {"field": "tag", "value": ["fiscal", "nota"]},
            {"field": "tier", "value": ["N1"], "negate": True},
        ],
        actions=[{"type": "set_team", "team": "Financeiro"}, {"type": "assign", "to": "auto"}],
    )

    html = client.get(f"/manager/rules/{saved.pk}/").content.decode()

    assert 'name="conditions-0-text" value="fiscal, nota"' in html
    assert '<option value="tier:N1" selected>' in html
    assert '<option value="1" selected>' in html  # "is not"
    assert '<option value="Financeiro" selected>' in html
    assert '<option value="auto" selected>' in html
    assert 'name="conditions-TOTAL_FORMS" value="3"' in html  # and one blank row
    assert "data-saved-json" in html  # the stored JSON, read only, under "Advanced"
    assert 'name="conditions"' not in html
    assert "<textarea" not in html.split("actions-0")[0]


def test_an_unchanged_existing_rule_saves_the_same_json(client, boss):
    TeamFactory(name="Financeiro", tier=Tier.N1)
    conditions = [
        {"field": "channel", "value": ["whatsapp"]},
        {"field": "sla", "value": ["breached", "warning"], "negate": True},
    ]
    actions = [{"type": "set_team", "team": "Financeiro"}, {"type": "notify", "to": "assignee"}]
    saved = rule("Igual", conditions=conditions, actions=actions)
    page = client.get(f"/manager/rules/{saved.pk}/")
    data = {}
    for set_name in ("condition_rows", "action_rows"):
        formset = page.context[set_name]
        data |= {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        for form in formset.initial_forms:
            data |= {form.add_prefix(k): v for k, v in form.initial.items() if v is not None}
    response = client.post(
        f"/manager/rules/{saved.pk}/", {"name": "Igual", "events": ["created"], **data}
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.conditions, saved.actions) == (conditions, actions)


@pytest.mark.parametrize(
    ("conditions", "actions", "message"),
    [
        ([{"field": "weather", "text": "rain"}], [], "Select a valid choice"),
        ([{"field": "priority", "choice": ["priority:whenever"]}], [], "Select a valid choice"),
        ([{"field": "priority", "choice": ["channel:email"]}], [], "Choose at least one value"),
        ([{"field": "tag", "text": " , "}], [], "Type a value for this field"),
        ([], [{"type": "explode"}], "Select a valid choice"),
        ([], [{"type": "set_status"}], "This action needs this value"),
        ([], [{"type": "set_team", "team": "Nowhere"}], "Select a valid choice"),
        ([], [{"type": "webhook", "url": "not a url"}], "Enter a valid URL"),
        ([], [{"type": "notify", "recipients": "agents", "usernames": "ghost"}], "ghost"),
    ],
)
def test_an_invalid_row_shows_its_error_and_saves_nothing(
    client, boss, conditions, actions, message
):
    response = client.post(
        "/manager/rules/new/", post("Quebrada", conditions=conditions, actions=actions)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Rule.objects.filter(name="Quebrada").exists()


def test_a_removed_row_is_not_saved_even_when_invalid(client, boss):
    saved = rule(
        "Podar",
        conditions=[{"field": "tag", "value": ["a"]}, {"field": "tag", "value": ["b"]}],
        actions=[{"type": "event", "key": "x"}],
    )
    data = post(
        "Podar",
        conditions=[
            {"field": "tag", "text": "a", "DELETE": "on"},
            {"field": "tag", "text": "b"},
            {"field": "priority", "choice": [], "DELETE": "on"},
        ],
        actions=[{"type": "event", "key": "x"}],
        initial=(2, 1),
    )
    assert client.post(f"/manager/rules/{saved.pk}/", data).status_code == 302
    saved.refresh_from_db()
    assert saved.conditions == [{"field": "tag", "value": ["b"]}]


def test_the_new_rule_page_has_one_blank_row_of_each(client, boss):
    html = client.get("/manager/rules/new/").content.decode()
    assert 'name="conditions-TOTAL_FORMS" value="1"' in html
    assert 'name="actions-TOTAL_FORMS" value="1"' in html
    assert "js/rule_editor.js" in html


def test_the_editor_reads_the_same_queries_for_one_row_or_forty(client, boss):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    TeamFactory(name="Financeiro", tier=Tier.N1)
    small = rule("Pequena", conditions=[{"field": "tag", "value": ["a"]}],
                 actions=[{"type": "set_team", "team": "Financeiro"}])  # fmt: skip
    big = rule(
        "Grande",
        conditions=[{"field": "channel", "value": ["email"]}] * 20,
        actions=[{"type": "set_team", "team": "Financeiro"}, {"type": "assign", "to": "auto"}] * 10,
    )
    counts = []
    for saved in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/manager/rules/{saved.pk}/").status_code == 200
        counts.append(len(queries))
    sql = [q["sql"][:60] for q in queries.captured_queries]
    assert counts == [EDITOR_QUERIES, EDITOR_QUERIES], sql


# Session, user, agent profile (the manager check), the rule, then the choices read once for all
# the action rows (agents, teams, canned responses), and the page header's one read.
EDITOR_QUERIES = 8


def test_a_stored_value_in_another_case_is_prefilled_as_its_choice():
    row = ConditionForm.initial_for({"field": "tier", "value": ["n1", "N2"]})
    assert row["choice"] == ["tier:N1", "tier:N2"]


def test_a_post_without_the_rows_or_with_a_taken_name_is_a_page_not_a_500(client, boss):
    rule("Existente")
    assert client.post("/manager/rules/new/", {"name": "Sem linhas"}).status_code == 200
    response = client.post(
        "/manager/rules/new/", post("Existente", actions=[{"type": "event", "key": "x"}])
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Rule.objects.filter(name="Existente").count() == 1
