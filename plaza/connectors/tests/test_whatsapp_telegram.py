"""WhatsApp Cloud API and Telegram: inbound events of every kind (also the bad ones) and the
bot's answers in each network's format and limits."""

import pytest
from django.utils import translation

from plaza.catalog.services import product_image_add
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.connectors.models import InboundEvent
from plaza.connectors.tests.conftest import (
    BOT_ID,
    PHONE_ID,
    post_meta,
    post_telegram,
    telegram_message,
    whatsapp_delivery,
)
from plaza.messaging import services as messaging
from plaza.messaging.models import Conversation, Message, SenderKind
from plaza.messaging.models import DeliveryStatus as MessageStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trail(shop):
    return make_product(
        shop, title="Amihan Trail Pro", price=450_000, sizes=("40", "41", "42", "43"), stock=5
    )


def _wa_text(text, mid="wamid.1"):
    return {
        "from": "16505551234",
        "id": mid,
        "timestamp": "1739321024",
        "type": "text",
        "text": {"body": text},
    }


def _wa_sends(recorder):
    return recorder.sent(f"/{PHONE_ID}/messages")


# --- WhatsApp ------------------------------------------------------------------------


def test_a_whatsapp_text_is_answered_with_reply_buttons_or_a_list(
    client, whatsapp, recorder, trail
):
    # when
    response = post_meta(
        client, whatsapp, whatsapp_delivery([_wa_text("Hi! how much is the trail pro")])
    )
    # then
    assert response.json() == {"stored": 1}
    conversation = Conversation.objects.get()
    assert (conversation.external_id, conversation.name) == ("16505551234", "Sheena")
    body = _wa_sends(recorder)[-1].json
    assert body["messaging_product"] == "whatsapp" and body["to"] == "16505551234"
    # four sizes to choose from: more than three buttons, so a list
    assert body["type"] == "interactive" and body["interactive"]["type"] == "list"


def test_a_product_card_goes_to_whatsapp_as_its_photo_and_a_button_in_the_customers_language(
    client, whatsapp, recorder, trail, owner
):
    # given: a customer whose conversation is in French, and a product with a photo
    product_image_add(product=trail, upload=image_upload())
    post_meta(client, whatsapp, whatsapp_delivery([_wa_text("hi")]))
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(language="fr")
    conversation.refresh_from_db()
    # when: staff send the product's card from the inbox
    messaging.staff_message_send(conversation=conversation, author=owner, product_id=trail.pk)
    # then: one message with the photo above the title and price, and "Voir" (View) below,
    # which opens the product's page
    body = _wa_sends(recorder)[-1].json
    interactive = body["interactive"]
    assert body["type"] == "interactive" and interactive["type"] == "cta_url"
    assert interactive["header"]["type"] == "image"
    assert interactive["header"]["image"]["link"].startswith("http")
    assert "Amihan Trail Pro" in interactive["body"]["text"]
    parameters = interactive["action"]["parameters"]
    assert parameters["display_text"] == "Voir"
    assert parameters["url"].startswith("http") and trail.slug in parameters["url"]


def test_quick_replies_under_a_product_card_carry_its_photo_and_a_list_is_translated(
    client, whatsapp, recorder, trail
):
    from plaza.connectors import meta

    card = {"id": trail.pk, "title": "Amihan Trail Pro", "price": "₱4,500.00", "url": "/p/"}
    two = [{"title": "Yes", "payload": "yes"}, {"title": "No", "payload": "no"}]
    buttons = meta.whatsapp_bodies(
        to="1",
        text="Shall I hold one?",
        payload={"product": {**card, "image": "/m/a.png"}, "quick_replies": two},
    )[0]["interactive"]
    with translation.override("ja"):
        many = [{"title": f"Size {n}", "payload": f"v:{n}"} for n in range(40, 45)]
        listed = meta.whatsapp_bodies(to="1", text="Which size?", payload={"quick_replies": many})
    assert buttons["type"] == "button" and buttons["header"]["image"]["link"].endswith("/m/a.png")
    assert listed[0]["interactive"]["action"]["button"] == "選択"


