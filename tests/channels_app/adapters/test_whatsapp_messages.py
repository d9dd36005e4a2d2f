"""Every kind of WhatsApp message Meta sends, from the real samples in tests/fixtures/whatsapp
(pywa's test data) and from payloads built like them: what lands in the ticket, and that nothing
unknown ever crashes the pipeline."""

import contextlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from channels_app import services
from channels_app.models import InboundEvent
from tests.channels_app import whatsapp_support as wa
from tickets.models import CustomerIdentity, Message

S = InboundEvent.Status
SAMPLES = sorted(p.name for p in wa.FIXTURES.glob("*.json"))
SAMPLE_MEDIA = {  # media ids used by the samples, with what the fake Graph API serves for them
    "65463453": (b"\xff\xd8\xff\xe0 jpeg bytes", "image/jpeg"),
    "765756756": (b"\x00\x00\x00\x18ftypmp42 video", "video/mp4"),
    "1234567890987654321": (b"%PDF-1.4 sample", "application/pdf"),
    "1234567890": (b"\xff\xd8\xff\xe0 edited", "image/jpeg"),
}


def only_message() -> Message:
    return Message.objects.select_related("ticket", "author_customer").get()


@pytest.mark.parametrize("sample", SAMPLES)
def test_every_real_sample_is_accepted_and_never_fails(db, whatsapp, deliver, sample):
    whatsapp.media.update(SAMPLE_MEDIA)

    response = deliver(wa.fixture(sample))

    assert response.status_code == 200
    events = list(InboundEvent.objects.all())
    assert events
    for event in events:
        assert event.status in (S.PROCESSED, S.IGNORED), (sample, event.error)


def test_text_sample_names_the_customer_from_the_contact_card(db, whatsapp, deliver):
    deliver(wa.fixture("message__text.json"))

    message = only_message()
    assert message.body_text == "Body Text"
    assert message.external_id == "wamid.xyzxyz"
    assert message.author_customer.name == "Test Name"
    identity = message.author_customer.identities.get()
    assert (identity.kind, identity.value) == ("whatsapp", "+972987654321")
    assert message.metadata["whatsapp"]["phone_number_id"] == "1122334455667"
    assert message.created_at.timestamp() == 1697043223


@pytest.mark.parametrize(
    ("sample", "filename", "content_type", "caption"),
    [
        ("message__image.json", "whatsapp-image-65463453.jpg", "image/jpeg", ""),
        ("message__media_with_url.json", "whatsapp-image-65463453.jpg", "image/jpeg", ""),
        ("message__video.json", "whatsapp-video-765756756.mp4", "video/mp4", "caption"),
        ("message__document.json", "filename.pdf", "application/pdf", "caption"),
    ],
)
def test_media_samples_are_downloaded_into_attachments(
    db, whatsapp, deliver, sample, filename, content_type, caption
):
    whatsapp.media.update(SAMPLE_MEDIA)

    deliver(wa.fixture(sample))

    message = only_message()
    assert message.body_text == caption
    assert message.metadata["media"]["status"] == "stored"
    [attachment] = message.attachments.all()
    assert (attachment.filename, attachment.content_type) == (filename, content_type)
    media_id = message.metadata["media"]["items"][0]["id"]
    with attachment.file.open("rb") as handle:
        assert handle.read() == SAMPLE_MEDIA[media_id][0]


@pytest.mark.parametrize(
    ("sample", "kind", "mime_type"),
    [
        ("message__audio.json", "audio", "audio/ogg"),
        ("message__static_sticker.json", "sticker", "image/webp"),
        ("message__animated_sticker.json", "sticker", "image/webp"),
    ],
)
def test_audio_and_stickers_are_downloaded_with_their_kind(
    db, whatsapp, deliver, sample, kind, mime_type
):
    whatsapp.media["1234567890987654321"] = (b"media bytes", mime_type)

    deliver(wa.fixture(sample))

    message = only_message()
    assert message.metadata["media"]["items"][0]["kind"] == kind
    [attachment] = message.attachments.all()
    assert attachment.content_type == mime_type
    assert attachment.filename.startswith(f"whatsapp-{kind}-")


