"""A photo staff send from the Inbox reaches the customer on every network, at the public
address the network fetches it from: Messenger's and Instagram's attachment, WhatsApp's image
with its caption, Telegram's sendPhoto. (It used to leave as an empty text, "…".)"""

import pytest

from plaza.catalog.tests.factories import image_upload
from plaza.connectors.tests.conftest import (
    BOT_ID,
    PAGE_ID,
    PHONE_ID,
    messenger_message,
    post_meta,
    post_telegram,
    telegram_message,
    whatsapp_delivery,
)
from plaza.messaging import services as messaging
from plaza.messaging.models import Conversation

pytestmark = pytest.mark.django_db(transaction=True)


def _photo_url(message, settings) -> str:
    return settings.SITE_URL + message.attachment.url


def test_a_photo_with_a_text_goes_to_messenger_as_an_attachment_then_the_text(
    client, messenger, recorder, owner, settings
):
    post_meta(client, messenger, messenger_message("do you have it in red?"))
    conversation = Conversation.objects.get()
    # when
    sent = messaging.staff_message_send(
        conversation=conversation, author=owner, text="Here it is in red", attachment=image_upload()
    )
    # then
    photo, words = [r.json["message"] for r in recorder.sent(f"/{PAGE_ID}/messages")][-2:]
    assert photo["attachment"] == {
        "type": "image",
        "payload": {"url": _photo_url(sent, settings), "is_reusable": True},
    }
    assert words["text"] == "Here it is in red"


def test_a_photo_goes_to_whatsapp_with_its_caption_and_alone_without_text(
    client, whatsapp, recorder, owner, settings
):
    text = {"from": "16505551234", "id": "wamid.t", "timestamp": "1739321024", "type": "text"}
    post_meta(client, whatsapp, whatsapp_delivery([{**text, "text": {"body": "red one?"}}]))
    conversation = Conversation.objects.get()
    # when: one photo with a text, one without
    with_text = messaging.staff_message_send(
        conversation=conversation, author=owner, text="In red", attachment=image_upload()
    )
    alone = messaging.staff_message_send(
        conversation=conversation, author=owner, attachment=image_upload("b.png")
    )
    # then: each is one image message; no empty text follows
    sends = [r.json for r in recorder.sent(f"/{PHONE_ID}/messages")][-2:]
    assert [s["type"] for s in sends] == ["image", "image"]
    assert sends[0]["image"] == {"link": _photo_url(with_text, settings), "caption": "In red"}
    assert sends[1]["image"] == {"link": _photo_url(alone, settings)}


def test_a_photo_goes_to_telegram_with_sendphoto(client, telegram_bot, recorder, owner, settings):
    post_telegram(client, telegram_bot, telegram_message("red?", update_id=5))
    conversation = Conversation.objects.get()
    # when
    sent = messaging.staff_message_send(
        conversation=conversation, author=owner, text="In red", attachment=image_upload()
    )
    # then
    assert recorder.sent("/sendPhoto")[-1].json == {
        "chat_id": "4242",
        "photo": _photo_url(sent, settings),
        "caption": "In red",
    }
    assert BOT_ID in recorder.sent("/sendPhoto")[-1].path


def test_a_document_goes_to_whatsapp_with_its_name_and_to_telegram_with_senddocument(
    client, whatsapp, telegram_bot, recorder, owner, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = {"from": "16505551234", "id": "wamid.d", "timestamp": "1739321024", "type": "text"}
    post_meta(client, whatsapp, whatsapp_delivery([{**text, "text": {"body": "size chart?"}}]))
    post_telegram(client, telegram_bot, telegram_message("size chart?", update_id=6))
    on_whatsapp, on_telegram = Conversation.objects.order_by("pk")
    # when: staff answer each with the size chart
    sent = [
        messaging.staff_message_send(
            conversation=conversation,
            author=owner,
            text="Our size chart",
            attachment=SimpleUploadedFile(
                "size-chart.pdf", b"%PDF-1.7\n" + b"1" * 300, content_type="application/pdf"
            ),
        )
        for conversation in (on_whatsapp, on_telegram)
    ]
    # then
    document = recorder.sent(f"/{PHONE_ID}/messages")[-1].json
    assert document["type"] == "document"
    assert document["document"] == {
        "link": settings.SITE_URL + sent[0].file.url,
        "caption": "Our size chart",
        "filename": "size-chart.pdf",
    }
    assert recorder.sent("/sendDocument")[-1].json == {
        "chat_id": "4242",
        "document": settings.SITE_URL + sent[1].file.url,
        "caption": "Our size chart",
    }
