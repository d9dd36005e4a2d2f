"""The Django admin: every page renders, changelists keep a fixed number of queries, and every
change to a ticket made from the admin goes through the services (and leaves its audit row)."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.tickets.factories import (
    AgentFactory,
    CannedResponseFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    OrganizationFactory,
    TeamFactory,
    make_ticket,
)
from tickets import services
from tickets.inbound import InboundAttachment, NormalizedMessage
from tickets.models import (
    AgentProfile,
    Attachment,
    CannedResponse,
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

S = Ticket.Status
E = TicketEvent.Kind

# Queries a changelist page makes whatever the number of rows: session, user, the paginator's
# count, the rows, and the filters' lookups (agents, teams, organizations, tags).
MAX_CHANGELIST_QUERIES = {"ticket": 8, "message": 4, "ticketevent": 5}


def url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def receive(value, *, subject="Boleto em atraso", body="Olá", external_id="", attachments=()):
    return services.message_receive(
        incoming=NormalizedMessage(
            channel="email",
            sender_kind="email",
            sender_value=value,
            sender_name="Cliente",
            subject=subject,
            body_text=body,
            external_id=external_id,
            attachments=attachments,
        )
    )


def flash(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_agent(admin_user):
    """The superuser of `admin_client`, made an N3 manager so the services accept it as `by`."""
    AgentFactory(user=admin_user, tier=Tier.N3, n1_role="", is_manager=True)
    return admin_user


@pytest.fixture
def agent_client(client, admin_agent):
    client.force_login(admin_agent)
    return client


@pytest.fixture
def populated(teams, n1_agent, admin_agent):
    """At least one row of every model."""
    organization = OrganizationFactory(name="Acme Ltda", domain="acme.com.br")
    result = receive(
        "Joana@Acme.com.br",
        external_id="<m1@acme>",
        attachments=(InboundAttachment("nota.pdf", "application/pdf", b"%PDF-1.4 test"),),
    )
    ticket = result.ticket
    services.ticket_claim(ticket=ticket, by=n1_agent)
    services.ticket_tag(ticket=ticket, by=n1_agent, add=["boleto"])
    services.message_reply(ticket=ticket, by=n1_agent, body_text="Vamos verificar.")
    return {
        "organization": organization,
        "customer": ticket.customer,
        "identity": CustomerIdentity.objects.get(value="joana@acme.com.br"),
        "team": teams[Tier.N1],
        "agent_profile": n1_agent.agent_profile,
        "tag": Tag.objects.get(name="boleto"),
        "ticket": ticket,
        "message": result.message,
        "attachment": Attachment.objects.get(),
        "event": ticket.events.first(),
        "canned": CannedResponseFactory(add_tags="boleto", set_status="pending"),
    }


def ticket_form_data(client, ticket, **changes):
    """What the change form would post back untouched (management forms of the read-only
    inlines included), with `changes` applied."""
    response = client.get(url(Ticket, "change", ticket.pk))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[name] = [str(getattr(item, "pk", item)) for item in value]
        elif value is not None:
            data[name] = str(getattr(value, "pk", value))
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{inline.formset.prefix}-{name}"] = management[name].value()
    data.update(changes)
    return data


def post_ticket(client, ticket, **changes):
    return client.post(
        url(Ticket, "change", ticket.pk), ticket_form_data(client, ticket, **changes)
    )


def form_errors(response):
    form = response.context["adminform"].form
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


# --- every page renders ---------------------------------------------------------------------------

MODELS = {
    "organization": Organization,
    "customer": Customer,
    "identity": CustomerIdentity,
    "team": Team,
    "agent_profile": AgentProfile,
    "tag": Tag,
    "ticket": Ticket,
    "message": Message,
    "attachment": Attachment,
    "event": TicketEvent,
    "canned": CannedResponse,
}
READ_ONLY = {"message", "attachment", "event"}


@pytest.mark.parametrize("key", MODELS)
def test_changelist_renders(agent_client, populated, key):
    response = agent_client.get(url(MODELS[key]))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("key", MODELS)
def test_change_page_renders(agent_client, populated, key):
    response = agent_client.get(url(MODELS[key], "change", populated[key].pk))
    assert response.status_code == 200


@pytest.mark.parametrize("key", sorted(set(MODELS) - READ_ONLY))
def test_add_page_renders(agent_client, populated, key):
    assert agent_client.get(url(MODELS[key], "add")).status_code == 200


@pytest.mark.parametrize("key", sorted(READ_ONLY))
def test_read_only_models_have_no_add_page(agent_client, populated, key):
    assert agent_client.get(url(MODELS[key], "add")).status_code == 403


def test_user_admin_shows_the_agent_profile_inline(agent_client, populated, n1_agent):
    response = agent_client.get(reverse("admin:auth_user_change", args=[n1_agent.pk]))
    assert response.status_code == 200
    assert "agent_profile-TOTAL_FORMS" in response.content.decode()
    changelist = agent_client.get(reverse("admin:auth_user_changelist"))
    assert changelist.status_code == 200
    assert agent_client.get(reverse("admin:auth_user_add")).status_code == 200


def test_attachment_pages_link_to_the_download_view_not_to_the_stored_file(agent_client, populated):
    attachment = populated["attachment"]
    download = reverse("attachment", args=[attachment.pk, attachment.filename])

    for page in (
        url(Attachment, "change", attachment.pk),
        url(Attachment),
        url(Message, "change", attachment.message_id),
    ):
        html = agent_client.get(page).content.decode()
        assert f'href="{download}"' in html
        assert attachment.file.name not in html
        assert "/media/" not in html

    response = agent_client.get(download)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"


def test_staff_who_may_view_attachments_in_the_admin_may_download_them(client, populated):
    attachment = populated["attachment"]
    download = reverse("attachment", args=[attachment.pk, attachment.filename])
    clerk = get_user_model().objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.get(download).status_code == 404

    clerk.user_permissions.add(Permission.objects.get(codename="view_attachment"))
    client.force_login(get_user_model().objects.get(pk=clerk.pk))
    assert client.get(download).status_code == 200


def test_ticket_page_shows_conversation_with_attachment_count_and_audit_trail(
    agent_client, populated
):
    response = agent_client.get(url(Ticket, "change", populated["ticket"].pk))
    inlines = {i.formset.prefix: i for i in response.context["inline_admin_formsets"]}
    assert set(inlines) == {"messages", "events"}
    counts = [form.instance.attachment_count for form in inlines["messages"].formset.forms]
    assert counts == [1, 0]
    assert len(inlines["events"].formset.forms) == populated["ticket"].events.count()
    for inline in inlines.values():
        assert not inline.has_add_permission
        assert not inline.has_change_permission
        assert not inline.has_delete_permission


# --- search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("{number}", True),
        ("#{number}", True),
        ("joana@acme", True),
        ("boleto em", True),
        ("zz", False),
    ],
)
def test_ticket_search(agent_client, populated, term, found):
    ticket = populated["ticket"]
    make_ticket(subject="Outro assunto")
    response = agent_client.get(url(Ticket), {"q": term.format(number=ticket.number)})
    assert response.status_code == 200
    results = list(response.context["cl"].result_list)
    assert (results == [ticket]) is found


def test_message_event_and_attachment_search_by_ticket_number(agent_client, populated):
    ticket = populated["ticket"]
    receive(
        "outra@example.com",
        subject="Outro assunto",
        external_id="<o1@x>",
        attachments=(InboundAttachment("foto.png", "image/png", b"png"),),
    )
    for model in (Message, TicketEvent, Attachment):
        assert agent_client.get(url(model)).context["cl"].result_count > 1
        response = agent_client.get(url(model), {"q": f"#{ticket.number}"})
        assert response.status_code == 200
        rows = list(response.context["cl"].result_list)
        assert rows
        owners = {row.message.ticket if model is Attachment else row.ticket for row in rows}
        assert owners == {ticket}


def test_customer_search_by_identity(agent_client, populated):
    CustomerFactory(name="Outra pessoa")
    response = agent_client.get(url(Customer), {"q": "joana@acme.com.br"})
    assert list(response.context["cl"].result_list) == [populated["customer"]]


# --- changelists do not grow with the number of rows ----------------------------------------------


def _fill(count, teams, agents):
    organization = OrganizationFactory()
    for i in range(count):
        customer = CustomerFactory(organization=organization if i % 2 else None)
        ticket = make_ticket(customer=customer, team=teams[Tier.N1])
        services.ticket_claim(ticket=ticket, by=agents[i % len(agents)])
        services.message_reply(ticket=ticket, by=agents[i % len(agents)], body_text="ok")
        receive(f"cliente{i}@example.com", subject=f"[#{ticket.number}]", external_id=f"<{i}@x>")


def _queries(client, model):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url(model))
    assert response.status_code == 200
    return len(captured), len(response.context["cl"].result_list)


@pytest.mark.parametrize("model", [Ticket, Message, TicketEvent])
def test_changelist_query_count_does_not_grow_with_rows(
    agent_client, teams, n1_agent, n2_agent, django_assert_max_num_queries, model
):
    agents = [n1_agent, AgentFactory(tier=Tier.N1).user]
    limit = MAX_CHANGELIST_QUERIES[model._meta.model_name]
    _fill(5, teams, agents)
    with django_assert_max_num_queries(limit):
        few, rows_few = _queries(agent_client, model)
    _fill(25, teams, agents)
    with django_assert_max_num_queries(limit):
        many, rows_many = _queries(agent_client, model)
    assert rows_many > rows_few
    assert many == few


def test_ticket_changelist_filters_render(agent_client, populated, n1_agent):
    params = [
        {"status": "open"},
        {"assignee": "me"},
        {"assignee": "none"},
        {"assignee": str(n1_agent.pk)},
        {"customer__segment": "new"},
        {"tier": "N1", "priority": "normal", "channel": "email"},
        {"tags__id__exact": str(populated["tag"].pk)},
        {"created_at__gte": populated["ticket"].created_at.isoformat()},
    ]
    for query in params:
        response = agent_client.get(url(Ticket), query)
        assert response.status_code == 200, query
    mine = agent_client.get(url(Ticket), {"assignee": str(n1_agent.pk)})
    assert list(mine.context["cl"].result_list) == [populated["ticket"]]
    assert list(agent_client.get(url(Ticket), {"assignee": "me"}).context["cl"].result_list) == []


# --- adding a ticket ------------------------------------------------------------------------------


def test_adding_a_ticket_calls_ticket_create(agent_client, admin_agent, teams, customer, n1_agent):
    response = agent_client.post(
        url(Ticket, "add"),
        {
            "customer": customer.pk,
            "subject": "Pedido por telefone",
            "channel": "phone",
            "priority": "high",
            "team": teams[Tier.N1].pk,
            "assignee": n1_agent.pk,
        },
    )
    assert response.status_code == 302, form_errors(response)
    ticket = Ticket.objects.get(subject="Pedido por telefone")
    assert ticket.number >= 1001
    assert (ticket.priority, ticket.team, ticket.assignee) == ("high", teams[Tier.N1], n1_agent)
    created = ticket.events.get(kind=E.CREATED)
    assert created.actor == admin_agent
    assert ticket.events.get(kind=E.ASSIGNED).actor == admin_agent


def test_adding_a_ticket_with_tags_records_them(agent_client, customer):
    tag = Tag.objects.create(name="telefone")
    response = agent_client.post(
        url(Ticket, "add"),
        {
            "customer": customer.pk,
            "subject": "Com tag",
            "channel": "phone",
            "priority": "normal",
            "tags": [tag.pk],
        },
    )
    assert response.status_code == 302, form_errors(response)
    ticket = Ticket.objects.get(subject="Com tag")
    assert list(ticket.tags.values_list("name", flat=True)) == ["telefone"]
    assert ticket.events.filter(kind=E.TAGS_CHANGED).exists()


def test_new_ticket_cannot_start_in_an_n2_team(agent_client, teams, customer):
    response = agent_client.post(
        url(Ticket, "add"),
        {
            "customer": customer.pk,
            "subject": "N2 direto",
            "channel": "web",
            "priority": "normal",
            "team": teams[Tier.N2].pk,
        },
    )
    assert response.status_code == 200
    assert "team" in form_errors(response)
    assert not Ticket.objects.filter(subject="N2 direto").exists()


def test_refused_add_is_rolled_back_and_shown_on_the_form(admin_client, teams, customer, n1_agent):
    """The superuser has no agent profile: ticket_create accepts it, ticket_assign does not.
    The ticket made by the first service must not survive the second one's refusal."""
    response = admin_client.post(
        url(Ticket, "add"),
        {
            "customer": customer.pk,
            "subject": "Meio feito",
            "channel": "web",
            "priority": "normal",
            "assignee": n1_agent.pk,
        },
    )
    assert response.status_code == 200
    assert "admin is not an agent." in response.content.decode()
    assert not Ticket.objects.filter(subject="Meio feito").exists()


