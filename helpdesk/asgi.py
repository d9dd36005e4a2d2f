"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.production")
# Under ASGI every request runs its sync code in a thread of its own: a connection kept for the
# next request would stay with a finished thread, and they pile up past PostgreSQL's
# max_connections. Unless DATABASE_CONN_MAX_AGE says otherwise, the settings loaded here close
# each connection at the end of its request (cheap through PgBouncer); the variable is not left
# behind for other code of the process (tests) or its children.
_age_given = "DATABASE_CONN_MAX_AGE" in os.environ
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
try:
    django_asgi_app = get_asgi_application()
finally:
    if not _age_given:
        del os.environ["DATABASE_CONN_MAX_AGE"]

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from .routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
