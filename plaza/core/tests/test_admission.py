"""Admission control: a few requests run at once, the others wait in the event loop; a request's
body is read before it takes a turn; static files never wait."""

import asyncio
from functools import partial

from plaza.core.admission import RequestsAtOnce
from plaza.core.testing import run_async


def http(path="/api/v1/x"):
    return {"type": "http", "path": path}


def body(*chunks, delay=None):
    """An ASGI ``receive`` that gives ``chunks`` one after the other (after ``delay``, an event
    to wait for, when given)."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive():
        if delay is not None:
            await delay.wait()
        if messages:
            return messages.pop(0)
        return {"type": "http.disconnect"}

    return receive


async def _nothing(message):
    return None


class Recorder:
    """An app that reads the whole body, counts how many of its calls run at once, and waits
    for ``release`` before it answers."""

    def __init__(self):
        self.running = 0
        self.most = 0
        self.bodies: list[bytes] = []
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        self.running += 1
        self.most = max(self.most, self.running)
        data = b""
        while True:
            message = await receive()
            data += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        await self.release.wait()
        self.bodies.append(data)
        self.running -= 1


async def _held(limit: int, count: int) -> tuple[int, int, int]:
    """``count`` requests through a gate of ``limit``: how many ran while the app held them,
    the most that ever ran at once, and how many ended."""
    app = Recorder()
    gate = RequestsAtOnce(app, limit)
    calls = [asyncio.create_task(gate(http(), body(b"x"), _nothing)) for _ in range(count)]
    await asyncio.sleep(0.05)
    running_while_held = app.running
    app.release.set()
    await asyncio.gather(*calls)
    return running_while_held, app.most, len(app.bodies)


def test_at_most_the_limit_of_requests_run_at_once_and_every_one_runs():
    assert run_async(partial(_held, 3, 10)) == (3, 3, 10)


def test_a_slow_upload_does_not_hold_a_turn():
    async def scenario():
        app = Recorder()
        app.release.set()
        gate = RequestsAtOnce(app, 1)
        uploading = asyncio.Event()
        slow = asyncio.create_task(gate(http(), body(b"big", delay=uploading), _nothing))
        quick = asyncio.create_task(gate(http(), body(b"small"), _nothing))
        await asyncio.wait_for(quick, timeout=1)  # answered while the other still uploads
        quick_done_first = not slow.done()
        uploading.set()
        await asyncio.wait_for(slow, timeout=1)
        return quick_done_first, app.bodies

    quick_done_first, bodies = run_async(scenario)
    assert quick_done_first
    assert bodies == [b"small", b"big"]


def test_the_app_reads_the_whole_body_even_beyond_what_is_read_ahead():
    async def scenario():
        app = Recorder()
        app.release.set()
        gate = RequestsAtOnce(app, 1, read_ahead=4)
        await gate(http(), body(b"abc", b"def", b"ghi", b"jkl"), _nothing)
        return app.bodies

    assert run_async(scenario) == [b"abcdefghijkl"]


def test_static_files_and_sockets_never_wait_for_a_turn():
    async def scenario():
        app = Recorder()
        gate = RequestsAtOnce(app, 1, exempt=("/static/", "/media/"))
        held = asyncio.create_task(gate(http(), body(b"x"), _nothing))
        await asyncio.sleep(0.01)
        static = asyncio.create_task(gate(http("/static/app.css"), body(b""), _nothing))
        media = asyncio.create_task(gate(http("/media/p.jpg"), body(b""), _nothing))
        socket = asyncio.create_task(gate({"type": "websocket", "path": "/ws/"}, body(), _nothing))
        await asyncio.sleep(0.05)
        running = app.running  # the held request and the three that did not wait
        app.release.set()
        await asyncio.gather(held, static, media, socket)
        return running

    assert run_async(scenario) == 4


def test_no_limit_lets_every_request_in():
    assert run_async(partial(_held, 0, 6)) == (6, 6, 6)
