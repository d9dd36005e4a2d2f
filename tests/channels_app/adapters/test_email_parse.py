"""The email parser: real-world samples (tests/fixtures/email, see SOURCES.md) and synthetic
messages for what the samples do not cover (charset mislabeling, Portuguese quote headers...)."""

import base64
import json
import quopri
import random
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from channels_app.adapters.base import ChannelError
from channels_app.adapters.email.parse import ParsedEmail, html_to_text, parse_email

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
FIXTURE_NAMES = sorted(path.name for path in FIXTURES.glob("*.eml"))


def parse_fixture(name: str) -> ParsedEmail:
    return parse_email((FIXTURES / name).read_bytes())


def email_bytes(
    body: bytes = b"Ola",
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "text/plain; charset=utf-8",
    raw_headers: bytes = b"",
) -> bytes:
    """A one-part email from raw pieces, for bytes EmailMessage would refuse to write."""
    fields = {
        "From": "Maria Souza <maria@cliente.com.br>",
        "To": "suporte@jornada.example",
        "Subject": "Teste",
        "Message-ID": "<teste-1@cliente.com.br>",
        "Date": "Wed, 12 Nov 2025 10:31:00 -0300",
        "MIME-Version": "1.0",
        "Content-Type": content_type,
    }
    fields.update(headers or {})
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items() if value is not None)
    return head.encode() + raw_headers + b"\r\n" + body


def built(message: EmailMessage) -> ParsedEmail:
    for name, value in {
        "From": "Maria Souza <maria@cliente.com.br>",
        "To": "suporte@jornada.example",
        "Message-ID": "<built-1@cliente.com.br>",
    }.items():
        if name not in message:
            message[name] = value
    return parse_email(message.as_bytes(policy=policy.SMTP))


# --- every real-world sample ----------------------------------------------------------------------

# file -> (subject, sender, text that must be in body_text, attachments as
# (filename, content_type, is_inline)). "" as text: the body must be empty.
EXPECTED = {
    "chatwoot_auto_reply_arabic_x-autoreply_precedence.eml": (
        "أهلين عميلنا الكريم",
        "example@gmail.com",
        "أنظروا، أنا أحتاجها فقط لتقوم بالتدقيق في مقالتي الشخصية",
        [],
    ),
    "chatwoot_bounce_gmail_x-failed-recipients.eml": (
        "Delivery Status Notification (Failure)",
        "mailer-daemon@googlemail.com",
        "Your message wasn't delivered to alex.jones@fictionalcorp.com",
        [("icon.png", "image/png", True), ("Just checking in.eml", "message/rfc822", False)],
    ),
    "djhelpdesk_blank_body_long_subject_attachment.eml": (
        "Attachment without body - and a l" + "o" * 179 + "ng subject",
        "timothy.hobbs@auto-mat.cz",
        "",
        [("baf", "text/plain", False)],
    ),
    "djhelpdesk_forwarded_inline.eml": (
        "Test with original message from GitHub",
        "sender@domain.tld",
        "This is email body\n\n-----Original Message-----\nFrom: GitHub <noreply@github.com>",
        [],
    ),
    "djhelpdesk_multipart_alternative_qp.eml": (
        "Český test",
        "tim.thelion@gmail.com",
        "Tohle je test českých písmen odeslaných z gmailu.",
        [],
    ),
    "flanker_bounce_aol_mailbox_full.eml": (
        "Undelivered Mail Returned to Sender",
        "mailer-daemon@aol.com",
        "<user@aol.com>: host air-dc.gair-dc.mail.aol.com[172.19.136.29] said: 552",
        [("original-headers.txt", "text/rfc822-headers", False)],
    ),
    "flanker_bounce_gmail_invalid_address_nonstandard.eml": (
        "Delivery Status Notification (Failure)",
        "mailer-daemon@googlemail.com",
        "Delivery to the following recipient failed permanently:",
        [],
    ),
    "flanker_dsn_delayed.eml": (
        "Returned mail: Cannot send message for 5 days",
        "mailer-daemon@cs.example.com",
        "<foo@example.com>... Deferred: Connection timed out",
        [("Hello, how are you.eml", "message/rfc822", False)],
    ),
    "flanker_forward_enclosed_message-rfc822.eml": (
        "Wow",
        "bob@example.net",
        "Hello",
        [("thanks.eml", "message/rfc822", False)],
    ),
    "flanker_html_only_iso-8859-1_long_lines.eml": (
        "Please enjoy this mega long link",
        "postmaster@example.com",
        "THis is very long url",
        [],
    ),
    "flanker_iphone_inline_jpeg.eml": (
        "Subject",
        "someone@somewhere.com",
        "Hello\n\n~Danielle",
        [("photo.JPG", "image/jpeg", True)],
    ),
    "flanker_reply_references_precedence_bulk_8bit_from.eml": (
        "Re: running server as root (Was: Re: PUT method)",
        "ingo@blank.pages.de",
        "Isn't that the case for almost every other server you care to mention?",
        [],
    ),
    "hunnysoft_netscape_partial_encoded_subject_attachments.eml": (
        "Die Hasen und die Frösche (Netscape Messenger 4.7)",
        "dwsauder@example.com",
        "Die Hasen klagten einst über ihre mißliche Lage",
        [
            ("nsmailEG.png", "image/png", True),
            ("nsmail39.png", "image/png", True),
            ("redball.png", "image/png", True),
            ("greenball.png", "image/png", True),
        ],
    ),
    "hunnysoft_outlook_raw_8bit_latin1_headers.eml": (
        "Die Hasen und die Frösche (Microsoft Outlook 00)",
        "doug@example.com",
        "Unsere stete Angst ist ärger als der Tod selbst. Auf, laßt uns ein für allemal sterben.",
        [],
    ),
    "hunnysoft_outlook_windows-1252_encoded_word.eml": (
        "Die Hasen und die Frösche (Microsoft Outlook 00)",
        "doug@example.com",
        "erschreckte eine Menge Frösche, die am Ufer saßen, so sehr, daß sie",
        [],
    ),
    "mikelmail_attachment_nonascii_filename.eml": (
        "testing",
        "foo@example.com",
        "This is the first part.",
        [("ciële.txt", "text/plain", False)],
    ),
    "mikelmail_charset_iso-2022-jp.eml": (
        "まみむめも",
        "raasdnil@gmail.com",
        "すみません。",
        [],
    ),
    "mikelmail_dsn_bounce_multi_address.eml": (
        "Undelivered Mail Returned to Sender",
        "mailer-daemon@lvmail01.ll.com",
        "I'm sorry to have to inform you that your message could not",
        [("Test of bounce email.eml", "message/rfc822", False)],
    ),
    "mikelmail_dsn_delay_warning_auto-submitted.eml": (
        "Warning: could not send message for past 8 hours",
        "mailer-daemon@tppppp.com.au",
        "THIS IS A WARNING MESSAGE ONLY",
        [("original-headers.txt", "text/rfc822-headers", False)],
    ),
    "mikelmail_empty_in-reply-to.eml": (
        "illegal copy of our patient education software",
        "ak@g.com",
        "",
        [],
    ),
    "mikelmail_forward_as_message-rfc822_attachment.eml": (
        "testing",
        "foo@example.com",
        "This is the first part.",
        [("ForwardedMessage.eml", "message/rfc822", False)],
    ),
    "mikelmail_fwd_forwarded_signed_iso-8859-1.eml": (
        "Fwd: Signed email causes file attachments",
        "xxxxxxxxx.xxxxxxx@gmail.com",
        "Is there any way these kind of files could be ignored",
        [("smime.p7s", "application/pkcs7-signature", False)],
    ),
    "mikelmail_raw_utf8_headers_rfc6532.eml": (
        "Säying Hello",
        "jdöe@mächine.example",
        "body",
        [],
    ),
    "mikelmail_references_one_invalid.eml": (
        "Redacted",
        "redacted@flashmail.net",
        "foo",
        [],
    ),
    "mikelmail_reply_in-reply-to_references.eml": (
        "Re: Test reply email",
        "xxxxxxxx@xxx.org",
        "Message body",
        [],
    ),
}