def test_a_button_reply_is_a_quick_reply_for_the_bot(client, whatsapp, recorder, trail):
    post_meta(client, whatsapp, whatsapp_delivery([_wa_text("trail pro size 42 in stock?")]))
    rows = _wa_sends(recorder)[-1].json["interactive"]
    choices = (
        rows["action"]["buttons"]
        if rows["type"] == "button"
        else rows["action"]["sections"][0]["rows"]
    )
    pick = choices[0].get("reply", choices[0])
    reply = {
        "from": "16505551234",
        "id": "wamid.2",
        "timestamp": "1739321100",
        "type": "interactive",
        "interactive": {
            "type": "button_reply",
            "button_reply": {"id": pick["id"], "title": pick["title"]},
        },
    }
    post_meta(client, whatsapp, whatsapp_delivery([reply]))
    body = _wa_sends(recorder)[-1].json
    assert body["type"] == "interactive" and body["interactive"]["type"] == "button"
    assert "How many?" in body["interactive"]["body"]["text"]


def test_a_product_question_names_the_referred_product(client, whatsapp, recorder, trail):
    variant = trail.variants.get(option_values__Size="42")
    message = _wa_text("Is this in stock in 42?")
    message["context"] = {
        "referred_product": {"catalog_id": "CAT", "product_retailer_id": variant.sku}
    }
    post_meta(client, whatsapp, whatsapp_delivery([message]))
    assert "42 is in stock" in Message.objects.filter(sender_kind=SenderKind.BOT).last().text


def test_a_cart_order_is_held_and_answered_with_a_payment_link(client, whatsapp, recorder, trail):
    from plaza.inventory.selectors import stock_available_for_variants

    v41, v42 = (trail.variants.get(option_values__Size=s) for s in ("41", "42"))
    order = {
        "from": "16505551234",
        "id": "wamid.order",
        "timestamp": "1739321200",
        "type": "order",
        "order": {
            "catalog_id": "CAT",
            "text": "",
            "product_items": [
                {
                    "product_retailer_id": v41.sku,
                    "quantity": 1,
                    "item_price": 4500,
                    "currency": "PHP",
                },
                {
                    "product_retailer_id": v42.sku,
                    "quantity": 2,
                    "item_price": 4500,
                    "currency": "PHP",
                },
            ],
        },
    }
    post_meta(client, whatsapp, whatsapp_delivery([order]))
    body = _wa_sends(recorder)[-1].json
    # the payment link is a "Pay" button under the total, not an address in the text
    interactive = body["interactive"]
    assert body["type"] == "interactive" and interactive["type"] == "cta_url"
    assert interactive["action"]["parameters"]["display_text"] == "Pay"
    assert "/chat/pay/" in interactive["action"]["parameters"]["url"]
    assert "₱13,500.00" in interactive["body"]["text"]
    assert "/chat/pay/" not in interactive["body"]["text"]
    available = stock_available_for_variants(variant_ids=[v41.pk, v42.pk])
    assert (available[v41.pk], available[v42.pk]) == (4, 3)


def test_delivery_statuses_move_forward_only(client, whatsapp, recorder, owner):
    post_meta(client, whatsapp, whatsapp_delivery([_wa_text("hi")]))
    conversation = Conversation.objects.get()
    sent = messaging.staff_message_send(conversation=conversation, author=owner, text="Hello!")
    sent.refresh_from_db()
    wamid = sent.external_id

    def status(value, n):
        return {
            "id": wamid,
            "status": value,
            "timestamp": str(1739321300 + n),
            "recipient_id": "16505551234",
        }

    post_meta(client, whatsapp, whatsapp_delivery(statuses=[status("read", 1)]))
    post_meta(client, whatsapp, whatsapp_delivery(statuses=[status("delivered", 2)]))
    sent.refresh_from_db()
    assert sent.status == MessageStatus.READ


def test_a_whatsapp_delivery_for_another_number_is_ignored(client, whatsapp, recorder):
    payload = whatsapp_delivery([_wa_text("hi")])
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    post_meta(client, whatsapp, payload)
    assert not InboundEvent.objects.exists()


# --- Telegram ------------------------------------------------------------------------


def test_a_wrong_or_missing_secret_token_is_refused(client, telegram_bot, recorder):
    assert (
        post_telegram(client, telegram_bot, telegram_message("hi"), secret="nope").status_code
        == 403
    )
    assert (
        post_telegram(client, telegram_bot, telegram_message("hi"), secret=None).status_code == 403
    )
    assert not InboundEvent.objects.exists()


