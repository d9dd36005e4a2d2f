"""One-line text (subjects, names) as every channel stores it: control characters and line
breaks, which would break each email header they reach, never get into the database."""

import pytest

from tests.tickets.factories import make_inbound
from tickets import services
from tickets.sanitize import single_line


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Pedido 4471\r\nBcc: vitima@example.org", "Pedido 4471 Bcc: vitima@example.org"),
        ("Nota\tfiscal\x00 \x07rejeitada", "Nota fiscal rejeitada"),
        ("  Boleto\u2028vencido\x85 ", "Boleto vencido"),
        ("Fatura \u202egnp.exe\u202c", "Fatura gnp.exe"),
        ("Não consigo emitir", "Não consigo emitir"),
        ("", ""),
    ],
)
def test_single_line_keeps_the_words_and_drops_the_controls(typed, stored):
    assert single_line(typed) == stored


def test_a_message_from_any_channel_is_stored_without_control_characters(db):
    result = services.message_receive(
        incoming=make_inbound(
            channel="whatsapp",
            sender_value="5511987654321",
            sender_name="Maria\r\nda Silva",
            subject="Entrega\r\natrasada",
        )
    )

    assert result.ticket.subject == "Entrega atrasada"
    assert result.message.subject == "Entrega atrasada"
    assert result.ticket.customer.name == "Maria da Silva"


def test_a_ticket_created_by_an_agent_has_a_one_line_subject(customer, n1_agent):
    ticket = services.ticket_create(
        customer=customer, subject="Ligação\nsobre o contrato", channel="phone", by=n1_agent
    )

    assert ticket.subject == "Ligação sobre o contrato"