# --- changing a ticket goes through the services --------------------------------------------------


def test_status_change_in_the_form_goes_through_the_service(agent_client, admin_agent, ticket):
    response = post_ticket(agent_client, ticket, status=S.PENDING)
    assert response.status_code == 302, form_errors(response)
    ticket.refresh_from_db()
    assert ticket.status == S.PENDING
    event = ticket.events.get(kind=E.STATUS_CHANGED)
    assert (event.actor, event.before, event.after) == (admin_agent, S.NEW, S.PENDING)


def test_staff_manager_with_permissions_changes_status(client, manager, ticket):
    manager.is_staff = True
    manager.save()
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label="tickets"))
    client.force_login(manager)
    response = post_ticket(client, ticket, status=S.SOLVED)
    assert response.status_code == 302, form_errors(response)
    assert ticket.events.get(kind=E.STATUS_CHANGED).actor == manager


def test_illegal_transition_is_a_form_error_and_changes_nothing(agent_client, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status=S.CLOSED)
    events_before = ticket.events.count()
    response = post_ticket(agent_client, ticket, status=S.OPEN, priority="urgent")
    assert response.status_code == 200
    assert form_errors(response)["status"] == ["A ticket cannot go from “Closed” to “Open”."]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (S.CLOSED, "normal")
    assert ticket.events.count() == events_before


