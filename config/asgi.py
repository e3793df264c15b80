"""ASGI entry point: HTTP (Django) and WebSocket (Channels) in one process."""

import asyncio
import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from config.ticker import start_ticker  # noqa: E402

start_ticker()  # embedded default only: no broker, so the periodic sweeps run in-process


class RequestsAtOnce:
    """Admission control: at most ``limit`` HTTP requests of this process run Django at once;
    the others wait for their turn here, in the event loop, holding neither a thread nor a
    database connection (so a request that runs is never queued behind the GIL or the pool
    while it holds a row lock)."""

    def __init__(self, app, limit: int):
        self.app = app
        self.turns = asyncio.Semaphore(limit) if limit > 0 else None

    async def __call__(self, scope, receive, send):
        if self.turns is None:
            return await self.app(scope, receive, send)
        async with self.turns:
            return await self.app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": RequestsAtOnce(django_asgi_app, settings.PLAZA_REQUESTS_AT_ONCE),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
