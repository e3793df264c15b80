"""The channels page in a browser: Mara, who owns Kicks Manila, opens Channels from her back
office on a laptop, connects her Telegram bot through the form, tests her Messenger Page and
reads what Meta answered, lets Plaza point her bot at its webhook, and never sees a stored
secret again.

The networks' APIs are the local recorder of the connectors' tests (plaza/connectors/tests/
recorder.py), so "Test connection" runs the real client code over HTTP."""

import pytest
from playwright.sync_api import expect

from e2e.test_inbox_pages import _desktop_page
from plaza.accounts.services import shop_create
from plaza.accounts.tests.factories import UserFactory
from plaza.connectors import services
from plaza.connectors.models import ChannelConnection
from plaza.connectors.tests.recorder import NetworkRecorder

PAGE_TOKEN = "EAAGm0PX4ZCpsBAKlongpagetoken0123456789abcdef"
BOT_TOKEN = "7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def recorder(settings):
    server = NetworkRecorder().start()
    settings.META_GRAPH_URL = server.url
    settings.INSTAGRAM_GRAPH_URL = server.url
    # Telegram is only connected here, never called: its real address stays in the command shown.
    # What a deployed shop shows: its public address in the webhook URLs.
    settings.SITE_URL = "https://plaza.example.com"
    yield server
    server.stop()
    assert not server.problems, server.problems


@pytest.fixture
def kicks(transactional_db, add_product):
    mara = UserFactory(email="mara@kicks.test", display_name="Mara")
    shop = shop_create(owner=mara, name="Kicks Manila", slug="kicks", currency="PHP", language="en")
    court = add_product(shop, "Court Classic", price=450_000, sku="KM-COURT")
    meta = {"access_token": PAGE_TOKEN, "app_secret": "0f1e2d3c4b5a6978", "verify_token": "x" * 24}
    services.connection_save(
        shop=shop,
        channel="messenger",
        account_id="1122334455",
        credentials=meta,
        name="Kicks Manila",
    )
    instagram = services.connection_save(
        shop=shop,
        channel="instagram",
        account_id="17841400000000",
        credentials=meta,
        name="@kicksmnl",
    )
    services.comment_trigger_save(
        connection=instagram, keywords="price, how much, hm", product_id=court.pk
    )
    return mara, shop


def test_mara_connects_her_telegram_bot_and_tests_her_page_on_a_laptop(
    chromium_browser, live_server, kicks, recorder, screenshot, settings
):
    mara, shop = kicks
    context, page = _desktop_page(chromium_browser, live_server, mara)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # She opens Channels from the back office's navigation.
        page.goto(f"/backoffice/{shop.slug}/")
        nav = page.get_by_role("navigation", name="Back office")
        nav.get_by_role("link", name="Channels").click()
        expect(page.get_by_role("heading", name="Channels", level=1)).to_be_visible()
        messenger = page.locator("#messenger")
        expect(messenger.get_by_text("Connected", exact=True)).to_be_visible()
        expect(messenger.get_by_role("textbox", name="Callback URL")).to_have_value(
            f"https://plaza.example.com/webhooks/meta/{ChannelConnection.objects.get(channel='messenger').uid}/"
        )

        # She connects her Telegram bot: the bot id is read from the token, the secret token
        # is the one Plaza suggests.
        telegram = page.locator("#telegram")
        telegram.get_by_text("Connect Telegram").first.click()
        telegram.get_by_label("Bot token").fill(BOT_TOKEN)
        telegram.get_by_role("button", name="Connect Telegram").click()
        expect(page.get_by_text("Telegram is connected.")).to_be_visible()
        expect(page.locator("#telegram").get_by_text("Connected", exact=True)).to_be_visible()
        expect(page.locator("#telegram textarea")).to_contain_text("/bot<BOT_TOKEN>/setWebhook")
        expect(page.locator("#telegram").get_by_text("in place of <BOT_TOKEN>")).to_be_visible()

        # She tests her Page: Meta's answer shows in place.
        messenger = page.locator("#messenger")
        messenger.get_by_role("button", name="Test connection").click()
        expect(messenger.get_by_text("Connected to Kalye Kicks.")).to_be_visible()
        expect(messenger.locator(".badge.ok", has_text="Works")).to_be_visible()

        # No stored secret is ever in the page.
        html = page.content()
        assert PAGE_TOKEN not in html and BOT_TOKEN not in html
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, "44-channels-desktop", full_page=True)

        # She lets Plaza tell Telegram where to send her bot's updates (Telegram's API is the
        # recorder from here on): its answer shows where a test's does.
        settings.TELEGRAM_API_URL = recorder.url
        telegram = page.locator("#telegram")
        telegram.get_by_role("button", name="Set the webhook").click()
        expect(
            telegram.get_by_text("Telegram now sends the bot's updates to Plaza.")
        ).to_be_visible()
        (call,) = recorder.sent("/setWebhook")
        bot = ChannelConnection.objects.get(channel="telegram")
        assert call.json["url"] == f"https://plaza.example.com/webhooks/telegram/{bot.uid}/"
    finally:
        context.close()
    assert not errors, errors
    assert ChannelConnection.objects.get(channel="telegram").account_id == "7123456789"
