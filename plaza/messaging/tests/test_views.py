"""The shopper's web chat pages: a guest's chat kept in their session and joined to their account
when they log in, nobody reading another's chat, messages rendered safely by one template,
refusals shown with their reason (and nothing stored), the messages partial's query count, and
the bot's payment links."""

import html

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.checkout.models import Cart
from plaza.core.exceptions import ValidationError
from plaza.messaging import services
from plaza.messaging.bot import engine
from plaza.messaging.live import GUEST_SESSION_KEY
from plaza.messaging.models import (
    MESSAGE_MAX_LENGTH,
    Channel,
    Conversation,
    DeliveryStatus,
    Message,
    SenderKind,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def quiet_bot(monkeypatch):
    """The bot says nothing unless a test scripts it: these tests are about the chat pages.
    ``quiet_bot.replies = [(text, payload), ...]`` makes it answer every message so."""

    class Script:
        replies: list[tuple[str, dict]] = []

    def respond(*, conversation, message):
        return [
            services.bot_message_send(conversation=conversation, text=text, payload=payload)
            for text, payload in Script.replies
        ]

    monkeypatch.setattr(engine, "bot_respond", respond)
    return Script


def chat_url(shop) -> str:
    return reverse("messaging:chat-detail", kwargs={"shop_slug": shop.slug})


def messages_url(shop) -> str:
    return reverse("messaging:chat-messages", kwargs={"shop_slug": shop.slug})


def send_url(shop) -> str:
    return reverse("messaging:chat-message-create", kwargs={"shop_slug": shop.slug})


def send(client, shop, text="", **data):
    return client.post(send_url(shop), {"text": text, **data}, **HTMX)


def test_a_guest_keeps_their_chat_across_requests(client, shop):
    # given: a guest opens the chat and writes
    first = client.get(chat_url(shop), **HTMX)
    assert first.status_code == 200
    assert 'data-conversation=""' in first.content.decode()
    sent = send(client, shop, "Do you have size 42?")
    assert sent.status_code == 200
    # when: they come back later in the same session
    page = client.get(chat_url(shop))
    # then: the conversation is theirs, kept under their guest token, with its history
    token = client.session[GUEST_SESSION_KEY]
    conversation = Conversation.objects.get(shop=shop)
    assert conversation.external_id == f"guest:{token}"
    assert conversation.channel == Channel.WEB
    assert conversation.customer is None
    assert f'data-conversation="{conversation.pk}"' in page.content.decode()
    assert "Do you have size 42?" in page.content.decode()
    assert sent["HX-Trigger"] == f'{{"chat:conversation": {{"id": {conversation.pk}}}}}'


def test_opening_the_chat_stores_nothing_until_the_guest_writes(client, shop):
    # when
    response = client.get(chat_url(shop), **HTMX)
    # then
    assert response.status_code == 200
    assert not Conversation.objects.exists()
    assert GUEST_SESSION_KEY not in client.session


def test_a_guests_chat_joins_their_account_when_they_log_in(client, shop, shopper):
    # given: a guest wrote, then logged in
    send(client, shop, "Is the 42 in stock?")
    client.force_login(shopper)
    # when: their next chat request
    page = client.get(chat_url(shop))
    # then: the conversation is the account's, the history kept, the guest token dropped
    conversation = Conversation.objects.get(shop=shop)
    assert conversation.external_id == f"user:{shopper.pk}"
    assert conversation.customer == shopper
    assert "Is the 42 in stock?" in page.content.decode()
    assert GUEST_SESSION_KEY not in client.session
    # and: the next message goes to the same conversation
    send(client, shop, "I take it")
    assert list(conversation.messages.values_list("text", flat=True)) == [
        "Is the 42 in stock?",
        "I take it",
    ]


def test_a_logged_in_customer_chats_under_their_account(client, shop, shopper):
    # given
    client.force_login(shopper)
    # when
    send(client, shop, "Hello")
    # then
    conversation = Conversation.objects.get(shop=shop)
    assert (conversation.external_id, conversation.customer) == (f"user:{shopper.pk}", shopper)
    assert GUEST_SESSION_KEY not in client.session


def test_another_guest_cannot_read_someone_elses_conversation(client, shop):
    # given: one guest wrote
    send(client, shop, "My secret size is 42")
    stranger = Client()
    # when: another guest opens the chat with the same shop and asks for its messages
    page = stranger.get(chat_url(shop))
    partial = stranger.get(messages_url(shop) + "?after=0", **HTMX)
    # then: they see an empty chat of their own
    assert "My secret size is 42" not in page.content.decode()
    assert 'data-conversation=""' in page.content.decode()
    assert partial.status_code == 200
    assert partial.content.decode().strip() == ""


def test_a_script_in_a_message_shows_as_text_with_its_line_breaks(client, shop):
    # when
    response = send(client, shop, "<script>alert('hi')</script>\nsecond line")
    # then
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;<br>second line" in html


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("   ", "Write a message first."),
        ("x" * (MESSAGE_MAX_LENGTH + 1), "A message has at most 4,000 characters"),
        ("\x00\x01\x02binary", "This message holds binary data, not text."),
    ],
    ids=["empty", "huge", "binary"],
)
def test_a_refused_message_shows_its_reason_in_the_panel_and_stores_nothing(
    client, shop, text, reason
):
    # when
    response = send(client, shop, text)
    # then: 422 with the reason, aimed at the panel's error line; no message stored
    assert response.status_code == 422
    assert reason in response.content.decode()
    assert response["HX-Retarget"] == "#ch-error"
    assert response["HX-Reswap"] == "innerHTML"
    assert not Message.objects.exists()


