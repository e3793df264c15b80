"""Test support shared by every app's concurrency tests (imported only by tests)."""

import asyncio
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.db import connections


def run_async(scenario: Callable[[], object]):
    """Run the async ``scenario`` to its end; from a thread of its own when this thread already
    runs an event loop (Playwright's, once a browser journey ran in this test process)."""
    from asgiref.sync import async_to_sync

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return async_to_sync(scenario)()
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(scenario)).result()


def on_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


# Concurrency is proven on PostgreSQL; with PLAZA_REQUIRE_SERVICES (CI) the tests always run,
# so a missing DATABASE_URL fails them instead of skipping them.
requires_postgres = pytest.mark.skipif(
    not on_postgresql() and not os.environ.get("PLAZA_REQUIRE_SERVICES"),
    reason="Concurrency is proven on PostgreSQL (set DATABASE_URL); CI always runs it.",
)


def run_together(count: int, work: Callable[[int], object], *, timeout: float = 120) -> list:
    """Run ``work(i)`` for i in range(count) in real threads released at the same instant.

    Returns, per thread, what ``work`` returned or the exception it raised. Each thread closes
    its database connection when done. Fails when a thread hangs.
    """
    assert on_postgresql(), "PLAZA_REQUIRE_SERVICES is set but the database is not PostgreSQL"
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def run_many(
    count: int, work: Callable[[int], object], *, threads: int = 20, timeout: float = 300
) -> list:
    """Run ``work(i)`` for i in range(count) on ``threads`` real threads released at the same
    instant, each taking the next i as soon as it is free (``count`` buyers through a bounded
    number of database connections: PostgreSQL allows 100, and CI runs two test workers).

    Returns, per i, what ``work`` returned or the exception it raised.
    """
    assert on_postgresql(), "PLAZA_REQUIRE_SERVICES is set but the database is not PostgreSQL"
    results: list = [None] * count
    indexes = iter(range(count))
    lock = threading.Lock()

    def next_index() -> int | None:
        with lock:
            return next(indexes, None)

    def loop(_thread: int) -> None:
        while (i := next_index()) is not None:
            try:
                results[i] = work(i)
            except BaseException as exc:  # noqa: BLE001 - handed to the test
                results[i] = exc

    run_together(threads, loop, timeout=timeout)
    return results


class LoopbackServer:
    """An HTTP server on 127.0.0.1 (an ephemeral port, a thread of its own) that hands every GET
    and POST to ``handle(request_handler)``: the recorders that stand in for outside APIs in
    tests (Stripe, the messaging networks) are built on it, so the real client code runs."""

    def __init__(self, handle: Callable[[BaseHTTPRequestHandler], None]):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                handle(self)

            def do_POST(self) -> None:
                handle(self)

            def log_message(self, format, *args) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def send_json(
        handler: BaseHTTPRequestHandler, status: int, body: dict, headers: dict | None = None
    ) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)
