"""Browser journeys: the real app served by pytest-django's live server, driven in headless
Chromium through Playwright. Chromium comes from the system (PLAZA_CHROMIUM or /usr/bin/chromium).

Screenshots of key screens go to docs/screenshots/ when PLAZA_SCREENSHOTS=1 (`make screenshots`),
else to a temporary folder, so an ordinary test run leaves the work tree clean.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the
# test itself (building state through services) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_path() -> str | None:
    for candidate in (
        os.environ.get("PLAZA_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "e2e" in item.nodeid.split("::")[0]:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_browser():
    path = _chromium_path()
    if path is None:
        if os.environ.get("CI") or os.environ.get("PLAZA_REQUIRE_SERVICES"):
            pytest.fail("Chromium is required for the browser journeys and was not found.")
        pytest.skip("Chromium is not installed (`make test` installs it when it may).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser, live_server):
    """A phone-sized page in a fresh context, with the live server as base URL."""
    context = chromium_browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, "name") saves a PNG of the current screen."""
    target = (
        ROOT / "docs" / "screenshots"
        if os.environ.get("PLAZA_SCREENSHOTS") == "1"
        else Path(tempfile.gettempdir()) / "plaza-screenshots"
    )
    target.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = False) -> Path:
        path = target / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
