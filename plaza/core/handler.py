"""Plaza's ASGI handler for HTTP: Django's, with a request's synchronous part in one hand-over
to a thread.

Every view and middleware of Plaza is synchronous. Django's own ASGI handler builds its
middleware chain for the event loop, so a request goes to a thread started for it (the whole
middleware chain), back to the loop (the innermost handler, which resolves the URL), to the
first thread again (the view) and back to the loop for the response: four hand-overs between
threads and a thread started and stopped, which cost more CPU than a small view does. Here the
chain is built synchronously, as under WSGI, and a request runs all of it, its signals and the
closing of its response in one turn on a thread of a fixed pool; the loop only reads the body
and writes the answer.

What stays as Django has it: the request and response classes, the signals (sent in the
request's thread, so ``close_old_connections`` hands the thread's connection back to the pool at
the end of every request), exceptions turned into responses by the middleware chain, and
streaming responses (file downloads, static files), stopped when the client leaves: a plain
iterator's parts (a file's) are read on the pool as they are sent, an asynchronous one is sent
by Django's handler.

Python's collector, at a full collection, walks every object the process holds, among them the
hundreds of thousands Django and Plaza build to start (modules, models, URL patterns, compiled
templates): 60 to 160 ms in which the process answers nobody, several times a minute under load.
Objects frozen (``gc.freeze``) are never walked again. ``config/asgi.py`` freezes what the
process built to start, and the handler freezes once more after its first requests, which build
the rest (templates, URL caches, translations): a full collection then walks only what requests
keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
from concurrent.futures import ThreadPoolExecutor

from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import FileResponse
from django.urls import set_script_prefix

FREEZE_AFTER_REQUESTS = 100


class ThreadPoolASGIHandler(ASGIHandler):
    def __init__(self, *, threads: int, freeze_after: int = FREEZE_AFTER_REQUESTS):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.threads = ThreadPoolExecutor(
            max_workers=max(threads, 1), thread_name_prefix="plaza-request"
        )
        self.until_freeze = freeze_after

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Plaza's HTTP handler cannot serve {scope['type']!r} connections.")
        if self.until_freeze > 0:
            self.until_freeze -= 1
            if self.until_freeze == 0:
                gc.freeze()  # no collection first: a moment's work, nobody waits
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        # A copy of the loop's context per request, as asyncio.to_thread makes: what a request
        # sets in context variables stays with it.
        context = contextvars.copy_context()
        response, head, body = await loop.run_in_executor(
            self.threads, context.run, self._respond, scope, body_file
        )
        if response.streaming:
            await self._stream(response, receive, send)
            body_file.close()
            return
        await send({"type": "http.response.start", "status": response.status_code, "headers": head})
        for chunk, last in self.chunk_bytes(body):
            await send({"type": "http.response.body", "body": chunk, "more_body": not last})

    def _respond(self, scope, body_file):
        """On a thread of the pool: the whole of Django's synchronous request, and for a response
        that is not streamed, its headers, its body and its closing (``request_finished``)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if response.streaming:
            # Sent later from the loop; the database connection goes back now, from the thread
            # that holds it (Plaza's streamed responses are files, read without the database).
            close_old_connections()
            return response, None, None
        try:
            return response, _headers(response), response.content
        finally:
            response.close()
            body_file.close()

    async def _stream(self, response, receive, send) -> None:
        """A streamed response, stopped when the client leaves; then closed on a thread of the
        pool (``request_finished``). Its content is read chunk by chunk on the pool when it is a
        plain iterator (a file), else sent as Django's handler sends it."""
        sender = self.send_response if response.is_async else self._send_from_iterator
        sending = asyncio.create_task(sender(response, send))
        leaving = asyncio.create_task(self.listen_for_disconnect(receive))
        await asyncio.wait([sending, leaving], return_when=asyncio.FIRST_COMPLETED)
        for task in (leaving, sending):
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                await task
        await asyncio.get_running_loop().run_in_executor(self.threads, response.close)

    async def _send_from_iterator(self, response, send) -> None:
        """A streamed response whose content is a plain iterator: each part read on a thread
        of the pool, so a file is neither read by the event loop nor held whole in memory (as
        Django's handler does with such content, warning each time)."""
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": _headers(response),
            }
        )
        loop = asyncio.get_running_loop()
        parts = iter(response.streaming_content)
        while (part := await loop.run_in_executor(self.threads, next, parts, None)) is not None:
            for chunk, _last in self.chunk_bytes(part):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body"})


def _headers(response) -> list[tuple[bytes, bytes]]:
    """The response's headers and cookies as ASGI wants them (as Django's handler makes them)."""
    headers = []
    for name, value in response.items():
        headers.append(
            (
                name.encode("ascii") if isinstance(name, str) else bytes(name),
                value.encode("latin1") if isinstance(value, str) else bytes(value),
            )
        )
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    return headers
