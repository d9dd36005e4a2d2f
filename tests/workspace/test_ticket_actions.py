"""What an agent does on the ticket page, through the real views: each action changes the ticket,
leaves its audit row, says so and goes back to the ticket; every refusal is said and changes
nothing; the customer panel, the next-ticket shortcut, and the page's query count."""

import html
import re
from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.tickets.factories import (
    AgentFactory,
    CannedResponseFactory,
    TeamFactory,
    UserFactory,
    make_inbound,
    make_ticket,
)
from tickets import services
from tickets.models import (
    CannedResponse,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Ticket,
    TicketEvent,
    TicketLink,
    Tier,
)
from tickets.services._common import record_event

S = Ticket.Status
E = TicketEvent.Kind


@pytest.fixture(autouse=True)
def _fresh_inbox_counts():
    cache.clear()  # some actions land on the inbox, whose counts are cached


# --- helpers -------------------------------------------------------------------------------------


def url(name, ticket, *extra):
    return reverse(name, args=[ticket.number, *extra])


def read(client, ticket, language="en"):
    response = client.get(url("ticket-detail", ticket), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def submit(client, name, ticket, data=None, *extra):
    """POST an action as the browser does and follow its redirect: (where it led, page text)."""
    response = client.post(
        url(name, ticket, *extra), data or {}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.redirect_chain, "an action always redirects"
    return response.redirect_chain[-1][0], response.content.decode()


def notices(body):
    """The flash messages on a page, as (level, text)."""
    box = re.search(r'<ul class="messages">(.*?)</ul>', body, re.S)
    found = re.findall(r'<li class="(\w+)">(.*?)</li>', box.group(1), re.S) if box else []
    return [(level, html.unescape(text)) for level, text in found]


def section(body, pattern):
    match = re.search(pattern, body, re.S)
    assert match, f"no {pattern!r} on the page"
    return html.unescape(match.group(0))


def related(body):
    return section(body, r'<ul class="links">.*?</ul>')


def panel(body):
    return section(body, r'<section class="side-card customer-panel".*?</section>')


def channel_options(body):
    """The reply box's channel select: [(value, selected)]."""
    select = section(body, r'<select name="channel".*?</select>')
    return [
        (value, bool(chosen)) for value, chosen in re.findall(r'value="(\w+)"( selected)?', select)
    ]


def textarea(body, element_id):
    """What a text box holds as the page comes back."""
    match = re.search(rf'<textarea id="{element_id}"[^>]*>(.*?)</textarea>', body, re.S)
    assert match, f"no #{element_id} on the page"
    return html.unescape(match.group(1))


def events(ticket, kind):
    return list(ticket.events.filter(kind=kind).order_by("id"))


def receive(**fields):
    return services.message_receive(incoming=make_inbound(**fields))


def footprint():
    """What any action could have written: refusals must leave all of it as it was."""
    return (
        list(Ticket.objects.order_by("pk").values()),
        TicketEvent.objects.count(),
        Message.objects.count(),
        TicketLink.objects.count(),
        list(Ticket.tags.through.objects.order_by("pk").values_list("ticket_id", "tag_id")),
    )


@pytest.fixture
def agent_client(client, n1_agent):
    client.force_login(n1_agent)
    return client


@pytest.fixture
def ana(teams):
    """A colleague on the same N1 team."""
    return AgentFactory(user__username="ana", tier=Tier.N1, teams=[teams[Tier.N1]]).user


@pytest.fixture
def conversation(teams):
    """An email ticket of Maria's with two messages (the second raises another matter)."""
    first = receive(
        external_id="<boleto@cliente.example>",
        subject="Boleto não chegou",
        body_text="O boleto de novembro não chegou.",
    )
    receive(
        external_id="<endereco@cliente.example>",
        subject="Re: Boleto não chegou",
        reply_to_ids=("<boleto@cliente.example>",),
        body_text="Aproveitando: mudei de endereço, como atualizo o cadastro?",
    )
    return first.ticket


@pytest.fixture
def hidden(conversation, teams):
    """A ticket of the same customer that N1 agents cannot see (it is with the N2 team)."""
    return make_ticket(
        customer=conversation.customer,
        subject="Contrato sigiloso",
        team=teams[Tier.N2],
        tier=Tier.N2,
    )


# --- who may act at all --------------------------------------------------------------------------

ACTIONS = [
    "ticket-reply",
    "ticket-note",
    "ticket-claim",
    "ticket-assign",
    "ticket-status",
    "ticket-priority",
    "ticket-escalate",
    "ticket-deescalate",
    "ticket-tags",
    "ticket-merge",
    "ticket-link",
    "ticket-unlink",
    "ticket-split",
]


@pytest.fixture
def attempt(conversation, teams, n1_agent):
    """For each action: its URL on the conversation and a well-formed POST for it."""
    other = make_ticket(customer=conversation.customer, team=teams[Tier.N1], subject="Outro")
    services.ticket_link(ticket=conversation, other=other, by=n1_agent)
    message = conversation.messages.order_by("id").last()
    data = {
        "ticket-reply": {"body": "Olá!", "channel": Channel.EMAIL},
        "ticket-note": {"body": "Anotação"},
        "ticket-claim": {},
        "ticket-assign": {"assignee": n1_agent.pk},
        "ticket-status": {"status": S.PENDING},
        "ticket-priority": {"priority": Ticket.Priority.HIGH},
        "ticket-escalate": {"up-to_tier": Tier.N2, "up-reason": "Falha no sistema"},
        "ticket-deescalate": {"down-to_tier": Tier.N1, "down-reason": "Engano"},
        "ticket-tags": {"tags": "boleto"},
        "ticket-merge": {"merge-number": other.number},
        "ticket-link": {"link-number": other.number},
        "ticket-unlink": {},
        "ticket-split": {"subject": "Endereço"},
    }
    extra = {"ticket-unlink": [other.number], "ticket-split": [message.pk]}

    def make(name):
        return url(name, conversation, *extra.get(name, [])), data[name]

    return make


@pytest.mark.parametrize("name", ACTIONS)
def test_actions_refuse_get(agent_client, attempt, name):
    address, _ = attempt(name)
    before = footprint()

    assert agent_client.get(address).status_code == 405
    assert footprint() == before


@pytest.mark.parametrize("name", ACTIONS)
def test_customers_get_403_from_every_action(client, attempt, conversation, name):
    user = UserFactory(username="maria")
    Customer.objects.filter(pk=conversation.customer_id).update(user=user)
    client.force_login(user)
    address, data = attempt(name)
    before = footprint()

    assert client.post(address, data).status_code == 403
    assert footprint() == before


@pytest.mark.parametrize("name", ACTIONS)
def test_an_agent_of_another_team_gets_404_from_every_action(client, attempt, teams, name):
    outsider = AgentFactory(user__username="fin", tier=Tier.N3, teams=[teams[Tier.N3]]).user
    client.force_login(outsider)
    address, data = attempt(name)
    before = footprint()

    assert client.post(address, data).status_code == 404
    assert footprint() == before


@pytest.mark.parametrize("name", ACTIONS)
def test_anonymous_visitors_are_sent_to_log_in(client, attempt, name):
    address, data = attempt(name)

    response = client.post(address, data)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- reply ---------------------------------------------------------------------------------------


def test_reply_goes_out_and_shows_on_the_ticket(agent_client, conversation, n1_agent):
    where, body = submit(
        agent_client,
        "ticket-reply",
        conversation,
        {"body": "Reenviamos o boleto, Maria.", "channel": Channel.EMAIL},
    )

    reply = conversation.messages.get(direction=Message.Direction.OUTBOUND)
    assert (reply.body_text, reply.channel, reply.author_user) == (
        "Reenviamos o boleto, Maria.",
        Channel.EMAIL,
        n1_agent,
    )
    assert reply.delivery_status == Message.DeliveryStatus.QUEUED
    assert where == url("ticket-detail", conversation) + f"#message-{reply.pk}"
    assert ("success", "Reply queued for delivery by Email.") in notices(body)
    assert f'id="message-{reply.pk}"' in body
    [event] = events(conversation, E.REPLY_SENT)
    assert (event.actor, event.data["message_id"]) == (n1_agent, reply.pk)
    conversation.refresh_from_db()
    assert conversation.status == S.OPEN  # answering a new ticket opens it


def test_reply_and_set_pending_in_one_step(agent_client, conversation):
    submit(
        agent_client,
        "ticket-reply",
        conversation,
        {"body": "Aguardo seu retorno.", "channel": Channel.EMAIL, "then_status": S.PENDING},
    )

    conversation.refresh_from_db()
    assert conversation.status == S.PENDING
    assert events(conversation, E.STATUS_CHANGED)[-1].after == S.PENDING


def test_reply_stores_every_attached_file(agent_client, conversation):
    files = [
        SimpleUploadedFile("boleto.pdf", b"%PDF-1.4 boleto", content_type="application/pdf"),
        SimpleUploadedFile("comprovante.png", b"\x89PNG imagem", content_type="image/png"),
    ]

    _, body = submit(
        agent_client,
        "ticket-reply",
        conversation,
        {"body": "Seguem os arquivos.", "channel": Channel.EMAIL, "attachments": files},
    )

    reply = conversation.messages.get(direction=Message.Direction.OUTBOUND)
    stored = {a.filename: (a.content_type, a.size, a.file.read()) for a in reply.attachments.all()}
    assert stored == {
        "boleto.pdf": ("application/pdf", 15, b"%PDF-1.4 boleto"),
        "comprovante.png": ("image/png", 11, b"\x89PNG imagem"),
    }
    for attachment in reply.attachments.all():
        assert reverse("attachment", args=[attachment.pk, attachment.filename]) in body


def test_a_reply_with_only_a_file_is_sent(agent_client, conversation):
    pdf = SimpleUploadedFile("boleto.pdf", b"%PDF", content_type="application/pdf")

    submit(
        agent_client,
        "ticket-reply",
        conversation,
        {"body": "", "channel": Channel.EMAIL, "attachments": pdf},
    )

    reply = conversation.messages.get(direction=Message.Direction.OUTBOUND)
    assert [a.filename for a in reply.attachments.all()] == ["boleto.pdf"]


def test_an_empty_reply_comes_back_with_its_error_and_choices_kept(agent_client, conversation):
    before = footprint()

    response = agent_client.post(
        url("ticket-reply", conversation),
        {"body": "   \n ", "channel": Channel.EMAIL, "then_status": S.SOLVED},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Write something first: the message is empty." in body
    assert '<option value="solved" selected>' in body
    assert footprint() == before


def test_a_refused_reply_keeps_the_text_typed(agent_client, conversation, settings):
    settings.JORNADA = {**settings.JORNADA, "ATTACHMENT_MAX_BYTES": 10}
    big = SimpleUploadedFile("planilha.xlsx", b"x" * 50, content_type="application/octet-stream")
    before = footprint()

    response = agent_client.post(
        url("ticket-reply", conversation),
        {"body": "Segue a planilha <revisada> & completa.", "channel": "email", "attachments": big},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "“planilha.xlsx” is 50 bytes; the limit is 10 bytes." in body
    assert "Segue a planilha <revisada> & completa." in textarea(body, "reply-body")
    assert footprint() == before


def test_a_reply_on_a_channel_the_customer_is_not_on_says_why(agent_client, conversation):
    before = footprint()

    response = agent_client.post(
        url("ticket-reply", conversation),
        {"body": "Olá por SMS", "channel": Channel.SMS},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Select a valid choice. sms is not one of the available choices." in body
    assert "Olá por SMS" in textarea(body, "reply-body")
    assert footprint() == before


def test_a_reply_with_an_empty_file_says_why(agent_client, conversation):
    empty = SimpleUploadedFile("vazio.txt", b"", content_type="text/plain")

    response = agent_client.post(
        url("ticket-reply", conversation),
        {"body": "Segue o arquivo", "channel": Channel.EMAIL, "attachments": empty},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "The submitted file is empty." in response.content.decode()
    assert not conversation.messages.filter(direction=Message.Direction.OUTBOUND).exists()


@pytest.fixture
def whatsapp_identity(conversation):
    return services.customer_add_identity(
        customer=conversation.customer,
        kind=CustomerIdentity.Kind.WHATSAPP,
        value="+55 11 98765-4321",
    )


def test_reply_offers_the_customers_other_channels_after_the_current_one(
    agent_client, conversation, whatsapp_identity
):
    body = read(agent_client, conversation)

    assert channel_options(body) == [(Channel.EMAIL, True), (Channel.WHATSAPP, False)]


def test_reply_defaults_to_the_channel_the_customer_last_wrote_on(
    agent_client, conversation, whatsapp_identity, n1_agent
):
    on_whatsapp = receive(
        channel=Channel.WHATSAPP,
        sender_value=whatsapp_identity.value,
        external_id="wamid.1",
        body_text="Mandei por aqui também",
    ).ticket
    services.ticket_merge(source=on_whatsapp, target=conversation, by=n1_agent)

    body = read(agent_client, conversation)
    assert channel_options(body) == [(Channel.WHATSAPP, True), (Channel.EMAIL, False)]

    _, body = submit(
        agent_client,
        "ticket-reply",
        conversation,
        {"body": "Recebi, Maria!", "channel": Channel.WHATSAPP},
    )
    reply = conversation.messages.get(direction=Message.Direction.OUTBOUND)
    assert reply.channel == Channel.WHATSAPP
    assert ("success", "Reply queued for delivery by WhatsApp.") in notices(body)


def test_reply_from_a_macro_applies_the_macro(agent_client, conversation):
    macro = CannedResponseFactory(
        title="Segunda via enviada", set_status=S.PENDING, add_tags="segunda-via, Boleto"
    )

    submit(
        agent_client,
        "ticket-reply",
        conversation,
        {"body": "Segue a segunda via.", "channel": Channel.EMAIL, "canned_id": macro.pk},
    )

    conversation.refresh_from_db()
    assert conversation.status == S.PENDING
    assert set(conversation.tags.values_list("name", flat=True)) == {"boleto", "segunda-via"}
    assert events(conversation, E.TAGS_CHANGED)[-1].after == ["boleto", "segunda-via"]
    assert CannedResponse.objects.get(pk=macro.pk).usage_count == 1


def test_another_agents_personal_macro_is_not_applied(agent_client, conversation, ana):
    theirs = CannedResponseFactory(owner=ana, set_status=S.SOLVED, add_tags="de-outro")

    submit(
        agent_client,
        "ticket-reply",
        conversation,
        {"body": "Segue a segunda via.", "channel": Channel.EMAIL, "canned_id": theirs.pk},
    )

    conversation.refresh_from_db()
    assert conversation.messages.filter(direction=Message.Direction.OUTBOUND).count() == 1
    assert conversation.status == S.OPEN
    assert not conversation.tags.exists()
    assert CannedResponse.objects.get(pk=theirs.pk).usage_count == 0


def test_a_macro_that_cannot_apply_holds_the_reply_back_with_its_text(agent_client, conversation):
    # "Send and solve", then the macro's "pending": solved tickets cannot go pending.
    macro = CannedResponseFactory(set_status=S.PENDING, add_tags="aguardando")
    before = footprint()

    response = agent_client.post(
        url("ticket-reply", conversation),
        {
            "body": "Resolvido!",
            "channel": Channel.EMAIL,
            "then_status": S.SOLVED,
            "canned_id": macro.pk,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "A ticket cannot go from “Solved” to “Pending (waiting on customer)”." in html.unescape(
        body
    )
    assert "Resolvido!" in textarea(body, "reply-body")
    assert footprint() == before


# --- note and mentions ---------------------------------------------------------------------------


def test_note_is_added_for_agents_only(agent_client, conversation, n1_agent):
    where, body = submit(
        agent_client, "ticket-note", conversation, {"body": "Cliente ligou também."}
    )

    note = conversation.messages.get(kind=Message.Kind.INTERNAL_NOTE)
    assert (note.body_text, note.author_user, note.delivery_status) == (
        "Cliente ligou também.",
        n1_agent,
        "",
    )
    assert where.endswith(f"#message-{note.pk}")
    assert ("success", "Note added.") in notices(body)
    assert events(conversation, E.NOTE_ADDED)[-1].data["message_id"] == note.pk


def test_a_mention_in_a_note_notifies_the_colleague(agent_client, conversation, ana, n1_agent):
    submit(agent_client, "ticket-note", conversation, {"body": "@ana pode olhar o boleto?"})

    [notification] = ana.agent_notifications.all()
    assert notification.ticket == conversation
    assert notification.actor == n1_agent
    assert notification.message.body_text == "@ana pode olhar o boleto?"


def test_a_mention_of_someone_who_cannot_see_the_ticket_is_pointed_out(
    agent_client, conversation, n2_agent
):
    _, body = submit(agent_client, "ticket-note", conversation, {"body": "@n2 veja isto"})

    assert ("warning", "Not notified (they cannot see this ticket): n2") in notices(body)
    assert not n2_agent.agent_notifications.exists()


def test_note_with_files_stores_them(agent_client, conversation):
    log = SimpleUploadedFile("erro.log", b"Traceback...", content_type="text/plain")

    submit(agent_client, "ticket-note", conversation, {"body": "Log anexo", "attachments": [log]})

    note = conversation.messages.get(kind=Message.Kind.INTERNAL_NOTE)
    assert [a.filename for a in note.attachments.all()] == ["erro.log"]


def test_a_note_with_only_a_file_is_added(agent_client, conversation):
    shot = SimpleUploadedFile("tela.png", b"\x89PNG", content_type="image/png")

    submit(agent_client, "ticket-note", conversation, {"body": "", "attachments": shot})

    note = conversation.messages.get(kind=Message.Kind.INTERNAL_NOTE)
    assert [a.filename for a in note.attachments.all()] == ["tela.png"]


def test_an_empty_note_comes_back_in_the_note_box(agent_client, conversation):
    before = footprint()

    response = agent_client.post(
        url("ticket-note", conversation), {"body": "  "}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    body = response.content.decode()
    note_box = section(body, r'<div role="tabpanel" id="panel-note".*?</form>')
    assert "Write something first: the message is empty." in note_box
    assert 'id="panel-note" aria-labelledby="tab-note">' in body  # the note tab is open
    assert 'id="panel-reply" aria-labelledby="tab-reply" hidden>' in body
    assert footprint() == before


def test_a_refused_note_keeps_the_text_typed_in_the_note_box(agent_client, conversation, settings):
    settings.JORNADA = {**settings.JORNADA, "ATTACHMENT_MAX_BYTES": 10}
    big = SimpleUploadedFile("dump.txt", b"x" * 50, content_type="text/plain")
    before = footprint()

    response = agent_client.post(
        url("ticket-note", conversation),
        {"body": "Investiguei: @ana o erro é no banco.", "attachments": big},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Investiguei: @ana o erro é no banco." in textarea(body, "note-body")
    assert textarea(body, "reply-body") == ""
    assert "“dump.txt” is 50 bytes; the limit is 10 bytes." in body
    assert footprint() == before


# --- claim and assign ----------------------------------------------------------------------------


def test_claim_takes_the_ticket(agent_client, conversation, n1_agent):
    where, body = submit(agent_client, "ticket-claim", conversation)

    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.status) == (n1_agent, S.OPEN)
    assert where == url("ticket-detail", conversation)
    assert ("success", "The ticket is yours.") in notices(body)
    assert events(conversation, E.CLAIMED)[-1].after == "n1"
    assert f'action="{url("ticket-claim", conversation)}"' not in body  # nothing left to claim


def test_claim_of_a_ticket_someone_took_is_refused(agent_client, conversation, ana):
    services.ticket_claim(ticket=conversation, by=ana)
    before = footprint()

    _, body = submit(agent_client, "ticket-claim", conversation)

    assert ("error", f"Ticket #{conversation.number} was already claimed by ana.") in notices(body)
    assert footprint() == before


def test_a_ticket_someone_else_holds_can_be_taken_over(agent_client, conversation, ana, n1_agent):
    services.ticket_claim(ticket=conversation, by=ana)

    page = read(agent_client, conversation)
    assert "Take it over" in page
    assert f'name="assignee" value="{n1_agent.pk}"' in page
    submit(agent_client, "ticket-assign", conversation, {"assignee": n1_agent.pk})

    conversation.refresh_from_db()
    assert conversation.assignee == n1_agent
    assert ana.agent_notifications.count() == 0  # taking over does not notify the one who had it


def test_assign_gives_the_ticket_to_a_colleague(agent_client, conversation, ana, n1_agent):
    where, body = submit(agent_client, "ticket-assign", conversation, {"assignee": ana.pk})

    conversation.refresh_from_db()
    assert conversation.assignee == ana
    assert where == url("ticket-detail", conversation)  # still in n1's team
    assert ("success", "Assignment saved.") in notices(body)
    event = events(conversation, E.ASSIGNED)[-1]
    assert (event.actor, event.before, event.after) == (n1_agent, None, "ana")
    assert ana.agent_notifications.get().ticket == conversation


def test_assign_back_to_the_queue(agent_client, conversation, ana):
    services.ticket_assign(ticket=conversation, assignee=ana, by=None)

    submit(agent_client, "ticket-assign", conversation, {"assignee": ""})

    conversation.refresh_from_db()
    assert conversation.assignee is None
    assert events(conversation, E.ASSIGNED)[-1].after is None


def test_handing_a_ticket_to_another_team_goes_back_to_the_inbox(agent_client, conversation, ana):
    billing = TeamFactory(name="Cobrança", tier=Tier.N1)

    where, body = submit(
        agent_client, "ticket-assign", conversation, {"assignee": ana.pk, "team": billing.pk}
    )

    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) == (billing, ana)
    assert events(conversation, E.TEAM_CHANGED)[-1].after == "Cobrança"
    # The ticket left n1's queues: the inbox, not a "not found" page.
    assert where == reverse("inbox")
    assert notices(body) == [
        ("success", "Assignment saved."),
        ("info", f"Ticket #{conversation.number} left your queues."),
    ]


def test_assign_refuses_an_agent_below_the_tickets_tier(
    client, teams, customer, n2_agent, n1_agent
):
    ticket = make_ticket(customer=customer, team=teams[Tier.N2], tier=Tier.N2)
    client.force_login(n2_agent)
    before = footprint()

    _, body = submit(client, "ticket-assign", ticket, {"assignee": n1_agent.pk})

    assert [level for level, _ in notices(body)] == ["error"]
    assert footprint() == before


# --- status and priority -------------------------------------------------------------------------


def test_status_change(agent_client, conversation, n1_agent):
    where, body = submit(agent_client, "ticket-status", conversation, {"status": S.ON_HOLD})

    conversation.refresh_from_db()
    assert conversation.status == S.ON_HOLD
    assert where == url("ticket-detail", conversation)
    assert ("success", "Status saved.") in notices(body)
    event = events(conversation, E.STATUS_CHANGED)[-1]
    assert (event.actor, event.before, event.after) == (n1_agent, S.NEW, S.ON_HOLD)


def test_the_solve_button_solves(agent_client, conversation):
    body = read(agent_client, conversation)
    assert 'data-shortcut-form="s"' in body

    submit(agent_client, "ticket-status", conversation, {"status": S.SOLVED})

    conversation.refresh_from_db()
    assert conversation.status == S.SOLVED
    assert conversation.solved_at is not None


def test_an_illegal_status_move_is_refused_in_the_agents_language(client, conversation, n1_agent):
    services.ticket_change_status(ticket=conversation, to_status=S.SOLVED, by=n1_agent)
    client.force_login(n1_agent)
    before = footprint()

    response = client.post(
        url("ticket-status", conversation),
        {"status": S.PENDING},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="pt-BR",
    )

    assert (
        "error",
        "Um chamado não pode passar de “Resolvido” para “Pendente (aguardando cliente)”.",
    ) in notices(response.content.decode())
    assert footprint() == before


def test_an_unknown_status_is_refused(agent_client, conversation):
    before = footprint()

    _, body = submit(agent_client, "ticket-status", conversation, {"status": "archived"})

    assert [level for level, _ in notices(body)] == ["error"]
    assert footprint() == before


def test_priority_change(agent_client, conversation, n1_agent):
    _, body = submit(agent_client, "ticket-priority", conversation, {"priority": "urgent"})

    conversation.refresh_from_db()
    assert conversation.priority == Ticket.Priority.URGENT
    assert ("success", "Priority saved.") in notices(body)
    event = events(conversation, E.PRIORITY_CHANGED)[-1]
    assert (event.actor, event.before, event.after) == (n1_agent, "normal", "urgent")
    assert "Normal → Urgent" in body


def test_an_unknown_priority_is_refused(agent_client, conversation):
    before = footprint()

    _, body = submit(agent_client, "ticket-priority", conversation, {"priority": "critical"})

    assert [level for level, _ in notices(body)] == ["error"]
    assert footprint() == before


# --- escalate and de-escalate --------------------------------------------------------------------


def test_escalation_moves_the_ticket_up_with_its_reason(client, conversation, manager, teams):
    client.force_login(manager)

    where, body = submit(
        client,
        "ticket-escalate",
        conversation,
        {"up-to_tier": Tier.N2, "up-team": "", "up-reason": "Erro no gerador de boletos"},
    )

    conversation.refresh_from_db()
    assert (conversation.tier, conversation.team) == (Tier.N2, teams[Tier.N2])
    assert where == url("ticket-detail", conversation)
    assert ("success", "Escalated to N2.") in notices(body)
    event = events(conversation, E.ESCALATED)[-1]
    assert (event.actor, event.reason) == (manager, "Erro no gerador de boletos")
    assert event.after["tier"] == Tier.N2
    assert "Erro no gerador de boletos" in body


def test_escalating_a_ticket_out_of_ones_queues_goes_back_to_the_inbox(
    agent_client, conversation, n1_agent
):
    services.ticket_claim(ticket=conversation, by=n1_agent)

    where, body = submit(
        agent_client,
        "ticket-escalate",
        conversation,
        {"up-to_tier": Tier.N2, "up-reason": "Precisa de análise técnica"},
    )

    conversation.refresh_from_db()
    assert (conversation.tier, conversation.assignee) == (Tier.N2, None)
    assert where == reverse("inbox")
    assert notices(body) == [
        ("success", "Escalated to N2."),
        ("info", f"Ticket #{conversation.number} left your queues."),
    ]


@pytest.mark.parametrize("reason", ["", "   "])
def test_escalation_without_a_reason_is_refused(agent_client, conversation, reason):
    before = footprint()

    where, body = submit(
        agent_client,
        "ticket-escalate",
        conversation,
        {"up-to_tier": Tier.N2, "up-reason": reason},
    )

    assert where == url("ticket-detail", conversation)
    assert notices(body) == [("error", "Say why: a reason is required.")]
    assert footprint() == before


def test_escalation_to_a_team_of_another_tier_is_refused(agent_client, conversation, teams):
    before = footprint()

    _, body = submit(
        agent_client,
        "ticket-escalate",
        conversation,
        {"up-to_tier": Tier.N2, "up-team": teams[Tier.N3].pk, "up-reason": "Urgente"},
    )

    assert notices(body) == [("error", "This team works another tier.")]
    assert footprint() == before


def test_deescalation_moves_the_ticket_down(client, customer, teams, n2_agent):
    ticket = make_ticket(customer=customer, team=teams[Tier.N2], tier=Tier.N2, assignee=n2_agent)
    client.force_login(n2_agent)

    where, body = submit(
        client,
        "ticket-deescalate",
        ticket,
        {"down-to_tier": Tier.N1, "down-reason": "Era dúvida de uso"},
    )

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.team, ticket.assignee) == (Tier.N1, teams[Tier.N1], n2_agent)
    assert where == url("ticket-detail", ticket)  # still theirs: an N2 agent may hold N1
    assert ("success", "Moved back to N1.") in notices(body)
    assert events(ticket, E.DEESCALATED)[-1].reason == "Era dúvida de uso"


def test_deescalation_without_a_reason_is_refused(client, customer, teams, n2_agent):
    ticket = make_ticket(customer=customer, team=teams[Tier.N2], tier=Tier.N2)
    client.force_login(n2_agent)
    before = footprint()

    _, body = submit(client, "ticket-deescalate", ticket, {"down-to_tier": Tier.N1})

    assert notices(body) == [("error", "Say why: a reason is required.")]
    assert footprint() == before


# --- tags ----------------------------------------------------------------------------------------


def test_tags_are_set_from_the_list(agent_client, conversation, n1_agent):
    _, body = submit(agent_client, "ticket-tags", conversation, {"tags": "vip, Boleto atrasado"})

    assert sorted(conversation.tags.values_list("name", flat=True)) == ["boleto-atrasado", "vip"]
    assert ("success", "Tags saved.") in notices(body)
    event = events(conversation, E.TAGS_CHANGED)[-1]
    assert (event.actor, event.before, event.after) == (n1_agent, [], ["boleto-atrasado", "vip"])
    assert 'value="boleto-atrasado, vip"' in body


def test_a_tag_deleted_from_the_list_is_removed(agent_client, conversation, n1_agent):
    services.ticket_tag(ticket=conversation, add=["vip", "boleto"], by=n1_agent)

    submit(agent_client, "ticket-tags", conversation, {"tags": "vip"})

    assert list(conversation.tags.values_list("name", flat=True)) == ["vip"]


def test_retyping_a_tag_differently_keeps_it(agent_client, conversation, n1_agent):
    services.ticket_tag(ticket=conversation, add=["vip", "boleto-atrasado"], by=n1_agent)
    changes = len(events(conversation, E.TAGS_CHANGED))

    submit(agent_client, "ticket-tags", conversation, {"tags": "VIP, Boleto atrasado, nfe"})

    assert sorted(conversation.tags.values_list("name", flat=True)) == [
        "boleto-atrasado",
        "nfe",
        "vip",
    ]
    assert len(events(conversation, E.TAGS_CHANGED)) == changes + 1


# --- merge ---------------------------------------------------------------------------------------


@pytest.fixture
def second_request(conversation):
    """Maria writes again about the same boleto, in a new email (a new ticket)."""
    return receive(
        external_id="<de-novo@cliente.example>",
        subject="Cadê meu boleto??",
        body_text="Escrevi ontem e ninguém respondeu.",
    ).ticket


def test_merge_folds_the_ticket_into_the_other(agent_client, conversation, second_request):
    where, body = submit(
        agent_client, "ticket-merge", second_request, {"merge-number": f"#{conversation.number}"}
    )

    second_request.refresh_from_db()
    assert (second_request.status, second_request.merged_into) == (S.CLOSED, conversation)
    assert where == url("ticket-detail", conversation)
    assert ("success", f"Merged into #{conversation.number}.") in notices(body)
    assert "Escrevi ontem e ninguém respondeu." in body
    assert events(second_request, E.MERGED)[-1].data["into"] == conversation.number
    assert events(conversation, E.MERGE_RECEIVED)[-1].data["merged"] == second_request.number


def test_merge_into_a_ticket_one_cannot_see_is_refused(agent_client, conversation, hidden):
    before = footprint()

    where, body = submit(
        agent_client, "ticket-merge", conversation, {"merge-number": hidden.number}
    )

    assert where == url("ticket-detail", conversation)
    assert notices(body) == [("error", "No ticket you can see has that number.")]
    assert footprint() == before


def test_merge_into_itself_is_refused(agent_client, conversation):
    before = footprint()

    _, body = submit(
        agent_client, "ticket-merge", conversation, {"merge-number": conversation.number}
    )

    assert [level for level, _ in notices(body)] == ["error"]
    assert footprint() == before


def test_merge_needs_a_number(agent_client, conversation):
    _, body = submit(agent_client, "ticket-merge", conversation, {"merge-number": "boleto"})

    assert notices(body) == [("error", "Type a ticket number, such as 1234.")]


# --- link and unlink -----------------------------------------------------------------------------


def test_a_link_shows_on_both_tickets_and_goes_away_from_either(
    agent_client, conversation, second_request, n1_agent
):
    where, body = submit(
        agent_client, "ticket-link", conversation, {"link-number": second_request.number}
    )

    assert where == url("ticket-detail", conversation)
    assert ("success", f"Linked to #{second_request.number}.") in notices(body)
    assert f"#{second_request.number} Cadê meu boleto??" in related(body)
    assert f"#{conversation.number} Boleto não chegou" in related(
        read(agent_client, second_request)
    )
    for ticket, other in ((conversation, second_request), (second_request, conversation)):
        event = events(ticket, E.LINKED)[-1]
        assert (event.actor, event.after) == (n1_agent, other.number)

    where, body = submit(agent_client, "ticket-unlink", second_request, {}, conversation.number)

    assert where == url("ticket-detail", second_request)
    assert ("success", "Link removed.") in notices(body)
    assert "None." in related(body)
    assert "None." in related(read(agent_client, conversation))
    assert not TicketLink.objects.exists()
    assert len(events(conversation, E.UNLINKED)) == len(events(second_request, E.UNLINKED)) == 1


def test_link_to_a_ticket_one_cannot_see_is_refused(agent_client, conversation, hidden):
    before = footprint()

    _, body = submit(agent_client, "ticket-link", conversation, {"link-number": hidden.number})

    assert notices(body) == [("error", "No ticket you can see has that number.")]
    assert footprint() == before


def test_links_to_tickets_one_cannot_see_are_not_shown(agent_client, conversation, hidden, manager):
    services.ticket_link(ticket=conversation, other=hidden, by=manager)

    body = read(agent_client, conversation)

    assert "Contrato sigiloso" not in body
    assert "None." in related(body)


def test_unlink_of_a_ticket_one_cannot_see_is_not_found(
    agent_client, conversation, hidden, manager
):
    services.ticket_link(ticket=conversation, other=hidden, by=manager)
    before = footprint()

    response = agent_client.post(url("ticket-unlink", conversation, hidden.number))

    assert response.status_code == 404
    assert footprint() == before


# --- split ---------------------------------------------------------------------------------------


def test_split_makes_a_new_ticket_of_a_message(agent_client, conversation, n1_agent):
    second = conversation.messages.order_by("id").last()

    where, body = submit(
        agent_client, "ticket-split", conversation, {"subject": "Mudança de endereço"}, second.pk
    )

    new = Ticket.objects.get(subject="Mudança de endereço")
    assert where == url("ticket-detail", new)
    assert ("success", f"The message is now ticket #{new.number}.") in notices(body)
    assert "Aproveitando: mudei de endereço" in body
    assert f"#{conversation.number} Boleto não chegou" in related(body)
    assert (new.customer, new.channel) == (conversation.customer, Channel.EMAIL)
    source = read(agent_client, conversation)
    assert "Aproveitando: mudei de endereço" not in source
    assert "O boleto de novembro não chegou." in source
    assert f"#{new.number} Mudança de endereço" in related(source)
    assert events(conversation, E.SPLIT)[-1].after == new.number
    assert events(new, E.SPLIT_FROM)[-1].before == conversation.number


def test_split_of_the_only_message_is_refused(agent_client, second_request):
    only = second_request.messages.get()
    before = footprint()

    _, body = submit(agent_client, "ticket-split", second_request, {"subject": ""}, only.pk)

    assert [level for level, _ in notices(body)] == ["error"]
    assert footprint() == before


def test_split_of_a_message_of_another_ticket_is_not_found(
    agent_client, conversation, second_request
):
    elsewhere = second_request.messages.get()
    before = footprint()

    response = agent_client.post(url("ticket-split", conversation, elsewhere.pk))

    assert response.status_code == 404
    assert footprint() == before


# --- next ticket ---------------------------------------------------------------------------------


@pytest.fixture
def queue(teams, customer, n1_agent, ana):
    """n1's work queue, most urgent first, and tickets that are not in it."""
    now = timezone.now()

    def ticket(subject, team=teams[Tier.N1], **changes):
        return make_ticket(customer=customer, team=team, subject=subject, **changes)

    return {
        "urgent": ticket("Sistema fora do ar", priority=Ticket.Priority.URGENT),
        "normal": ticket("Dúvida sobre nota"),
        "mine": ticket("Meu chamado", assignee=n1_agent, status=S.OPEN, priority="high"),
        "due": ticket("Vence em 1h", sla_due_at=now + timedelta(hours=1), priority="low"),
        # not in the queue
        "taken": ticket("Da Ana", assignee=ana, status=S.OPEN, priority="urgent"),
        "pending": ticket("Aguardando", status=S.PENDING, priority="urgent"),
        "solved": ticket("Resolvido", status=S.SOLVED, priority="urgent"),
        "elsewhere": ticket("Do N2", team=teams[Tier.N2], tier=Tier.N2, priority="urgent"),
    }


def next_after(client, ticket=None):
    address = reverse("ticket-next") + (f"?after={ticket.number}" if ticket else "")
    response = client.get(address)
    assert response.status_code == 302
    return response["Location"]


def test_next_ticket_walks_the_queue_most_urgent_first_and_wraps(agent_client, queue):
    order = ["due", "urgent", "mine", "normal", "due"]

    assert next_after(agent_client) == url("ticket-detail", queue["due"])
    for current, following in pairwise(order):
        assert next_after(agent_client, queue[current]) == url("ticket-detail", queue[following])


def test_next_ticket_from_outside_the_queue_starts_at_the_top(agent_client, queue):
    assert next_after(agent_client, queue["pending"]) == url("ticket-detail", queue["due"])


def test_the_page_links_to_the_ticket_after_it(agent_client, queue):
    body = read(agent_client, queue["urgent"])

    assert f'href="{reverse("ticket-next")}?after={queue["urgent"].number}"' in body


def test_with_nothing_waiting_next_goes_to_the_inbox_and_says_so(client, teams, customer, n1_agent):
    only = make_ticket(customer=customer, team=teams[Tier.N1])
    client.force_login(n1_agent)

    assert next_after(client, only) == reverse("inbox")
    response = client.get(reverse("ticket-next"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain[-1][0] == url("ticket-detail", only)

    services.ticket_change_status(ticket=only, to_status=S.SOLVED, by=n1_agent)
    response = client.get(reverse("ticket-next"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain[-1][0] == reverse("inbox")
    assert ("info", "No other ticket is waiting for you.") in notices(response.content.decode())


def test_next_ticket_refuses_post_and_users_who_are_not_agents(agent_client, queue):
    assert agent_client.post(reverse("ticket-next")).status_code == 405
    agent_client.force_login(UserFactory(username="cliente"))
    assert agent_client.get(reverse("ticket-next")).status_code == 403


# --- the customer panel --------------------------------------------------------------------------


def test_the_panel_shows_identities_other_tickets_and_ratings(
    agent_client, conversation, whatsapp_identity, teams, n1_agent
):
    customer = conversation.customer
    on_whatsapp = receive(
        channel=Channel.WHATSAPP,
        sender_value=whatsapp_identity.value,
        external_id="wamid.2",
        body_text="Oi, a internet caiu",
    ).ticket
    hidden = make_ticket(
        customer=customer, subject="Contrato sigiloso", team=teams[Tier.N2], tier=Tier.N2
    )
    stranger = receive(sender_value="joao@example.com", subject="Sou outro cliente").ticket
    record_event(on_whatsapp, E.SURVEY_ANSWERED, after=4, comment="Foi rápido")

    box = panel(read(agent_client, conversation))

    assert 'Email: <span class="value">maria@example.com</span>' in box
    assert 'WhatsApp: <span class="value">+5511987654321</span>' in box
    assert f"#{on_whatsapp.number}" in box
    assert 'class="channel-icon channel-whatsapp"' in box
    assert hidden.subject not in box
    assert stranger.subject not in box
    assert f"#{on_whatsapp.number}: 4 · “Foi rápido”" in box
    assert f"#{conversation.number} " not in box  # the ticket itself is not "another" one


def test_the_panel_of_a_first_ticket_says_so(agent_client, ticket):
    box = panel(read(agent_client, ticket))

    assert "This is their first ticket." in box
    assert "No known address." in box
    assert "No survey answers yet." in box


def test_the_page_costs_the_same_queries_for_a_customer_with_one_or_many_tickets(
    agent_client, conversation, teams
):
    customer = conversation.customer
    make_ticket(customer=customer, team=teams[Tier.N1], subject="Anterior 0")
    agent_client.get(url("ticket-detail", conversation))  # warm up session and caches
    with CaptureQueriesContext(connection) as few:
        read(agent_client, conversation)

    for i in range(1, 12):
        channel = [Channel.EMAIL, Channel.WHATSAPP, Channel.CHAT][i % 3]
        make_ticket(
            customer=customer, team=teams[Tier.N1], subject=f"Anterior {i}", channel=channel
        )
    for kind, value in [
        (CustomerIdentity.Kind.WHATSAPP, "+5511987654321"),
        (CustomerIdentity.Kind.PHONE, "+5511912345678"),
        (CustomerIdentity.Kind.CHAT_VISITOR, "visitante-42"),
        (CustomerIdentity.Kind.EMAIL, "maria.trabalho@example.com"),
    ]:
        services.customer_add_identity(customer=customer, kind=kind, value=value)
    assert customer.identities.count() == 5
    with CaptureQueriesContext(connection) as many:
        body = read(agent_client, conversation)

    assert len(many.captured_queries) == len(few.captured_queries)
    assert panel(body).count('<li><span class="channel-icon channel-') == 10  # the latest ten
    assert [value for value, _ in channel_options(body)] == ["email", "whatsapp", "sms", "chat"]


# --- pt-BR ---------------------------------------------------------------------------------------


def test_a_busy_ticket_renders_in_portuguese(client, conversation, manager, whatsapp_identity):
    services.note_add(ticket=conversation, by=manager, body_text="Verificando com o financeiro")
    services.message_reply(ticket=conversation, by=manager, body_text="Estamos verificando.")
    services.ticket_tag(ticket=conversation, add=["boleto"], by=manager)
    services.ticket_escalate(ticket=conversation, reason="Sistema de cobrança", by=manager)
    other = make_ticket(customer=conversation.customer, subject="Outro assunto")
    services.ticket_link(ticket=conversation, other=other, by=manager)
    record_event(other, E.SURVEY_ANSWERED, after=5)
    client.force_login(manager)

    body = read(client, conversation, language="pt-BR")

    assert '<html lang="pt-br">' in body
    assert "nível: N1 → N2" in body


def test_a_refused_reply_renders_in_portuguese(client, conversation, n1_agent):
    client.force_login(n1_agent)

    response = client.post(
        url("ticket-reply", conversation),
        {"body": "", "channel": Channel.EMAIL},
        HTTP_ACCEPT_LANGUAGE="pt-BR",
    )

    assert response.status_code == 400
    assert '<html lang="pt-br">' in response.content.decode()


def test_an_action_message_renders_in_portuguese(client, conversation, n1_agent):
    client.force_login(n1_agent)

    response = client.post(
        url("ticket-merge", conversation),
        {"merge-number": "abc"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="pt-BR",
    )

    assert response.status_code == 200
    assert [level for level, _ in notices(response.content.decode())] == ["error"]


def test_the_timeline_names_the_sla_target_that_was_breached(agent_client, conversation):
    record_event(
        conversation,
        E.SLA_BREACHED,
        target="first_response",
        due_at="2026-11-20T17:00:00+00:00",
    )

    page = read(agent_client, conversation)

    assert "SLA breached: First response · due" in page