def test_a_telegram_message_is_answered_with_inline_buttons(client, telegram_bot, recorder, trail):
    response = post_telegram(
        client,
        telegram_bot,
        telegram_message("Bonjour, la Trail Pro en taille 42 est en stock ?", language="fr"),
    )
    assert response.status_code == 200
    conversation = Conversation.objects.get()
    assert conversation.external_id == "4242" and conversation.name == "Ana"
    body = recorder.sent("/sendMessage")[-1].json
    assert body["chat_id"] == "4242"
    buttons = [b for row in body["reply_markup"]["inline_keyboard"] for b in row]
    assert any(b.get("callback_data", "").startswith("variant:") for b in buttons)


def test_a_tapped_button_is_acknowledged_and_moves_the_flow(client, telegram_bot, recorder, trail):
    post_telegram(client, telegram_bot, telegram_message("trail pro 42 in stock?"))
    buttons = [
        b
        for row in recorder.sent("/sendMessage")[-1].json["reply_markup"]["inline_keyboard"]
        for b in row
        if "callback_data" in b
    ]
    callback = {
        "update_id": 2,
        "callback_query": {
            "id": "cbq-1",
            "from": {"id": 4242, "first_name": "Ana"},
            "message": {"message_id": 9, "chat": {"id": 4242}},
            "data": buttons[0]["callback_data"],
        },
    }
    post_telegram(client, telegram_bot, callback)
    assert recorder.sent("/answerCallbackQuery")[-1].json == {"callback_query_id": "cbq-1"}
    assert "How many?" in recorder.sent("/sendMessage")[-1].json["text"]


def test_a_telegram_payment_button_is_in_the_active_language():
    from plaza.connectors import telegram

    with translation.override("ja"):
        body = telegram.message_body(
            chat_id="4242",
            text="合計 ₱4,500.00",
            payload={"pay_url": "https://shop.test/chat/pay/t/"},
        )
    assert body["reply_markup"]["inline_keyboard"] == [
        [{"text": "支払う", "url": "https://shop.test/chat/pay/t/"}]
    ]


def test_a_replayed_update_has_no_second_effect(client, telegram_bot, recorder):
    post_telegram(client, telegram_bot, telegram_message("hi", update_id=5))
    post_telegram(client, telegram_bot, telegram_message("hi", update_id=5))
    assert Message.objects.filter(sender_kind=SenderKind.CUSTOMER).count() == 1
    assert InboundEvent.objects.get().event_id == f"{BOT_ID}:5"


def test_malformed_telegram_json_is_refused(client, telegram_bot, recorder):
    from django.urls import reverse

    url = reverse("connectors:telegram-webhook", kwargs={"uid": telegram_bot.uid})
    response = client.post(
        url,
        data=b"[1,2",
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="telegram-secret-token",
    )
    assert response.status_code == 400


# --- Telegram payments: invoice, pre-checkout, successful payment --------------------


@pytest.fixture
def paying_bot(telegram_bot):
    from plaza.connectors.services import connection_save

    return connection_save(
        shop=telegram_bot.shop,
        channel="telegram",
        account_id=telegram_bot.account_id,
        credentials={"payment_provider_token": "284685063:TEST:provider"},
        connection_id=telegram_bot.pk,
    )


def _to_invoice(client, bot, recorder):
    post_telegram(client, bot, telegram_message("I want the trail pro in 42", update_id=10))
    post_telegram(client, bot, telegram_message("1", update_id=11))
    return recorder.sent("/sendInvoice")[-1].json


def _pre_checkout(invoice, update_id, *, total=None):
    return {
        "update_id": update_id,
        "pre_checkout_query": {
            "id": f"pcq-{update_id}",
            "from": {"id": 4242, "first_name": "Ana"},
            "currency": invoice["currency"],
            "total_amount": total
            if total is not None
            else sum(p["amount"] for p in invoice["prices"]),
            "invoice_payload": invoice["payload"],
        },
    }


