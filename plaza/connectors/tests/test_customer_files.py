"""Videos, voice notes, audio and documents customers send on Messenger, Instagram, WhatsApp and
Telegram: fetched from the network, checked, kept with the message and shown to staff; what
cannot be kept is still shown, with the reason."""

import pytest

from plaza.connectors.models import InboundEvent
from plaza.connectors.tests.conftest import (
    messenger_message,
    post_meta,
    post_telegram,
    whatsapp_delivery,
)
from plaza.messaging.models import Conversation, Message, SenderKind

pytestmark = pytest.mark.django_db(transaction=True)

OGG = b"OggS\x00\x02" + b"\x01" * 2000
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x02" * 4000
PDF = b"%PDF-1.7\n" + b"3" * 3000


def _customer_message(external_id: str) -> Message:
    return Message.objects.get(external_id=external_id, sender_kind=SenderKind.CUSTOMER)


def _wa(kind: str, media: dict, mid: str) -> dict:
    return {
        "from": "16505551234",
        "id": mid,
        "timestamp": "1739321024",
        "type": kind,
        kind: media,
    }


def test_a_whatsapp_voice_note_video_and_document_are_kept_with_their_captions(
    client, whatsapp, recorder
):
    # given: WhatsApp keeps each file behind the access token
    for media_id, content, kind in (
        ("VOICE-1", OGG, "audio/ogg"),
        ("VIDEO-1", MP4, "video/mp4"),
        ("DOC-1", PDF, "application/pdf"),
    ):
        address = recorder.keep_file(f"/files/{media_id}", content, kind, bearer="EAAtoken")
        recorder.script(f"/{media_id}", status=200, body={"id": media_id, "url": address})
    messages = [
        _wa("audio", {"id": "VOICE-1", "mime_type": "audio/ogg; codecs=opus", "voice": True}, "w1"),
        _wa("video", {"id": "VIDEO-1", "mime_type": "video/mp4", "caption": "it came torn"}, "w2"),
        _wa(
            "document",
            {"id": "DOC-1", "mime_type": "application/pdf", "filename": "receipt.pdf"},
            "w3",
        ),
    ]
    # when
    post_meta(client, whatsapp, whatsapp_delivery(messages))
    # then: each is a copy of its own, named by Plaza, described for staff
    voice, video, document = (_customer_message(mid) for mid in ("w1", "w2", "w3"))
    assert voice.file.name.endswith(".ogg") and voice.file.read() == OGG
    assert voice.payload["file"] == {
        "kind": "audio",
        "name": "Voice message",
        "type": "audio/ogg",
        "size": len(OGG),
    }
    assert video.text == "it came torn" and video.file.name.endswith(".mp4")
    assert video.payload["file"]["kind"] == "video"
    assert document.file.name.endswith("/receipt.pdf")  # saved under the customer's name
    assert document.payload["file"]["name"] == "receipt.pdf"
    assert not voice.attachment and voice.text == ""
    # the inbox's list shows what came last
    assert Conversation.objects.get().last_preview == "📎 receipt.pdf"