def test_a_refused_message_is_translated(client, shop):
    # given: a shopper reading Plaza in French
    client.cookies["django_language"] = "fr"
    # when
    response = client.post(send_url(shop), {"text": ""}, HTTP_ACCEPT_LANGUAGE="fr", **HTMX)
    # then: the reason is in French where the catalog has it (it is marked for translation)
    assert response.status_code == 422
    from django.utils import translation

    with translation.override("fr"):
        expected = translation.gettext("Write a message first.")
    assert expected != "Write a message first."
    assert expected in html.unescape(response.content.decode())


def test_without_javascript_a_refused_message_keeps_what_was_typed(client, shop):
    # when: the page's own form (no htmx) sends a message that is too long
    text = "y" * (MESSAGE_MAX_LENGTH + 1)
    response = client.post(send_url(shop), {"text": text})
    # then: the chat page again, with the reason and the text still in the box
    assert response.status_code == 422
    html = response.content.decode()
    assert "A message has at most 4,000 characters" in html
    assert f">{text}</textarea>" in html


def test_without_javascript_a_message_is_sent_and_the_chat_page_shown_again(client, shop):
    # when
    response = client.post(send_url(shop), {"text": "Hello"})
    # then
    assert response.status_code == 302
    assert response["Location"] == chat_url(shop)
    assert "Hello" in client.get(chat_url(shop)).content.decode()


def test_a_flood_of_messages_is_refused_with_429_and_a_clear_message(client, shop, monkeypatch):
    # given: the limit is 3 a minute, and every message falls in the same minute
    from plaza.core import ratelimit

    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_800_000_000.0)
    monkeypatch.setattr(services, "CUSTOMER_MESSAGES_PER_MINUTE", 3)
    for n in range(3):
        assert send(client, shop, f"message {n}").status_code == 200
    # when
    response = send(client, shop, "one too many")
    # then
    assert response.status_code == 429
    assert "You are sending messages very fast" in response.content.decode()
    assert Message.objects.count() == 3


def test_a_post_without_the_csrf_token_is_refused(shop):
    # given
    browser = Client(enforce_csrf_checks=True)
    # when
    response = browser.post(send_url(shop), {"text": "Hello"}, **HTMX)
    # then
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_unknown_shop_is_404(client, db):
    # when / then
    assert client.get("/chat/nowhere/").status_code == 404
    assert client.post("/chat/nowhere/messages/new/", {"text": "hi"}).status_code == 404


def test_sending_answers_the_message_and_the_bots_replies_with_quick_replies(
    client, shop, quiet_bot
):
    # given: the bot answers with two sizes to choose from
    quiet_bot.replies = [
        ("Size 42 is in stock.", {}),
        (
            "Which size?",
            {
                "quick_replies": [
                    {"title": "41", "payload": "variant:1"},
                    {"title": "42", "payload": "variant:2"},
                ]
            },
        ),
    ]
    # when
    response = send(client, shop, "Is 42 in stock?")
    # then: the customer's message and both replies, in order, with the buttons
    html = response.content.decode()
    ids = list(Message.objects.order_by("pk").values_list("pk", flat=True))
    assert [html.index(f'id="ch-msg-{pk}"') for pk in ids] == sorted(
        html.index(f'id="ch-msg-{pk}"') for pk in ids
    )
    assert "Size 42 is in stock." in html
    assert 'name="quick_reply" value="variant:2"' in html
    assert 'name="text" value="42"' in html


