"""Messenger and Instagram: the handshake, signatures, every inbound event kind (also the bad
ones), outbound in the Send API's format and limits, retries, windows, and comment-to-DM
by private reply."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plaza.catalog.tests.factories import make_product
from plaza.connectors import services
from plaza.connectors.models import (
    CommentTrigger,
    DeliveryStatus,
    InboundEvent,
    OutboundDelivery,
    PrivateReply,
    PrivateReplyStatus,
)
from plaza.connectors.tests.conftest import (
    APP_SECRET,
    IG_ID,
    PAGE_ID,
    VERIFY_TOKEN,
    messenger_message,
    post_meta,
)
from plaza.core.testing import requires_postgres, run_together
from plaza.messaging import services as messaging
from plaza.messaging.models import Channel, Conversation, Message, SenderKind
from plaza.messaging.models import DeliveryStatus as MessageStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trail(shop):
    return make_product(shop, title="Amihan Trail Pro", price=450_000, sizes=("41", "42"), stock=5)


def _bot_sends(recorder):
    return recorder.sent(f"/{PAGE_ID}/messages")


# --- the handshake and signatures ----------------------------------------------------


def test_the_verification_handshake_echoes_the_challenge_for_the_right_token(client, messenger):
    url = reverse("connectors:meta-webhook", kwargs={"uid": messenger.uid})
    ok = client.get(
        url,
        {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN},
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = client.get(
        url, {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "nope"}
    )
    assert wrong.status_code == 403


@pytest.mark.parametrize("signature", [None, "sha256=deadbeef", "sha1=abc"])
def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_stored(
    client, messenger, recorder, signature
):
    response = post_meta(client, messenger, messenger_message(), signature=signature)
    assert response.status_code == 403
    assert not InboundEvent.objects.exists()
    assert not Conversation.objects.exists()


def test_malformed_json_is_refused_and_an_unknown_object_is_ignored(client, messenger, recorder):
    assert post_meta(client, messenger, b"{not json").status_code == 400
    ignored = post_meta(client, messenger, {"object": "permissions", "entry": []})
    assert ignored.status_code == 200 and ignored.json() == {"ignored": True}
    assert not InboundEvent.objects.exists()


def test_an_event_for_another_page_is_ignored(client, messenger, recorder):
    response = post_meta(client, messenger, messenger_message(page="999999"))
    assert response.status_code == 200
    assert not InboundEvent.objects.exists()


def test_an_unknown_connection_answers_404(client, db):
    url = reverse("connectors:meta-webhook", kwargs={"uid": "00000000-0000-0000-0000-000000000000"})
    assert client.post(url, data=b"{}", content_type="application/json").status_code == 404


# --- messages in, answers out --------------------------------------------------------


def test_a_message_reaches_the_inbox_and_the_bot_answers_through_the_send_api(
    client, messenger, recorder, trail
):
    # when
    response = post_meta(client, messenger, messenger_message("how much is the trail pro?"))
    # then: stored once, answered 200
    assert response.status_code == 200 and response.json() == {"stored": 1}
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.external_id) == ("messenger", "psid-1")
    customer = conversation.messages.get(sender_kind=SenderKind.CUSTOMER)
    assert customer.external_id == "m_1"
    # the bot's answer left in the Send API's format
    sends = _bot_sends(recorder)
    assert sends, "nothing was sent"
    body = sends[0].json
    assert body["recipient"] == {"id": "psid-1"}
    assert body["messaging_type"] == "RESPONSE"
    assert "₱4,500.00" in json.dumps(body, ensure_ascii=False)
    assert sends[0].headers["authorization"] == "Bearer EAAtoken"
    bot = conversation.messages.filter(sender_kind=SenderKind.BOT).first()
    assert bot.status == MessageStatus.SENT and bot.external_id.startswith("m_rec")


def test_a_redelivered_message_has_no_second_effect(client, messenger, recorder, trail):
    post_meta(client, messenger, messenger_message("hello"))
    sends = len(recorder.requests)
    again = post_meta(client, messenger, messenger_message("hello"))
    assert again.json() == {"stored": 0}
    assert Message.objects.filter(sender_kind=SenderKind.CUSTOMER).count() == 1
    assert len(recorder.requests) == sends


def test_a_batched_delivery_stores_every_entry(client, messenger, recorder):
    payload = messenger_message("hi", mid="m_a", sender="psid-a")
    second = messenger_message("hello", mid="m_b", sender="psid-b")["entry"][0]
    third = messenger_message("bonjour", mid="m_c", sender="psid-a")["entry"][0]
    payload["entry"] += [second, third]
    assert post_meta(client, messenger, payload).json() == {"stored": 3}
    assert Conversation.objects.count() == 2
    assert Message.objects.filter(sender_kind=SenderKind.CUSTOMER).count() == 3


def test_quick_replies_and_postbacks_drive_the_bot(client, messenger, recorder, trail):
    post_meta(client, messenger, messenger_message("do you have the trail pro in 42?"))
    quick = _bot_sends(recorder)[-1].json["message"]["quick_replies"]
    assert all(len(q["title"]) <= 20 for q in quick)
    buy_42 = next(q["payload"] for q in quick if "42" in q["title"])
    postback = {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": 1,
                "messaging": [
                    {
                        "sender": {"id": "psid-1"},
                        "recipient": {"id": PAGE_ID},
                        "timestamp": 2,
                        "postback": {"title": "Buy 42", "payload": buy_42, "mid": "m_pb"},
                    }
                ],
            }
        ],
    }
    post_meta(client, messenger, postback)
    assert "How many?" in _bot_sends(recorder)[-1].json["message"]["text"]
    post_meta(client, messenger, messenger_message("1", mid="m_q", quick="qty:1"))
    last = _bot_sends(recorder)[-1].json["message"]
    button = last["attachment"]["payload"]
    assert button["template_type"] == "button"
    assert button["buttons"][0]["url"].startswith("http")


def test_a_product_cards_buttons_are_in_the_customers_language(
    client, messenger, recorder, trail, owner
):
    # given: a customer whose conversation is in French
    post_meta(client, messenger, messenger_message("bonjour"))
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(language="fr")
    conversation.refresh_from_db()
    # when: staff send the product's card
    messaging.staff_message_send(conversation=conversation, author=owner, product_id=trail.pk)
    # then: the card's buttons read "Voir" (View) and "Acheter" (Buy)
    card = _bot_sends(recorder)[-1].json["message"]["attachment"]["payload"]
    assert card["template_type"] == "generic"
    assert [b["title"] for b in card["elements"][0]["buttons"]] == ["Voir", "Acheter"]


SECOND_PAGE = "998877665544"


def _second_page_written_to(client, shop):
    """The shop's second Page, with a token of its own, and a customer (psid-b) who wrote to it."""
    second = services.connection_save(
        shop=shop,
        channel=Channel.MESSENGER,
        account_id=SECOND_PAGE,
        credentials={
            "access_token": "EAAsecondpagetoken",
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
        },
    )
    post_meta(client, second, messenger_message("hi", mid="m_b", sender="psid-b", page=SECOND_PAGE))
    return second


