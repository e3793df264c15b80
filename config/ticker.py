"""The embedded default's stand-in for Celery beat: a daemon thread that runs the periodic
tasks of ``CELERY_BEAT_SCHEDULE`` in-process (``make run`` has no broker and no beat).

Scaled installations run ``celery -A config beat`` instead and leave this off. Nothing depends
on a sweep running on time: every deadline is a column that reads respect; sweeps only tidy up.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger("plaza.ticker")
_started = threading.Event()


class Ticker:
    """Runs each scheduled task when its interval (seconds) has passed since its last run."""

    def __init__(self, schedule: dict, *, clock=time.monotonic):
        self.schedule = {
            name: (entry["task"], float(entry["schedule"])) for name, entry in schedule.items()
        }
        self.clock = clock
        self.last: dict[str, float] = {}

    def due(self) -> list[str]:
        now = self.clock()
        return [
            name
            for name, (_task, every) in self.schedule.items()
            if now - self.last.get(name, float("-inf")) >= every
        ]

    def run_due(self) -> list[str]:
        from config.celery import app

        app.loader.import_default_modules()  # the apps' tasks modules (autodiscovery), once
        ran = []
        for name in self.due():
            task_name, _every = self.schedule[name]
            self.last[name] = self.clock()
            try:
                app.tasks[task_name].apply(throw=True)
                ran.append(name)
            except Exception:  # a sweep that fails must not stop the others, nor the ticker
                logger.exception("periodic task %s failed", task_name)
        return ran


def start_ticker(*, interval: float = 5.0) -> bool:
    """Start the ticker thread once per process, when tasks run in-process (no broker)."""
    if not settings.CELERY_TASK_ALWAYS_EAGER or not settings.PLAZA_TICKER or _started.is_set():
        return False
    _started.set()
    ticker = Ticker(settings.CELERY_BEAT_SCHEDULE)

    def loop() -> None:
        while True:
            time.sleep(interval)
            ticker.run_due()
            close_old_connections()  # this thread's own connection, as after a request

    threading.Thread(target=loop, name="plaza-ticker", daemon=True).start()
    return True