def test_every_sample_has_expectations():
    assert sorted(EXPECTED) == FIXTURE_NAMES


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_sample_parses_with_its_subject_sender_text_and_attachments(name):
    subject, sender, text, attachments = EXPECTED[name]

    parsed = parse_fixture(name)

    message = parsed.message
    assert message.channel == "email"
    assert message.sender_kind == "email"
    assert message.subject == subject
    assert message.sender_value == sender == parsed.from_address
    if text:
        assert text in message.body_text
    else:
        assert message.body_text == ""
    found = [(item.filename, item.content_type, item.is_inline) for item in message.attachments]
    assert found == attachments
    assert all(item.content for item in message.attachments if item.filename != "icon.png")
    assert message.sent_at is None
    assert message.external_id == parsed.message_id


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_sample_output_is_clean_json_ready_text(name):
    parsed = parse_fixture(name)

    metadata = parsed.message.metadata
    json.dumps(metadata)  # stored in a JSONField
    texts = [parsed.message.body_text, parsed.message.subject, parsed.message.sender_name]
    texts += [metadata["reply_text"], metadata["quoted_text"]]
    texts += [item.filename for item in parsed.message.attachments]
    for text in texts:
        text.encode("utf-8")  # no lone surrogates left by the parser
        assert "\x00" not in text
        assert "\ufffd" not in text  # every sample decodes without replacement characters
    assert parsed.message.is_auto_reply == bool(parsed.auto_reason)
    assert all(item.startswith("<") and item.endswith(">") for item in parsed.message.reply_to_ids)


def test_arabic_auto_reply_is_flagged_with_its_auto_submitted_header():
    parsed = parse_fixture("chatwoot_auto_reply_arabic_x-autoreply_precedence.eml")

    assert parsed.auto_reason == "Auto-Submitted: auto-replied"
    assert parsed.message.is_auto_reply is True
    assert parsed.message.metadata["auto_reason"] == "Auto-Submitted: auto-replied"
    assert parsed.message.sender_name == "متجر سوق نت"
    assert parsed.bounce is None


def test_in_reply_to_with_the_same_id_twice_gives_it_once():
    parsed = parse_fixture("chatwoot_auto_reply_arabic_x-autoreply_precedence.eml")

    assert parsed.message.reply_to_ids == ("<4e6e35f5a38b4_479f13bb90078178@small-app-01.mail>",)
    assert "reply+6bdc3f4d-0bec-4515-a284-5d916fdde489@example.com" in parsed.to_addresses


def test_empty_in_reply_to_gives_no_reply_ids():
    parsed = parse_fixture("mikelmail_empty_in-reply-to.eml")

    assert parsed.message.reply_to_ids == ()
    assert parsed.message.metadata["reply_to"] == "ak@g.com"
    assert "abuser@r.ru" in parsed.to_addresses  # To and Envelope-to


def test_references_drop_the_invalid_id_and_come_newest_first():
    parsed = parse_fixture("mikelmail_references_one_invalid.eml")

    assert parsed.message.reply_to_ids == ("<baz@bar.net>", "<foo@bar.net>")


def test_in_reply_to_comes_before_the_references_reversed():
    parsed = parse_fixture("mikelmail_reply_in-reply-to_references.eml")

    assert parsed.message.reply_to_ids == (
        "<348F04F142D69C21-291E56D292BC@xxxx.net>",
        "<473FF3B8.9020707@xxx.org>",
    )
    assert parsed.message_id == "<473FFE27.20003@xxx.org>"