def test_a_telegram_voice_note_is_fetched_and_a_file_said_to_be_too_large_is_not(
    client, telegram_bot, recorder, settings
):
    settings.PLAZA_MAX_CHAT_FILE_BYTES = 1024 * 1024
    recorder.script(
        "/getFile",
        status=200,
        body={"ok": True, "result": {"file_id": "V1", "file_path": "voice/file_3.oga"}},
    )
    recorder.keep_file("/file/bot777:AAbot/voice/file_3.oga", OGG, "application/octet-stream")
    base = {
        "date": 1739321024,
        "chat": {"id": 4242, "type": "private"},
        "from": {"id": 4242, "is_bot": False, "first_name": "Ana", "language_code": "en"},
    }
    voice = {
        "update_id": 31,
        "message": {
            **base,
            "message_id": 31,
            "voice": {
                "file_id": "V1",
                "file_unique_id": "v",
                "duration": 3,
                "mime_type": "audio/ogg",
            },
        },
    }
    huge = {
        "update_id": 32,
        "message": {
            **base,
            "message_id": 32,
            "caption": "the whole unboxing",
            "video": {
                "file_id": "BIG",
                "file_unique_id": "b",
                "duration": 300,
                "mime_type": "video/mp4",
                "file_name": "unboxing.mp4",
                "file_size": 80 * 1024 * 1024,
            },
        },
    }
    # when
    post_telegram(client, telegram_bot, voice)
    post_telegram(client, telegram_bot, huge)
    # then
    kept = _customer_message("777:31")
    assert kept.file.name.endswith(".ogg") and kept.payload["file"]["kind"] == "audio"
    assert [r.json for r in recorder.sent("/getFile")] == [{"file_id": "V1"}], "BIG never asked"
    too_large = _customer_message("777:32")
    assert not too_large.file and too_large.text == "the whole unboxing"
    assert too_large.payload["file"] == {
        "kind": "video",
        "name": "unboxing.mp4",
        "missing": "too_large",
    }


def test_messenger_and_instagram_files_are_copied_from_their_addresses(
    client, messenger, instagram, recorder
):
    address = recorder.keep_file("/cdn/clip.mp4", MP4, "video/mp4")
    voice = recorder.keep_file("/cdn/audioclip-1.mp4", MP4, "audio/mp4")
    for connection, mid, kind, url, obj in (
        (messenger, "m_video", "video", address, "page"),
        (instagram, "ig_voice", "audio", voice, "instagram"),
    ):
        delivery = messenger_message("", mid=mid, obj=obj, page=connection.account_id)
        message = delivery["entry"][0]["messaging"][0]["message"]
        del message["text"]
        message["attachments"] = [{"type": kind, "payload": {"url": url}}]
        post_meta(client, connection, delivery)
    video, audio = _customer_message("m_video"), _customer_message("ig_voice")
    assert video.file.name.endswith(".mp4") and video.payload["file"]["kind"] == "video"
    # Messenger's voice clips are MP4 files: kept as audio, as the network said
    assert audio.file.name.endswith(".m4a") and audio.payload["file"]["kind"] == "audio"


def test_a_file_that_cannot_be_had_or_kept_is_still_shown_with_why(client, whatsapp, recorder):
    # given: one file the network no longer has, one page pretending to be a document
    recorder.script("/GONE", status=404, body={"error": {"message": "Unknown media"}})
    page = recorder.keep_file("/files/page", b"<html><script>x()</script></html>", "text/html")
    recorder.script("/PAGE", status=200, body={"id": "PAGE", "url": page})
    messages = [
        _wa("video", {"id": "GONE", "mime_type": "video/mp4"}, "w_gone"),
        _wa("document", {"id": "PAGE", "mime_type": "text/html", "filename": "x.html"}, "w_page"),
    ]
    # when
    response = post_meta(client, whatsapp, whatsapp_delivery(messages))
    # then: both stored, neither file kept, staff told why; the events are done
    assert response.json() == {"stored": 2}
    gone, page_message = _customer_message("w_gone"), _customer_message("w_page")
    assert not gone.file and gone.payload["file"] == {
        "kind": "video",
        "name": "",
        "missing": "unavailable",
    }
    assert not page_message.file and page_message.payload["file"]["missing"] == "format"
    assert not InboundEvent.objects.filter(processed_at__isnull=True).exists()


def test_a_redelivered_file_is_fetched_once(client, whatsapp, recorder):
    address = recorder.keep_file("/files/DOC-2", PDF, "application/pdf", bearer="EAAtoken")
    recorder.script("/DOC-2", status=200, body={"id": "DOC-2", "url": address})
    document = _wa("document", {"id": "DOC-2", "mime_type": "application/pdf"}, "w_once")
    post_meta(client, whatsapp, whatsapp_delivery([document]))
    post_meta(client, whatsapp, whatsapp_delivery([document]))
    assert Message.objects.filter(external_id="w_once").count() == 1
    assert len([r for r in recorder.requests if r.path.endswith("/files/DOC-2")]) == 1
