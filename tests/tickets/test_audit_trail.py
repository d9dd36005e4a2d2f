"""Audit trail completeness: a whole ticket life, and every step of it in the TicketEvent trail
with who did it and what changed, in order."""

from tests.tickets.factories import CustomerIdentityFactory, make_inbound
from tickets import services
from tickets.models import Channel, Ticket, TicketEvent, Tier

S = Ticket.Status
E = TicketEvent.Kind


def trail(ticket):
    return [
        (event.kind, event.actor.username if event.actor else None, event.before, event.after)
        for event in ticket.events.select_related("actor")  # the timeline's own ordering
    ]


def test_every_step_of_a_ticket_life_is_in_the_audit_trail(
    customer, teams, n1_agent, n2_agent, manager
):
    CustomerIdentityFactory(customer=customer, kind="email", value="maria@example.com")

    def customer_writes(**fields):
        return services.message_receive(
            incoming=make_inbound(sender_value="maria@example.com", **fields)
        )

    # An agent opens the ticket from a phone call; the customer follows up by e-mail.
    ticket = services.ticket_create(
        customer=customer,
        subject="Boleto não chegou",
        channel=Channel.PHONE,
        team=teams[Tier.N1],
        by=n1_agent,
    )
    customer_writes(subject=f"[#{ticket.number}] Boleto não chegou", external_id="<m1@mail>")
    services.ticket_claim(ticket=ticket, by=n1_agent)
    services.message_reply(ticket=ticket, by=n1_agent, body_text="Vou verificar.")
    services.note_add(ticket=ticket, by=n1_agent, body_text="Boleto gerado com erro?")
    services.ticket_tag(ticket=ticket, by=n1_agent, add=["Boleto"])
    services.ticket_change_priority(ticket=ticket, priority="high", by=n1_agent)
    services.ticket_escalate(ticket=ticket, reason="Erro na emissão do boleto", by=n1_agent)
    services.ticket_claim(ticket=ticket, by=n2_agent)
    services.ticket_deescalate(ticket=ticket, reason="Boleto reemitido", by=n2_agent)
    services.message_reply(
        ticket=ticket, by=n2_agent, body_text="Reemitimos o boleto.", then_status=S.PENDING
    )
    customer_writes(external_id="<m2@mail>", reply_to_ids=("<m1@mail>",))
    services.ticket_change_status(ticket=ticket, to_status=S.SOLVED, by=n2_agent)
    customer_writes(external_id="<m3@mail>", reply_to_ids=("<m1@mail>",))
    duplicate = customer_writes(subject="Segunda via do boleto", external_id="<d1@mail>").ticket
    services.ticket_tag(ticket=duplicate, by=n1_agent, add=["segunda-via"])
    services.ticket_merge(source=duplicate, target=ticket, by=manager)
    services.ticket_change_status(ticket=ticket, to_status=S.SOLVED, by=n2_agent)
    services.ticket_change_status(ticket=ticket, to_status=S.CLOSED, by=manager)

    n1_team, n2_team = "Atendimento N1", "Suporte Técnico N2"
    assert trail(ticket) == [
        (E.CREATED, "n1", None, {"status": S.NEW, "priority": "normal", "tier": Tier.N1}),
        (E.CHANNEL_SWITCHED, None, Channel.PHONE, Channel.EMAIL),
        (E.MESSAGE_RECEIVED, None, None, None),
        (E.CLAIMED, "n1", None, "n1"),
        (E.STATUS_CHANGED, "n1", S.NEW, S.OPEN),
        (E.REPLY_SENT, "n1", None, None),
        (E.NOTE_ADDED, "n1", None, None),
        (E.TAGS_CHANGED, "n1", [], ["boleto"]),
        (E.PRIORITY_CHANGED, "n1", "normal", "high"),
        (
            E.ESCALATED,
            "n1",
            {"tier": Tier.N1, "team": n1_team, "assignee": "n1"},
            {"tier": Tier.N2, "team": n2_team, "assignee": None},
        ),
        (E.CLAIMED, "n2", None, "n2"),
        (
            E.DEESCALATED,
            "n2",
            {"tier": Tier.N2, "team": n2_team, "assignee": "n2"},
            {"tier": Tier.N1, "team": n1_team, "assignee": "n2"},
        ),
        (E.REPLY_SENT, "n2", None, None),
        (E.STATUS_CHANGED, "n2", S.OPEN, S.PENDING),
        (E.STATUS_CHANGED, None, S.PENDING, S.OPEN),
        (E.MESSAGE_RECEIVED, None, None, None),
        (E.STATUS_CHANGED, "n2", S.OPEN, S.SOLVED),
        (E.REOPENED, None, S.SOLVED, S.OPEN),
        (E.MESSAGE_RECEIVED, None, None, None),
        (E.TAGS_CHANGED, "boss", ["boleto"], ["boleto", "segunda-via"]),
        (E.MERGE_RECEIVED, "boss", None, None),
        (E.STATUS_CHANGED, "n2", S.OPEN, S.SOLVED),
        (E.STATUS_CHANGED, "boss", S.SOLVED, S.CLOSED),
    ]
    assert trail(duplicate) == [
        (E.CREATED, None, None, {"status": S.NEW, "priority": "normal", "tier": Tier.N1}),
        (E.MESSAGE_RECEIVED, None, None, None),
        (E.TAGS_CHANGED, "n1", [], ["segunda-via"]),
        (E.MERGED, "boss", S.NEW, S.CLOSED),
    ]


def test_audit_trail_keeps_reasons_and_references(customer, teams, n1_agent, n2_agent, manager):
    ticket = services.ticket_create(customer=customer, subject="Acesso", channel=Channel.EMAIL)
    other = services.ticket_create(customer=customer, subject="Acesso 2", channel=Channel.EMAIL)
    services.ticket_escalate(ticket=ticket, reason="Conta bloqueada", by=n1_agent)
    services.ticket_deescalate(ticket=ticket, reason="Desbloqueada", by=n2_agent)
    services.ticket_change_status(
        ticket=ticket, to_status=S.ON_HOLD, by=n1_agent, reason="Aguardando fornecedor"
    )
    services.ticket_merge(source=other, target=ticket, by=manager)

    reasons = dict(ticket.events.exclude(reason="").values_list("kind", "reason"))
    assert reasons == {
        E.ESCALATED: "Conta bloqueada",
        E.DEESCALATED: "Desbloqueada",
        E.STATUS_CHANGED: "Aguardando fornecedor",
    }
    assert ticket.events.get(kind=E.MERGE_RECEIVED).data["merged"] == other.number
    assert other.events.get(kind=E.MERGED).data["into"] == ticket.number