def test_replies_leave_through_the_page_the_customer_wrote_to(client, messenger, recorder, owner):
    # given: a customer wrote to the shop's second Page, and another to the first
    _second_page_written_to(client, messenger.shop)
    post_meta(client, messenger, messenger_message("hi", mid="m_a", sender="psid-a"))
    # when: staff answer the second Page's customer
    on_second = Conversation.objects.get(external_id="psid-b")
    messaging.staff_message_send(conversation=on_second, author=owner, text="Hello from B")
    # then: every reply to the second Page's customer left through the second Page, with its token
    to_b = [c for c in recorder.sent("/messages") if c.json["recipient"].get("id") == "psid-b"]
    to_a = [c for c in recorder.sent("/messages") if c.json["recipient"].get("id") == "psid-a"]
    assert to_b and all(c.path.endswith(f"/{SECOND_PAGE}/messages") for c in to_b)
    assert all(c.headers["authorization"] == "Bearer EAAsecondpagetoken" for c in to_b)
    assert to_a and all(c.path.endswith(f"/{PAGE_ID}/messages") for c in to_a)
    assert "Hello from B" in [c.json["message"].get("text") for c in to_b]


def test_a_reply_through_a_disconnected_page_fails_with_the_reason(
    client, messenger, recorder, owner
):
    second = _second_page_written_to(client, messenger.shop)
    services.connection_disconnect(connection=second)
    sent_before = len(recorder.sent("/messages"))
    conversation = Conversation.objects.get(external_id="psid-b")
    message = messaging.staff_message_send(
        conversation=conversation, author=owner, text="Still there?"
    )
    message.refresh_from_db()
    # the first Page cannot reach a customer of the second: nothing is sent, staff see why
    assert len(recorder.sent("/messages")) == sent_before
    assert message.status == MessageStatus.FAILED
    assert "not connected any more" in message.error


