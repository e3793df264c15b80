"""Admission control for a server process's HTTP requests.

Python runs one thread of a process at a time: a process that lets every request in at once only
switches between them more often, and each request holds a database connection while it waits for
its turn to run. ``RequestsAtOnce`` lets a few requests run Django at once; the others wait in the
event loop, holding neither a thread nor a connection.

A request's body is read before it takes a turn (up to ``read_ahead`` bytes), so a slow upload
does not hold one; static files and media, which never touch the database, do not take one.
"""

import asyncio

READ_AHEAD_BYTES = 1024 * 1024


class RequestsAtOnce:
    def __init__(self, app, limit: int, *, exempt=(), read_ahead: int = READ_AHEAD_BYTES):
        self.app = app
        self.turns = asyncio.Semaphore(limit) if limit > 0 else None
        self.exempt = tuple(prefix for prefix in exempt if prefix and prefix != "/")
        self.read_ahead = read_ahead

    async def __call__(self, scope, receive, send):
        if self.turns is None or scope["type"] != "http" or scope["path"].startswith(self.exempt):
            return await self.app(scope, receive, send)
        early = await self._read_ahead(receive)

        async def replay():
            if early:
                return early.pop(0)
            return await receive()

        async with self.turns:
            return await self.app(scope, replay, send)

    async def _read_ahead(self, receive) -> list[dict]:
        """The request's first messages: its whole body when small, a disconnect when the client
        left; at most about ``read_ahead`` bytes (the rest is read once the request runs)."""
        early: list[dict] = []
        size = 0
        while size < self.read_ahead:
            message = await receive()
            early.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
            size += len(message.get("body", b""))
        return early
