"""API v1's web chat: a guest's or a shopper's conversation with a shop, by their session only;
writes need the CSRF token; bad text 422, flood 429, unknown shop 404, each with its reason."""

import pytest
from django.conf import settings
from django.test import Client

from plaza.catalog.tests.factories import make_product
from plaza.messaging import services
from plaza.messaging.bot import engine
from plaza.messaging.live import GUEST_SESSION_KEY
from plaza.messaging.models import MESSAGE_MAX_LENGTH, Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quiet_bot(monkeypatch):
    """The bot answers only what a test scripts: ``quiet_bot.replies = [(text, payload)]``."""

    class Script:
        replies: list[tuple[str, dict]] = []

    def respond(*, conversation, message):
        return [
            services.bot_message_send(conversation=conversation, text=text, payload=payload)
            for text, payload in Script.replies
        ]

    monkeypatch.setattr(engine, "bot_respond", respond)
    return Script


def chat(client, shop):
    return client.get(f"/api/v1/chat/{shop.slug}")


def write(client, shop, text="", **body):
    return client.post(
        f"/api/v1/chat/{shop.slug}/messages",
        {"text": text, **body},
        content_type="application/json",
    )


def test_a_guest_without_a_chat_reads_an_empty_one(client, shop):
    # when
    response = chat(client, shop)
    # then
    assert response.status_code == 200
    assert response.json() == {
        "shop": {"id": shop.pk, "slug": "kicks", "name": "Kicks"},
        "conversation_id": None,
        "messages": [],
    }
    assert not Conversation.objects.exists()


def test_a_guest_writes_and_reads_their_chat_back_in_the_same_session(client, shop, quiet_bot):
    # given: the bot answers with two buttons
    quiet_bot.replies = [
        (
            "Which size?",
            {
                "quick_replies": [
                    {"title": "41", "payload": "v:1"},
                    {"title": "42", "payload": "v:2"},
                ]
            },
        )
    ]
    # when
    sent = write(client, shop, "Is the 42 in stock?")
    read = chat(client, shop)
    # then
    assert sent.status_code == 201
    body = sent.json()
    conversation = Conversation.objects.get()
    assert conversation.external_id == f"guest:{client.session[GUEST_SESSION_KEY]}"
    assert body["conversation_id"] == conversation.pk
    assert body["message"]["text"] == "Is the 42 in stock?"
    assert (body["message"]["direction"], body["message"]["sender"]) == ("in", "customer")
    assert [r["text"] for r in body["replies"]] == ["Which size?"]
    assert body["replies"][0]["quick_replies"] == [
        {"title": "41", "payload": "v:1"},
        {"title": "42", "payload": "v:2"},
    ]
    assert [m["text"] for m in read.json()["messages"]] == ["Is the 42 in stock?", "Which size?"]
    assert read.json()["conversation_id"] == conversation.pk


def test_a_product_card_and_a_payment_link_are_typed_fields(client, shop):
    # given
    write(client, shop, "I want it")
    conversation = Conversation.objects.get()
    card = {"id": 9, "title": "Court Classic", "price": "₱4,500.00", "url": "/p/", "image": ""}
    services.bot_message_send(conversation=conversation, text="Here", payload={"product": card})
    services.bot_message_send(conversation=conversation, text="Pay", payload={"pay_url": "/pay/"})
    # when
    messages = chat(client, shop).json()["messages"]
    # then
    assert messages[1]["product"] == card
    assert messages[2]["pay_url"] == "/pay/"
    assert messages[2]["status"] == "sent"
    # and: reading them marked them read
    assert set(conversation.messages.filter(direction="out").values_list("status", flat=True)) == {
        "read"
    }


def test_a_file_sent_from_the_chat_form_is_a_typed_field(client, shop):
    # given: the guest sent a voice note from the chat's form, then wrote through the API
    from django.core.files.uploadedfile import SimpleUploadedFile

    voice = SimpleUploadedFile("note.ogg", b"OggS\x00\x02" + bytes(500), content_type="audio/ogg")
    client.post(
        f"/chat/{shop.slug}/messages/new/",
        {"text": "", "attachment": voice},
        HTTP_HX_REQUEST="true",
    )
    write(client, shop, "and a question")
    # when
    messages = chat(client, shop).json()["messages"]
    # then
    stored = Message.objects.get(file__gt="")
    assert messages[0]["file"] == {
        "kind": "audio",
        "name": "note.ogg",
        "type": "audio/ogg",
        "size": 506,
        "url": stored.file.url,
    }
    assert messages[0]["image_url"] is None and messages[1]["file"] is None