def test_windows_1252_encoded_word_subject_and_first_from_header_win():
    parsed = parse_fixture("hunnysoft_outlook_windows-1252_encoded_word.eml")

    assert parsed.message.subject == "Die Hasen und die Frösche (Microsoft Outlook 00)"
    assert parsed.message.sender_name == "Doug Sauder"  # not the second "From:" header
    assert parsed.message.metadata["to"] == ["Heinz Müller <mueller@example.com>"]


def test_raw_8bit_latin1_headers_are_decoded():
    parsed = parse_fixture("hunnysoft_outlook_raw_8bit_latin1_headers.eml")

    assert parsed.message.subject == "Die Hasen und die Frösche (Microsoft Outlook 00)"
    assert parsed.message.metadata["to"] == ["Jürgen Schmürgen <schmuergen@example.com>"]


def test_raw_8bit_latin1_display_name_in_from():
    parsed = parse_fixture("flanker_reply_references_precedence_bulk_8bit_from.eml")

    assert parsed.message.sender_name == "Ingo Lütkebohle"
    assert parsed.auto_reason == "Precedence: bulk"
    assert parsed.message.reply_to_ids == (
        "<Pine.BSF.3.95q.970712135859.28530B-100000@valis.worldgate.com>",
    )


def test_rfc6532_utf8_from_and_subject():
    parsed = parse_fixture("mikelmail_raw_utf8_headers_rfc6532.eml")

    assert parsed.message.sender_name == "Jöhn Doe"
    assert parsed.from_address == "jdöe@mächine.example"
    assert parsed.message.subject == "Säying Hello"
    assert parsed.to_addresses == ("märy@exämple.net",)


def test_iso_2022_jp_body_and_missing_message_id_warning():
    parsed = parse_fixture("mikelmail_charset_iso-2022-jp.eml")

    assert parsed.message.body_text == "すみません。"
    assert parsed.message.metadata["to"] == ["みける <raasdnil@gmail.com>"]
    assert parsed.message_id == ""
    assert parsed.message.external_id == ""
    assert any("Message-ID" in warning for warning in parsed.warnings)
    assert parsed.message.metadata["warnings"] == list(parsed.warnings)


def test_partially_encoded_subject_and_netscape_inline_images_with_windows_paths():
    parsed = parse_fixture("hunnysoft_netscape_partial_encoded_subject_attachments.eml")

    first, second, red, green = parsed.message.attachments
    assert (first.filename, first.content_id) == (
        "nsmailEG.png",
        "part1.39235FC5.E71D8178@example.com",
    )
    assert (second.filename, second.content_id) == (
        "nsmail39.png",
        "part2.39235FC5.E71D8178@example.com",
    )
    assert red.content_id == green.content_id == ""
    assert all(item.content.startswith(b"\x89PNG") for item in parsed.message.attachments)
    assert 'SRC="cid:part1.39235FC5.E71D8178@example.com"' in parsed.message.body_html
    assert parsed.message.body_text.startswith("[blue ball]\n\nDie Hasen und die Frösche")


def test_iphone_inline_jpeg_between_two_text_parts():
    parsed = parse_fixture("flanker_iphone_inline_jpeg.eml")

    (photo,) = parsed.message.attachments
    assert photo.is_inline is True
    assert photo.content.startswith(b"\xff\xd8")  # a JPEG
    assert parsed.message.body_text == "Hello\n\n~Danielle"


def test_blank_body_with_a_text_attachment():
    parsed = parse_fixture("djhelpdesk_blank_body_long_subject_attachment.eml")

    (attachment,) = parsed.message.attachments
    assert attachment.content == b"You shouldn't see this.\n"
    assert parsed.message.body_text == ""
    assert parsed.message.metadata["reply_text"] == ""


def test_forward_as_attachment_is_kept_as_an_eml_file():
    parsed = parse_fixture("flanker_forward_enclosed_message-rfc822.eml")

    (enclosed,) = parsed.message.attachments
    inner = BytesParser(policy=policy.default).parsebytes(enclosed.content)
    assert inner["Subject"] == "Thanks!"
    assert inner["Message-Id"] == "<BANLkTinHZL1QMDHOv7Ewp+Z5u6SPvYcc+Q@mail.gmail.com>"
    assert "kicking ass" in inner.get_body(("plain",)).get_content()
    assert parsed.message.metadata["to"] == ["Александр Клижентас☯ <bob@example.com>"]


def test_apple_mail_forward_as_attachment_keeps_the_inner_pdf():
    parsed = parse_fixture("mikelmail_forward_as_message-rfc822_attachment.eml")

    (enclosed,) = parsed.message.attachments
    inner = BytesParser(policy=policy.default).parsebytes(enclosed.content)
    assert inner["Subject"] == "Another PDF"
    (pdf,) = inner.iter_attachments()
    assert pdf.get_filename() == "broken.pdf"
    assert pdf.get_content().startswith(b"%PDF-1.4")


def test_smime_signature_is_an_attachment_and_the_forward_is_quoted():
    parsed = parse_fixture("mikelmail_fwd_forwarded_signed_iso-8859-1.eml")

    (signature,) = parsed.message.attachments
    assert signature.content.startswith(b"0\x80\x06\t*\x86H\x86\xf7\r\x01\x07\x02")  # PKCS#7
    metadata = parsed.message.metadata
    assert metadata["reply_text"] == "We should not include these files or vcards as attachments."
    assert "From: xxxxx xxxxxx <xxxxxxxx@xxx.com>" in metadata["quoted_text"]
    assert parsed.message.reply_to_ids == ("<F6E2D0B4-CC35-4A91-BA4C-C7C712B10C13@mac.com>",)
    assert parsed.to_addresses == ("xxxxx@xxxxxxxxx.com", "xxxxx@xxxxx.xxxxxxxxx.com")


