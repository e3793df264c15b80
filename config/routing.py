"""WebSocket routes of every app (live stock, inbox and live shopping add theirs here)."""

websocket_urlpatterns: list = []