def test_a_photo_and_a_file_are_sent_as_a_multipart_form(client, shop):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from plaza.catalog.tests.factories import image_upload

    url = f"/api/v1/chat/{shop.slug}/attachments"
    # when: a photo alone, then a receipt with a word
    photo = client.post(url, {"file": image_upload("shoe.png")})
    receipt = SimpleUploadedFile("receipt.pdf", b"%PDF-1.7\n" + b"1" * 200, "application/pdf")
    document = client.post(url, {"file": receipt, "text": "my receipt"})
    # then: each stored, in its field
    assert photo.status_code == document.status_code == 201
    sent = photo.json()["message"]
    assert sent["image_url"].startswith("/media/chat/") and sent["file"] is None
    sent = document.json()["message"]
    assert sent["text"] == "my receipt" and sent["image_url"] is None
    assert sent["file"]["kind"] == "file" and sent["file"]["name"] == "receipt.pdf"
    assert Message.objects.count() == 2


def test_a_file_plaza_does_not_keep_is_refused_by_the_api_with_422(client, shop):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = SimpleUploadedFile("page.html", b"<script>x()</script>", "text/html")
    response = client.post(
        f"/api/v1/chat/{shop.slug}/attachments", {"file": page}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 422
    assert "Plaza" in response.json()["detail"] and "PDF" in response.json()["detail"]
    assert not Message.objects.exists() and not Conversation.objects.exists()
    missing = client.post(f"/api/v1/chat/{shop.slug}/attachments", {"text": "hi"})
    assert missing.status_code == 422


def test_a_quick_reply_and_the_product_reach_the_bot(client, shop):
    # given
    product = make_product(shop, stock=2)
    # when
    response = write(client, shop, "42", quick_reply="variant:42", product=product.pk)
    # then
    assert response.status_code == 201
    assert Message.objects.get().payload == {
        "quick_reply": "variant:42",
        "context_product": product.pk,
    }


def test_a_guests_chat_joins_their_account_when_they_log_in(client, shop, shopper):
    # given
    write(client, shop, "Hello")
    client.force_login(shopper)
    # when
    response = chat(client, shop)
    # then
    assert [m["text"] for m in response.json()["messages"]] == ["Hello"]
    assert Conversation.objects.get().customer == shopper


def test_another_guest_reads_nothing_of_someone_elses_chat(client, shop):
    # given
    write(client, shop, "My secret size")
    # when
    response = chat(Client(), shop)
    # then
    assert response.json()["conversation_id"] is None
    assert response.json()["messages"] == []


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "Write a message first."),
        ("x" * (MESSAGE_MAX_LENGTH + 1), "A message has at most 4,000 characters"),
        ("\x01\x02\x03\x04", "This message holds binary data, not text."),
    ],
    ids=["empty", "huge", "binary"],
)
def test_bad_text_is_refused_with_422_and_nothing_is_stored(client, shop, text, detail):
    # when
    response = write(client, shop, text)
    # then
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == "text"
    assert detail in response.json()["detail"]
    assert not Message.objects.exists()


def test_an_unknown_field_is_refused_with_422(client, shop):
    # when
    response = write(client, shop, "Hello", conversation=1)
    # then
    assert response.status_code == 422
    assert response.json()["field"] == "conversation"


def test_a_flood_is_refused_with_429_and_a_clear_message(client, shop, monkeypatch):
    # given: the three messages in the same minute, whenever the test runs
    from plaza.core import ratelimit

    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_800_000_000.0)
    monkeypatch.setattr(services, "CUSTOMER_MESSAGES_PER_MINUTE", 2)
    write(client, shop, "one")
    write(client, shop, "two")
    # when
    response = write(client, shop, "three")
    # then
    assert response.status_code == 429
    assert response.json() == {
        "code": "rate_limited",
        "detail": "You are sending messages very fast. Wait a minute, then write again.",
    }
    assert Message.objects.count() == 2


def test_an_unknown_shop_is_404(client, db):
    # when
    read = client.get("/api/v1/chat/nowhere")
    sent = client.post(
        "/api/v1/chat/nowhere/messages", {"text": "hi"}, content_type="application/json"
    )
    # then
    assert (read.status_code, sent.status_code) == (404, 404)
    assert read.json() == {"code": "not_found", "detail": "This shop does not exist."}


@pytest.mark.parametrize("logged_in", [False, True], ids=["guest", "shopper"])
def test_a_write_without_the_csrf_token_is_refused_with_403(shop, shopper, logged_in):
    # given: a browser that enforces CSRF, with its csrftoken cookie but no header
    browser = Client(enforce_csrf_checks=True)
    if logged_in:
        browser.force_login(shopper)
    browser.get(f"/chat/{shop.slug}/")
    # when
    refused = write(browser, shop, "Hello")
    accepted = browser.post(
        f"/api/v1/chat/{shop.slug}/messages",
        {"text": "Hello"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies[settings.CSRF_COOKIE_NAME].value,
    )
    # then
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert accepted.status_code == 201
    assert Message.objects.count() == 1