def test_a_quick_reply_and_the_product_the_chat_is_about_reach_the_bot(client, shop):
    # given: a chat opened on a product page
    product = make_product(shop, title="Court Classic", sizes=("41", "42"), stock=3)
    # when: the customer presses a quick reply
    send(client, shop, "42", quick_reply="variant:42", product=str(product.pk))
    # then
    message = Message.objects.get()
    assert message.text == "42"
    assert message.payload == {"quick_reply": "variant:42", "context_product": product.pk}


def test_the_chat_opened_on_a_product_names_it(client, shop, other_shop):
    # given
    product = make_product(shop, title="Court Classic", stock=3)
    theirs = make_product(other_shop, title="Crème de nuit", stock=3)
    # when
    about = client.get(chat_url(shop) + f"?product={product.pk}", **HTMX).content.decode()
    other = client.get(chat_url(shop) + f"?product={theirs.pk}", **HTMX).content.decode()
    # then: the panel says what it is about, and sends it with each message
    assert "Court Classic" in about
    assert f'name="product" value="{product.pk}"' in about
    assert "Crème de nuit" not in other
    assert 'name="product"' not in other


def test_a_photo_is_sent_and_shown(client, shop):
    # given
    photo = image_upload("foot.png", size=(300, 300))
    # when
    response = client.post(send_url(shop), {"text": "", "attachment": photo}, **HTMX)
    # then
    assert response.status_code == 200
    message = Message.objects.get()
    assert message.attachment
    assert f'src="{message.attachment.url}"' in response.content.decode()


def test_a_video_a_voice_note_and_a_receipt_are_sent_from_the_chat_and_shown(client, shop):
    # given: what a phone gives a file input (the type it says, the name it has)
    from django.core.files.uploadedfile import SimpleUploadedFile

    clip = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x02" * 800
    voice = b"OggS\x00\x02" + b"\x01" * 600
    receipt = b"%PDF-1.7\n" + b"3" * 900
    uploads = [
        SimpleUploadedFile("IMG_0042.MOV", clip, content_type="video/quicktime"),
        SimpleUploadedFile("voice.ogg", voice, content_type="audio/ogg"),
        SimpleUploadedFile("receipt.pdf", receipt, content_type="application/pdf"),
    ]
    # when
    pages = [
        client.post(send_url(shop), {"text": text, "attachment": upload}, **HTMX)
        for text, upload in zip(("it came torn", "", ""), uploads, strict=True)
    ]
    # then: each kept under its own name with the format found, played or offered to download
    assert [page.status_code for page in pages] == [200, 200, 200]
    video, audio, document = Message.objects.filter(file__gt="").order_by("pk")
    assert video.text == "it came torn" and video.file.name.endswith("/IMG_0042.mp4")
    assert video.payload["file"]["kind"] == "video" and not video.attachment
    assert audio.payload["file"]["kind"] == "audio" and document.file.read() == receipt
    html = [page.content.decode() for page in pages]
    assert f'<video class="ch-video" src="{video.file.url}"' in html[0]
    assert f'<audio class="ch-audio" src="{audio.file.url}"' in html[1]
    assert f'href="{document.file.url}" download="receipt.pdf"' in html[2]
    # the staff's list shows what came last
    assert Conversation.objects.get().last_preview == "📎 receipt.pdf"


def test_a_file_plaza_does_not_keep_is_refused_with_the_reason_and_nothing_is_stored(
    client, shop, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PLAZA_MAX_CHAT_FILE_BYTES = 1024
    page = SimpleUploadedFile("page.html", b"<script>x()</script>", content_type="text/html")
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * 2048, content_type="application/pdf")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    refused = [
        client.post(send_url(shop), {"text": "", "attachment": upload}, **HTMX)
        for upload in (page, big)
    ]
    assert [r.status_code for r in refused] == [422, 422]
    assert "format que Plaza ne conserve pas" in refused[0].content.decode()
    assert "dépasse 1 Mo" in refused[1].content.decode()
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_a_product_card_and_a_payment_link_render_in_a_bot_message(client, shop):
    # given: the guest wrote, and the bot sent a product card and a payment link
    send(client, shop, "I want it")
    conversation = Conversation.objects.get()
    card = {
        "id": 1,
        "title": "Court Classic",
        "price": "₱4,500.00",
        "url": "/s/kicks/p/court-classic/",
        "image": "/media/court.png",
    }
    services.bot_message_send(
        conversation=conversation, text="Here it is", payload={"product": card}
    )
    services.bot_message_send(
        conversation=conversation, text="Pay here", payload={"pay_url": "/chat/pay/abc/"}
    )
    # when
    html = client.get(chat_url(shop)).content.decode()
    # then
    assert 'href="/s/kicks/p/court-classic/"' in html
    assert "₱4,500.00" in html
    assert 'class="btn block ch-pay" href="/chat/pay/abc/"' in html