def test_a_voice_note_is_named_as_one(db, whatsapp, deliver):
    whatsapp.media["998877"] = (b"OggS voice", "audio/ogg")
    audio = {"id": "998877", "mime_type": "audio/ogg; codecs=opus", "voice": True}

    deliver(wa.inbound(wa.message("audio", audio)))

    assert only_message().attachments.get().filename == "whatsapp-voice-998877.ogg"


def test_location_sample_reads_as_place_address_and_map_link(db, whatsapp, deliver):
    deliver(wa.fixture("message__chosen_location.json"))

    message = only_message()
    lines = message.body_text.splitlines()
    assert lines[:2] == ["Facebook HQ", "1 Hacker Way, Menlo Park, CA 94025"]
    assert "mlat=37.4611978&mlon=-122.2164385" in lines[-1]
    assert message.metadata["whatsapp"]["location"]["latitude"] == 37.4611978
    assert message.metadata["whatsapp"]["forwarded"] == "yes"


def test_shared_contacts_read_as_names_and_numbers(db, whatsapp, deliver):
    card = {
        "name": {"formatted_name": "João Pereira", "first_name": "João"},
        "phones": [{"phone": "+55 11 98888-7777", "wa_id": "5511988887777", "type": "CELL"}],
        "emails": [{"email": "joao@example.com", "type": "WORK"}],
    }

    deliver(wa.inbound(wa.message("contacts", None, contacts=[card])))

    message = only_message()
    assert message.body_text == "João Pereira · +55 11 98888-7777 · joao@example.com"
    assert message.metadata["whatsapp"]["contacts"][0]["phones"][0]["wa_id"] == "5511988887777"


@pytest.mark.parametrize(
    ("sample", "body", "detail"),
    [
        ("callback_button__button.json", "title", {"type": "button_reply", "id": "callback_data"}),
        (
            "callback_selection__callback.json",
            "title",
            {"type": "list_reply", "id": "callback_data"},
        ),
    ],
)
def test_interactive_replies_read_as_the_option_chosen(db, whatsapp, deliver, sample, body, detail):
    deliver(wa.fixture(sample))

    message = only_message()
    assert message.body_text == body
    assert (
        message.metadata["whatsapp"]["interactive"] | detail
        == message.metadata["whatsapp"]["interactive"]
    )


def test_a_list_reply_shows_the_description_too(db, whatsapp, deliver):
    reply = {
        "type": "list_reply",
        "list_reply": {"id": "2", "title": "2ª via", "description": "Boleto"},
    }

    deliver(wa.inbound(wa.message("interactive", reply)))

    assert only_message().body_text == "2ª via\nBoleto"


@pytest.mark.parametrize(
    "sample",
    ["callback_button__quick_reply.json", "callback_button__quick_reply_without_context.json"],
)
def test_a_template_quick_reply_button_reads_as_its_text(db, whatsapp, deliver, sample):
    deliver(wa.fixture(sample))

    message = only_message()
    assert message.body_text == "title"
    assert message.metadata["whatsapp"]["button"] == {"payload": "callback_data", "text": "title"}


def test_a_flow_answer_keeps_its_form_fields(db, whatsapp, deliver):
    deliver(wa.fixture("flow_completion__completion.json"))

    message = only_message()
    assert message.body_text == "Sent"
    assert message.metadata["whatsapp"]["interactive"]["response"]["delivery_rating"] == "4"


def test_an_order_reads_as_its_items(db, whatsapp, deliver):
    deliver(wa.fixture("message__order.json"))

    assert only_message().body_text.splitlines() == [
        "3 × HAMBURGER (30 ILS)",
        "2 × FRENCH_FRIES (35 ILS)",
        "2 × SODA (10 ILS)",
    ]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(lambda: wa.fixture("message__unsupported.json"), id="unsupported-sample"),
        pytest.param(
            lambda: wa.fixture("message__interactive_message_with_err.json"), id="empty-interactive"
        ),
        pytest.param(lambda: wa.inbound(wa.message("hologram", {"x": 1})), id="unknown-type"),
        pytest.param(
            lambda: wa.inbound(wa.message("image", {"caption": "no id"})), id="no-media-id"
        ),
    ],
)
def test_unsupported_and_unknown_types_are_kept_as_unsupported_messages(
    db, whatsapp, deliver, payload
):
    deliver(payload())

    message = only_message()
    assert message.metadata["whatsapp"]["unsupported"] is True
    assert message.body_text == ""
    assert InboundEvent.objects.get().status == S.PROCESSED


