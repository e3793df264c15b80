"""Test support shared by every app's concurrency tests (imported only by tests)."""

import os
import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connections


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
