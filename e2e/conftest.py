"""Browser journeys: the real app served by pytest-django's live server, driven in headless
Chromium through Playwright. Chromium comes from the system (PLAZA_CHROMIUM or /usr/bin/chromium).

Screenshots of key screens go to docs/screenshots/ when PLAZA_SCREENSHOTS=1 (`make screenshots`),
else to a temporary folder, so an ordinary test run leaves the work tree clean.

Journeys build their state by calling services (``add_product``), then click as a person would.
A JavaScript error on the page, or a stylesheet or script that fails to load, fails the test.
"""

import functools
import io
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

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


def watch_for_problems(page, problems: list[str]) -> None:
    """Collect on ``page`` what a user would see break: JavaScript errors, and /static/ files
    (CSS, htmx, Alpine) that answer an error or fail to load."""
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} for {response.url}")
            if response.status >= 400 and "/static/" in response.url
            else None
        ),
    )
    page.on(
        "requestfailed",
        lambda request: (
            problems.append(f"failed to load {request.url}: {request.failure}")
            if "/static/" in request.url
            else None
        ),
    )


@pytest.fixture
def page(chromium_browser, live_server):
    """A phone-sized page in a fresh context, with the live server as base URL.

    Uncaught JavaScript errors (an Alpine expression that throws, a missing component) and
    failed loads of /static/ files (CSS, htmx, Alpine) are collected and fail the test.
    """
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
    problems: list[str] = []
    watch_for_problems(page, problems)
    yield page
    context.close()
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems))


@pytest.fixture
def login_as(page, live_server):
    """login_as(user) gives the page a session of the user, without going through the form
    (the login journey itself goes through the form)."""
    from django.conf import settings
    from django.test import Client

    def login(user) -> None:
        client = Client()
        client.force_login(user)
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )

    return login


