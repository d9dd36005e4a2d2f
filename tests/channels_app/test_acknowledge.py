"""Acknowledgements cannot be used to relay someone else's words: they carry the ticket number
and our own text, never the sender's name or subject (which a forged email or a web form may
choose for any address), and all of them together stay within an hourly budget."""

# ruff: noqa: F811  (pytest hands the fixtures imported below to the tests that name them)

from email.utils import parseaddr

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from channels_app import tasks
from channels_app.models import Mailbox
from channels_app.services import acknowledge
from tests.channels_app.adapters.email_support import (  # noqa: F401  (fixtures)
    acknowledgements,
    email,
    mailbox,
    receive,
    subject_of,
)
from tests.tickets.factories import CustomerFactory, CustomerIdentityFactory
from tickets.models import Message

LURE = "Sua conta foi bloqueada: acesse http://evil.example/login"


def body_of(ack) -> str:
    return ack.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def budget(settings):
    """A small hourly budget, counted from zero (the counter lives in the cache, which outlives
    a test and is shared on Redis)."""

    def set_budget(per_hour: int) -> None:
        settings.JORNADA = {**settings.JORNADA, "ACKNOWLEDGEMENTS_PER_HOUR": per_hour}
        cache.delete(acknowledge.budget_key())

    yield set_budget
    cache.delete(acknowledge.budget_key())


def test_an_acknowledgement_carries_neither_the_senders_name_nor_subject(
    smtp_settings, receive, smtp_server
):
    event = receive(email(sender='"Banco Seguro" <vitima@example.org>', subject=LURE))

    number = event.message.ticket.number
    [ack] = acknowledgements(smtp_server)
    assert subject_of(ack) == f"Recebemos sua mensagem [#{number}]"
    assert "evil.example" not in body_of(ack)
    assert "Banco Seguro" not in body_of(ack)
    assert f"#{number}" in body_of(ack)


def test_a_mailbox_text_never_fills_in_the_senders_name_or_subject(
    smtp_settings, mailbox, receive, smtp_server
):
    # Written before the placeholders were dropped: they are left empty.
    Mailbox.objects.filter(pk=mailbox.pk).update(
        auto_ack_subject="Chamado {number}: {subject}",
        auto_ack_body="Oi, {name}! Seu chamado {number} ({subject}) está na fila.",
    )

    event = receive(email(sender='"Banco Seguro" <vitima@example.org>', subject=LURE))

    number = event.message.ticket.number
    [ack] = acknowledgements(smtp_server)
    assert subject_of(ack) == f"Chamado {number}: [#{number}]"
    assert "evil.example" not in body_of(ack)
    assert "Banco Seguro" not in body_of(ack)
    assert f"Seu chamado {number} () está na fila." in body_of(ack)


def test_a_mailbox_can_word_its_own_acknowledgement_with_the_ticket_number(
    smtp_settings, mailbox, receive, smtp_server
):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        auto_ack_subject="Chamado {number} aberto",
        auto_ack_body="Olá! Seu chamado {number} está na fila.",
    )

    event = receive(email(sender="Ana Lima <ana@cliente.example>", subject="Pix"))

    number = event.message.ticket.number
    [ack] = acknowledgements(smtp_server)
    assert subject_of(ack).startswith(f"Chamado {number} aberto")
    assert f"Olá! Seu chamado {number} está na fila." in body_of(ack)


@pytest.mark.parametrize("field", ["auto_ack_subject", "auto_ack_body"])
@pytest.mark.parametrize("placeholder", ["{subject}", "{name}"])
def test_a_mailbox_text_with_the_senders_words_is_refused(db, field, placeholder):
    mailbox = Mailbox(name="Suporte", address="suporte@jornada.example")
    setattr(mailbox, field, f"Chamado {{number}} {placeholder}")

    with pytest.raises(ValidationError) as refused:
        mailbox.full_clean()

    assert field in refused.value.message_dict


def test_acknowledgements_stop_at_the_hourly_budget(smtp_settings, receive, smtp_server, budget):
    budget(2)

    for n in range(1, 5):  # four different people: the per-customer limit does not apply
        receive(email(message_id=f"<pedido-{n}@example.org>", sender=f"p{n}@example.org"))

    assert len(acknowledgements(smtp_server)) == 2
    assert Message.objects.filter(kind=Message.Kind.SYSTEM).count() == 2


def test_the_budget_is_counted_in_the_cache_without_a_query(
    smtp_settings, receive, budget, django_assert_num_queries
):
    budget(1)
    first = receive(email(message_id="<a@example.org>", sender="a@example.org")).message
    second = receive(email(message_id="<b@example.org>", sender="b@example.org")).message

    assert acknowledge.ticket_acknowledge(message_id=first.pk) is None  # already acknowledged
    # Over the budget, the refusal costs nothing past the checks every acknowledgement makes.
    with django_assert_num_queries(3):
        assert acknowledge.ticket_acknowledge(message_id=second.pk) is None


# --- a batch: the acknowledgements of one task, decided and written together ------------------


@pytest.fixture
def opened(smtp_settings, mailbox, receive):
    """Receive these emails as new tickets whose acknowledgement task has not run yet; their
    opening messages, in order."""

    def opened(*raws: bytes) -> list[Message]:
        Mailbox.objects.filter(pk=mailbox.pk).update(auto_ack_enabled=False)
        messages = [receive(raw).message for raw in raws]
        Mailbox.objects.filter(pk=mailbox.pk).update(auto_ack_enabled=True)
        return messages

    return opened