def test_new_cannot_jump_to_closed(agent_client, ticket):
    response = post_ticket(agent_client, ticket, status=S.CLOSED)
    assert "status" in form_errors(response)
    ticket.refresh_from_db()
    assert ticket.status == S.NEW


def test_tier_change_without_reason_is_refused(agent_client, ticket):
    response = post_ticket(agent_client, ticket, tier=Tier.N2, tier_reason="  ")
    assert response.status_code == 200
    assert form_errors(response)["tier_reason"] == ["Say why: a reason is required."]
    ticket.refresh_from_db()
    assert ticket.tier == Tier.N1
    assert not ticket.events.filter(kind=E.ESCALATED).exists()


def test_tier_change_with_reason_escalates(agent_client, admin_agent, teams, ticket):
    response = post_ticket(agent_client, ticket, tier=Tier.N2, tier_reason="Erro no servidor")
    assert response.status_code == 302, form_errors(response)
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N2, teams[Tier.N2])
    event = ticket.events.get(kind=E.ESCALATED)
    assert (event.reason, event.actor) == ("Erro no servidor", admin_agent)


def test_lowering_the_tier_deescalates(agent_client, teams, ticket):
    services.ticket_escalate(ticket=ticket, reason="análise", by=None)
    response = post_ticket(agent_client, ticket, tier=Tier.N1, tier_reason="Era dúvida simples")
    assert response.status_code == 302, form_errors(response)
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N1, teams[Tier.N1])
    assert ticket.events.get(kind=E.DEESCALATED).reason == "Era dúvida simples"