def test_original_message_separator_splits_reply_from_quote():
    parsed = parse_fixture("djhelpdesk_forwarded_inline.eml")

    assert parsed.message.metadata["reply_text"] == "This is email body"
    assert parsed.message.metadata["quoted_text"].startswith("-----Original Message-----")
    assert "Hello there!" in parsed.message.metadata["quoted_text"]


def test_html_only_mail_gets_readable_text():
    parsed = parse_fixture("flanker_html_only_iso-8859-1_long_lines.eml")

    text = parsed.message.body_text
    assert "<" not in text.replace("<br>", "")
    assert "Very long link (http://www.longurlmaker.com/view/?id=UAOJNVKBMQUG" in text
    assert text.endswith("\n\nTHis is very long url")
    assert parsed.message.body_html.startswith("<html>")
    # From postmaster@: flagged as automatic by the sender rule, even though a person wrote it
    assert parsed.auto_reason == "postmaster sender"


def test_multipart_alternative_keeps_text_and_unsanitized_html():
    parsed = parse_fixture("djhelpdesk_multipart_alternative_qp.eml")

    assert parsed.message.body_text == "Tohle je test českých písmen odeslaných z gmailu."
    assert parsed.message.body_html.startswith('<div dir="ltr">Tohle je test českých')
    assert parsed.message.metadata["date"] == "2019-03-05T18:03:06+01:00"


def test_nonascii_raw_filename():
    parsed = parse_fixture("mikelmail_attachment_nonascii_filename.eml")

    (attachment,) = parsed.message.attachments
    assert attachment.filename == "ciële.txt"
    assert attachment.content == b"Hi there.\r\n"


def test_bounce_text_is_not_taken_for_a_customer_message():
    parsed = parse_fixture("chatwoot_bounce_gmail_x-failed-recipients.eml")

    assert parsed.bounce is not None
    assert parsed.message.is_auto_reply is True
    assert parsed.auto_reason == "delivery status notification"
    assert parsed.message.metadata["bounce"]["status"] == "5.1.1"
    icon = parsed.message.attachments[0]
    assert (icon.content_id, icon.is_inline) == ("icon.png", True)  # referenced as cid:icon.png


# --- charsets -------------------------------------------------------------------------------------

PORTUGUESE = "Não consegui emitir a nota: ação bloqueada, é urgente. Preço: R$ 1.200,00 — obrigado"


@pytest.mark.parametrize("declared", ["us-ascii", "iso-8859-1", "windows-1252"])
def test_utf8_text_declared_as_a_single_byte_charset_is_read_as_utf8(declared):
    raw = email_bytes(
        PORTUGUESE.encode("utf-8"),
        content_type=f"text/plain; charset={declared}",
        headers={"Content-Transfer-Encoding": "8bit"},
    )

    parsed = parse_email(raw)

    assert parsed.message.body_text == PORTUGUESE
    assert any("was UTF-8" in warning for warning in parsed.warnings)


def test_windows_1252_text_declared_utf8_falls_back_to_windows_1252():
    text = "Não recebi a fatura “de novembro”, ação necessária"
    raw = email_bytes(
        text.encode("cp1252"),
        content_type="text/plain; charset=utf-8",
        headers={"Content-Transfer-Encoding": "8bit"},
    )

    parsed = parse_email(raw)

    assert parsed.message.body_text == text
    assert any("not valid utf-8" in warning for warning in parsed.warnings)


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [("iso-8859-1", "latin-1"), ("ISO-8859-1", "cp1252"), ("windows-1252", "cp1252")],
)
def test_latin1_and_windows_1252_portuguese(charset, encoding):
    text = "Reclamação: não é possível, já paguei a conta de água" + (
        " – “urgente”" if encoding == "cp1252" else ""
    )
    raw = email_bytes(
        text.encode(encoding),
        content_type=f"text/plain; charset={charset}",
        headers={"Content-Transfer-Encoding": "8bit"},
    )

    parsed = parse_email(raw)

    assert parsed.message.body_text == text  # "ISO-8859-1" with 0x93/0x94 quotes is cp1252
    assert parsed.warnings == ()


def test_quoted_printable_latin1_portuguese():
    message = EmailMessage()
    message["Subject"] = "Ação necessária"
    message.set_content(
        "Olá,\nnão consigo acessar a minha conta.\n", charset="iso-8859-1", cte="quoted-printable"
    )

    parsed = built(message)

    assert parsed.message.subject == "Ação necessária"
    assert parsed.message.body_text == "Olá,\nnão consigo acessar a minha conta."


@pytest.mark.parametrize(
    ("charset", "body", "expected"),
    [
        ("x-unknown-charset", "ação".encode(), "ação"),
        ("x-unknown-charset", "ação".encode("cp1252"), "ação"),
        ("zlib", "não".encode(), "não"),  # a Python codec, but not a charset
        ("", "é".encode("latin-1"), "é"),  # no charset at all
    ],
)
def test_unknown_charsets_fall_back_to_utf8_then_windows_1252(charset, body, expected):
    content_type = f'text/plain; charset="{charset}"' if charset else "text/plain"
    raw = email_bytes(
        b"Texto: " + body, content_type=content_type, headers={"Content-Transfer-Encoding": "8bit"}
    )

    parsed = parse_email(raw)

    assert parsed.message.body_text == f"Texto: {expected}"
    if charset:
        assert any("Unknown charset" in warning for warning in parsed.warnings)


def test_charset_python_knows_under_another_name():
    raw = email_bytes(
        "안녕하세요".encode("cp949"),
        content_type="text/plain; charset=ks_c_5601-1987",
        headers={"Content-Transfer-Encoding": "8bit"},
    )

    assert parse_email(raw).message.body_text == "안녕하세요"


