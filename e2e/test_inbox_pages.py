"""The staff inbox in a browser: Mara answers customers from her back office, on a laptop and
on her phone, with a canned reply and a private note, and sets her inbox up.

Conversations are built through the services (as the chat and the channels build them); the
pages are driven as Mara would. The WSGI live server has no WebSockets: replies appear because
the reply box adds the message the server answers with (live updates are tested in
plaza/messaging/tests/test_live.py)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from plaza.accounts.models import StaffRole
from plaza.accounts.services import invitation_accept, shop_create, staff_invite
from plaza.accounts.tests.factories import UserFactory
from plaza.messaging import services
from plaza.messaging.models import Conversation


@pytest.fixture
def mara(transactional_db):
    user = UserFactory(email="mara@kicks.test", display_name="Mara")
    user.handle = "mara"
    user.save(update_fields=["handle"])
    return user


@pytest.fixture
def inbox(mara, add_product):
    """Kicks Manila with an agent, canned replies, FAQ entries and four conversations."""
    shop = shop_create(owner=mara, name="Kicks Manila", slug="kicks", currency="PHP", language="en")
    court = add_product(
        shop,
        "Court Classic",
        price=450_000,
        sku="KM-COURT",
        sizes={"41": 2, "42": 12},
        colors=("#fde68a", "#b45309"),
    )
    add_product(shop, "Trail Runner", price=320_000, sku="KM-TRAIL", colors=("#fdba74", "#9a3412"))
    jo = UserFactory(email="jo@kicks.test", display_name="Jo")
    jo.handle = "jomar"
    jo.save(update_fields=["handle"])
    _invitation, raw = staff_invite(
        shop=shop, invited_by=mara, email=jo.email, role=StaffRole.AGENT
    )
    invitation_accept(token=raw, user=jo)
    services.inbox_settings_update(
        shop=shop,
        greeting="Hi! I am the Kicks Manila assistant. Ask me about sizes, stock or delivery.",
        handoff_keywords="agent, human, complaint",
        timezone="Asia/Manila",
        hours={str(day): ["09:00", "18:00"] for day in range(6)},
        first_response_minutes=15,
    )
    services.agent_set_available(shop=shop, user=jo, available=True)
    services.canned_reply_save(
        shop=shop, shortcode="ship", text="We ship within Metro Manila in 1-2 days, elsewhere 3-5."
    )
    services.canned_reply_save(shop=shop, shortcode="thanks", text="Thank you for your order!")
    services.faq_entry_save(
        shop=shop,
        question="Can I return shoes that do not fit?",
        keywords="return, exchange, refund",
        answer="Yes, within 14 days, unworn, in the original box.",
    )

    ana = UserFactory(email="ana@plaza.test", display_name="Ana Reyes")
    first = services.conversation_open(
        shop=shop, channel="web", external_id=f"user:{ana.pk}", customer=ana
    )
    services.message_receive(conversation=first, text="Do you have the Court Classic in 42?")
    services.bot_message_send(
        conversation=first,
        text="Yes, Court Classic in size 42 is in stock (12 left). Shall I reserve one?",
        payload={
            "quick_replies": [
                {"title": "Buy now", "payload": "buy"},
                {"title": "Other sizes", "payload": "sizes"},
            ]
        },
    )
    services.message_receive(conversation=first, text="Can a person check if it runs small?")
    services.conversation_handoff(conversation=first, reason="The customer asked for a person.")
    services.conversation_take_over(conversation=first, by=mara)
    services.staff_message_send(
        conversation=first, author=mara, text="Hi Ana, it runs true to size. Here it is:"
    )
    services.staff_message_send(conversation=first, author=mara, product_id=court.pk)
    services.note_add(
        conversation=first, author=mara, text="@jomar she may order two pairs, keep an eye on stock"
    )
    services.conversation_set_labels(conversation=first, names=["sizing", "vip"])

    now = timezone.now()
    cebu = services.conversation_open(shop=shop, channel="messenger", external_id="psid-1001")
    services.conversation_set_bot(conversation=cebu, enabled=False)
    services.message_receive(
        conversation=cebu, text="Hi, do you ship to Cebu? How long does it take?"
    )
    Conversation.objects.filter(pk=cebu.pk).update(needs_person_at=now - timedelta(minutes=12))

    rain = services.conversation_open(
        shop=shop, channel="instagram", external_id="igsid-77", name="Miguel Santos"
    )
    services.conversation_set_bot(conversation=rain, enabled=False)
    services.message_receive(conversation=rain, text="Is the Trail Runner waterproof?")
    Conversation.objects.filter(pk=rain.pk).update(needs_person_at=now - timedelta(minutes=40))
    services.conversation_set_labels(conversation=rain, names=["product question"])

    done = services.conversation_open(
        shop=shop, channel="whatsapp", external_id="+639170000001", name="Ben Cruz"
    )
    services.message_receive(conversation=done, text="Got my order, thank you!")
    services.conversation_resolve(conversation=done, by=mara)
    return shop, first


def _desktop_page(chromium_browser, live_server, user):
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport={"width": 1440, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(15_000)
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, context.new_page()


def test_mara_answers_from_the_inbox_on_a_laptop_with_a_canned_reply_and_a_note(
    chromium_browser, live_server, mara, inbox, screenshot
):
    """On a laptop the list, the conversation and the customer sit side by side; "/" offers the
    canned replies; the reply and a private note appear in the conversation at once."""
    shop, conversation = inbox
    context, page = _desktop_page(chromium_browser, live_server, mara)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"/backoffice/{shop.slug}/")
        page.get_by_role("navigation", name="Back office").get_by_role("link", name="Inbox").click()
        expect(page.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
        rows = page.locator(".inbox-row")
        expect(rows).to_have_count(3)  # open ones; Ben's is resolved
        expect(page.locator(".inbox-row", has_text="Miguel Santos")).to_contain_text("SLA breached")
        expect(page.locator(".inbox-row", has_text="Guest")).to_contain_text("At risk")

        page.locator(".inbox-row", has_text="Ana Reyes").get_by_role("link").click()
        thread = page.locator("#inbox-messages")
        expect(thread.locator(".inbox-msg-bot")).to_contain_text("Shall I reserve one?")
        expect(thread.locator(".inbox-quick")).to_contain_text("Buy now")
        expect(thread.locator(".inbox-card")).to_contain_text("Court Classic")
        expect(thread.locator(".inbox-mention")).to_have_text("@jomar")
        side = page.get_by_role("complementary", name="Customer")
        expect(side).to_contain_text("ana@plaza.test")
        expect(side).to_contain_text("First response")

        reply = page.get_by_label("Reply", exact=True)
        reply.fill("/")
        expect(page.locator(".inbox-canned")).to_contain_text("/ship")
        page.locator(".inbox-canned").get_by_role("button", name="/ship").click()
        expect(reply).to_have_value("/ship ")
        reply.press_sequentially("Want me to reserve a pair?")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(thread.locator(".inbox-msg-staff").last).to_contain_text(
            "We ship within Metro Manila in 1-2 days"
        )
        expect(reply).to_have_value("")

        page.get_by_label("Private note").check()
        reply.fill("@jomar reserved one pair for Ana")
        page.get_by_role("button", name="Add the note").click()
        expect(thread.locator(".inbox-msg-note").last).to_contain_text("reserved one pair")
        expect(thread.locator(".inbox-msg-note").last.locator(".inbox-mention")).to_have_text(
            "@jomar"
        )
        page.evaluate("window.scrollTo(0, 0)")
        thread.evaluate("el => { el.scrollTop = el.scrollHeight; }")
        screenshot(page, "40-inbox-desktop")
    finally:
        context.close()
    assert not errors, errors


def test_mara_reads_a_conversation_on_her_phone_and_sets_up_the_inbox(
    page, login_as, mara, inbox, screenshot
):
    """On a phone the open conversation comes first; the settings page saves and refuses an
    unknown time zone next to its field."""
    shop, conversation = inbox
    login_as(mara)
    page.goto(f"/backoffice/{shop.slug}/inbox/{conversation.pk}/")
    expect(page.get_by_role("heading", name="Ana Reyes")).to_be_visible()
    expect(page.locator(".inbox-msg-customer").first).to_contain_text("Court Classic in 42")
    page.locator("#inbox-messages").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    screenshot(page, "41-inbox-phone")

    page.get_by_role("link", name="Conversations").first.click()
    expect(page.locator(".inbox-row")).to_have_count(3)
    screenshot(page, "42-inbox-list-phone")

    page.get_by_role("link", name="Inbox settings").click()
    expect(page.get_by_role("heading", name="Bot, hours and targets")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Manila")
    screenshot(page, "43-inbox-settings", full_page=True)
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.locator(".errorlist")).to_contain_text("Unknown time zone.")
    page.get_by_label("Time zone").fill("Asia/Manila")
    page.get_by_label("First response target (minutes)").fill("10")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_text("The inbox settings are saved.")).to_be_visible()
    expect(page.get_by_label("First response target (minutes)")).to_have_value("10")


def _wait_for_group(group: str) -> None:
    """Until a socket follows the group (so the change is pushed, not read on load)."""
    import time

    from channels.layers import get_channel_layer

    deadline = time.monotonic() + 10
    while not get_channel_layer().groups.get(group):
        assert time.monotonic() < deadline, f"nobody followed {group}"
        time.sleep(0.05)


def test_a_customer_message_appears_in_the_open_conversation_and_the_list_without_reloading(
    browser_page, mara, inbox
):
    """Served by the ASGI application: the conversation's socket brings the new message, the
    inbox's socket refreshes the list."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from plaza.messaging import live

    shop, conversation = inbox
    page = browser_page(user=mara)
    page.goto(f"/backoffice/{shop.slug}/inbox/{conversation.pk}/")
    expect(page.get_by_role("heading", name="Ana Reyes")).to_be_visible()
    _wait_for_group(live.conversation_group(conversation.pk))
    _wait_for_group(live.inbox_group(shop.pk))

    # when: Ana writes, as a request would, in its own thread
    def write():
        try:
            services.message_receive(conversation=conversation, text="Perfect, I'll take two!")
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(write).result()

    # then
    thread = page.locator("#inbox-messages")
    expect(thread.locator(".inbox-msg-customer").last).to_have_text(
        re.compile("Perfect, I'll take two!"), timeout=5_000
    )
    expect(thread.locator(".inbox-msg-customer", has_text="take two")).to_have_count(1)
    row = page.locator(".inbox-row", has_text="Ana Reyes")
    expect(row.locator(".inbox-row-preview")).to_have_text("Perfect, I'll take two!", timeout=5_000)


