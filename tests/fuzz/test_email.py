"""The email parser under fuzzing: arbitrary bytes, real messages from tests/fixtures/email
mutated (bytes flipped, inserted, cut, headers repeated or spliced), and messages built from
hostile header values. Each goes through the real pipeline (store, parse, process)."""

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.support import store_and_process

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"
REAL = sorted(path.read_bytes() for path in FIXTURES.glob("*.eml"))


@st.composite
def mutated_real_message(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat", "splice"]))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(
                st.sampled_from([b"\r\n", b"\n\n", b"\x00", b"=?", b"?=", b"--", b";", b'"'])
                | st.binary(min_size=1, max_size=40)
            )
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "repeat":
            line_start = data.rfind(b"\n", 0, at) + 1
            line_end = data.find(b"\n", at)
            line = data[line_start : line_end + 1 if line_end >= 0 else len(data)]
            data[line_start:line_start] = line * draw(st.integers(1, 3))
        else:
            other = draw(st.sampled_from(REAL))
            cut = draw(st.integers(0, len(other)))
            data[at:] = other[cut:]
    return bytes(data)


HEADER_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from("\r\n\t\x00<>@\"';:=?,"),
    max_size=80,
)
CONTENT_TYPES = st.sampled_from(
    ["text/plain", "text/html", "multipart/mixed", "multipart/report", "message/rfc822",
     "application/octet-stream", "x/y"]
)  # fmt: skip
ENCODINGS = st.sampled_from(
    ["base64", "quoted-printable", "8bit", "7bit", "x-uuencode", "binary", "bogus"]
)
CHARSETS = st.sampled_from(
    ["utf-8", "iso-8859-1", "windows-1252", "iso-2022-jp", "utf-16", "x-unknown", "", "utf-7"]
)


@st.composite
def hostile_message(draw) -> bytes:
    """A message whose headers and MIME structure are drawn: encoded words with odd charsets,
    broken boundaries, a Content-Transfer-Encoding that lies."""
    charset = draw(CHARSETS)
    encoded_subject = draw(st.binary(max_size=60)).hex()
    headers = [
        f"From: {draw(HEADER_TEXT)}",
        f"To: {draw(HEADER_TEXT)}",
        f"Subject: =?{charset}?{draw(st.sampled_from('QBqbX'))}?{encoded_subject}?= "
        f"{draw(HEADER_TEXT)}",
        f"Message-ID: <{draw(HEADER_TEXT)}>",
        f"In-Reply-To: {draw(HEADER_TEXT)}",
        f"References: {draw(HEADER_TEXT)}",
        f"Date: {draw(HEADER_TEXT)}",
        f"Content-Type: {draw(CONTENT_TYPES)}; charset={charset}; boundary={draw(HEADER_TEXT)!r}",
        f"Content-Transfer-Encoding: {draw(ENCODINGS)}",
        f"Content-Disposition: {draw(HEADER_TEXT)}",
    ]
    headers = draw(st.permutations(headers))[: draw(st.integers(0, len(headers)))]
    head = "\r\n".join(headers).encode("utf-8", "surrogateescape")
    return head + b"\r\n\r\n" + draw(st.binary(max_size=400))


@given(raw=st.binary(max_size=3000))
def test_arbitrary_bytes_never_crash_the_email_pipeline(db, raw):
    store_and_process("email", raw)


@given(raw=mutated_real_message())
def test_mutated_real_emails_never_crash_the_email_pipeline(db, raw):
    store_and_process("email", raw)


@given(raw=hostile_message())
def test_hostile_headers_never_crash_the_email_pipeline(db, raw):
    store_and_process("email", raw)