def test_a_telegram_shopper_pays_in_the_app_and_the_paid_order_is_placed_once(
    client, paying_bot, recorder, trail
):
    from plaza.orders.models import Order, OrderStatus

    # given: the bot sent an invoice for the held pair
    invoice = _to_invoice(client, paying_bot, recorder)
    assert invoice["currency"] == "PHP" and invoice["payload"].startswith("plaza:")
    assert invoice["provider_token"] == "284685063:TEST:provider"
    total = sum(p["amount"] for p in invoice["prices"])
    # when: Telegram asks before charging
    post_telegram(client, paying_bot, _pre_checkout(invoice, 12))
    # then: yes, within the webhook
    assert recorder.sent("/answerPreCheckoutQuery")[-1].json == {
        "pre_checkout_query_id": "pcq-12",
        "ok": True,
    }
    # when: the payment succeeded (delivered twice)
    paid = {
        "update_id": 13,
        "message": {
            "message_id": 30,
            "date": 1739321300,
            "chat": {"id": 4242, "type": "private"},
            "from": {"id": 4242, "first_name": "Ana"},
            "successful_payment": {
                "currency": "PHP",
                "total_amount": total,
                "invoice_payload": invoice["payload"],
                "telegram_payment_charge_id": "tg-charge-1",
                "provider_payment_charge_id": "prov-1",
                "order_info": {
                    "name": "Ana Cruz",
                    "email": "ana@example.com",
                    "shipping_address": {
                        "country_code": "PH",
                        "state": "Metro Manila",
                        "city": "Makati",
                        "street_line1": "12 Mabini St",
                        "street_line2": "",
                        "post_code": "1200",
                    },
                },
            },
        },
    }
    post_telegram(client, paying_bot, paid)
    post_telegram(client, paying_bot, paid)
    # then: one paid order, with the chat's units, and the chat is told
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID and order.total == total
    assert (order.email, order.city) == ("ana@example.com", "Makati")
    assert order.number in recorder.sent("/sendMessage")[-1].json["text"]


def test_a_pre_checkout_with_another_amount_is_refused(client, paying_bot, recorder, trail):
    invoice = _to_invoice(client, paying_bot, recorder)
    post_telegram(client, paying_bot, _pre_checkout(invoice, 20, total=1))
    answer = recorder.sent("/answerPreCheckoutQuery")[-1].json
    assert answer["ok"] is False and "price changed" in answer["error_message"]


def test_after_24_hours_staff_send_an_approved_template_on_whatsapp(
    client, whatsapp, recorder, owner
):
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from plaza.messaging.exceptions import WindowClosed

    # given: the customer wrote 2 days ago
    post_meta(client, whatsapp, whatsapp_delivery([_wa_text("hi")]))
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(
        last_customer_message_at=timezone.now() - timedelta(days=2)
    )
    conversation.refresh_from_db()
    with pytest.raises(WindowClosed, match="approved template"):
        messaging.staff_message_send(conversation=conversation, author=owner, text="Hello?")
    # when: staff send a template from the inbox
    client.force_login(owner)
    url = reverse(
        "messaging:inbox-template",
        kwargs={"shop_slug": conversation.shop.slug, "conversation_id": conversation.pk},
    )
    bad = client.post(url, {"name": "Order Update!", "language": "en"})
    response = client.post(url, {"name": "order_update", "language": "en_US"})
    # then: refused with the reason, then sent in WhatsApp's template format
    assert bad.status_code == 422 and "lower-case letters" in bad.content.decode()
    assert response.status_code == 302
    body = _wa_sends(recorder)[-1].json
    assert body["type"] == "template"
    assert body["template"] == {"name": "order_update", "language": {"code": "en_US"}}