def test_the_reason_meta_gives_for_an_unsupported_message_is_kept(db, whatsapp, deliver):
    deliver(wa.fixture("message__unsupported.json"))

    assert only_message().metadata["whatsapp"]["errors"] == [
        "Message type unknown (code 131051): Message type is currently not supported."
    ]


def test_an_ad_click_keeps_its_referral(db, whatsapp, deliver):
    referral = {
        "source_url": "https://fb.me/3cr4Wqqkv",
        "source_id": "6452836463",
        "source_type": "ad",
        "headline": "Plano Fibra 500 Mega",
        "body": "Assine hoje",
        "media_type": "image",
        "image_url": "https://scontent.example/ad.jpg",
        "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ",
    }

    deliver(wa.inbound(wa.message("text", {"body": "Quero assinar"}, referral=referral)))

    message = only_message()
    assert message.body_text == "Quero assinar"
    assert message.metadata["whatsapp"]["referral"]["headline"] == "Plano Fibra 500 Mega"
    assert message.metadata["whatsapp"]["referral"]["ctwa_clid"] == "ARAkLkA8rmlFeiCktEJQ"


def test_echoes_system_notices_and_preferences_are_kept_but_ignored(db, whatsapp, deliver):
    for sample in (
        "outgoing_message__text.json",
        "outgoing_message__edit.json",
        "outgoing_message__delete.json",
        "system__phone_number_change.json",
        "user_marketing_preferences__resume.json",
    ):
        deliver(wa.fixture(sample))

    assert not Message.objects.exists()
    notes = [note for event in InboundEvent.objects.all() for note in event.notes]
    # The edit and delete echo samples share one wamid: Meta's id, stored once.
    assert InboundEvent.objects.filter(status=S.IGNORED).count() == 4
    assert any("User A changed from 972987654321 to 972912345678" in note for note in notes)
    assert any("sent from the WhatsApp Business app" in note for note in notes)


def test_a_sender_without_a_phone_number_fails_clearly_and_permanently(db, whatsapp, deliver):
    deliver(wa.inbound(wa.message("text", {"body": "oi"}, wa_id="not-a-number")))

    event = InboundEvent.objects.get()
    assert event.status == S.FAILED
    assert "sender" in event.error
    assert event.attempts == 1


def test_a_payload_without_entries_fails_without_crashing(db, whatsapp, deliver):
    deliver({"object": "whatsapp_business_account", "entry": "nope"})

    event = InboundEvent.objects.get()
    assert event.status == S.FAILED
    assert event.provider_id.startswith("sha256:")


# --- Reactions, replies, edits and deletions --------------------------------------------------


@pytest.fixture
def first_message(db, whatsapp, deliver) -> Message:
    deliver(wa.text("Meu pedido não chegou", id="wamid.ORIGINAL=="))
    return Message.objects.get(external_id="wamid.ORIGINAL==")


def react(deliver, emoji, *, target="wamid.ORIGINAL==", wa_id=wa.CUSTOMER_WA_ID):
    content = {"message_id": target} | ({"emoji": emoji} if emoji is not None else {})
    return deliver(wa.inbound(wa.message("reaction", content, wa_id=wa_id)))


def test_a_reaction_is_shown_on_the_message_it_reacts_to(first_message, deliver):
    react(deliver, "👍")

    first_message.refresh_from_db()
    assert first_message.metadata["reactions"] == {wa.CUSTOMER_WA_ID: "👍"}
    assert Message.objects.count() == 1
    assert InboundEvent.objects.latest("pk").message == first_message


def test_a_reaction_to_our_reply_is_shown_on_the_reply(first_message, deliver, n1_agent):
    from tickets import services as ticket_services

    reply = ticket_services.message_reply(
        ticket=first_message.ticket, by=n1_agent, body_text="Vamos verificar."
    )
    Message.objects.filter(pk=reply.pk).update(external_id="wamid.OURS==")

    react(deliver, "❤️", target="wamid.OURS==")

    reply.refresh_from_db()
    assert reply.metadata["reactions"] == {wa.CUSTOMER_WA_ID: "❤️"}


@pytest.mark.parametrize("emoji", ["", None], ids=["empty-emoji", "no-emoji"])
def test_taking_a_reaction_back_removes_it(first_message, deliver, emoji):
    react(deliver, "😡")
    react(deliver, emoji)

    first_message.refresh_from_db()
    assert first_message.metadata["reactions"] == {}


