"""The web contact form under fuzzing: any text in its fields (control characters, very long
values, odd addresses), any files, valid or forged tokens, posted to the real view; and stored
submissions of any JSON shape. The form answers 200 or 400, never an error; every stored
submission ends processed or failed with its reason."""

import itertools
import json

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from channels_app.forms import new_form_token
from channels_app.models import InboundEvent
from tests.fuzz.support import process, rolled_back, store_and_process
from tests.fuzz.test_whatsapp import JSON

_addresses = itertools.count(1)
TEXT = st.text(max_size=250)
EMAILS = st.emails() | st.sampled_from(["a@b", "@", "x@example.com\r\nBcc: y@z.com"]) | TEXT
FILES = st.lists(
    st.builds(
        SimpleUploadedFile,
        name=st.text(
            st.characters(codec="utf-8", exclude_characters="/\\\x00"), min_size=1, max_size=40
        ).filter(lambda name: name not in (".", "..")),
        content=st.binary(max_size=300),
        content_type=st.sampled_from(["text/html", "image/png", "application/x-sh", ""]) | TEXT,
    ),
    max_size=3,
)


@given(
    name=TEXT,
    email=EMAILS,
    subject=TEXT,
    body=st.text(max_size=2000),
    website=st.just("") | TEXT,
    token=st.just("valid") | TEXT,
    files=FILES,
)
def test_any_submission_never_crashes_the_form_or_the_pipeline(
    db, name, email, subject, body, website, token, files
):
    address = f"203.0.{next(_addresses) % 250}.{next(_addresses) % 250 + 1}"
    cache.delete(f"webform-rate:{address}")
    data = {
        "name": name,
        "email": email,
        "subject": subject,
        "body": body,
        "website": website,
        "token": new_form_token() if token == "valid" else token,
        "attachments": files,
    }

    with rolled_back():
        response = Client(REMOTE_ADDR=address).post("/portal/contact/", data)

        assert response.status_code in (200, 400), response.status_code
        for event in InboundEvent.objects.all():
            assert process(event).status == InboundEvent.Status.PROCESSED, event.error


FIELDS = ["name", "email", "portal_user", "subject", "body", "attachments", "meta"]


@given(
    submission=JSON | st.dictionaries(st.sampled_from(FIELDS), JSON),
    source=st.sampled_from(["webform", "portal"]),
)
def test_a_stored_submission_of_any_shape_fails_with_a_reason(db, submission, source):
    store_and_process("web", json.dumps(submission).encode(), source=source)