def test_a_template_goes_with_its_values_in_order(client, whatsapp, recorder, owner):
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    # given: the window closed two days ago
    post_meta(client, whatsapp, whatsapp_delivery([_wa_text("hi")]))
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(
        last_customer_message_at=timezone.now() - timedelta(days=2)
    )
    client.force_login(owner)
    url = reverse(
        "messaging:inbox-template",
        kwargs={"shop_slug": conversation.shop.slug, "conversation_id": conversation.pk},
    )
    template = {"name": "order_shipped", "language": "en_US"}
    # when: values with a gap between them, then the values one per line
    gap = client.post(url, {**template, "values": "Sheena\n\n7KQ2-M9XA"})
    sent = client.post(url, {**template, "values": "Sheena\r\n7KQ2-M9XA\r\n"})
    # then: the gap is refused with the reason; the values fill {{1}} and {{2}}
    assert gap.status_code == 422 and "leave no empty line" in gap.content.decode()
    assert sent.status_code == 302
    body = _wa_sends(recorder)[-1].json
    assert body["template"] == {
        "name": "order_shipped",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Sheena"},
                    {"type": "text", "text": "7KQ2-M9XA"},
                ],
            }
        ],
    }
    shown = Message.objects.filter(conversation=conversation).order_by("pk").last().text
    assert shown == "Template order_shipped (en_US): Sheena · 7KQ2-M9XA"


def test_a_list_reply_is_a_quick_reply_for_the_bot(client, whatsapp, recorder, trail):
    # given: four sizes, so the bot sent a list
    post_meta(client, whatsapp, whatsapp_delivery([_wa_text("I want the trail pro")]))
    rows = _wa_sends(recorder)[-1].json["interactive"]["action"]["sections"][0]["rows"]
    pick = next(row for row in rows if row["title"] == "42")
    # when: the shopper picks 42 in the list
    reply = {
        "from": "16505551234",
        "id": "wamid.list",
        "timestamp": "1739321100",
        "type": "interactive",
        "interactive": {
            "type": "list_reply",
            "list_reply": {"id": pick["id"], "title": pick["title"], "description": ""},
        },
    }
    post_meta(client, whatsapp, whatsapp_delivery([reply]))
    # then
    assert "How many?" in _wa_sends(recorder)[-1].json["interactive"]["body"]["text"]


# --- customers' photos ---------------------------------------------------------------


def _png() -> bytes:
    return image_upload(size=(640, 480)).read()


def test_a_whatsapp_photo_is_fetched_with_the_token_and_shown_with_its_caption(
    client, whatsapp, recorder
):
    # given: WhatsApp keeps the customer's photo behind the access token
    address = recorder.keep_file("/media/wa-photo", _png(), "image/png", bearer="EAAtoken")
    recorder.script("/MEDIA-1", status=200, body={"id": "MEDIA-1", "url": address})
    photo = {
        "from": "16505551234",
        "id": "wamid.photo",
        "timestamp": "1739321024",
        "type": "image",
        "image": {"id": "MEDIA-1", "mime_type": "image/png", "caption": "This one, in 42?"},
    }
    # when
    post_meta(client, whatsapp, whatsapp_delivery([photo]))
    # then: the message keeps a copy of the photo (the network's address expires)
    message = Message.objects.get(external_id="wamid.photo")
    assert message.text == "This one, in 42?"
    assert message.attachment and message.attachment.name.endswith(".jpg")
    assert "image_url" not in message.payload
    asked = [r for r in recorder.requests if r.method == "GET"]
    assert [(r.path.rsplit("/", 1)[-1], r.headers["authorization"]) for r in asked] == [
        ("MEDIA-1", "Bearer EAAtoken"),
        ("wa-photo", "Bearer EAAtoken"),
    ]


def test_a_telegram_photo_is_fetched_through_getfile(client, telegram_bot, recorder):
    recorder.script(
        "/getFile",
        status=200,
        body={"ok": True, "result": {"file_id": "BIG", "file_path": "photos/file_7.jpg"}},
    )
    recorder.keep_file("/file/bot777:AAbot/photos/file_7.jpg", _png(), "image/jpeg")
    update = telegram_message("", update_id=9)
    del update["message"]["text"]
    update["message"]["photo"] = [
        {"file_id": "SMALL", "file_unique_id": "s", "width": 90, "height": 67},
        {"file_id": "BIG", "file_unique_id": "b", "width": 1280, "height": 960},
    ]
    post_telegram(client, telegram_bot, update)
    message = Message.objects.get(external_id="777:9")
    assert message.attachment
    assert recorder.sent("/getFile")[-1].json == {"file_id": "BIG"}, "the largest size"


