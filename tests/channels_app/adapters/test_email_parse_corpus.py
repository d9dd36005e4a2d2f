"""The email parser on mails shaped like the inbound benchmark's corpus (gen_emails.py: pt text in
quoted-printable, base64 or 8bit, an HTML alternative, a file with a non-ASCII name, replies with a
ticket tag and References), and the header memory that makes parsing cheaper: what one email's
headers parsed to never leaks into another's result, and the memory stays bounded."""

from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

import pytest

from channels_app.adapters.email.headers import POLICY, one_line, one_mailbox
from channels_app.adapters.email.parse import parse_email

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
TEXT = (
    "Bom dia,\n\nA fatura n.º 4312 de março apresenta um valor de 120,50 €, mas o contrato prevê "
    "um preço inferior.\n\nFico a aguardar uma resposta breve.\n\nCumprimentos,\nSebastião Simões\n"
)


def corpus_mail(
    *,
    cte: str,
    html: bool = False,
    attachment: bool = False,
    subject: str = "Fatura com valor errado (79)",
    message_id: str = "<orig-00079.42@cliente.example.pt>",
    answers: list[str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = '"Sebastião Simões" <sebastiao.simoes74@cliente15.pt>'
    message["To"] = "suporte@example.com"
    message["Subject"] = subject
    message["Date"] = "Thu, 13 Mar 2025 08:22:00 +0000"
    message["Message-ID"] = message_id
    if answers:
        message["In-Reply-To"] = answers[-1]
        message["References"] = " ".join(answers)
    message.set_content(TEXT, charset="utf-8", cte=cte)
    if html:
        paragraphs = "".join(f"<p>{block}</p>" for block in TEXT.split("\n\n"))
        message.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    if attachment:
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
        message.add_attachment(png, maintype="image", subtype="png", filename="captura_ecrã.png")
    return bytes(message)


@pytest.mark.parametrize("cte", ["quoted-printable", "base64", "8bit"])
@pytest.mark.parametrize("html", [False, True])
def test_a_new_conversation_of_the_corpus(cte, html):
    parsed = parse_email(corpus_mail(cte=cte, html=html, attachment=True))

    message = parsed.message
    assert (message.sender_name, message.sender_value) == (
        "Sebastião Simões",
        "sebastiao.simoes74@cliente15.pt",
    )
    assert message.subject == "Fatura com valor errado (79)"
    assert parsed.message_id == message.external_id == "<orig-00079.42@cliente.example.pt>"
    assert parsed.to_addresses == ("suporte@example.com",)
    assert message.body_text == TEXT.strip()
    assert ("<p>Fico a aguardar uma resposta breve.</p>" in message.body_html) is html
    assert message.metadata["date"] == "2025-03-13T08:22:00+00:00"
    assert message.metadata["from"] == "Sebastião Simões <sebastiao.simoes74@cliente15.pt>"
    assert message.metadata["reply_text"].startswith("Bom dia,\n\nA fatura n.º 4312")
    assert message.reply_to_ids == ()
    (attachment,) = message.attachments
    assert (attachment.filename, attachment.content_type, attachment.is_inline) == (
        "captura_ecrã.png",
        "image/png",
        False,
    )
    assert attachment.content == b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    assert (parsed.auto_reason, parsed.bounce, parsed.warnings) == ("", None, ())


def test_a_tagged_reply_of_the_corpus_answers_its_parent_first():
    thread = ["<orig-00079.42@cliente.example.pt>", "<reply-00001.42@cliente.example.pt>"]
    raw = corpus_mail(
        cte="8bit",
        subject="Re: [#79] Fatura com valor errado (79)",
        message_id="<reply-00003.42@cliente.example.pt>",
        answers=thread,
    )

    message = parse_email(raw).message

    assert message.subject == "Re: [#79] Fatura com valor errado (79)"
    assert message.reply_to_ids == (thread[1], thread[0])
    assert message.external_id == "<reply-00003.42@cliente.example.pt>"


def test_an_email_parses_the_same_whatever_was_parsed_before():
    """Header objects are shared between emails with the same header values: the result of each
    email must not depend on the order, or on what came before it."""
    raws = [path.read_bytes() for path in sorted(FIXTURES.glob("*.eml"))]
    raws += [corpus_mail(cte="base64", html=True), corpus_mail(cte="8bit", attachment=True)]

    def results(order):
        return {index: repr(parse_email(raws[index])) for index in order}

    forwards = results(range(len(raws)))
    assert results(reversed(range(len(raws)))) == forwards
    assert results(range(len(raws))) == forwards


def test_the_header_memory_is_bounded_and_skips_long_values():
    registry = POLICY.header_factory
    for number in range(registry.MAX_ENTRIES + 100):
        header = registry("Subject", f"Pedido {number}")
        assert str(header) == f"Pedido {number}"
    assert len(registry._parsed) <= registry.MAX_ENTRIES

    long_value = "x" * (registry.MAX_VALUE_CHARS + 1)
    assert registry("Subject", long_value) is not registry("Subject", long_value)
    assert registry("Subject", "Pedido 1") is registry("Subject", "Pedido 1")


# Values the quick reader takes, and values it must hand to the full parser (None).
MAILBOXES = [
    "a@b",
    " <maria.souza+suporte@cliente.com.br> ",
    '"" <a@b>',
    '" Maria  Souza " <a@b>',
    "Maria\tSouza   <a@b>",
    "O'Brien <o'b@x.y>",
    "=?utf-8?q?Sebasti=C3=A3o_Sim=C3=B5es?= <sebastiao.simoes74@cliente15.pt>",
    "=?UTF-8?B?Sm/Do28=?= <a@b>",
    "=?iso-8859-1?q?Jo=E3o?= <a@b>",
    "=?windows-1252?q?=80?= <a@b>",
    "=?utf-8?q?a=ZZ?= <a@b>",
    "=?utf-8?q??= <a@b>",
    "=?us-ascii?q?Jo=E3o?= <a@b>",
    "=?utf-8?q?a?= =?utf-8?q?b?= <a@b>",
    "=?utf-8?q?a?=<a@b>",
    "=?utf-8?q?Ma=0Aria?= <a@b>",
    "=?utf-8?q?=C3?= <a@b>",
    "=?utf-8*pt?q?x?= <a@b>",
    '"=?utf-8?q?x?=" <a@b>',
    '"a\\"b" <a@b>',
    '"Maria\x01" <a@b>',
    "x=?y <a@b>",
    "a=?b@c",
    "Mr. X <a@b>",
    "Maria (x) <a@b>",
    "<a@b> (comment)",
    "a@b, c@d",
    "g: a@b;",
    "<>",
    "a..b@c",
    "Maria <a@[1.2.3.4]>",
    'Maria <"a b"@c>',
]


def full_parser(value: str) -> list[tuple[str, str]]:
    try:
        found = [
            (item.display_name, item.addr_spec) for item in HeaderRegistry()("to", value).addresses
        ]
    except ValueError:  # what addresses() falls back to
        found = getaddresses([value])
    return [(one_line(name), address) for name, address in found]


def test_the_quick_mailbox_reader_agrees_with_the_full_parser():
    values = list(MAILBOXES)
    for path in sorted(FIXTURES.glob("*.eml")):
        head = path.read_bytes().split(b"\n\n")[0].decode("utf-8", "replace")
        values += [
            line.partition(":")[2].strip()
            for line in head.splitlines()
            if line.lower().startswith(("from:", "to:", "cc:"))
        ]

    quick = 0
    for value in values:
        read = one_mailbox(value)
        if read is not None:
            quick += 1
            assert [(one_line(read[0]), read[1])] == full_parser(value), value
    assert quick >= 12  # the common shapes do take the quick way
    assert one_mailbox("=?utf-8?q?Sebasti=C3=A3o_Sim=C3=B5es?= <s@c.pt>") == (
        "Sebastião Simões",
        "s@c.pt",
    )
    assert one_mailbox("Mr. X <a@b>") is None
