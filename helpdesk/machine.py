"""The providers' webhooks (WhatsApp, SMS, the email services) are called by machines: signed,
never from a browser, sometimes thousands a minute in a burst while the provider waits for each
200. The production WSGI application (helpdesk/wsgi.py) serves them with a Django handler of its
own whose middleware is settings.MACHINE_MIDDLEWARE: what every response needs (HTTPS, the Host
check, the 503 while the database is away), without what a page for people needs (static files,
sessions, locale, CSRF, authentication, messages, django-axes, htmx), which is most of Django's
cost per request on the accept path. The URLs, views, exception handling and error answers are
the same; which views are machines' is settings.MACHINE_VIEW_NAMES."""

import functools

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import Resolver404, ResolverMatch, resolve


class MachineHandler(WSGIHandler):
    def load_middleware(self, is_async=False):
        # BaseHandler builds its chain from settings.MIDDLEWARE and nothing else: it is given the
        # machines' list for that moment. Safe only because it runs once, when the WSGI module
        # is imported, before any request and on one thread; no setting_changed is sent.
        browser = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.MACHINE_MIDDLEWARE
        try:
            super().load_middleware(is_async=is_async)
        finally:
            settings.MIDDLEWARE = browser

    def resolve_request(self, request):
        """The router has resolved this path already (MachineRouter): its match is reused, not
        looked up again through every pattern before the machines' (a tenth of the accept's
        Python). One match serves every request for that path, on every thread: Django's
        handler only reads it and gives the view a copy of its kwargs, but a `process_view`
        middleware gets them as they are, so none in MACHINE_MIDDLEWARE may change them."""
        match = _machines_match(request.path_info)
        if match is None or hasattr(request, "urlconf"):
            return super().resolve_request(request)
        request.resolver_match = match
        return match


class MachineRouter:
    """Send the requests for a machine's view to `machine`, everything else to `browser`."""

    def __init__(self, browser, machine):
        self.browser, self.machine = browser, machine

    def __call__(self, environ, start_response):
        app = self.machine if for_machines(environ.get("PATH_INFO", "")) else self.browser
        return app(environ, start_response)


def for_machines(path: str) -> bool:
    # A page is not even looked up: pages do not push the machines' paths out of the cache.
    return path.startswith(settings.MACHINE_PATHS_UNDER) and _machines_match(path) is not None


@functools.lru_cache(maxsize=256)  # bounded: a stranger's made-up paths only churn it
def _machines_match(path: str) -> ResolverMatch | None:
    """How `path` resolves, when it is a machine's view; None otherwise."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match if match.view_name in settings.MACHINE_VIEW_NAMES else None


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting in ("MACHINE_VIEW_NAMES", "MACHINE_PATHS_UNDER", "ROOT_URLCONF"):
        _machines_match.cache_clear()
