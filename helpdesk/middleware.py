"""Project-wide middleware: a database that cannot be reached is a 503, not a 500; the Host check
for the machines' handler (helpdesk/machine.py)."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable:
    """While the database restarts or fails over, every request that reaches it fails. Say so
    with 503 and Retry-After: a browser shows a page that asks to try again, and providers
    (WhatsApp, Twilio, ESPs) retry their webhook later, which is what they do on a 503. The page
    is rendered without the request, so that no context processor reaches for the database.
    (OperationalError also covers a deadlock or a lock timeout: passing too, worth a retry.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("Database unavailable on %s: %s", request.path, exception)
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class AllowedHost:
    """A Host outside ALLOWED_HOSTS is a 400, as on every page: there CommonMiddleware and CSRF
    ask for the host, which the machines' handler does not run."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.get_host()  # DisallowedHost: 400
        return self.get_response(request)