@pytest.fixture
def acknowledge_together(django_capture_on_commit_callbacks):
    """Run one acknowledge_tickets task for these messages (and what its commit sets off)."""

    def run(messages: list[Message]) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.acknowledge_tickets.delay([message.pk for message in messages]).get()

    return run


def from_people(*senders: str) -> list[bytes]:
    return [
        email(message_id=f"<pedido-{n}@example.org>", sender=sender, subject=f"Pedido {n}")
        for n, sender in enumerate(senders)
    ]


def acknowledged_tickets() -> list[int]:
    acks = Message.objects.filter(metadata__automatic="acknowledgement").order_by("pk")
    return [ack.ticket_id for ack in acks]


def test_a_customers_tickets_in_one_batch_count_against_the_same_hourly_limit(
    opened, receive, acknowledge_together, smtp_server
):
    receive(email(message_id="<antes@example.org>", sender="ana@example.org"))  # acknowledged
    openings = opened(*from_people(*["ana@example.org"] * 3, "bia@example.org", "ana@example.org"))

    assert acknowledge_together(openings) == 3

    # Ana had one this hour: two more of hers, the first ones, and Bia's.
    expected = [openings[0].ticket_id, openings[1].ticket_id, openings[3].ticket_id]
    assert acknowledged_tickets()[1:] == expected
    to = [parseaddr(str(ack["To"]))[1] for ack in acknowledgements(smtp_server)]
    assert to == ["ana@example.org"] * 3 + ["bia@example.org"]


def test_a_long_batch_is_written_in_chunks_that_keep_the_same_limits(
    opened, acknowledge_together, monkeypatch
):
    monkeypatch.setattr(tasks, "ACKNOWLEDGE_CHUNK", 2)
    openings = opened(*from_people(*["ana@example.org"] * 4, "bia@example.org"))

    assert acknowledge_together(openings) == 4

    expected = [openings[n].ticket_id for n in (0, 1, 2, 4)]  # Ana's fourth is over her limit
    assert acknowledged_tickets() == expected


def test_a_batch_past_the_hourly_budget_sends_only_the_first_ones_within_it(
    opened, receive, acknowledge_together, budget
):
    budget(3)
    receive(email(message_id="<antes@example.org>", sender="ana@example.org"))  # one spent
    openings = opened(*from_people("p0@example.org", "p1@example.org", "p2@example.org"))

    assert acknowledge_together(openings) == 2

    assert acknowledged_tickets()[1:] == [openings[0].ticket_id, openings[1].ticket_id]
    assert cache.get(acknowledge.budget_key()) == 4  # every one wanted is counted, as before


def test_a_batch_acknowledged_twice_sends_each_acknowledgement_once(
    opened, acknowledge_together, budget, smtp_server
):
    budget(100)
    openings = opened(*from_people("p0@example.org", "p1@example.org", "p0@example.org"))

    assert acknowledge_together(openings) == 3
    assert acknowledge_together(openings) == 0  # the task redelivered (acks_late)

    assert acknowledged_tickets() == [message.ticket_id for message in openings]
    assert len(acknowledgements(smtp_server)) == 3
    assert cache.get(acknowledge.budget_key()) == 3  # the second run spent nothing


def test_nothing_is_sent_when_the_budget_cannot_be_counted(
    opened, acknowledge_together, monkeypatch, smtp_server
):
    class CacheDown:
        def incr(self, *args, **kwargs):
            raise ConnectionError("Redis is down")

        add = incr

    openings = opened(*from_people("p0@example.org", "p1@example.org"))
    monkeypatch.setattr(acknowledge, "cache", CacheDown())

    assert acknowledge_together(openings) == 0

    assert acknowledged_tickets() == []
    assert acknowledgements(smtp_server) == []


def test_the_standard_text_is_rendered_once_per_language_and_reads_as_alone(
    opened, acknowledge_together, mailbox, monkeypatch
):
    customer = CustomerFactory(name="John Smith", language="en")
    CustomerIdentityFactory(customer=customer, value="john@client.example")
    openings = opened(*from_people("p0@example.org", "john@client.example", "p1@example.org"))
    rendered = []

    def render(*args, **kwargs):
        rendered.append(translation.get_language())
        return render_to_string(*args, **kwargs)

    monkeypatch.setattr(acknowledge, "render_to_string", render)

    assert acknowledge_together(openings) == 3

    assert sorted(rendered) == ["en", "pt-br"]
    for opening in openings:
        ticket = opening.ticket
        ack = Message.objects.get(ticket=ticket, metadata__automatic="acknowledgement")
        with translation.override(ticket.language):
            text = render_to_string(
                "channels_app/email/acknowledgement.txt",
                {"number": ticket.number, "mailbox_name": mailbox.name},
            ).strip()
            assert (ack.subject, ack.body_text) == (gettext("We received your message"), text)
    assert [opening.ticket.language for opening in openings] == ["pt-br", "en", "pt-br"]


def test_a_message_that_cannot_be_acknowledged_does_not_stop_the_others(
    opened, acknowledge_together, monkeypatch
):
    openings = opened(*from_people("p0@example.org", "p1@example.org", "p2@example.org"))
    broken = openings[1].ticket.number
    render = Mailbox.render_acknowledgement

    def render_or_fail(self, *, number):
        if number == broken:
            raise RuntimeError("a broken text")
        return render(self, number=number)

    monkeypatch.setattr(Mailbox, "render_acknowledgement", render_or_fail)

    assert acknowledge_together(openings) == 2

    assert acknowledged_tickets() == [openings[0].ticket_id, openings[2].ticket_id]
