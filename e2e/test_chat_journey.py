"""Buying in the chat: a guest on a phone opens the chat on a product page, asks whether size 42
is in stock, and the bot answers. Mara, on her laptop, sees the conversation appear in her
inbox, takes over, answers (the guest reads it without reloading) and hands back to the bot.
The guest says they want the shoes, picks the size and the quantity with the bot's buttons,
follows the payment link, signs up, pays with the test card, and the chat then says the order
is paid.

pytest-django's live server speaks WSGI only (no WebSockets), so this journey serves the real
ASGI application (config.asgi, as `make run` does) with uvicorn in a thread, as the live-stock
journey does. Every wait is on an element, with room for a loaded machine.
"""

import re

import pytest
from playwright.sync_api import expect

from plaza.messaging.models import Conversation, Direction, SenderKind
from plaza.orders.models import Order

PASSWORD = "mango-sunrise-2049"
WAIT = 20_000  # ms: generous, for a loaded 2-core machine


@pytest.fixture(autouse=True)
def patient_expect():
    """Assertions wait as long as actions do."""
    expect.set_options(timeout=WAIT)
    yield
    expect.set_options(timeout=5_000)


def write(panel, text: str) -> None:
    panel.get_by_label("Your message").fill(text)
    panel.get_by_role("button", name="Send").click()


def test_a_guest_buys_in_the_chat_while_staff_step_in_live(browser_page, kicks_court, screenshot):
    shop, court, mara = kicks_court["shop"], kicks_court["court"], kicks_court["owner"]
    # given: Mara keeps her inbox open on her laptop (every conversation, not only open ones)
    staff = browser_page(phone=False, user=mara)
    staff.goto(f"/backoffice/{shop.slug}/inbox/?status=all")
    expect(staff.get_by_role("heading", level=1, name="Inbox")).to_be_visible()

    # when: a guest on a phone opens the chat on the product page
    guest = browser_page(phone=True)
    guest.goto(f"/s/{shop.slug}/p/{court.slug}/")
    guest.get_by_role("link", name="Chat with Kicks Manila").click()
    panel = guest.locator("#ch-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", name="Kicks Manila")).to_be_visible()
    expect(panel.locator(".ch-context")).to_contain_text("Court Classic")
    screenshot(guest, "24-chat-phone")

    # and: a message far too long is refused in the panel, and what was typed stays
    too_long = "Hello! " * 600
    write(panel, too_long)
    expect(panel.locator("#ch-error")).to_contain_text("A message has at most 4,000 characters")
    expect(panel.get_by_label("Your message")).to_have_value(too_long)

    # and: asks whether size 42 is in stock
    write(panel, "Do you have size 42 in stock?")
    messages = panel.locator("#ch-messages")
    expect(messages.locator(".ch-in").last).to_contain_text("Do you have size 42 in stock?")
    answer = messages.locator(".ch-by-bot").last
    expect(answer).to_contain_text("42")
    expect(panel.get_by_label("Your message")).to_have_value("")

    # then: the conversation appears in Mara's inbox without her reloading
    row = staff.locator(".inbox-row", has_text="Guest")
    expect(row).to_have_count(1)

    # when: Mara opens it, takes over from the bot and answers
    # (opened by its address: the list may be swapping in its live refresh just then)
    staff.goto(row.get_by_role("link").get_attribute("href"))
    expect(staff.get_by_role("heading", name="Guest", exact=True)).to_be_visible()
    staff.get_by_role("button", name="Take over from the bot").click()
    expect(staff.get_by_role("button", name="Hand back to the bot")).to_be_visible()
    staff.get_by_label("Reply", exact=True).fill("Hi, Mara here: the 42 runs true to size.")
    staff.get_by_role("button", name="Send", exact=True).click()

    # then: the guest reads her answer at once, without reloading, once
    staff_answer = messages.locator(".ch-by-staff")
    expect(staff_answer).to_contain_text("the 42 runs true to size")
    expect(staff_answer).to_have_count(1)
    expect(staff_answer.locator(".ch-author")).to_have_text("Mara")

    # when: Mara hands back to the bot, and the guest says they want the shoes
    staff.get_by_role("button", name="Hand back to the bot").click()
    expect(staff.get_by_role("button", name="Take over from the bot")).to_be_visible()
    write(panel, "Great, I want it")

    # then: the bot takes it as the size 42 they asked about, and asks how many, with buttons
    last = messages.locator(".ch-msg").last
    expect(last).to_contain_text("42")
    quantities = last.locator(".ch-quick")
    expect(quantities.get_by_role("button", name="1", exact=True)).to_be_visible()
    screenshot(guest, "25-chat-bot-quick-replies")

    # when: the guest taps 1
    quantities.get_by_role("button", name="1", exact=True).click()

    # then: the bot holds the pair and sends a payment link; the old buttons are gone
    pay = messages.locator(".ch-pay")
    expect(pay).to_be_visible()
    expect(messages.locator(".ch-quick:visible")).to_have_count(0)
    # and: every message shows once, though the answers and the socket both brought them
    conversation = Conversation.objects.get(shop=shop)
    shown = conversation.messages.exclude(direction=Direction.INTERNAL).count()
    expect(messages.locator(".ch-msg")).to_have_count(shown)
    expect(panel.locator("#ch-error")).to_be_empty()
    screenshot(guest, "26-chat-payment-link")

    # when: the guest follows the link, signs up, and pays with the test card
    pay.click()
    expect(guest).to_have_url(re.compile(r"/accounts/login/"))
    guest.get_by_role("link", name=re.compile("sign up", re.IGNORECASE)).first.click()
    guest.get_by_label("Email").fill("lea@example.com")
    guest.get_by_label("Password", exact=True).fill(PASSWORD)
    guest.get_by_label("Password (again)").fill(PASSWORD)
    guest.get_by_role("button", name="Sign Up").click()
    expect(guest.get_by_role("heading", name="Checkout")).to_be_visible()
    region = guest.get_by_role("region", name="Kicks Manila")
    expect(region).to_contain_text("42 · 1 × ₱4,500.00")
    guest.get_by_label("Full name").fill("Lea Santos")
    guest.get_by_label("Address", exact=True).fill("12 Mabini St")
    guest.get_by_label("City").fill("Makati")
    guest.get_by_label("Postal code").fill("1200")
    guest.get_by_label("Country").select_option("PH")
    guest.get_by_label("Phone").fill("+63 917 555 0101")
    guest.get_by_label("Card number").fill("4242 4242 4242 4242")
    guest.get_by_label("Expiry (MM/YY)").fill("12/30")
    guest.get_by_label("Security code").fill("123")
    guest.get_by_role("button", name="Pay ₱4,650.00").click()

    # then: the order is paid
    expect(guest.get_by_role("heading", name="Thank you! Your order is placed.")).to_be_visible()
    order = Order.objects.get(buyer__email="lea@example.com")
    assert order.status == "paid"
    size_42 = court.variants.get(sku="KM-COURT-42")
    assert list(order.lines.values_list("variant_id", "quantity")) == [(size_42.pk, 1)]

    # and: the chat, now the account's, keeps the thread (Mara's answer too)
    guest.goto(f"/s/{shop.slug}/p/{court.slug}/")
    guest.get_by_role("link", name="Chat with Kicks Manila").click()
    messages = guest.locator("#ch-panel #ch-messages")
    expect(messages).to_contain_text("the 42 runs true to size")
    expect(messages.locator(".ch-pay")).to_have_count(1)
    conversation = Conversation.objects.get(shop=shop)
    assert conversation.customer == order.buyer
    assert conversation.messages.filter(sender_kind=SenderKind.STAFF).count() == 1

    # and: the bot says in the chat that the order is paid (it hears of the payment's capture
    # again once the checkout page has placed the order)
    expect(messages.locator(".ch-by-bot").last).to_contain_text(order.number)