@functools.cache
def photo_png(colors: tuple[str, str], *, size: int = 720) -> bytes:
    """A product-like picture: a diagonal gradient with a soft shadow and a rounded shape."""
    from PIL import Image, ImageColor, ImageDraw, ImageFilter

    top, bottom = (ImageColor.getrgb(c) for c in colors)
    mask = Image.linear_gradient("L").rotate(-45, resample=Image.Resampling.BICUBIC, expand=True)
    mask = mask.crop((90, 90, mask.width - 90, mask.height - 90)).resize((size, size))
    image = Image.composite(
        Image.new("RGB", (size, size), bottom), Image.new("RGB", (size, size), top), mask
    )
    shadow = Image.new("L", (size, size), 0)
    ImageDraw.Draw(shadow).ellipse((size * 0.2, size * 0.72, size * 0.8, size * 0.82), fill=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(size // 40))
    image.paste((20, 20, 30), mask=shadow)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (size * 0.22, size * 0.3, size * 0.78, size * 0.72),
        radius=size // 8,
        fill=tuple((c + 255 * 2) // 3 for c in top),
        outline=(255, 255, 255),
        width=size // 90,
    )
    draw.ellipse(
        (size * 0.4, size * 0.18, size * 0.6, size * 0.38),
        fill=top,
        outline=(255, 255, 255),
        width=size // 90,
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def photo_file(tmp_path):
    """photo_file("trail-runner.png", ("#f97316", "#7c2d12")) writes a PNG to upload in a form."""

    def write(name: str, colors: tuple[str, str]) -> Path:
        path = tmp_path / name
        path.write_bytes(photo_png(colors))
        return path

    return write


@pytest.fixture
def add_product(transactional_db):
    """add_product(shop, "Court Classic", price=450000, sizes={"41": 2, "42": 12}) creates an
    active product through the catalog services: one variant per size (or a single one with
    ``stock``), stock at the default location, a generated photo, and translations."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from plaza.catalog.services import (
        OptionInput,
        VariantInput,
        product_create,
        product_image_add,
        product_set_translation,
    )
    from plaza.inventory.services import stock_bulk_set

    def add(
        shop,
        title: str,
        *,
        price: int,
        sku: str,
        sizes: dict[str, int] | None = None,
        stock: int = 10,
        colors: tuple[str, str] | None = None,
        description: str = "",
        brand: str = "",
        translations: dict[str, tuple[str, str]] | None = None,
    ):
        options = [OptionInput("Size", list(sizes))] if sizes else []
        if sizes:
            variants = [
                VariantInput(sku=f"{sku}-{size}", price=price, option_values={"Size": size})
                for size in sizes
            ]
        else:
            variants = [VariantInput(sku=sku, price=price)]
        product = product_create(
            shop=shop,
            title=title,
            description=description,
            brand=brand,
            status="active",
            options=options,
            variants=variants,
        )
        quantities = list(sizes.values()) if sizes else [stock]
        stock_bulk_set(
            shop=shop,
            quantities={
                variant.pk: quantity
                for variant, quantity in zip(
                    product.variants.order_by("position"), quantities, strict=True
                )
            },
        )
        if colors:
            upload = SimpleUploadedFile(
                f"{product.slug}.png", photo_png(colors), content_type="image/png"
            )
            product_image_add(product=product, upload=upload, alt=title)
        for language, (text, text_description) in (translations or {}).items():
            product_set_translation(
                product=product, language=language, title=text, description=text_description
            )
        return product

    return add


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
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
        return path

    return take


# --- the ASGI server (HTTP and WebSockets), for the journeys that need live updates -------

# ms: generous, for a loaded 2-core machine
ASGI_PAGE_TIMEOUT = 20_000


@pytest.fixture
def in_memory_channel_layer(settings):
    """The embedded default's channel layer, whatever the environment says (CI sets REDIS_URL):
    the server runs in this process, and tests can count the sockets in its groups."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def asgi_server(transactional_db, in_memory_channel_layer, settings):
    """The ASGI application on a free port, served by uvicorn in a thread: its base URL. The
    bot's payment links point at it."""
    import uvicorn

    from config.asgi import application

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(application, lifespan="off", log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    settings.SITE_URL = f"http://127.0.0.1:{port}"  # links in messages point here
    yield settings.SITE_URL
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def browser_page(chromium_browser, asgi_server):
    """browser_page(phone=True, user=None) opens a page on the ASGI server in a fresh context
    (a phone, or a laptop), logged in as ``user`` when given. A JavaScript error or a failed
    /static/ load fails the test."""
    contexts, problems = [], []

    def open_page(*, phone: bool = True, user=None):
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 860}
        context = chromium_browser.new_context(
            base_url=asgi_server,
            viewport=size,
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
            locale="en-US",
        )
        context.set_default_timeout(ASGI_PAGE_TIMEOUT)
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            name = django_settings.SESSION_COOKIE_NAME
            context.add_cookies(
                [{"name": name, "value": client.cookies[name].value, "url": asgi_server}]
            )
        page = context.new_page()
        watch_for_problems(page, problems)
        return page

    yield open_page
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems))


# Kicks Manila's Court Classic, as the journeys know it: three sizes, 41 nearly gone, 43 sold out.
COURT_CLASSIC = {
    "price": 450_000,
    "sku": "KM-COURT",
    "sizes": {"41": 2, "42": 12, "43": 0},
    "colors": ("#99f6e4", "#0f766e"),
}


@pytest.fixture
def kicks_court(add_product):
    """Kicks Manila (owner Mara) with a shipping method and the Court Classic in three sizes
    (41: 2, 42: 12, 43: sold out): {"shop", "owner", "court"}."""
    from plaza.accounts.services import shop_create
    from plaza.accounts.tests.factories import UserFactory
    from plaza.checkout.services import shipping_method_create

    mara = UserFactory(email="mara@kicks.test", display_name="Mara")
    shop = shop_create(owner=mara, name="Kicks Manila", slug="kicks", currency="PHP")
    shipping_method_create(
        shop=shop, data={"name": "Standard", "price": 15_000, "delivery_days": "2-4 days"}
    )
    court = add_product(
        shop,
        "Court Classic",
        **COURT_CLASSIC,
        description="Clean leather low-tops with a cushioned sole.",
    )
    return {"shop": shop, "owner": mara, "court": court}
