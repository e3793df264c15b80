"""ASGI entry point: HTTP (Django) and WebSocket (Channels) in one process."""

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
from plaza.core.admission import RequestsAtOnce  # noqa: E402

start_ticker()  # embedded default only: no broker, so the periodic sweeps run in-process


application = ProtocolTypeRouter(
    {
        "http": RequestsAtOnce(
            django_asgi_app,
            settings.PLAZA_REQUESTS_AT_ONCE,
            exempt=(settings.STATIC_URL, settings.MEDIA_URL),
        ),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
