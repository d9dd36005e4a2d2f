"""The id that recognises one email whichever way it reaches us."""

from channels_app.adapters.email.adapter import email_provider_id


def test_the_message_id_is_the_provider_id_also_when_its_header_is_folded():
    assert email_provider_id(b"Message-ID: <abc@x>\r\n\r\nbody") == "msgid:<abc@x>"
    assert email_provider_id(b"Message-Id:\r\n <folded@x>\r\nSubject: x\r\n\r\n") == (
        "msgid:<folded@x>"
    )


def test_an_email_without_a_usable_message_id_is_known_by_a_hash_of_its_bytes():
    malformed = (
        b"Subject: none\r\n\r\nb",
        b"Message-ID: <a b@x>\r\n\r\n",
        b"Message-ID: x\r\n\r\n",
    )
    for raw in malformed:
        assert email_provider_id(raw).startswith("sha256:")
        assert email_provider_id(raw) == email_provider_id(raw)


def test_bytes_that_are_not_ascii_in_the_message_id_give_a_storable_id():
    provider_id = email_provider_id(b"Message-ID: <a\xe9@x>\r\n\r\n")
    assert provider_id == "msgid:<a\ufffd@x>"
    provider_id.encode("utf-8")  # no surrogates left
