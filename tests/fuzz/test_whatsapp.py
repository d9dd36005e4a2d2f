"""WhatsApp webhooks under fuzzing: signed payloads posted to the real webhook view, shaped like
the Cloud API's but with any value in any field (and arbitrary JSON and bytes), then each stored
piece through the pipeline. The view answers 200 or 400, never an error; every piece ends
processed, ignored, or failed with its reason."""

import json

from hypothesis import given
from hypothesis import strategies as st

from channels_app.models import InboundEvent
from tests.channels_app import whatsapp_support as wa
from tests.fuzz.support import process, rolled_back, store_and_process

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def maybe(strategy):
    """Mostly the shape Meta sends, sometimes anything at all."""
    return strategy | JSON


IDS = st.sampled_from(["wamid.A==", "wamid.B==", ""]) | st.text(max_size=20)
KINDS = st.sampled_from(
    ["text", "image", "audio", "video", "document", "sticker", "location", "contacts",
     "interactive", "button", "order", "reaction", "edit", "revoke", "system", "unsupported"]
)  # fmt: skip
CONTENT = st.fixed_dictionaries(
    {},
    optional={
        "body": maybe(st.text()),
        "id": maybe(IDS),
        "caption": maybe(st.text()),
        "mime_type": maybe(st.text()),
        "message_id": maybe(IDS),
        "emoji": maybe(st.text(max_size=4)),
        "original_message_id": maybe(IDS),
        "message": JSON,
        "type": maybe(st.sampled_from(["button_reply", "list_reply", "nfm_reply"])),
        "button_reply": JSON,
        "list_reply": JSON,
        "nfm_reply": maybe(st.fixed_dictionaries({"response_json": maybe(st.text())})),
        "latitude": JSON,
        "longitude": JSON,
        "product_items": maybe(st.lists(JSON, max_size=3)),
    },
)


@st.composite
def message(draw) -> dict:
    kind = draw(maybe(KINDS))
    item = {
        "from": draw(maybe(st.sampled_from([wa.CUSTOMER_WA_ID, "5511999990000", "", "abc"]))),
        "id": draw(maybe(IDS)),
        "timestamp": draw(maybe(st.integers(-(2**40), 2**40).map(str))),
        "type": kind,
    }
    if isinstance(kind, str):
        item[kind] = draw(maybe(CONTENT))
    for key in draw(st.sets(st.sampled_from(["context", "errors", "referral", "contacts"]))):
        item[key] = draw(JSON)
    return item


@st.composite
def status(draw) -> dict:
    return {
        "id": draw(maybe(IDS)),
        "status": draw(maybe(st.sampled_from(["sent", "delivered", "read", "played", "failed"]))),
        "timestamp": draw(maybe(st.integers(0, 2**33).map(str))),
        "recipient_id": draw(maybe(st.just(wa.CUSTOMER_WA_ID))),
        "errors": draw(maybe(st.lists(st.fixed_dictionaries({"code": JSON, "title": JSON})))),
    }


@st.composite
def webhook(draw) -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": draw(maybe(st.just({"phone_number_id": wa.PHONE_NUMBER_ID}))),
        "contacts": draw(maybe(st.lists(maybe(st.just(wa.contact())), max_size=2))),
        "messages": draw(maybe(st.lists(message(), max_size=3))),
        "statuses": draw(maybe(st.lists(status(), max_size=2))),
    }
    field = draw(maybe(st.sampled_from(["messages", "smb_message_echoes", "account_update"])))
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": field, "value": value}]}],
    }
    return draw(st.sampled_from([payload, payload, {**payload, "entry": draw(JSON)}]))


def post_and_process(client, body: bytes) -> None:
    with rolled_back():
        response = client.post(
            wa.WEBHOOK,
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=wa.sign(body),
        )
        assert response.status_code in (200, 400), response.status_code
        for event in InboundEvent.objects.order_by("pk"):
            process(event)


@given(payload=webhook())
def test_signed_webhooks_of_any_shape_never_crash(db, whatsapp_secret, client, payload):
    post_and_process(client, json.dumps(payload).encode())


@given(payload=JSON)
def test_signed_arbitrary_json_never_crashes(db, whatsapp_secret, client, payload):
    post_and_process(client, json.dumps(payload).encode())


@given(raw=st.binary(max_size=2000))
def test_a_stored_piece_of_arbitrary_bytes_fails_with_a_reason(db, raw):
    store_and_process("whatsapp", raw)