def test_escalation_releases_an_assignee_below_the_new_tier(agent_client, ticket, n1_agent):
    services.ticket_claim(ticket=ticket, by=n1_agent)
    response = post_ticket(agent_client, ticket, tier=Tier.N2, tier_reason="N2")
    assert response.status_code == 302, form_errors(response)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert any("n1 cannot hold a N2 ticket" in m for m in flash(response))


def test_assignee_below_the_tier_is_a_form_error(agent_client, ticket, n1_agent):
    services.ticket_escalate(ticket=ticket, reason="análise", by=None)
    response = post_ticket(agent_client, ticket, assignee=str(n1_agent.pk))
    assert form_errors(response)["assignee"] == ["n1 is a N1 agent and cannot hold a N2 ticket."]
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_team_of_another_tier_is_a_form_error(agent_client, teams, ticket):
    response = post_ticket(agent_client, ticket, team=str(teams[Tier.N3].pk))
    assert "team" in form_errors(response)
    ticket.refresh_from_db()
    assert ticket.team == teams[Tier.N1]


def test_escalating_into_a_chosen_team(agent_client, teams, ticket):
    other_n2 = TeamFactory(name="Financeiro N2", tier=Tier.N2)
    response = post_ticket(
        agent_client, ticket, tier=Tier.N2, tier_reason="Financeiro", team=str(other_n2.pk)
    )
    assert response.status_code == 302, form_errors(response)
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team) == (Tier.N2, other_n2)