def test_a_photo_that_cannot_be_had_leaves_the_caption_and_one_that_is_no_photo_is_dropped(
    client, whatsapp, recorder
):
    recorder.script("/MEDIA-GONE", status=404, body={"error": {"message": "Unknown media"}})
    address = recorder.keep_file("/media/page", b"<html>not a photo</html>", "text/html")
    recorder.script("/MEDIA-HTML", status=200, body={"id": "MEDIA-HTML", "url": address})
    gone, html = (
        {
            "from": "16505551234",
            "id": f"wamid.{media}",
            "timestamp": "1739321024",
            "type": "image",
            "image": {"id": media, "caption": caption},
        }
        for media, caption in (("MEDIA-GONE", "the red one"), ("MEDIA-HTML", ""))
    )
    post_meta(client, whatsapp, whatsapp_delivery([gone, html]))
    kept = {m.external_id: m for m in Message.objects.filter(sender_kind=SenderKind.CUSTOMER)}
    assert (
        kept["wamid.MEDIA-GONE"].text == "the red one" and not kept["wamid.MEDIA-GONE"].attachment
    )
    assert kept["wamid.MEDIA-HTML"].text == "…" and not kept["wamid.MEDIA-HTML"].attachment


def _template_url(client, conversation, owner):
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    Conversation.objects.filter(pk=conversation.pk).update(
        last_customer_message_at=timezone.now() - timedelta(days=2)
    )
    client.force_login(owner)
    return reverse(
        "messaging:inbox-template",
        kwargs={"shop_slug": conversation.shop.slug, "conversation_id": conversation.pk},
    )


def test_a_templates_header_and_button_values_go_with_it(
    client, whatsapp, recorder, owner, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    # given: the window closed; two approved templates, one with a text header and a tracking
    # button, one with a document header (the invoice)
    post_meta(client, whatsapp, whatsapp_delivery([_wa_text("hi")]))
    conversation = Conversation.objects.get()
    url = _template_url(client, conversation, owner)
    invoice = SimpleUploadedFile("invoice-7KQ2.pdf", b"%PDF-1.7\n" + b"1" * 200, "application/pdf")
    # when
    tracked = client.post(
        url,
        {
            "name": "order_shipped",
            "language": "en_US",
            "values": "Sheena",
            "header": "Order 7KQ2",
            "button": "7KQ2-M9XA",
        },
    )
    billed = client.post(url, {"name": "order_invoice", "language": "en", "header_file": invoice})
    # then: each variable in its component
    assert tracked.status_code == billed.status_code == 302
    first, second = (r.json["template"] for r in _wa_sends(recorder)[-2:])
    assert first["components"] == [
        {"type": "header", "parameters": [{"type": "text", "text": "Order 7KQ2"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Sheena"}]},
        {
            "type": "button",
            "sub_type": "url",
            "index": "0",
            "parameters": [{"type": "text", "text": "7KQ2-M9XA"}],
        },
    ]
    stored = Message.objects.filter(conversation=conversation, file__gt="").get()
    assert second["components"] == [
        {
            "type": "header",
            "parameters": [
                {
                    "type": "document",
                    "document": {
                        "link": settings.SITE_URL + stored.file.url,
                        "filename": "invoice-7KQ2.pdf",
                    },
                }
            ],
        }
    ]
    kinds = [r.json["type"] for r in _wa_sends(recorder)]
    assert "document" not in kinds, "the invoice went in the template, not on its own"


def test_a_templates_header_or_button_is_refused_with_the_reason(client, whatsapp, owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    post_meta(client, whatsapp, whatsapp_delivery([_wa_text("hi")]))
    conversation = Conversation.objects.get()
    url = _template_url(client, conversation, owner)
    voice = SimpleUploadedFile("note.ogg", b"OggS\x00\x02" + bytes(100), "audio/ogg")
    cases = [
        ({"header": "x" * 61}, "at most 60 characters"),
        ({"header": "Order", "header_file": voice}, "a text or a file, not both"),
        ({"header_file": voice}, "a photo, a video or a document"),
        ({"button": "7KQ2 M9XA"}, "no spaces"),
    ]
    for extra, reason in cases:
        if "header_file" in extra:
            extra["header_file"].seek(0)
        refused = client.post(url, {"name": "order_shipped", "language": "en", **extra})
        assert refused.status_code == 422, extra
        assert reason in refused.content.decode(), reason
    assert not Message.objects.filter(sender_kind=SenderKind.STAFF).exists()
