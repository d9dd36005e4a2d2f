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
from django.urls import Resolver404, resolve


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


class MachineRouter:
    """Send the requests for a machine's view to `machine`, everything else to `browser`."""

    def __init__(self, browser, machine):
        self.browser, self.machine = browser, machine

    def __call__(self, environ, start_response):
        app = self.machine if for_machines(environ.get("PATH_INFO", "")) else self.browser
        return app(environ, start_response)


def for_machines(path: str) -> bool:
    # A page is not even looked up: pages do not push the machines' paths out of the cache.
    return path.startswith(settings.MACHINE_PATHS_UNDER) and _resolves_to_a_machines_view(path)


@functools.lru_cache(maxsize=256)  # bounded: a stranger's made-up paths only churn it
def _resolves_to_a_machines_view(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.view_name in settings.MACHINE_VIEW_NAMES


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting in ("MACHINE_VIEW_NAMES", "MACHINE_PATHS_UNDER", "ROOT_URLCONF"):
        _resolves_to_a_machines_view.cache_clear()