def test_priority_people_and_tags_each_go_through_their_service(
    agent_client, admin_agent, ticket, n1_agent
):
    other_team = TeamFactory(name="Vendas N1", tier=Tier.N1)
    keep = Tag.objects.create(name="manter")
    drop = Tag.objects.create(name="remover")
    ticket.tags.add(keep, drop)  # test set-up: a ticket that already has tags
    response = post_ticket(
        agent_client,
        ticket,
        priority="urgent",
        assignee=str(n1_agent.pk),
        team=str(other_team.pk),
        tags=[str(keep.pk), str(Tag.objects.create(name="novo").pk)],
    )
    assert response.status_code == 302, form_errors(response)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee, ticket.team) == ("urgent", n1_agent, other_team)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["manter", "novo"]
    kinds = set(ticket.events.filter(actor=admin_agent).values_list("kind", flat=True))
    assert kinds == {E.PRIORITY_CHANGED, E.ASSIGNED, E.TEAM_CHANGED, E.TAGS_CHANGED}
    tags_event = ticket.events.get(kind=E.TAGS_CHANGED)
    assert (tags_event.before, tags_event.after) == (["manter", "remover"], ["manter", "novo"])


def test_saving_unchanged_form_records_nothing(agent_client, ticket):
    events_before = ticket.events.count()
    response = post_ticket(agent_client, ticket)
    assert response.status_code == 302, form_errors(response)
    assert ticket.events.count() == events_before


def test_removing_the_team_is_a_form_error(agent_client, ticket):
    response = post_ticket(agent_client, ticket, team="")
    assert "team" in form_errors(response)


def test_service_refusal_after_validation_is_a_form_error(agent_client, teams, ticket):
    """No N3 team exists: only ticket_escalate knows. Its refusal comes back as a form error."""
    teams[Tier.N3].delete()
    Ticket.objects.filter(pk=ticket.pk).update(tier=Tier.N2, team=teams[Tier.N2])
    response = post_ticket(agent_client, ticket, tier=Tier.N3, tier_reason="Bug no núcleo")
    assert response.status_code == 200
    errors = form_errors(response)["__all__"]
    assert errors == ["There is no team of tier N3 to receive this ticket."]
    ticket.refresh_from_db()
    assert ticket.tier == Tier.N2
    assert not ticket.events.filter(kind=E.ESCALATED).exists()


def test_user_without_agent_profile_sees_an_error_not_a_traceback(admin_client, ticket):
    response = post_ticket(admin_client, ticket, status=S.OPEN)
    assert response.status_code == 200
    assert form_errors(response)["__all__"] == ["admin is not an agent."]
    ticket.refresh_from_db()
    assert ticket.status == S.NEW


def test_number_and_conversation_fields_are_read_only(agent_client, ticket):
    response = post_ticket(agent_client, ticket, number="1", subject="Outro", status=S.OPEN)
    assert response.status_code == 302, form_errors(response)
    old_number = ticket.number
    ticket.refresh_from_db()
    assert (ticket.number, ticket.subject) == (old_number, "Não consigo acessar minha conta")
    form = agent_client.get(url(Ticket, "change", ticket.pk)).context["adminform"].form
    assert "number" not in form.fields
    assert "subject" not in form.fields


def test_tickets_cannot_be_deleted(agent_client, ticket):
    assert agent_client.get(url(Ticket, "delete", ticket.pk)).status_code == 403
    assert "delete_selected" not in admin.site._registry[Ticket].get_actions(
        agent_client.get(url(Ticket)).wsgi_request
    )


# --- changelist actions ---------------------------------------------------------------------------


def run_action(client, action, tickets, **extra):
    data = {"action": action, "_selected_action": [t.pk for t in tickets], "index": 0, **extra}
    return client.post(url(Ticket), data, follow=True)