@pytest.mark.parametrize(
    ("raw_subject", "expected"),
    [
        ("Reclamação urgente".encode("latin-1"), "Reclamação urgente"),
        ("Reclamação urgente".encode(), "Reclamação urgente"),
        (b"Pedido =?iso-8859-1?q?n=E3o?= entregue", "Pedido não entregue"),
        (
            b"=?UTF-8?B?QcOnw6Nv?= =?UTF-8?Q?_n=C3=A3o?=\r\n =?UTF-8?Q?_conclu=C3=ADda?=",
            "Ação não concluída",
        ),
        (b"Folded\r\n\tsubject   with  spaces ", "Folded subject with spaces"),
    ],
)
def test_subject_decoding(raw_subject, expected):
    raw = email_bytes(headers={"Subject": None}, raw_headers=b"Subject: " + raw_subject + b"\r\n")

    assert parse_email(raw).message.subject == expected


def test_raw_8bit_latin1_from_name():
    raw = email_bytes(
        headers={"From": None},
        raw_headers='From: "João Araújo" <JOAO@Exemplo.com.br>\r\n'.encode("latin-1"),
    )

    parsed = parse_email(raw)

    assert parsed.message.sender_name == "João Araújo"
    assert parsed.message.sender_value == "joao@exemplo.com.br"
    assert parsed.message.metadata["from"] == "João Araújo <joao@exemplo.com.br>"


def test_missing_subject_is_empty():
    assert parse_email(email_bytes(headers={"Subject": None})).message.subject == ""


# --- attachments ----------------------------------------------------------------------------------


def test_rfc2231_filename():
    raw = email_bytes(
        base64.b64encode(b"%PDF-1.7"),
        content_type="application/pdf",
        headers={
            "Content-Transfer-Encoding": "base64",
            "Content-Disposition": "attachment; filename*=utf-8''relat%C3%B3rio%20mar%C3%A7o.pdf",
        },
    )
    message = EmailMessage()
    message.set_content("Segue o relatório.")
    message.add_attachment(
        b"%PDF-1.7", maintype="application", subtype="pdf", filename="relatório março.pdf"
    )

    for parsed in (parse_email(raw), built(message)):
        (attachment,) = parsed.message.attachments
        assert attachment.filename == "relatório março.pdf"
        assert attachment.content == b"%PDF-1.7"
        assert attachment.is_inline is False


def test_windows_path_with_raw_utf8_is_reduced_to_the_base_name():
    raw = email_bytes(
        b"data",
        content_type="application/octet-stream",
        raw_headers=(
            'Content-Disposition: attachment; filename="C:\\Users\\joão\\nota fiscal.pdf"\r\n'
        ).encode(),
    )

    (attachment,) = parse_email(raw).message.attachments
    assert attachment.filename == "nota fiscal.pdf"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("image/png", "image-1.png"),
        ("application/pdf", "attachment-1.pdf"),
        ("application/ms-tnef", "winmail.dat"),
        ("application/x-pkcs7-signature", "smime.p7s"),
        ("application/x-unknown-thing", "attachment-1.bin"),
    ],
)
def test_attachment_without_a_name_gets_one_from_its_type(content_type, expected):
    message = EmailMessage()
    message.set_content("Veja o anexo.")
    maintype, subtype = content_type.split("/")
    message.add_attachment(b"\x00\x01binary", maintype=maintype, subtype=subtype)

    (attachment,) = built(message).message.attachments
    assert attachment.filename == expected
    assert attachment.content == b"\x00\x01binary"


def test_tnef_winmail_dat_is_kept_as_an_ordinary_attachment():
    tnef = b"\x78\x9f\x3e\x22" + bytes(range(256))
    message = EmailMessage()
    message.set_content("Mensagem do Outlook.")
    message.add_attachment(tnef, maintype="application", subtype="ms-tnef", filename="winmail.dat")

    (attachment,) = built(message).message.attachments
    assert (attachment.filename, attachment.content_type) == ("winmail.dat", "application/ms-tnef")
    assert attachment.content == tnef


def test_inline_cid_image_in_multipart_related():
    png = b"\x89PNG\r\n\x1a\nfake"
    message = EmailMessage()
    message.set_content("Veja o print.")
    message.add_alternative('<p>Veja o print:</p><img src="cid:print123@cliente">', subtype="html")
    message.get_payload()[1].add_related(
        png, maintype="image", subtype="png", cid="<print123@cliente>"
    )

    parsed = built(message)

    (image,) = parsed.message.attachments
    assert (image.content_id, image.is_inline, image.content) == ("print123@cliente", True, png)
    assert image.filename == "image-1.png"
    assert parsed.message.body_text == "Veja o print."
    assert 'src="cid:print123@cliente"' in parsed.message.body_html


def test_enclosed_message_without_a_name_is_named_after_its_subject():
    inner = EmailMessage()
    inner["From"] = "cliente@exemplo.com"
    inner["Subject"] = "Pedido 42/2025: não chegou"
    inner["Message-ID"] = "<inner@exemplo.com>"
    inner.set_content("O pedido não chegou.")
    message = EmailMessage()
    message.set_content("Encaminhando a reclamação.")
    message.add_attachment(inner)

    (enclosed,) = built(message).message.attachments
    assert enclosed.filename == "Pedido 42_2025_ não chegou.eml"
    assert enclosed.content_type == "message/rfc822"
    reparsed = BytesParser(policy=policy.default).parsebytes(enclosed.content)
    assert reparsed["Message-ID"] == "<inner@exemplo.com>"
    assert reparsed.get_content().strip() == "O pedido não chegou."