def test_a_reaction_from_someone_else_changes_nothing(first_message, deliver):
    react(deliver, "💩", wa_id="5521977776666")

    first_message.refresh_from_db()
    assert "reactions" not in first_message.metadata
    assert "by someone else" in InboundEvent.objects.latest("pk").notes[0]


def test_a_reaction_to_an_unknown_message_is_ignored_with_a_note(db, whatsapp, deliver):
    deliver(wa.fixture("message__unreaction_empty.json"))

    event = InboundEvent.objects.get()
    assert event.status == S.IGNORED
    assert "unknown message wamid.yzxyzx=" in event.notes[0]


def test_a_reply_quoting_our_message_joins_its_ticket_and_shows_the_quote(
    first_message, deliver, n1_agent
):
    from tickets import services as ticket_services

    ticket = first_message.ticket
    reply = ticket_services.message_reply(ticket=ticket, by=n1_agent, body_text="Qual o número?")
    Message.objects.filter(pk=reply.pk).update(external_id="wamid.ASKED==")
    ticket_services.ticket_change_status(ticket=ticket, to_status="solved", by=n1_agent)

    deliver(wa.text("É o 4471", context={"from": wa.BUSINESS_NUMBER, "id": "wamid.ASKED=="}))

    answer = Message.objects.get(body_text="É o 4471")
    assert answer.ticket == ticket
    assert answer.threading_reason == "reply to wamid.ASKED=="
    assert answer.metadata["quoted_text"] == "Qual o número?"
    assert answer.metadata["whatsapp"]["in_reply_to"] == "wamid.ASKED=="


def test_a_reply_quoting_an_unknown_message_still_lands(db, whatsapp, deliver):
    deliver(wa.fixture("message__reply.json"))

    message = only_message()
    assert message.body_text == "replied text"
    assert message.metadata["whatsapp"]["in_reply_to"] == "wamid.xyzxyz=="
    assert "quoted_text" not in message.metadata


def test_an_edit_is_shown_on_the_message_edited(first_message, deliver):
    edit = {
        "original_message_id": "wamid.ORIGINAL==",
        "message": {"type": "text", "text": {"body": "Meu pedido 4471 não chegou"}},
    }

    deliver(wa.inbound(wa.message("edit", edit)))

    first_message.refresh_from_db()
    assert first_message.body_text == "Meu pedido não chegou"  # what was received, kept
    assert first_message.metadata["whatsapp"]["edited_text"] == "Meu pedido 4471 não chegou"
    assert first_message.metadata["whatsapp"]["edited_at"]
    assert Message.objects.count() == 1


def test_an_edit_of_a_message_we_never_got_is_stored_as_a_new_message(db, whatsapp, deliver):
    whatsapp.media.update(SAMPLE_MEDIA)

    deliver(wa.fixture("edited_message__image.json"))

    message = only_message()
    assert message.body_text == "Updated image caption"
    assert message.metadata["whatsapp"]["edit_of"].startswith("wamid.HBgLMTQxMjU1NTA4Mjk")
    assert message.attachments.get().content_type == "image/jpeg"


def test_a_deletion_is_shown_on_the_message_deleted(first_message, deliver):
    deliver(wa.inbound(wa.message("revoke", {"original_message_id": "wamid.ORIGINAL=="})))

    first_message.refresh_from_db()
    assert first_message.metadata["whatsapp"]["deleted_at"]
    assert first_message.body_text == "Meu pedido não chegou"


def test_a_deletion_by_someone_else_changes_nothing(first_message, deliver):
    revoke = {"original_message_id": "wamid.ORIGINAL=="}

    deliver(wa.inbound(wa.message("revoke", revoke, wa_id="5521977776666")))

    first_message.refresh_from_db()
    assert "deleted_at" not in first_message.metadata["whatsapp"]


# --- Who the customer is ----------------------------------------------------------------------


def customers_of(*wa_ids) -> set[int]:
    return set(
        CustomerIdentity.objects.filter(value__in=[f"+{w}" for w in wa_ids]).values_list(
            "customer_id", flat=True
        )
    )


