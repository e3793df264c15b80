"""ASGI entry point: HTTP (Django) and WebSocket (Channels) in one process."""

import gc
import os

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from plaza.core.handler import ThreadPoolASGIHandler  # noqa: E402

# Threads for the requests that hold a turn, and a few for static files and media, which
# take none (RequestsAtOnce); without a limit, as many as Django's own handler would run.
_turns = settings.PLAZA_REQUESTS_AT_ONCE
django_asgi_app = ThreadPoolASGIHandler(threads=(_turns if _turns > 0 else 28) + 4)

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

# What the process built to start is never walked by the collector again (plaza/core/handler.py).
gc.collect()
gc.freeze()
