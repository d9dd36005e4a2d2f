"""SMS (Twilio) webhooks under fuzzing: signed forms posted to the real webhook view with any
value in Twilio's fields (numbers, media counts and URLs, statuses), and arbitrary stored bytes.
The view answers 200 or 400, never an error; every event ends processed, ignored, or failed with
its reason."""

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from channels_app.adapters.sms.twilio import compute_signature
from channels_app.models import InboundEvent
from tests.channels_app.fake_providers import TWILIO_SID, TWILIO_TOKEN
from tests.fuzz.support import process, rolled_back, store_and_process

URLS = ["/channels/sms/twilio/", "/channels/sms/twilio/status/"]
TEXT = st.text(max_size=60)
FIELDS = st.fixed_dictionaries(
    {"MessageSid": st.sampled_from(["SM" + "1" * 32, "SM" + "2" * 32]) | TEXT},
    optional={
        "From": st.sampled_from(["+5511987654321", "011987654321", "+1", "", "abc"]) | TEXT,
        "To": TEXT,
        "Body": st.text(max_size=300),
        "NumMedia": st.integers(-3, 30).map(str) | TEXT,
        "MediaUrl0": st.sampled_from(["http://127.0.0.1:1/x", "file:///etc/passwd", ""]) | TEXT,
        "MediaContentType0": TEXT,
        "MessageStatus": st.sampled_from(
            ["queued", "sent", "delivered", "read", "undelivered", "failed", "canceled"]
        )
        | TEXT,
        "SmsStatus": TEXT,
        "ErrorCode": TEXT,
        "ErrorMessage": TEXT,
        "AccountSid": st.just(TWILIO_SID) | TEXT,
        "NumSegments": TEXT,
        "MessagingServiceSid": TEXT,
    },
)


@given(form=FIELDS, url=st.sampled_from(URLS))
def test_signed_forms_with_any_values_never_crash(db, twilio_secret, client, form, url):
    signature = compute_signature(
        f"http://testserver{url}", {k: [v] for k, v in form.items()}, TWILIO_TOKEN
    )

    with rolled_back():
        response = client.post(
            url,
            urlencode(form),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        )

        assert response.status_code in (200, 400, 403), response.status_code
        for event in InboundEvent.objects.all():
            process(event)


@given(raw=st.binary(max_size=1000))
def test_a_stored_sms_of_arbitrary_bytes_fails_with_a_reason(db, raw):
    store_and_process("sms", raw)
