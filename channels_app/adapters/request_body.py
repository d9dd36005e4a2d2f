"""The body of an inbound webhook, read with a cap: a provider's delivery is small, and nobody may
make a web process hold more than the limit in memory.

A declared Content-Length over the limit is refused unread. A body sent without one
(`Transfer-Encoding: chunked`) is read to at most the limit plus one byte, and refused with 413
when that byte is there. Django alone would read such a body into memory whole under ASGI (up to
DATA_UPLOAD_MAX_MEMORY_SIZE; its ASGI handler has already spooled it to a temporary file), and
not at all under a WSGI server, which leaves the length to the application when it sets
`wsgi.input_terminated` (gunicorn does): a chunked delivery, however small, looked empty."""

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def webhook_limit() -> int:
    """JORNADA["WEBHOOK_MAX_BYTES"]: WhatsApp and SMS deliveries."""
    return settings.JORNADA["WEBHOOK_MAX_BYTES"]


def email_webhook_limit() -> int:
    """An ESP posts the whole email, attachments included: the limit of any request body
    (DATA_UPLOAD_MAX_MEMORY_SIZE, which the proxy's client_max_body_size matches)."""
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def read_capped(request: HttpRequest, limit: int) -> HttpResponse | None:
    """The refusal to answer a POST whose body is over `limit` bytes (413) or whose length is not
    a number (400), else None. A body of a declared length is left to Django, which reads that
    many bytes and no more; one without is read here, at most limit + 1 bytes, into
    `request.body`."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared:
        try:
            return HttpResponse(status=413) if int(declared) > limit else None
        except ValueError:
            return HttpResponse(status=400)
    environ = getattr(request, "environ", {})
    # Under WSGI without a length Django reads nothing; the server says where the body ends.
    if environ.get("wsgi.input_terminated") and "wsgi.input" in environ:
        body = environ["wsgi.input"].read(limit + 1)
    else:
        body = request.read(limit + 1)  # ASGI: the body Django's handler has received
    if len(body) > limit:
        return HttpResponse(status=413)
    # What Django keeps once it has read a body itself: request.body and request.POST (multipart
    # included, which goes by CONTENT_LENGTH) read these bytes.
    request._body = body
    request.META["CONTENT_LENGTH"] = str(len(body))
    return None


def body_capped(limit: Callable[[], int]):
    """View decorator: a POST's body is read with read_capped(request, limit()) first."""

    def decorator(view):
        @functools.wraps(view)
        def capped(request: HttpRequest, *args, **kwargs):
            if request.method == "POST":
                refusal = read_capped(request, limit())
                if refusal is not None:
                    return refusal
            return view(request, *args, **kwargs)

        return capped

    return decorator