def test_mark_solved_reports_successes_and_failures(agent_client, admin_agent, customer):
    good = make_ticket(customer=customer, status=S.OPEN)
    closed = make_ticket(customer=customer, status=S.CLOSED)
    response = run_action(agent_client, "mark_solved", [good, closed])
    good.refresh_from_db()
    closed.refresh_from_db()
    assert (good.status, closed.status) == (S.SOLVED, S.CLOSED)
    assert good.events.get(kind=E.STATUS_CHANGED).actor == admin_agent
    notes = flash(response)
    assert "Mark as solved: done for 1 ticket." in notes
    assert (
        f"Mark as solved failed for 1 ticket: #{closed.number}: "
        "A ticket cannot go from “Closed” to “Solved”." in notes
    )


def test_close_action(agent_client, customer):
    solved = make_ticket(customer=customer, status=S.SOLVED)
    fresh = make_ticket(customer=customer)
    response = run_action(agent_client, "close", [solved, fresh])
    solved.refresh_from_db()
    fresh.refresh_from_db()
    assert (solved.status, fresh.status) == (S.CLOSED, S.NEW)
    assert any("Close failed for 1 ticket" in m for m in flash(response))


def test_claim_for_me(agent_client, admin_agent, customer, n1_agent):
    free = make_ticket(customer=customer)
    taken = make_ticket(customer=customer)
    services.ticket_claim(ticket=taken, by=n1_agent)
    response = run_action(agent_client, "claim_for_me", [free, taken])
    free.refresh_from_db()
    taken.refresh_from_db()
    assert (free.assignee, free.status, taken.assignee) == (admin_agent, S.OPEN, n1_agent)
    assert free.events.get(kind=E.CLAIMED).actor == admin_agent
    assert any(f"#{taken.number} was already claimed by n1" in m for m in flash(response))


@pytest.mark.parametrize(
    ("action", "priority"), [("set_priority_high", "high"), ("set_priority_urgent", "urgent")]
)
def test_priority_actions(agent_client, customer, action, priority):
    tickets = [make_ticket(customer=customer) for _ in range(3)]
    response = run_action(agent_client, action, tickets)
    assert set(Ticket.objects.values_list("priority", flat=True)) == {priority}
    assert TicketEvent.objects.filter(kind=E.PRIORITY_CHANGED).count() == 3
    assert any("done for 3 tickets" in m for m in flash(response))


def test_escalate_action_asks_for_a_reason_then_escalates(agent_client, teams, customer):
    n1 = make_ticket(customer=customer, team=teams[Tier.N1])
    n3 = make_ticket(customer=customer, team=teams[Tier.N3], tier=Tier.N3)
    page = run_action(agent_client, "escalate_next_tier", [n1, n3])
    assert page.status_code == 200
    assert "Escalate 2 tickets to the next tier. Why?" in page.content.decode()
    n1.refresh_from_db()
    assert n1.tier == Tier.N1  # nothing happens before the reason is given

    without_reason = agent_client.post(
        url(Ticket),
        {
            "action": "escalate_next_tier",
            "_selected_action": [n1.pk, n3.pk],
            "apply": "1",
            "reason": "",
        },
    )
    assert without_reason.status_code == 200
    assert without_reason.context["form"].errors
    n1.refresh_from_db()
    assert n1.tier == Tier.N1

    done = agent_client.post(
        url(Ticket),
        {
            "action": "escalate_next_tier",
            "_selected_action": [n1.pk, n3.pk],
            "apply": "1",
            "reason": "Mutirão de análise",
        },
        follow=True,
    )
    n1.refresh_from_db()
    assert (n1.tier, n1.team) == (Tier.N2, teams[Tier.N2])
    assert n1.events.get(kind=E.ESCALATED).reason == "Mutirão de análise"
    notes = flash(done)
    assert "Escalate to the next tier: done for 1 ticket." in notes
    assert any(f"#{n3.number}: A N3 ticket cannot move to —" in m for m in notes)


def test_actions_by_a_user_without_agent_profile_fail_cleanly(admin_client, customer):
    ticket = make_ticket(customer=customer, status=S.OPEN)
    response = run_action(admin_client, "mark_solved", [ticket])
    assert response.status_code == 200
    assert any("admin is not an agent." in m for m in flash(response))
    ticket.refresh_from_db()
    assert ticket.status == S.OPEN