@pytest.mark.parametrize("encoding", ["7bit", "base64", "quoted-printable"])
def test_enclosed_message_with_a_transfer_encoding_is_decoded(encoding):
    # RFC 2046 allows only 7bit/8bit/binary for message/rfc822; some mailers encode it anyway.
    inner = "From: ana@x.com\r\nSubject: Interno não\r\nMessage-ID: <in@x.com>\r\n\r\nCorpo ção\r\n"
    encoded = {
        "7bit": inner.encode(),
        "base64": base64.encodebytes(inner.encode()),
        "quoted-printable": quopri.encodestring(inner.encode()),
    }[encoding]
    raw = (
        b"From: a@b.com\r\nMessage-ID: <o@b.com>\r\nContent-Type: multipart/mixed; boundary=X\r\n"
        b"\r\n--X\r\nContent-Type: text/plain\r\n\r\noi\r\n--X\r\nContent-Type: message/rfc822\r\n"
        b"Content-Transfer-Encoding: "
        + encoding.encode()
        + b"\r\n\r\n"
        + encoded
        + b"\r\n--X--\r\n"
    )

    (enclosed,) = parse_email(raw).message.attachments

    assert enclosed.filename == "Interno não.eml"
    reparsed = BytesParser(policy=policy.default).parsebytes(enclosed.content)
    assert reparsed["Message-ID"] == "<in@x.com>"
    assert reparsed.get_payload(decode=True).strip() == "Corpo ção".encode()


def test_multipart_signed_keeps_the_text_and_the_signature():
    raw = (
        b"From: a@b.com\r\nMessage-ID: <s@b.com>\r\nSubject: assinado\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;'
        b' boundary="sig"\r\n\r\n--sig\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
        + "Mensagem assinada, não alterada.\r\n".encode()
        + b"--sig\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n"
        b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7s"
        b"\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n--sig--\r\n"
    )

    parsed = parse_email(raw)

    assert parsed.message.body_text == "Mensagem assinada, não alterada."
    (signature,) = parsed.message.attachments
    assert signature.filename == "smime.p7s"


# --- HTML and text --------------------------------------------------------------------------------


def test_html_only_portuguese_mail_keeps_paragraphs_and_line_breaks():
    html = (
        "<html><head><style>p { color: red }</style><title>x</title></head><body>"
        "<p>Ol&aacute;,</p><p>n&atilde;o consigo acessar<br>minha conta.</p>"
        "<ul><li>Erro 403</li><li>Desde ontem</li></ul><script>alert(1)</script>"
        '<p>Veja <a href="https://exemplo.com/ajuda">a ajuda</a>.</p></body></html>'
    )
    raw = email_bytes(html.encode(), content_type="text/html; charset=utf-8")

    parsed = parse_email(raw)

    assert parsed.message.body_text == (
        "Olá,\n\nnão consigo acessar\nminha conta.\n\n- Erro 403\n- Desde ontem\n\n"
        "Veja a ajuda (https://exemplo.com/ajuda)."
    )
    assert parsed.message.body_html == html


def test_html_to_text_quotes_blockquotes_and_keeps_preformatted_text():
    html = (
        "<div>Resposta</div><div><br></div><div>nova</div>"
        "<blockquote>citado<blockquote>mais fundo</blockquote></blockquote>"
        "<pre>  indentado\n    mais</pre><table><tr><td>Nome:</td><td>Ana</td></tr></table>"
    )

    assert html_to_text(html) == (
        "Resposta\n\nnova\n\n> citado\n\n> > mais fundo\n\n  indentado\n    mais\n\nNome: Ana"
    )


def test_format_flowed_soft_breaks_are_joined():
    body = (
        b"Esta linha continua \r\nna seguinte.\r\n\r\n> citado que \r\n> continua\r\n-- \r\nAna\r\n"
    )
    raw = email_bytes(body, content_type="text/plain; charset=utf-8; format=flowed")

    text = parse_email(raw).message.body_text

    assert text == "Esta linha continua na seguinte.\n\n> citado que continua\n-- \nAna"


# --- quoted text ----------------------------------------------------------------------------------


def test_gmail_pt_br_reply_is_split_from_the_quote():
    message = EmailMessage()
    message["Subject"] = "Re: [#123] Acesso bloqueado"
    message.set_content(
        "Bom dia, ainda não consegui acessar.\n"
        "Obrigado, mas o erro continua igual depois da atualização.\n\n"
        "Em qua., 12 de nov. de 2025 às 10:31, Maria <maria@x.com> escreveu:\n\n"
        "> Olá João, tente novamente.\n>\n> Att,\n> Maria\n"
    )
    message.add_alternative(
        '<div dir="ltr">Bom dia, ainda não consegui acessar.</div><br><div class="gmail_quote">'
        "Em qua., 12 de nov. de 2025 às 10:31, Maria &lt;maria@x.com&gt; escreveu:<br>"
        "<blockquote>Olá João, tente novamente.</blockquote></div>",
        subtype="html",
    )

    metadata = built(message).message.metadata

    assert metadata["reply_text"] == (
        "Bom dia, ainda não consegui acessar.\n"
        "Obrigado, mas o erro continua igual depois da atualização."
    )
    assert metadata["quoted_text"].startswith(
        "Em qua., 12 de nov. de 2025 às 10:31, Maria <maria@x.com> escreveu:"
    )
    assert "> Olá João, tente novamente." in metadata["quoted_text"]


def test_gmail_pt_br_quote_header_wrapped_over_two_lines():
    message = EmailMessage()
    message.set_content(
        "Segue o comprovante.\n\n"
        "Em qua., 12 de nov. de 2025 às 10:31, Maria Souza da Silva Santos <\n"
        "maria.souza@x.com> escreveu:\n\n> Pode enviar o comprovante?\n"
    )

    assert built(message).message.metadata["reply_text"] == "Segue o comprovante."


