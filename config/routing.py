"""WebSocket routes of every app (live stock, inbox and live shopping add theirs here)."""

from django.urls import path

from plaza.checkout.live import StockConsumer

websocket_urlpatterns: list = [
    path("ws/stock/", StockConsumer.as_asgi()),
]