def test_an_echo_of_a_plaza_message_is_ignored_and_one_from_the_page_inbox_is_kept(
    client, messenger, recorder
):
    post_meta(client, messenger, messenger_message("hi"))
    echo = messenger_message("A staff reply from Meta's inbox", mid="m_echo", sender=PAGE_ID)
    event = echo["entry"][0]["messaging"][0]
    event["recipient"] = {"id": "psid-1"}
    event["message"]["is_echo"] = True
    post_meta(client, messenger, echo)
    ours = messenger_message("ours", mid="m_ours", sender=PAGE_ID)
    ours_event = ours["entry"][0]["messaging"][0]
    ours_event["recipient"] = {"id": "psid-1"}
    ours_event["message"].update(is_echo=True, metadata="plaza")
    post_meta(client, messenger, ours)
    staff = Message.objects.filter(sender_kind=SenderKind.STAFF)
    assert [m.text for m in staff] == ["A staff reply from Meta's inbox"]


# --- windows and failures ------------------------------------------------------------


def test_after_24_hours_staff_answer_with_the_human_agent_tag_and_the_bot_is_refused(
    client, messenger, recorder, owner
):
    post_meta(client, messenger, messenger_message("hi"))
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(
        last_customer_message_at=timezone.now() - timedelta(hours=30)
    )
    messaging.staff_message_send(conversation=conversation, author=owner, text="Sorry for the wait")
    body = _bot_sends(recorder)[-1].json
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    from plaza.messaging.exceptions import WindowClosed

    with pytest.raises(WindowClosed, match="only a person"):
        messaging.bot_message_send(conversation=conversation, text="Any news?")


def test_a_5xx_is_retried_with_backoff_and_a_4xx_fails_and_tells_staff(
    client, messenger, recorder, owner
):
    post_meta(client, messenger, messenger_message("hi"))
    conversation = Conversation.objects.get()
    # a 500: kept for a retry
    recorder.script("/messages", status=500, body={"error": {"message": "Try later"}})
    message = messaging.staff_message_send(conversation=conversation, author=owner, text="One")
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()
    OutboundDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.deliveries_retry_due() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    # a 400: final, shown in the conversation
    recorder.script(
        "/messages", status=400, body={"error": {"message": "(#100) Invalid parameter"}}
    )
    failed = messaging.staff_message_send(conversation=conversation, author=owner, text="Two")
    failed.refresh_from_db()
    assert failed.status == MessageStatus.FAILED
    assert "Invalid parameter" in failed.error
    note = conversation.messages.filter(sender_kind=SenderKind.SYSTEM).last()
    assert "could not be delivered" in note.text