@pytest.mark.parametrize("sent_label", ["Enviado:", "Enviada em:"])
def test_outlook_pt_br_reply_is_split_from_the_quote(sent_label):
    message = EmailMessage()
    message.set_content(
        "Olá, segue a nota fiscal em anexo.\n\nAtenciosamente,\nJoão Silva\n\n"
        "________________________________\n"
        "De: Suporte Jornada <suporte@jornada.example>\n"
        f"{sent_label} quarta-feira, 12 de novembro de 2025 10:31\n"
        "Para: João Silva <joao@cliente.com.br>\n"
        "Assunto: RE: [#123] Nota fiscal\n\n"
        "Olá João, pode nos enviar a nota?\n"
    )

    metadata = built(message).message.metadata

    assert metadata["reply_text"] == "Olá, segue a nota fiscal em anexo."
    assert "Atenciosamente,\nJoão Silva" in metadata["quoted_text"]
    assert "Assunto: RE: [#123] Nota fiscal" in metadata["quoted_text"]


def test_english_on_wrote_reply_and_signature():
    message = EmailMessage()
    message.set_content(
        "Thanks, but it still fails after the update.\n- step one\n- step two\n\n"
        "Best regards,\nJohn\n\n"
        "On Tue, Nov 11, 2025 at 9:00 AM Support <support@jornada.example> wrote:\n"
        "> Please try again.\n"
    )

    metadata = built(message).message.metadata

    assert metadata["reply_text"] == (
        "Thanks, but it still fails after the update.\n- step one\n- step two"
    )
    assert metadata["quoted_text"].startswith("Best regards,\nJohn")
    assert "> Please try again." in metadata["quoted_text"]


def test_text_without_quotes_is_all_reply():
    parsed = parse_email(email_bytes(b"Bom dia,\n\npreciso de ajuda com o boleto.\n"))

    assert parsed.message.metadata["reply_text"] == "Bom dia,\n\npreciso de ajuda com o boleto."
    assert parsed.message.metadata["quoted_text"] == ""


def test_a_bare_forward_keeps_the_whole_text_as_reply():
    text = (
        "---------- Forwarded message ---------\n"
        "From: Ana <ana@x.com>\nDate: hoje\nSubject: Oi\nTo: b@x.com\n\nConteúdo"
    )
    parsed = parse_email(email_bytes(text.encode()))

    assert parsed.message.metadata["reply_text"] == parsed.message.body_text == text
    assert parsed.message.metadata["quoted_text"] == ""


def test_quote_splitting_stays_fast_on_pathological_lines():
    text = ("On " * 99 + "\n") * 300 + "Em " * 2000  # long, but short enough to be split

    started = time.monotonic()
    parsed = parse_email(email_bytes(text.encode()))

    assert time.monotonic() - started < 10
    # the library trims each line; nothing else is taken away
    assert parsed.message.metadata["reply_text"].split() == parsed.message.body_text.split()


# --- automatic mail (RFC 3834) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Auto-Submitted": "auto-generated (warning-timeout)"}, "Auto-Submitted: auto-generated"),
        ({"Auto-Submitted": "auto-notified; owner-email=x@y.com"}, "Auto-Submitted: auto-notified"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"Precedence": "junk"}, "Precedence: junk"),
        ({"Precedence": "list"}, "Precedence: list"),
        ({"X-Autoreply": "yes"}, "X-Autoreply"),
        ({"X-Autorespond": "Ausente"}, "X-Autorespond"),
        ({"X-Auto-Response-Suppress": "All"}, "X-Auto-Response-Suppress"),
        ({"X-Auto-Response-Suppress": ""}, "X-Auto-Response-Suppress"),
        ({"From": "MAILER-DAEMON@mx.example.com"}, "mailer-daemon sender"),
        ({"From": "Postmaster <postmaster@example.com>"}, "postmaster sender"),
        ({"Return-Path": "<>"}, "empty Return-Path"),
    ],
)
def test_automatic_mail_is_flagged(headers, reason):
    parsed = parse_email(email_bytes(headers=headers))

    assert parsed.auto_reason == reason
    assert parsed.message.is_auto_reply is True
    assert parsed.message.metadata["auto_reason"] == reason


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Auto-Submitted": "no"},
        {"Precedence": "first-class"},
        {"Return-Path": "<maria@cliente.com.br>"},
        {"X-Autoreply": "no"},
    ],
)
def test_mail_a_person_wrote_is_not_flagged(headers):
    parsed = parse_email(email_bytes(headers=headers))

    assert parsed.auto_reason == ""
    assert parsed.message.is_auto_reply is False
    assert "auto_reason" not in parsed.message.metadata


def test_read_receipt_report_is_automatic_but_no_bounce():
    raw = (
        b"From: a@b.com\r\nMessage-ID: <mdn@b.com>\r\nSubject: Lida: pedido\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/plain\r\n\r\nSua mensagem foi lida.\r\n"
        b"--r\r\nContent-Type: message/disposition-notification\r\n\r\n"
        b"Final-Recipient: rfc822; a@b.com\r\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\r\n\r\n--r--\r\n"
    )

    parsed = parse_email(raw)

    assert parsed.auto_reason == "disposition notification (read receipt)"
    assert parsed.bounce is None
    assert parsed.message.body_text == "Sua mensagem foi lida."


# --- metadata -------------------------------------------------------------------------------------