def test_a_wa_id_without_the_ninth_digit_is_the_known_phone_customer(db, whatsapp, deliver):
    from tests.tickets.factories import CustomerFactory, CustomerIdentityFactory

    known = CustomerFactory(name="Ana Souza")
    CustomerIdentityFactory(customer=known, kind="phone", value="+5511987654321")

    deliver(wa.text("oi", wa_id="551187654321"))

    message = only_message()
    assert message.author_customer == known
    values = set(known.identities.values_list("kind", "value"))
    assert values == {("phone", "+5511987654321"), ("whatsapp", "+551187654321")}


def test_the_same_person_with_and_without_the_ninth_digit_is_one_customer(db, whatsapp, deliver):
    deliver(wa.text("com nove", wa_id="5511987654321"))
    deliver(wa.text("sem nove", wa_id="551187654321"))

    assert len(customers_of("5511987654321", "551187654321")) == 1
    assert Message.objects.values("ticket").distinct().count() == 1


def test_a_landline_is_never_given_a_ninth_digit(db, whatsapp, deliver):
    deliver(wa.text("fixo", wa_id="551132654321"))
    deliver(wa.text("celular", wa_id="5511932654321"))

    assert len(customers_of("551132654321", "5511932654321")) == 2


def test_the_profile_name_fills_an_unnamed_customer_only(db, whatsapp, deliver):
    deliver(wa.inbound(wa.message("text", {"body": "1"}), name="Maria"))
    deliver(wa.inbound(wa.message("text", {"body": "2"}), name="Mariazinha 🌸"))

    assert {m.author_customer.name for m in Message.objects.all()} == {"Maria"}


# --- Annotations that arrive before the message they name -------------------------------------


def process_again(event: InboundEvent) -> InboundEvent:
    """What the sweeper does with an event still waiting."""
    with contextlib.suppress(services.RetryLater):
        services.inbound_event_process(event_id=event.pk)
    event.refresh_from_db()
    return event


def test_a_reaction_before_its_message_waits_and_lands_when_the_message_comes(
    db, whatsapp, deliver
):
    react(deliver, "🙏")
    event = InboundEvent.objects.get()
    assert (event.status, event.attempts) == (S.RECEIVED, 0)
    assert "waiting for message wamid.ORIGINAL==" in event.error

    for _ in range(services.MAX_ATTEMPTS + 1):  # waiting is not failing
        assert process_again(event).status == S.RECEIVED
    deliver(wa.text("Obrigada!", id="wamid.ORIGINAL=="))

    assert process_again(event).status == S.PROCESSED
    original = Message.objects.get(external_id="wamid.ORIGINAL==")
    assert original.metadata["reactions"] == {wa.CUSTOMER_WA_ID: "🙏"}


def test_a_deletion_whose_message_never_comes_is_ignored_after_the_wait(db, whatsapp, deliver):
    deliver(wa.inbound(wa.message("revoke", {"original_message_id": "wamid.GONE=="})))
    event = InboundEvent.objects.get()
    assert event.status == S.RECEIVED

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        event = process_again(event)

    assert event.status == S.IGNORED
    assert event.notes == ["deleted by the customer of unknown message wamid.GONE=="]
    assert not Message.objects.exists()


def test_an_early_edit_waits_for_its_message_instead_of_making_a_second_one(db, whatsapp, deliver):
    edit = {
        "original_message_id": "wamid.ORIGINAL==",
        "message": {"type": "text", "text": {"body": "Pedido 4471, não 4417"}},
    }
    deliver(wa.inbound(wa.message("edit", edit)))
    event = InboundEvent.objects.get()
    assert event.status == S.RECEIVED
    assert not Message.objects.exists()

    deliver(wa.text("Pedido 4417", id="wamid.ORIGINAL=="))
    assert process_again(event).status == S.PROCESSED

    message = only_message()
    assert message.metadata["whatsapp"]["edited_text"] == "Pedido 4471, não 4417"


def test_an_edit_whose_message_never_comes_is_kept_after_the_wait(db, whatsapp, deliver):
    edit = {
        "original_message_id": "wamid.LOST==",
        "message": {"type": "text", "text": {"body": "Versão corrigida"}},
    }
    deliver(wa.inbound(wa.message("edit", edit)))
    event = InboundEvent.objects.get()

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert process_again(event).status == S.PROCESSED

    message = only_message()
    assert message.body_text == "Versão corrigida"
    assert message.metadata["whatsapp"]["edit_of"] == "wamid.LOST=="
