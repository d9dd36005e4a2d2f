"""An attachment's file name is what the sender called it, but the file on disk needs a name a
file system keeps: a name with nothing storable in it (":", "???", found by the web form fuzz
test) is stored under a name of ours instead of failing the whole message."""

import pytest

from tests.tickets.test_message_services import receive
from tickets.inbound import InboundAttachment


@pytest.mark.parametrize("name", [":", "???", "..", "a/../../b"])
def test_an_attachment_named_with_nothing_storable_is_kept(db, name):
    upload = InboundAttachment(filename=name, content_type="text/plain", content=b"conteudo")

    result = receive(attachments=(upload,))

    attachment = result.message.attachments.get()
    assert attachment.filename == name
    assert ".." not in attachment.file.name.split("/")  # stays in the message's folder
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"conteudo"


def test_a_usual_name_is_kept_on_disk_too(db):
    upload = InboundAttachment(
        filename="nota fiscal.pdf", content_type="application/pdf", content=b"%PDF"
    )

    attachment = receive(attachments=(upload,)).message.attachments.get()

    assert attachment.file.name.endswith("/nota_fiscal.pdf")