def test_the_customer_viewing_the_chat_marks_the_shops_messages_read(client, shop):
    # given
    send(client, shop, "Hello")
    conversation = Conversation.objects.get()
    reply = services.bot_message_send(conversation=conversation, text="Hi!")
    assert reply.status == DeliveryStatus.SENT
    # when: the panel fetches the new message
    client.get(messages_url(shop) + f"?after={reply.pk - 1}", **HTMX)
    # then
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.READ


def test_the_messages_partial_answers_only_messages_after_the_given_id(client, shop):
    # given
    send(client, shop, "one")
    send(client, shop, "two")
    first, second = Message.objects.order_by("pk")
    # when
    html = client.get(messages_url(shop) + f"?after={first.pk}", **HTMX).content.decode()
    # then
    assert f'id="ch-msg-{second.pk}"' in html
    assert f'id="ch-msg-{first.pk}"' not in html


def test_customers_never_see_private_notes(client, shop, owner):
    # given
    send(client, shop, "Hello")
    conversation = Conversation.objects.get()
    services.note_add(conversation=conversation, author=owner, text="VIP, be nice")
    # when
    html = client.get(chat_url(shop)).content.decode()
    partial = client.get(messages_url(shop), **HTMX).content.decode()
    # then
    assert "VIP" not in html
    assert "VIP" not in partial


def _partial_queries(client, shop, count: int) -> int:
    conversation = Conversation.objects.get(shop=shop)
    for n in range(count):
        services.bot_message_send(
            conversation=conversation,
            text=f"answer {n}",
            payload={"quick_replies": [{"title": "Yes", "payload": "yes"}]},
        )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(messages_url(shop) + "?after=0", **HTMX)
    assert response.status_code == 200
    assert response.content.decode().count('class="ch-msg ') == count + 1
    return len(queries)


@pytest.mark.parametrize("count", [1, 20])
def test_the_messages_partial_takes_the_same_queries_for_1_and_20_messages(client, shop, count):
    # given: a guest's chat of 1 or 20 answers
    send(client, shop, "Hello")
    # when / then: session, conversation, messages, mark read (the shop as read a moment ago,
    # by the message before)
    assert _partial_queries(client, shop, count) == 4


# --- payment links -------------------------------------------------------------------


@pytest.fixture
def pay_link(monkeypatch, shop):
    """engine.payment_link_read answers a conversation of the shop and variant 7 × 2 for the
    token "good"; "cart" holds two real variants; "old" has expired; anything else was
    tampered with."""
    conversation = services.conversation_open(
        shop=shop, channel=Channel.WEB, external_id="guest:paying"
    )
    product = make_product(shop, title="Court Classic", sizes=("41", "42"), stock=5)
    v41, v42 = product.variants.order_by("pk")

    def payment_link_read(token):
        if token == "good":
            return conversation, [(7, 2)]
        if token == "cart":
            return conversation, [(v41.pk, 1), (v42.pk, 2)]
        if token == "old":
            raise ValidationError(
                "This payment link has expired. Ask in the chat for a new one.",
                field="token",
                code="expired",
            )
        raise ValidationError("This payment link is not valid.", field="token")

    monkeypatch.setattr(engine, "payment_link_read", payment_link_read, raising=False)
    return {"conversation": conversation, "variants": (v41, v42)}


def pay_url(token: str) -> str:
    return reverse("messaging:chat-pay", kwargs={"token": token})


def test_a_payment_link_takes_a_logged_in_customer_to_buy_now(client, shopper, pay_link):
    # given
    client.force_login(shopper)
    # when
    response = client.get(pay_url("good"))
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("checkout:buy-now") + "?variant=7&quantity=2"