def test_after_the_window_closes_mara_sends_an_approved_template_with_its_values_on_her_phone(
    page, login_as, mara, inbox, settings, screenshot
):
    """On WhatsApp, two days after the customer's last message, a free reply is refused; the
    approved template goes out, its values one per line and its tracking button's end, and
    shows in the conversation."""
    from plaza.connectors.services import connection_save
    from plaza.connectors.tests.recorder import NetworkRecorder

    network = NetworkRecorder().start()
    settings.META_GRAPH_URL = network.url
    try:
        shop, _first = inbox
        connection_save(
            shop=shop,
            channel="whatsapp",
            account_id="106540352242922",
            credentials={"access_token": "EAAt", "app_secret": "s" * 16, "verify_token": "v" * 16},
        )
        customer = services.conversation_open(
            shop=shop, channel="whatsapp", external_id="639171234567", name="Liza Cruz"
        )
        services.message_receive(conversation=customer, text="Is my order on its way?")
        Conversation.objects.filter(pk=customer.pk).update(
            last_customer_message_at=timezone.now() - timedelta(days=2)
        )
        login_as(mara)
        page.goto(f"/backoffice/{shop.slug}/inbox/{customer.pk}/")
        expect(page.get_by_role("heading", name="Liza Cruz")).to_be_visible()
        expect(page.get_by_text("WhatsApp accepts only an approved template now")).to_be_visible()

        page.get_by_label("Approved template").fill("order_shipped")
        page.get_by_label("Language code").fill("en_US")
        page.get_by_label("Values, one per line").fill("Liza\n7KQ2-M9XA")
        page.get_by_text("Header and button").click()
        page.get_by_label("Button value").fill("7KQ2-M9XA")
        page.locator(".inbox-template").scroll_into_view_if_needed()
        screenshot(page, "45-inbox-template-phone")
        page.get_by_role("button", name="Send template").click()
        expect(page.locator(".inbox-msg-staff").last).to_contain_text(
            "Template order_shipped (en_US): Liza · 7KQ2-M9XA · 7KQ2-M9XA"
        )
        sent = [r.json for r in network.sent("/messages") if r.json.get("type") == "template"]
        body, button = sent[-1]["template"]["components"]
        assert body["parameters"] == [
            {"type": "text", "text": "Liza"},
            {"type": "text", "text": "7KQ2-M9XA"},
        ]
        assert (button["sub_type"], button["parameters"]) == (
            "url",
            [{"type": "text", "text": "7KQ2-M9XA"}],
        )
    finally:
        network.stop()
    assert not network.problems, network.problems