def test_a_timeout_is_retried(client, messenger, recorder, owner, monkeypatch):
    from plaza.connectors import http

    monkeypatch.setattr(http, "TIMEOUT_SECONDS", 0.2)
    post_meta(client, messenger, messenger_message("hi"))
    conversation = Conversation.objects.get()
    recorder.script("/messages", status=200, body={}, delay=1.0)
    message = messaging.staff_message_send(conversation=conversation, author=owner, text="Slow")
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.status == DeliveryStatus.PENDING
    assert "did not answer" in delivery.last_error


# --- comment-to-DM by private reply --------------------------------------------------


def _ig_comment(comment_id, *, user="igsid-1", text="WANT", media="media-1", wrapped=True):
    value = {
        "id": comment_id,
        "from": {"id": user, "username": "maria"},
        "text": text,
        "media": {"id": media, "media_product_type": "FEED"},
    }
    entry = {"id": IG_ID, "time": 1}
    if wrapped:
        entry["changes"] = [{"field": "comments", "value": value}]
    else:
        entry.update(field="comments", value=value)
    return {"object": "instagram", "entry": [entry]}


def test_a_keyword_comment_gets_one_private_reply_offering_the_product(
    client, instagram, recorder, trail
):
    services.comment_trigger_save(connection=instagram, keywords="WANT, #buy", product_id=trail.pk)
    # when: the same person comments three times, one without the changes[] wrapper
    post_meta(client, instagram, _ig_comment("c1"))
    post_meta(client, instagram, _ig_comment("c2", text="#buy please"))
    post_meta(client, instagram, _ig_comment("c3", wrapped=False))
    # then: one private reply, to the first comment, as one message
    sends = recorder.sent(f"/{IG_ID}/messages")
    assert len(sends) == 1
    body = sends[0].json
    assert body["recipient"] == {"comment_id": "c1"}
    assert "Amihan Trail Pro" in json.dumps(body)
    assert PrivateReply.objects.get().status == PrivateReplyStatus.SENT


def test_a_comment_without_the_keyword_gets_nothing(client, instagram, recorder, trail):
    services.comment_trigger_save(connection=instagram, keywords="WANT", product_id=trail.pk)
    post_meta(client, instagram, _ig_comment("c1", text="wanted it last year"))
    assert not PrivateReply.objects.exists()
    assert not recorder.sent()


def test_comments_older_than_7_days_expire_and_the_hourly_cap_holds_the_rest(
    client, instagram, recorder, trail, monkeypatch
):
    monkeypatch.setattr(services, "PRIVATE_REPLIES_PER_HOUR", 2)
    CommentTrigger.objects.create(connection=instagram, keywords="WANT", product=trail)
    for n in range(3):
        post_meta(client, instagram, _ig_comment(f"c{n}", user=f"igsid-{n}"))
    assert PrivateReply.objects.filter(status=PrivateReplyStatus.SENT).count() == 2
    assert PrivateReply.objects.filter(status=PrivateReplyStatus.QUEUED).count() == 1
    # a week later the queued one is too late
    later = timezone.now() + timedelta(days=8)
    assert services.private_replies_send(now=later) == 0
    assert PrivateReply.objects.filter(status=PrivateReplyStatus.EXPIRED).count() == 1


def test_a_facebook_page_comment_uses_the_feed_field(client, messenger, recorder, trail):
    services.comment_trigger_save(connection=messenger, keywords="WANT", product_id=trail.pk)
    payload = {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": 1742667604,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "POST_C1",
                            "post_id": f"{PAGE_ID}_POST",
                            "parent_id": f"{PAGE_ID}_POST",
                            "from": {"id": "user-9", "name": "Jo"},
                            "message": "want!",
                            "created_time": int(timezone.now().timestamp()),
                        },
                    }
                ],
            }
        ],
    }
    post_meta(client, messenger, payload)
    assert _bot_sends(recorder)[-1].json["recipient"] == {"comment_id": "POST_C1"}


def test_the_connection_test_reports_what_the_network_answered(messenger, recorder):
    ok, message = services.connection_test(connection=messenger)
    assert ok and "Kalye Kicks" in message
    recorder.script(f"/{PAGE_ID}", status=400, body={"error": {"message": "Invalid OAuth token"}})
    ok, message = services.connection_test(connection=messenger)
    assert not ok and "Invalid OAuth token" in message