def test_metadata_of_a_plain_email():
    raw = email_bytes(
        headers={
            "To": "Suporte <SUPORTE@jornada.example>, outro@jornada.example",
            "Cc": '"Souza, Ana" <ana@cliente.com.br>',
            "Reply-To": "respostas@cliente.com.br",
            "Delivered-To": "caixa@jornada.example",
            "X-Original-To": "suporte@jornada.example",
        }
    )

    parsed = parse_email(raw)

    metadata = parsed.message.metadata
    assert metadata["from"] == "Maria Souza <maria@cliente.com.br>"
    assert metadata["to"] == ["Suporte <SUPORTE@jornada.example>", "outro@jornada.example"]
    assert metadata["cc"] == ['"Souza, Ana" <ana@cliente.com.br>']
    assert metadata["reply_to"] == "respostas@cliente.com.br"
    assert metadata["date"] == "2025-11-12T10:31:00-03:00"
    assert metadata["message_id"] == "<teste-1@cliente.com.br>"
    assert "warnings" not in metadata
    assert parsed.to_addresses == (
        "suporte@jornada.example",
        "outro@jornada.example",
        "ana@cliente.com.br",
        "caixa@jornada.example",
    )
    assert parsed.message.sender_name == "Maria Souza"
    assert parsed.warnings == ()


def test_unparseable_date_is_kept_raw():
    parsed = parse_email(email_bytes(headers={"Date": "quarta-feira passada"}))

    assert parsed.message.metadata["date"] == "quarta-feira passada"
    assert parsed.message.sent_at is None


def test_message_id_without_angle_brackets_gets_them():
    parsed = parse_email(email_bytes(headers={"Message-ID": "abc123@cliente.com.br"}))

    assert parsed.message_id == parsed.message.external_id == "<abc123@cliente.com.br>"


def test_missing_message_id_is_a_warning_not_an_error():
    parsed = parse_email(email_bytes(headers={"Message-ID": None}))

    assert parsed.message.external_id == ""
    assert parsed.message.metadata["message_id"] == ""
    assert parsed.warnings == (
        "The email has no Message-ID: a second delivery of it cannot be recognised.",
    )


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02",
        b"\r\n\r\nno headers at all",
        email_bytes(headers={"From": None}),
        email_bytes(headers={"From": "<>"}),
        email_bytes(headers={"From": "Maria Souza"}),
        email_bytes(headers={"From": "=?utf-8?q?=C3=A7?="}),
    ],
)
def test_no_usable_sender_is_a_permanent_channel_error(raw):
    with pytest.raises(ChannelError) as error:
        parse_email(raw)

    assert error.value.code == "no_sender"
    assert error.value.permanent is True


def test_garbage_bytes_never_raise_anything_but_no_sender():
    rng = random.Random(20251112)
    samples = [rng.randbytes(rng.randrange(0, 4000)) for _ in range(150)]
    fixtures = [(FIXTURES / name).read_bytes() for name in FIXTURE_NAMES]
    for _ in range(150):
        mutated = bytearray(rng.choice(fixtures))
        for _ in range(rng.randrange(1, 30)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        cut = rng.randrange(len(mutated) // 2, len(mutated) + 1)
        samples.append(bytes(mutated[:cut]))
    outcomes = [_parse_or_error_code(raw) for raw in samples]
    assert set(outcomes) == {"parsed", "no_sender"}
    assert outcomes.count("parsed") > 100  # most mutated samples still have a From header


def _parse_or_error_code(raw: bytes) -> str:
    try:
        result = parse_email(raw)
    except ChannelError as error:
        return error.code
    json.dumps(result.message.metadata)
    return "parsed"


@pytest.mark.parametrize(
    "raw",
    [
        b"From: a@b.com\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\nno boundary ever",
        b"From: a@b.com\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nbody",
        b"From: a@b.com\r\nContent-Type: text/plain; charset=\r\n\r\nbody",
        b"From: a@b.com\r\nContent-Type: ;;;\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@notb64",
        b"From: a@b.com\r\nContent-Type: message/rfc822\r\n\r\n",
        b"From: a@b.com\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b"
        b"\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n\x00\xff\r\n--b--",
        b"From: a@b.com\r\nSubject: =?utf-8?b?####?= =?x-none?q?=FF?=\r\n"
        b"References: <<<>>>\r\n\r\n.",
        b"From: a@b.com\r\nContent-Disposition: attachment; filename*=bogus''%ZZ%\r\n"
        b"Content-Type: application/octet-stream\r\n\r\nx",
    ],
)
def test_malformed_mime_is_parsed_without_raising(raw):
    parsed = parse_email(raw)

    assert parsed.from_address == "a@b.com"
    json.dumps(parsed.message.metadata)


def test_absurd_nesting_is_cut_with_a_warning():
    depth = 80
    raw = (
        b"From: a@b.com\r\nMessage-ID: <n@b.com>\r\n"
        b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    )
    for level in range(1, depth):
        raw += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level - 1, level)
    raw += b"--b%d\r\nContent-Type: text/plain\r\n\r\nfundo\r\n" % (depth - 1)
    raw += b"".join(b"--b%d--\r\n" % level for level in reversed(range(depth)))

    parsed = parse_email(raw)

    assert any("nested too deeply" in warning for warning in parsed.warnings)


def test_a_60_mb_message_parses_quickly_with_its_attachment():
    payload = bytes(range(256)) * (44 * 1024 * 1024 // 256)
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    raw = (
        b"From: Grande <grande@cliente.com.br>\r\nTo: suporte@jornada.example\r\n"
        b"Subject: arquivo grande\r\nMessage-ID: <grande@cliente.com.br>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Segue o vídeo.\r\n".encode()
        + b"--XX\r\nContent-Type: video/mp4\r\nContent-Transfer-Encoding: base64\r\n"
        + 'Content-Disposition: attachment; filename="gravação.mp4"\r\n\r\n'.encode()
        + encoded
        + b"--XX--\r\n"
    )
    assert len(raw) > 60 * 1000 * 1000

    started = time.monotonic()
    parsed = parse_email(raw)
    elapsed = time.monotonic() - started

    assert elapsed < 30
    assert parsed.message.body_text == "Segue o vídeo."
    (video,) = parsed.message.attachments
    assert video.filename == "gravação.mp4"
    assert video.content == payload
