"""Acknowledgements cannot be used to relay someone else's words: they carry the ticket number
and our own text, never the sender's name or subject (which a forged email or a web form may
choose for any address), and all of them together stay within an hourly budget."""

# ruff: noqa: F811  (pytest hands the fixtures imported below to the tests that name them)

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from channels_app.models import Mailbox
from channels_app.services import acknowledge
from tests.channels_app.adapters.test_email_outbound import (  # noqa: F401  (fixtures)
    acknowledgements,
    email,
    mailbox,
    receive,
    subject_of,
)
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