def test_a_guest_sends_a_receipt_and_a_video_of_a_torn_box_from_the_chat(
    browser_page, kicks_court, screenshot, tmp_path
):
    """After delivery, a guest on a phone attaches the receipt (a PDF) and a video of the torn
    box to the chat: both show in the chat at once, the video with its player, and the bot,
    which cannot read them, asks a person; a web page passed off as a file is refused with the
    reason."""
    shop = kicks_court["shop"]
    receipt = tmp_path / "receipt-7KQ2.pdf"
    receipt.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    clip = tmp_path / "torn-box.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(4000))
    page_file = tmp_path / "invoice.html"
    page_file.write_bytes(b"<html><script>alert(1)</script></html>")

    guest = browser_page(phone=True)
    guest.goto(f"/chat/{shop.slug}/")
    panel = guest.locator(".ch-chat")
    expect(panel).to_be_visible()
    attach = panel.locator("input[name=attachment]")

    attach.set_input_files(str(page_file))
    panel.get_by_role("button", name="Send").click()
    expect(panel.locator("#ch-error")).to_contain_text("in a format Plaza does not keep")

    attach.set_input_files(str(receipt))
    write(panel, "Here is my receipt")
    expect(panel.get_by_role("link", name=re.compile("receipt-7KQ2.pdf"))).to_be_visible()
    # the bot cannot read a receipt: it asks a person at once rather than "did not understand"
    expect(panel.locator(".ch-by-bot").last).to_contain_text("I have asked a person")
    attach.set_input_files(str(clip))
    write(panel, "The box came torn, see")
    expect(panel.locator("video.ch-video")).to_have_count(1)
    expect(panel.get_by_role("link", name=re.compile("torn-box.mp4"))).to_be_visible()
    # the receipt downloads under its own name
    with guest.expect_download() as download:
        panel.get_by_role("link", name=re.compile("receipt-7KQ2.pdf")).click()
    assert download.value.suggested_filename == "receipt-7KQ2.pdf"
    screenshot(guest, "47-chat-files-phone")

    conversation = Conversation.objects.get(shop=shop)
    sent = conversation.messages.filter(sender_kind=SenderKind.CUSTOMER).order_by("pk")
    assert [m.payload["file"]["kind"] for m in sent if m.file] == ["file", "video"]
