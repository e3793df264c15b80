"""WebSocket routes of every app (live stock, inbox and live shopping add theirs here)."""

from django.urls import path

from plaza.checkout.live import StockConsumer
from plaza.messaging.live import ChatConsumer, InboxConsumer

websocket_urlpatterns: list = [
    path("ws/stock/", StockConsumer.as_asgi()),
    path("ws/chat/<int:conversation_id>/", ChatConsumer.as_asgi()),
    path("ws/inbox/<slug:shop_slug>/", InboxConsumer.as_asgi()),
]
