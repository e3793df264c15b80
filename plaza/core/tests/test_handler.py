"""Plaza's HTTP handler (plaza/core/handler.py): a request's whole synchronous part runs on one
thread of a fixed pool, signals included; answers are Django's; a streamed answer stops when
the client leaves."""

import asyncio
import gc
import threading
import warnings

import pytest
from django.core import signals
from django.db import connections

from plaza.core.handler import ThreadPoolASGIHandler
from plaza.core.testing import requires_postgres, run_async
from plaza.core.tests import handler_urls


@pytest.fixture
def handler(settings):
    settings.ROOT_URLCONF = "plaza.core.tests.handler_urls"
    handler_urls.seen.clear()
    handler = ThreadPoolASGIHandler(threads=1)
    yield handler
    handler.threads.shutdown(wait=True)


def scope(path: str, query: bytes = b"") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def call(handler, path: str, query: bytes = b"", leave_after: int | None = None) -> list[dict]:
    """The ASGI messages ``handler`` sends for a GET of ``path``; with ``leave_after``, the
    client leaves once that many body messages have arrived."""

    async def scenario():
        sent: list[dict] = []
        left = asyncio.Event()
        requested = False

        async def receive():
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await left.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)
            bodies = [m for m in sent if m["type"] == "http.response.body"]
            if leave_after is not None and len(bodies) >= leave_after:
                left.set()

        await asyncio.wait_for(handler(scope(path, query), receive, send), timeout=10)
        return sent

    return run_async(scenario)


def answer(sent: list[dict]) -> tuple[int, dict, bytes]:
    start = sent[0]
    assert start["type"] == "http.response.start"
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert sent[-1].get("more_body", False) is False
    return start["status"], dict(start["headers"]), body


def test_a_request_runs_its_signals_and_its_view_on_one_thread_of_the_pool(handler):
    threads: dict[str, list[int]] = {"started": [], "finished": []}

    def started(**kwargs):
        threads["started"].append(threading.get_ident())

    def finished(**kwargs):
        threads["finished"].append(threading.get_ident())

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        status, _headers, body = answer(call(handler, "/where"))
        answer(call(handler, "/where"))
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert status == 200 and b"mark before" in body
    view_threads = handler_urls.seen["view threads"]
    assert threads["started"] == threads["finished"] == view_threads
    assert threading.get_ident() not in view_threads
    assert len(set(view_threads)) == 1  # a pool of one thread: the same one, kept


def test_what_a_request_sets_in_its_context_stays_with_it(handler):
    answer(call(handler, "/where", b"mark=first"))
    _status, _headers, body = answer(call(handler, "/where", b"mark=second"))
    assert body == b'{"mark before": "unset"}'


def test_headers_and_cookies_reach_the_client(handler):
    status, headers, body = answer(call(handler, "/cookie"))
    assert (status, body) == (200, b"with a cookie")
    assert headers[b"X-Plaza"] == b"yes"
    assert headers[b"Set-Cookie"].startswith(b"flavour=ube;")


def test_a_broken_view_answers_500_and_the_next_request_is_served(handler):
    status, _headers, _body = answer(call(handler, "/boom"))
    assert status == 500
    assert answer(call(handler, "/cookie"))[0] == 200


def test_an_unknown_page_answers_404(handler):
    assert answer(call(handler, "/nowhere"))[0] == 404


def test_a_streamed_answer_stops_and_is_closed_when_the_client_leaves(handler):
    sent = call(handler, "/stream", leave_after=3)
    assert sent[0]["status"] == 200
    assert [m["body"] for m in sent[1:4]] == [b"tick\n"] * 3
    assert handler_urls.seen["stream closed"] is True


def test_a_streamed_iterator_is_read_part_by_part_on_the_pool_without_a_warning(handler):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Django's handler warns when it consumes such content
        status, headers, body = answer(call(handler, "/lines"))
    assert (status, body) == (200, b"line 0\nline 1\nline 2\n")
    assert headers[b"Content-Type"] == b"text/plain"
    assert threading.get_ident() not in handler_urls.seen["read on"]
    assert handler_urls.seen["lines closed"] is True


def test_what_the_first_requests_built_is_frozen_out_of_the_collectors_walks(settings):
    settings.ROOT_URLCONF = "plaza.core.tests.handler_urls"
    handler = ThreadPoolASGIHandler(threads=1, freeze_after=2)
    try:
        gc.unfreeze()
        answer(call(handler, "/cookie"))
        frozen_after_one = gc.get_freeze_count()
        answer(call(handler, "/cookie"))
        frozen_after_two = gc.get_freeze_count()
    finally:
        gc.unfreeze()
        handler.threads.shutdown(wait=True)
    assert frozen_after_one == 0
    assert frozen_after_two > 1000, "the process's objects are frozen at the second request"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_request_thread_gives_its_database_connection_back_at_the_end(handler):
    status, _headers, body = answer(call(handler, "/query"))
    assert (status, body) == (200, b"1")
    # The pool's only thread: its connection was closed (handed back) when the request ended.
    assert handler.threads.submit(lambda: connections["default"].connection).result() is None