def test_a_payment_link_asks_a_guest_to_log_in_then_opens_buy_now_as_the_conversations_customer(
    client, shop, shopper, pay_link
):
    # when: a guest opens the link
    response = client.get(pay_url("good"))
    # then: the login page, which comes back to the link
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]
    # when: logged in, they open it again (the login page sends them back)
    client.force_login(shopper)
    response = client.get(pay_url("good"))
    # then: "Buy now" with the chat's choice, and the payer is the conversation's customer
    assert response["Location"] == reverse("checkout:buy-now") + "?variant=7&quantity=2"
    assert Conversation.objects.get(pk=pay_link["conversation"].pk).customer == shopper


def test_a_guest_who_logs_in_after_chatting_finds_their_chat_in_the_account(client, shop, shopper):
    # given: a guest wrote
    send(client, shop, "I want it")
    # when: they log in through the login page (as after following a payment link)
    shopper.set_password("mango-sunrise-2049")
    shopper.save(update_fields=["password"])
    client.post(
        reverse("account_login"), {"login": shopper.email, "password": "mango-sunrise-2049"}
    )
    # then: the conversation is the account's at once (a payment right after reaches it)
    assert Conversation.objects.get(shop=shop).customer == shopper
    assert GUEST_SESSION_KEY not in client.session


def test_a_payment_link_of_several_items_fills_the_shoppers_cart(client, shopper, pay_link):
    # given
    client.force_login(shopper)
    v41, v42 = pay_link["variants"]
    # when
    response = client.get(pay_url("cart"))
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("checkout:cart-detail")
    cart = Cart.objects.get(user=shopper)
    assert sorted(cart.lines.values_list("variant_id", "quantity")) == [(v41.pk, 1), (v42.pk, 2)]


def test_a_payment_link_of_several_items_asks_a_guest_to_log_in_first(client, pay_link):
    # when
    response = client.get(pay_url("cart"))
    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_expired_payment_link_says_so_with_410(client, shop, pay_link):
    # when
    response = client.get(pay_url("old"))
    # then
    assert response.status_code == 410
    assert "This payment link has expired. Ask in the chat for a new one." in (
        response.content.decode()
    )


def test_a_tampered_payment_link_says_so_with_400(client, pay_link):
    # when
    response = client.get(pay_url("forged"))
    # then
    assert response.status_code == 400
    html = response.content.decode()
    assert "This payment link is not valid." in html
    assert 'href="/"' in html


def test_a_staff_reply_shows_in_the_customers_chat(client, shop, owner):
    # given: a staff member answers the guest
    send(client, shop, "Hello")
    conversation = Conversation.objects.get()
    services.staff_message_send(conversation=conversation, author=owner, text="Hi, Mara here")
    # when
    html = client.get(chat_url(shop)).content.decode()
    # then
    reply = Message.objects.get(sender_kind=SenderKind.STAFF)
    assert f'id="ch-msg-{reply.pk}"' in html
    assert "Hi, Mara here" in html


def test_the_bots_own_payment_links_open_and_refuse_as_they_should(client, shop, settings):
    # given: a real link of the bot for 2 × size 42, and the same link altered
    product = make_product(shop, title="Court Classic", sizes=("41", "42"), stock=5)
    v42 = product.variants.get(option_values__Size="42")
    conversation = services.conversation_open(
        shop=shop, channel=Channel.WEB, external_id="guest:real"
    )
    link = engine.payment_link_make(conversation=conversation, variant_id=v42.pk, quantity=2)
    path = link.removeprefix(settings.SITE_URL)
    # when
    client.force_login(UserFactory())
    opened = client.get(path)
    altered = client.get(path[:-3] + "xx/")
    settings.PLAZA_PAYMENT_LINK_SECONDS = -1
    expired = client.get(path)
    # then
    assert opened["Location"] == reverse("checkout:buy-now") + f"?variant={v42.pk}&quantity=2"
    assert altered.status_code == 400
    assert expired.status_code == 410
    assert "Ask in the chat for a new one." in expired.content.decode()
    assert reverse("storefront:shop", kwargs={"shop_slug": shop.slug}) in expired.content.decode()


def test_a_refused_first_message_leaves_no_empty_conversation(client, shop):
    # when: a guest's very first message is empty
    response = client.post(send_url(shop), {"text": "   "}, **HTMX)
    # then: refused, and the inbox has nothing new
    assert response.status_code == 422
    assert not Conversation.objects.filter(shop=shop).exists()
