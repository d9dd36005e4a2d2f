"""WSGI entry point: the production web server (gunicorn) serves every HTTP request with it;
websockets go to the ASGI server (helpdesk/asgi.py). The providers' webhooks are served by a
handler with less middleware (helpdesk/machine.py)."""

import ipaddress
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from helpdesk.machine import MachineHandler, MachineRouter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.production")


class ProxyHeaders:
    """REMOTE_ADDR becomes the client's address from X-Forwarded-For when the request comes from a
    proxy listed in FORWARDED_ALLOW_IPS (addresses or networks, comma-separated, `*` for any),
    as uvicorn --proxy-headers does: the contact form's rate limit counts per client, not per
    proxy. Gunicorn itself takes only the scheme from the proxy."""

    def __init__(self, app, trusted: str):
        self.app = app
        entries = [entry.strip() for entry in trusted.split(",") if entry.strip()]
        self.trust_all = "*" in entries
        self.networks = [
            ipaddress.ip_network(entry, strict=False) for entry in entries if entry != "*"
        ]

    def trusted(self, address: str) -> bool:
        if self.trust_all:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and self.trusted(environ.get("REMOTE_ADDR", "")):
            hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
            # The nearest hop that is not one of our proxies is the client.
            client = next((hop for hop in reversed(hops) if not self.trusted(hop)), hops[0])
            environ["REMOTE_ADDR"] = client
        return self.app(environ, start_response)


application = ProxyHeaders(
    MachineRouter(browser=get_wsgi_application(), machine=MachineHandler()),
    os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
)
# The URLconf, and with it every view (some 250 modules, 0.2 s here), is imported now, as each
# server process starts, instead of during its first request: that request, and every other
# waiting on the same process meanwhile, would wait for it.
get_resolver().url_patterns  # noqa: B018  (a cached property: reading it imports)