@requires_postgres
def test_concurrent_keyword_comments_get_one_private_reply_per_person_and_post(
    instagram, recorder, trail
):
    # given
    services.comment_trigger_save(connection=instagram, keywords="WANT", product_id=trail.pk)
    # when: 3 people each comment WANT 4 times, the 12 deliveries at the same instant
    results = run_together(
        12,
        lambda i: post_meta(Client(), instagram, _ig_comment(f"c{i}", user=f"igsid-{i % 3}")),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    # then: every event processed, and one private reply per person
    assert not InboundEvent.objects.filter(processed_at__isnull=True).exists()
    assert PrivateReply.objects.count() == 3
    assert sorted(PrivateReply.objects.values_list("commenter_id", flat=True)) == [
        "igsid-0",
        "igsid-1",
        "igsid-2",
    ]
    assert set(PrivateReply.objects.values_list("status", flat=True)) == {PrivateReplyStatus.SENT}
    assert set(OutboundDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert len(recorder.sent(f"/{IG_ID}/messages")) == 3


@requires_postgres
def test_messages_from_many_people_at_once_are_each_answered(messenger, recorder, trail):
    # when: 12 deliveries at the same instant, from 6 people, one of them delivered twice
    results = run_together(
        12,
        lambda i: post_meta(
            Client(), messenger, messenger_message("hello", mid=f"m_{i % 11}", sender=f"p-{i % 6}")
        ),
    )
    # then: 11 messages stored once each, every one answered and sent
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert not InboundEvent.objects.filter(processed_at__isnull=True).exists()
    assert Message.objects.filter(sender_kind=SenderKind.CUSTOMER).count() == 11
    assert Conversation.objects.count() == 6
    assert set(OutboundDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert len(_bot_sends(recorder)) == Message.objects.filter(sender_kind=SenderKind.BOT).count()


def test_processed_events_are_pruned_after_30_days(client, messenger, recorder):
    # given: two processed events, one of them old, and one never processed
    post_meta(client, messenger, messenger_message("hi", mid="m_old"))
    post_meta(client, messenger, messenger_message("hi again", mid="m_new"))
    InboundEvent.objects.create(
        channel="messenger", event_id="m_stuck", connection=messenger, kind="message", payload={}
    )
    long_ago = timezone.now() - timedelta(days=31)
    InboundEvent.objects.filter(event_id__in=["m_old", "m_stuck"]).update(received_at=long_ago)
    # when
    deleted = services.inbound_events_prune()
    # then: only the old processed one goes; its message stays in the conversation
    assert deleted == 1
    assert sorted(InboundEvent.objects.values_list("event_id", flat=True)) == ["m_new", "m_stuck"]
    assert Message.objects.filter(external_id="m_old").exists()


def test_a_messenger_photo_is_kept_as_a_copy_or_by_its_address_when_it_cannot_be_fetched(
    client, messenger, recorder
):
    from plaza.catalog.tests.factories import image_upload

    address = recorder.keep_file("/cdn/photo.png", image_upload().read(), "image/png")
    # an address that no longer lets anyone in (Meta's signed addresses expire)
    gone = recorder.keep_file("/cdn/expired.png", b"", "image/png", bearer="expired")
    for mid, url in (("m_photo", address), ("m_gone", gone)):
        delivery = messenger_message("", mid=mid)
        message = delivery["entry"][0]["messaging"][0]["message"]
        del message["text"]
        message["attachments"] = [{"type": "image", "payload": {"url": url}}]
        post_meta(client, messenger, delivery)
    copied, linked = (
        Message.objects.get(external_id="m_photo"),
        Message.objects.get(external_id="m_gone"),
    )
    assert copied.attachment and "image_url" not in copied.payload
    assert not linked.attachment and linked.payload["image_url"] == gone
