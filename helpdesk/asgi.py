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
from django.conf import settings  # noqa: E402

from .gc_policy import gc_policy_start  # noqa: E402
from .routing import embedded_websocket_urlpatterns, websocket_urlpatterns  # noqa: E402

gc_policy_start(unfreeze_seconds=settings.JORNADA["WS_GC_UNFREEZE_SECONDS"])

desk_websockets = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
# The chat's own origin check (per chat channel) is in its consumer; the session still tells a
# signed-in portal customer.
chat_websockets = AuthMiddlewareStack(URLRouter(embedded_websocket_urlpatterns))


async def websocket_router(scope, receive, send):
    """/ws/chat/ to the chat, every other websocket to the desk's own routes."""
    app = chat_websockets if scope["path"].startswith("/ws/chat/") else desk_websockets
    return await app(scope, receive, send)


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_router})