def test_mara_plays_a_voice_note_and_downloads_a_receipt_a_customer_sent_on_her_phone(
    page, login_as, mara, inbox, screenshot, tmp_path
):
    """A WhatsApp customer sent a voice note, a PDF receipt and a video too large to keep: Mara
    sees a player, downloads the receipt under its own name, reads why the video is missing, and
    answers with a PDF of her own."""
    shop, _first = inbox
    customer = services.conversation_open(
        shop=shop, channel="whatsapp", external_id="639179876543", name="Joy Ramos"
    )
    services.conversation_set_bot(conversation=customer, enabled=False)
    voice = b"OggS\x00\x02" + bytes(range(256)) * 8
    receipt = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    for content, hint, name, text in (
        (voice, "audio", "", ""),
        (receipt, "file", "receipt-7KQ2.pdf", "Here is my receipt, the box came torn"),
    ):
        sent = services.customer_file_check(content=content, name=name, kind_hint=hint)
        services.message_receive(conversation=customer, text=text, file=sent)
    services.message_receive(
        conversation=customer,
        payload={"file": {"kind": "video", "name": "unboxing.mp4", "missing": "too_large"}},
    )
    login_as(mara)
    page.goto(f"/backoffice/{shop.slug}/inbox/")
    page.get_by_role("link", name=re.compile("Joy Ramos")).click()
    expect(page.get_by_role("heading", name="Joy Ramos")).to_be_visible()

    # the voice note has a player whose file the server gives as Ogg audio
    player = page.locator("audio.inbox-audio")
    expect(player).to_have_count(1)
    served = page.evaluate(
        "async (src) => { const r = await fetch(src); "
        "return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]; }",
        player.get_attribute("src"),
    )
    assert served == [200, "audio/ogg", len(voice)]
    # the receipt downloads under the name the customer gave it
    link = page.get_by_role("link", name=re.compile("receipt-7KQ2.pdf"))
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "receipt-7KQ2.pdf"
    assert Path(download.value.path()).read_bytes() == receipt
    # the video that was too large is said, with what to do
    expect(
        page.get_by_text("Video · unboxing.mp4: too large to keep; ask for it another way.")
    ).to_be_visible()
    page.locator(".inbox-audio").scroll_into_view_if_needed()
    screenshot(page, "46-inbox-files-phone")

    # Mara answers with the shop's return form, a PDF, from her phone
    form_file = tmp_path / "return-form.pdf"
    form_file.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    page.get_by_label("Photo or file").set_input_files(str(form_file))
    page.get_by_label("Reply", exact=True).fill("Sorry about the box: fill this in and we swap it")
    page.get_by_role("button", name="Send", exact=True).click()
    sent = page.locator(".inbox-msg-staff").last
    expect(sent).to_contain_text("fill this in and we swap it")
    expect(sent.get_by_role("link", name=re.compile("return-form.pdf"))).to_be_visible()