# --- the audit trail and the conversation are read-only -------------------------------------------


@pytest.mark.parametrize("model", [TicketEvent, Message, Attachment])
def test_read_only_admins_refuse_add_change_delete_even_to_superusers(
    agent_client, populated, model, rf, admin_agent
):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = admin_agent
    obj = model.objects.first()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    assert not model_admin.has_delete_permission(request, obj)
    assert model_admin.has_view_permission(request, obj)
    assert agent_client.get(url(model, "delete", obj.pk)).status_code == 403
    assert "delete_selected" not in model_admin.get_actions(
        agent_client.get(url(model)).wsgi_request
    )


def test_event_change_post_changes_nothing(agent_client, populated):
    event = populated["event"]
    response = agent_client.post(url(TicketEvent, "change", event.pk), {"reason": "forjado"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.reason == ""


# --- customers, identities, tags, agents ----------------------------------------------------------


def test_merge_customers_into_the_oldest(agent_client, admin_agent):
    oldest = CustomerFactory(name="Joana Souza")
    CustomerIdentityFactory(customer=oldest, value="joana@example.com")
    duplicate = CustomerFactory(name="Joana (WhatsApp)")
    CustomerIdentityFactory(customer=duplicate, kind="whatsapp", value="+5511987654321")
    ticket = make_ticket(customer=duplicate)
    response = agent_client.post(
        url(Customer),
        {"action": "merge_into_oldest", "_selected_action": [duplicate.pk, oldest.pk], "index": 0},
        follow=True,
    )
    duplicate.refresh_from_db()
    ticket.refresh_from_db()
    assert duplicate.merged_into == oldest
    assert ticket.customer == oldest
    assert set(oldest.identities.values_list("value", flat=True)) == {
        "joana@example.com",
        "+5511987654321",
    }
    assert ticket.events.get(kind=E.CUSTOMER_CHANGED).actor == admin_agent
    assert any("1 customer merged into Joana Souza" in m for m in flash(response))


def test_merge_needs_two_customers(agent_client):
    only = CustomerFactory()
    response = agent_client.post(
        url(Customer),
        {"action": "merge_into_oldest", "_selected_action": [only.pk], "index": 0},
        follow=True,
    )
    assert "Select at least two customers to merge." in flash(response)


def test_merge_reports_refusals(agent_client):
    target = CustomerFactory()
    gone = CustomerFactory()
    elsewhere = CustomerFactory()
    Customer.objects.filter(pk=gone.pk).update(merged_into=elsewhere)
    response = agent_client.post(
        url(Customer),
        {"action": "merge_into_oldest", "_selected_action": [target.pk, gone.pk], "index": 0},
        follow=True,
    )
    assert any("Could not merge" in m for m in flash(response))
    gone.refresh_from_db()
    assert gone.merged_into == elsewhere


def test_customer_identities_are_stored_normalized(agent_client):
    response = agent_client.post(
        url(Customer, "add"),
        {
            "name": "Carlos",
            "segment": "vip",
            "language": "pt-br",
            "identities-TOTAL_FORMS": "2",
            "identities-INITIAL_FORMS": "0",
            "identities-0-kind": "email",
            "identities-0-value": "  Carlos@Example.COM ",
            "identities-1-kind": "whatsapp",
            "identities-1-value": "(11) 98765-4321",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(name="Carlos")
    assert set(customer.identities.values_list("value", flat=True)) == {
        "carlos@example.com",
        "+5511987654321",
    }


def test_invalid_identity_is_a_form_error(agent_client, customer):
    response = agent_client.post(
        url(CustomerIdentity, "add"),
        {"customer": customer.pk, "kind": "email", "value": "sem-arroba"},
    )
    assert response.status_code == 200
    assert "value" in response.context["adminform"].form.errors
    assert not CustomerIdentity.objects.exists()


def test_tags_made_in_the_admin_are_normalized_like_the_service(agent_client, ticket, n1_agent):
    response = agent_client.post(url(Tag, "add"), {"name": "Segunda Via"})
    assert response.status_code == 302
    tag = Tag.objects.get()
    assert tag.name == "segunda-via"
    services.ticket_tag(ticket=ticket, by=n1_agent, add=["Segunda Via"])
    assert list(ticket.tags.all()) == [tag]


def test_n1_role_only_for_n1_agents(agent_client, teams):
    user = AgentFactory(tier=Tier.N1).user
    profile = user.agent_profile
    response = agent_client.post(
        url(AgentProfile, "change", profile.pk),
        {
            "user": user.pk,
            "tier": "N2",
            "n1_role": "solver",
            "languages": "pt-br",
            "teams": [teams[Tier.N2].pk],
        },
    )
    assert response.status_code == 200
    assert "n1_role" in response.context["adminform"].form.errors
    response = agent_client.post(
        url(AgentProfile, "change", profile.pk),
        {
            "user": user.pk,
            "tier": "N2",
            "n1_role": "",
            "languages": "pt-br",
            "teams": [teams[Tier.N2].pk],
        },
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.tier == Tier.N2
    assert list(profile.teams.all()) == [teams[Tier.N2]]


def test_agent_cannot_drop_below_the_tickets_they_hold(agent_client, ticket, n2_agent):
    services.ticket_escalate(ticket=ticket, reason="análise", by=None)
    services.ticket_claim(ticket=ticket, by=n2_agent)
    response = agent_client.post(
        url(AgentProfile, "change", n2_agent.agent_profile.pk),
        {"user": n2_agent.pk, "tier": "N1", "n1_role": "solver", "languages": "pt-br"},
    )
    assert response.status_code == 200
    assert "tier" in response.context["adminform"].form.errors
    n2_agent.agent_profile.refresh_from_db()
    assert n2_agent.agent_profile.tier == Tier.N2


def test_admin_index_lists_every_model(agent_client):
    response = agent_client.get(reverse("admin:index"))
    assert response.status_code == 200
    app = next(a for a in response.context["app_list"] if a["app_label"] == "tickets")
    assert {m["object_name"] for m in app["models"]} == {m.__name__ for m in MODELS.values()}


def test_ticket_page_queries_do_not_grow_with_the_conversation(agent_client, ticket, n1_agent):
    services.ticket_claim(ticket=ticket, by=n1_agent)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get(url(Ticket, "change", ticket.pk)).status_code == 200
        return len(captured)

    queries()  # warm the session
    services.message_reply(ticket=ticket, by=n1_agent, body_text="primeira")
    short = queries()
    for i in range(10):
        services.message_reply(ticket=ticket, by=n1_agent, body_text=f"resposta {i}")
        services.ticket_change_priority(ticket=ticket, priority=["high", "low"][i % 2], by=n1_agent)
    assert queries() == short


def test_customer_autocomplete_for_tickets_skips_merged_customers(agent_client):
    kept = CustomerFactory(name="Rita Lima")
    merged = CustomerFactory(name="Rita L.")
    Customer.objects.filter(pk=merged.pk).update(merged_into=kept)
    response = agent_client.get(
        reverse("admin:autocomplete"),
        {"term": "Rita", "app_label": "tickets", "model_name": "ticket", "field_name": "customer"},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(kept.pk)]


def test_tag_spelled_unlike_the_service_is_a_form_error_not_a_silent_no_op(agent_client, ticket):
    odd = Tag.objects.create(name="Boleto")  # made outside the admin and the services
    ticket.tags.add(odd)
    response = post_ticket(agent_client, ticket, tags=[])
    assert response.status_code == 200
    assert form_errors(response)["tags"] == [
        "The tag “Boleto” is not written the way tickets are tagged (“boleto”); "
        "rename it under Tags first."
    ]
    assert list(ticket.tags.all()) == [odd]


def test_an_agents_chat_capacity_is_set_in_the_admin(agent_client, teams):
    user = AgentFactory(tier=Tier.N1, teams=[teams[Tier.N1]]).user
    profile = user.agent_profile
    form = {"user": user.pk, "tier": "N1", "n1_role": "solver", "languages": "pt-br"}
    form["teams"] = [teams[Tier.N1].pk]

    agent_client.post(url(AgentProfile, "change", profile.pk), {**form, "chat_capacity": 5})
    profile.refresh_from_db()
    assert profile.chat_capacity == 5
    agent_client.post(url(AgentProfile, "change", profile.pk), form)  # left out: kept
    profile.refresh_from_db()
    assert profile.chat_capacity == 5
