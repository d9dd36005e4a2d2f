"""The routing hooks of the core (tickets.registries.routing_hooks): a new ticket without a team
is born in the N1 team the first hook answers, with the hook's reason in its "created" row; an
answer naming no N1 team is no answer; without one the N1 teams take new tickets in turn."""

import pytest
from django.core.cache import cache

from tests.tickets.factories import CustomerFactory, OrganizationFactory, TeamFactory, make_inbound
from tickets import registries, services
from tickets.models import Channel, Team, TicketEvent, Tier
from tickets.registries import NewTicket, Route, RoutingHook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def hooks(monkeypatch):
    """Only the hooks a test registers (automation's is set aside), undone after it."""
    monkeypatch.setattr(registries.routing_hooks, "_entries", {})
    return registries.routing_hooks


@pytest.fixture
def n1(db):
    return [TeamFactory(name=name, tier=Tier.N1) for name in ("Alfa", "Beta", "Gama")]


def answering(name, team, *, order=0, reason="", seen=None):
    def route(new):
        if seen is not None:
            seen.append(new)
        return Route(team_id=team.pk, reason=reason) if team is not None else None

    return RoutingHook(name=name, order=order, route=route)


def open_ticket(**fields):
    fields.setdefault("customer", CustomerFactory())
    return services.ticket_create(subject="Boleto", channel=Channel.EMAIL, **fields)


def created_row(ticket):
    return ticket.events.get(kind=TicketEvent.Kind.CREATED)


def test_without_hooks_the_n1_teams_take_new_tickets_in_turn(n1):
    teams = [open_ticket().team.name for _ in range(3)]
    assert sorted(teams) == ["Alfa", "Beta", "Gama"]


def test_a_hook_answer_makes_the_ticket_born_in_that_team_with_its_reason(hooks, n1):
    hooks.register(answering("one", n1[2], reason="Boletos"))

    ticket = open_ticket()

    assert ticket.team == n1[2]
    assert created_row(ticket).data == {
        "channel": Channel.EMAIL, "team": "Gama", "routing_rule": "Boletos",
    }  # fmt: skip
    assert not ticket.events.filter(kind=TicketEvent.Kind.TEAM_CHANGED).exists()


def test_the_first_answer_wins(hooks, n1):
    hooks.register(answering("late", n1[0], order=20, reason="late"))
    hooks.register(answering("silent", None, order=5))
    hooks.register(answering("early", n1[1], order=10, reason="early"))

    ticket = open_ticket()

    assert ticket.team == n1[1]
    assert created_row(ticket).data["routing_rule"] == "early"


@pytest.mark.parametrize("gone", ["n2", "deleted"])
def test_a_team_not_n1_or_gone_is_no_answer(hooks, n1, gone):
    if gone == "n2":
        elsewhere = TeamFactory(name="Especialistas", tier=Tier.N2)
    else:
        elsewhere = TeamFactory(name="Extinta", tier=Tier.N1)
        Team.objects.filter(pk=elsewhere.pk).delete()
    hooks.register(answering("wrong", elsewhere, order=1, reason="wrong"))
    hooks.register(answering("right", n1[0], order=2, reason="right"))

    ticket = open_ticket()

    assert ticket.team == n1[0]
    assert created_row(ticket).data["routing_rule"] == "right"


def test_a_failing_hook_is_skipped(hooks, n1):
    def broken(new):
        raise RuntimeError("boom")

    hooks.register(RoutingHook(name="broken", order=1, route=broken))
    hooks.register(answering("right", n1[1], order=2, reason="right"))

    assert open_ticket().team == n1[1]


def test_a_team_given_by_the_caller_is_kept_and_no_hook_is_asked(hooks, n1):
    seen = []
    hooks.register(answering("one", n1[2], seen=seen))

    ticket = open_ticket(team=n1[0])

    assert ticket.team == n1[0]
    assert seen == []
    assert "routing_rule" not in created_row(ticket).data


def test_without_an_answer_the_turn_is_kept(hooks, n1):
    hooks.register(answering("silent", None))
    teams = [open_ticket().team.name for _ in range(3)]
    assert sorted(teams) == ["Alfa", "Beta", "Gama"]
    assert not TicketEvent.objects.filter(data__has_key="routing_rule").exists()


def test_hooks_see_what_is_known_of_the_ticket_before_it_exists(hooks, n1):
    seen = []
    hooks.register(answering("one", None, seen=seen))
    organization = OrganizationFactory(name="Padaria Pão Quente")
    customer = CustomerFactory(segment="vip", language="en", organization=organization)

    services.ticket_create(
        customer=customer, subject="Nota  fiscal\n", channel=Channel.WHATSAPP,
        priority="high", tags=["Nota Fiscal", "boleto"],
    )  # fmt: skip

    assert seen == [
        NewTicket(
            channel=Channel.WHATSAPP, priority="high", language="en", subject="Nota fiscal",
            customer_segment="vip", customer_language="en", organization_id=organization.pk,
            tags=frozenset({"nota-fiscal", "boleto"}), text="",
        )
    ]  # fmt: skip
    assert seen[0].is_vip


def test_an_inbound_message_tells_the_hooks_its_text(hooks, n1):
    seen = []
    hooks.register(answering("one", None, seen=seen))

    services.message_receive(
        incoming=make_inbound(subject="Pedido", body_text="", body_html="<p>Meu <b>boleto</b></p>")
    )

    assert seen[0].text == "Meu boleto"
    assert seen[0].subject == "Pedido"


def test_the_version_moves_when_routing_inputs_change(django_capture_on_commit_callbacks):
    first = registries.routing_inputs_version()
    assert registries.routing_inputs_version() == first
    with django_capture_on_commit_callbacks(execute=True):
        registries.routing_inputs_changed()
    assert registries.routing_inputs_version() == first + 2  # now, and after the commit


def test_a_lost_version_starts_again_from_a_number_not_seen():
    first = registries.routing_inputs_version()
    cache.delete(registries.ROUTING_VERSION_KEY)
    registries.routing_version_forget()  # another process, or this one a second later
    assert registries.routing_inputs_version() not in (None, first)
    cache.delete(registries.ROUTING_VERSION_KEY)
    registries.routing_inputs_changed()  # nothing to increase: a new number
    assert registries.routing_inputs_version() not in (None, first)


def test_the_version_is_read_from_the_cache_once_a_second_and_at_once_after_a_change_here():
    registries.routing_version_forget()
    first = registries.routing_inputs_version()
    cache.incr(registries.ROUTING_VERSION_KEY)  # another process's change
    assert registries.routing_inputs_version() == first  # no cache round trip per ticket
    registries._version_seen[1] -= registries.ROUTING_VERSION_SECONDS  # a second later
    second = registries.routing_inputs_version()
    assert second != first  # a second later

    registries.routing_inputs_changed()  # a change made in this process

    assert registries.routing_inputs_version() not in (first, second)
