"""The staff inbox in the back office: every page renders for the shop's staff, is missing for
anybody else, every action works through its view, and bad input changes nothing."""

from datetime import timedelta

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone

from plaza.accounts.tests.factories import staff_join
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.messaging import services
from plaza.messaging.models import (
    AgentAvailability,
    CannedReply,
    Conversation,
    ConversationStatus,
    Direction,
    FaqEntry,
    InboxSettings,
    Message,
    PostKeyword,
    SenderKind,
)
from plaza.messaging.urls import STAFF_URLS

pytestmark = pytest.mark.django_db


# --- helpers -------------------------------------------------------------------------


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"messaging:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def chat(
    shop, *, text="Hello, is this in stock?", channel="web", key="guest:abc", customer=None, name=""
):
    """A customer writes to the shop (the bot is off, so a person is needed; nobody is given
    it in turn, so the tests assign by hand)."""
    services.inbox_settings_update(shop=shop, bot_enabled=False, round_robin=False)
    conversation = services.conversation_open(
        shop=shop, channel=channel, external_id=key, customer=customer, name=name
    )
    services.message_receive(conversation=conversation, text=text)
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def agent(shop, owner):
    return staff_join(shop, owner, "agent@kicks.test")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def conversation(shop, shopper):
    return chat(shop, customer=shopper, key=f"user:{shopper.pk}", name="Ana Reyes")


def conversation_url(name: str, conversation, **kwargs) -> str:
    return url(name, conversation.shop, conversation_id=conversation.pk, **kwargs)


# --- access --------------------------------------------------------------------------


def _every_staff_url(shop, conversation) -> list[str]:
    values = {"conversation_id": conversation.pk, "entry_id": 1, "reply_id": 1, "post_id": 1}
    urls = []
    for pattern in STAFF_URLS:
        assert isinstance(pattern, URLPattern)
        kwargs = {k: values[k] for k in pattern.pattern.converters if k != "shop_slug"}
        urls.append(url(pattern.name, shop, **kwargs))
    return urls


def test_every_inbox_page_is_missing_for_staff_of_another_shop(
    client, shop, other_owner, conversation
):
    # given
    client.force_login(other_owner)
    # when / then: GET and POST alike, nothing is revealed and nothing changes
    for address in _every_staff_url(shop, conversation):
        assert client.get(address).status_code == 404, address
        assert client.post(address, {"text": "hi"}).status_code == 404, address
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_every_inbox_page_sends_anonymous_visitors_to_the_login_page(client, shop, conversation):
    for address in _every_staff_url(shop, conversation):
        response = client.get(address)
        assert response.status_code == 302, address
        assert response.url.startswith(reverse("account_login"))


def test_a_conversation_of_another_shop_is_missing_under_this_shops_address(
    owner_client, shop, other_shop
):
    # given
    theirs = chat(other_shop, key="guest:theirs")
    # when
    page = owner_client.get(url("inbox-conversation", shop, conversation_id=theirs.pk))
    reply = owner_client.post(url("inbox-send", shop, conversation_id=theirs.pk), {"text": "Hi"})
    resolve = owner_client.post(url("inbox-resolve", shop, conversation_id=theirs.pk))
    # then
    assert (page.status_code, reply.status_code, resolve.status_code) == (404, 404, 404)
    theirs.refresh_from_db()
    assert theirs.status == ConversationStatus.OPEN
    assert Message.objects.filter(conversation=theirs).count() == 1


def test_every_page_renders_for_the_shops_staff(owner_client, shop, conversation):
    pages = [
        url("inbox", shop),
        url("inbox-list", shop),
        url("inbox-badge", shop),
        conversation_url("inbox-conversation", conversation),
        conversation_url("inbox-messages", conversation),
        conversation_url("inbox-products", conversation),
        url("inbox-settings", shop),
        url("inbox-keywords", shop),
    ]
    for address in pages:
        assert owner_client.get(address).status_code == 200, address


def test_an_agent_answers_conversations_but_may_not_change_the_inbox_settings(
    client, shop, agent, conversation
):
    # given
    client.force_login(agent)
    # when
    inbox = client.get(url("inbox", shop))
    page = client.get(url("inbox-settings", shop))
    post = client.post(url("inbox-settings", shop), {"timezone": "Asia/Manila"})
    # then
    assert inbox.status_code == 200
    assert "Inbox settings" not in inbox.text
    assert (page.status_code, post.status_code) == (403, 403)
    assert InboxSettings.objects.get(shop=shop).timezone == "UTC"


def test_the_back_office_navigation_links_the_inbox_and_counts_unassigned_conversations(
    owner_client, shop, conversation
):
    # when
    home = owner_client.get(reverse("backoffice:shop-home", kwargs={"shop_slug": shop.slug}))
    badge = owner_client.get(url("inbox-badge", shop))
    # then
    assert f'href="{url("inbox", shop)}"' in home.text
    assert url("inbox-badge", shop) in home.text
    assert ">1<" in badge.text


# --- the list ------------------------------------------------------------------------


def test_the_list_shows_name_or_guest_channel_preview_assignee_labels_and_unread(
    owner_client, shop, conversation
):
    # given
    guest = chat(shop, key="psid-7", channel="messenger", text="Do you ship to Cebu?")
    services.conversation_set_labels(conversation=guest, names=["shipping"])
    # when
    response = owner_client.get(url("inbox", shop))
    # then
    assert response.status_code == 200
    text = response.text
    assert "Ana Reyes" in text and "Guest" in text
    assert "Messenger" in text and "Web chat" in text
    assert "Do you ship to Cebu?" in text
    assert "shipping" in text
    assert "Unassigned" in text
    assert 'class="inbox-unread"' in text
    assert '>Open <span class="inbox-count">2</span>' in text


def test_the_list_filters_by_status_mine_channel_label_and_search(
    owner_client, owner, shop, conversation
):
    # given
    other = chat(shop, key="psid-8", channel="messenger", text="Refund please", name="Ben")
    services.conversation_set_labels(conversation=other, names=["refund"])
    services.conversation_assign(conversation=conversation, assignee=owner, by=owner)
    resolved = chat(shop, key="guest:done", text="Thanks, all good", name="Cleo")
    services.conversation_resolve(conversation=resolved, by=owner)

    def names(**query):
        response = owner_client.get(url("inbox", shop), query)
        assert response.status_code == 200
        return {n for n in ("Ana Reyes", "Ben", "Cleo") if f'inbox-row-name">{n}<' in response.text}

    # then
    assert names() == {"Ana Reyes", "Ben"}
    assert names(status="resolved") == {"Cleo"}
    assert names(status="mine") == {"Ana Reyes"}
    assert names(status="unassigned") == {"Ben"}
    assert names(status="all") == {"Ana Reyes", "Ben", "Cleo"}
    assert names(status="pending") == set()
    assert names(channel="messenger") == {"Ben"}
    assert names(label="refund") == {"Ben"}
    assert names(q="refund") == {"Ben"}
    assert names(status="nonsense", channel="fax") == {"Ana Reyes", "Ben"}


def test_the_at_risk_tab_lists_conversations_about_to_miss_their_targets(
    owner_client, shop, conversation
):
    # given: first response due in 15 minutes; one waits 12 minutes, the other 20
    late = chat(shop, key="guest:late", name="Dora")
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(
        needs_person_at=now - timedelta(minutes=12)
    )
    Conversation.objects.filter(pk=late.pk).update(needs_person_at=now - timedelta(minutes=20))
    fresh = chat(shop, key="guest:fresh", name="Eve")
    # when
    response = owner_client.get(url("inbox", shop), {"tab": "at_risk"})
    listing = owner_client.get(url("inbox", shop))
    # then
    assert 'inbox-row-name">Ana Reyes<' in response.text
    assert 'inbox-row-name">Dora<' in response.text
    assert f'inbox-row-name">{fresh.name}<' not in response.text
    assert "SLA breached" in listing.text  # Dora
    assert 'badge warn">At risk<' in listing.text  # Ana


def test_the_list_partial_is_the_list_alone_for_the_live_refresh(owner_client, shop, conversation):
    # when
    response = owner_client.get(
        url("inbox-list", shop), {"status": "all", "current": conversation.pk}
    )
    # then
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="inbox-list"')
    assert "is-current" in response.text
    assert "<html" not in response.text


LIST_QUERIES = 11


@pytest.mark.parametrize("count", [1, 20])
def test_the_list_page_reads_the_same_number_of_queries_for_1_or_20_conversations(
    owner_client, owner, shop, count, django_assert_num_queries
):
    # given: conversations with labels and an assignee
    for i in range(count):
        conversation = chat(shop, key=f"guest:{i}", name=f"Customer {i}")
        services.conversation_set_labels(conversation=conversation, names=["vip", f"l{i}"])
        services.conversation_assign(conversation=conversation, assignee=owner, by=owner)
    owner_client.get(url("inbox", shop))  # warm the session
    # when / then
    with django_assert_num_queries(LIST_QUERIES):
        response = owner_client.get(url("inbox", shop))
    assert response.text.count("data-conversation-id=") == count


# --- one conversation ----------------------------------------------------------------


def test_the_conversation_shows_each_kind_of_message_distinctly(
    owner_client, owner, shop, conversation
):
    # given
    product = make_product(shop, title="Court Classic", price=450_000, stock=5)
    services.bot_message_send(
        conversation=conversation,
        text="Which size?",
        payload={"quick_replies": [{"title": "42", "payload": "size:42"}]},
    )
    services.staff_message_send(conversation=conversation, author=owner, product_id=product.pk)
    services.note_add(conversation=conversation, author=owner, text="Ask @nobody about stock")
    services.conversation_take_over(conversation=conversation, by=owner)
    # when
    response = owner_client.get(conversation_url("inbox-conversation", conversation))
    # then
    text = response.text
    assert response.status_code == 200
    assert "inbox-msg-customer" in text and "Hello, is this in stock?" in text
    assert "inbox-msg-bot" in text and ">42</li>" in text
    assert "inbox-msg-staff" in text and "Court Classic" in text and "inbox-card" in text
    assert "inbox-msg-note" in text and '<mark class="inbox-mention">@nobody</mark>' in text
    assert "inbox-msg-system" in text and "took over from the bot" in text
    assert f'data-socket="/ws/chat/{conversation.pk}/"' in text


def test_customers_videos_voice_notes_and_documents_play_or_download_in_the_conversation(
    owner_client, shop
):
    # given: a WhatsApp customer sent a voice note, a video, a document, and one file too large
    conversation = chat(shop, channel="whatsapp", key="16505551234", name="Sheena")
    for content, hint, name, text in (
        (b"OggS\x00\x02" + b"\x01" * 500, "audio", "", ""),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x02" * 500, "video", "", "torn"),
        (b"%PDF-1.7\n" + b"3" * 2048, "file", "receipt <1>.pdf", ""),
    ):
        sent = services.customer_file_check(content=content, name=name, kind_hint=hint)
        services.message_receive(conversation=conversation, text=text, file=sent)
    services.message_receive(
        conversation=conversation,
        payload={"file": {"kind": "video", "name": "unboxing.mp4", "missing": "too_large"}},
    )
    # when
    response = owner_client.get(conversation_url("inbox-conversation", conversation))
    # then: players for the voice note and the video, a download for each, the missing one said
    text = response.text
    voice, video, document = Message.objects.filter(file__gt="").order_by("pk")
    assert f'<audio class="inbox-audio" src="{voice.file.url}" controls' in text
    assert f'<video class="inbox-video" src="{video.file.url}" controls' in text
    assert f'href="{document.file.url}" download="receipt &lt;1&gt;.pdf"' in text
    assert "receipt &lt;1&gt;.pdf" in text and "2.0\xa0KB" in text
    assert "unboxing.mp4: too large to keep; ask for it another way." in text
    # and the file is served with its format's type, never as a page
    served = owner_client.get(document.file.url)
    assert served["Content-Type"] == "application/pdf"
    assert served["X-Content-Type-Options"] == "nosniff"


def test_the_side_panel_shows_the_customer_orders_cart_and_service_levels(
    owner_client, shop, shopper, conversation
):
    # given
    from plaza.checkout.services import cart_add, cart_get_or_create
    from plaza.orders.tests.factories import place_order

    product = make_product(shop, title="Court Classic", price=450_000, stock=5)
    variant = product.variants.first()
    order = place_order(shop, shopper, [(variant, 1)])
    cart_add(cart=cart_get_or_create(user=shopper), variant_id=variant.pk, quantity=2)
    # when
    response = owner_client.get(conversation_url("inbox-conversation", conversation))
    # then
    text = response.text
    assert shopper.email in text
    assert order.number in text
    assert "2 × Court Classic" in text
    assert "First response" in text and "target 15 min" in text


def test_the_messages_after_an_id_are_the_newer_ones_only(owner_client, owner, conversation):
    # given
    first = conversation.messages.get()
    services.staff_message_send(conversation=conversation, author=owner, text="On its way")
    # when
    response = owner_client.get(
        conversation_url("inbox-messages", conversation), {"after": first.pk}
    )
    # then
    assert "On its way" in response.text
    assert f'data-message-id="{first.pk}"' not in response.text


def test_a_reply_reaches_the_customer_and_answers_the_wait(owner_client, owner, conversation):
    # when
    response = owner_client.post(
        conversation_url("inbox-send", conversation), {"text": "Yes, size 42 is in stock."}
    )
    # then
    assert response.status_code == 302
    message = conversation.messages.latest("pk")
    assert (message.direction, message.sender_kind, message.author) == ("out", "staff", owner)
    assert message.text == "Yes, size 42 is in stock."
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None and conversation.waiting_since is None


def test_an_htmx_reply_answers_with_the_new_message(owner_client, conversation):
    response = owner_client.post(
        conversation_url("inbox-send", conversation), {"text": "Hi!"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    message = conversation.messages.latest("pk")
    assert f'data-message-id="{message.pk}"' in response.text


def test_a_shortcode_reply_expands_to_the_shops_canned_reply(owner_client, shop, conversation):
    # given
    services.canned_reply_save(shop=shop, shortcode="ship", text="We ship in 2 days.")
    # when
    owner_client.post(conversation_url("inbox-send", conversation), {"text": "/ship Thanks!"})
    # then
    assert conversation.messages.latest("pk").text == "We ship in 2 days.\nThanks!"


def test_an_unknown_shortcode_is_refused_and_nothing_is_sent(owner_client, conversation):
    # when
    response = owner_client.post(conversation_url("inbox-send", conversation), {"text": "/nope"})
    htmx = owner_client.post(
        conversation_url("inbox-send", conversation), {"text": "/nope"}, HTTP_HX_REQUEST="true"
    )
    # then
    assert response.status_code == 422
    assert "There is no canned reply /nope." in response.text
    assert (htmx.status_code, htmx.text.strip()) == (422, "There is no canned reply /nope.")
    assert conversation.messages.count() == 1


def test_an_empty_reply_is_refused(owner_client, conversation):
    response = owner_client.post(conversation_url("inbox-send", conversation), {"text": "  "})
    assert response.status_code == 422
    assert "Write a message first." in response.text
    assert conversation.messages.count() == 1


def test_a_reply_with_a_photo_stores_the_photo(owner_client, conversation):
    response = owner_client.post(
        conversation_url("inbox-send", conversation), {"text": "", "image": image_upload()}
    )
    assert response.status_code == 302
    assert conversation.messages.latest("pk").attachment


def test_a_reply_with_a_document_shows_in_the_inbox_and_the_customers_chat(
    owner_client, client, shop
):
    # given: a guest's web chat
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(reverse("messaging:chat-message-create", args=[shop.slug]), {"text": "size chart?"})
    conversation = Conversation.objects.get(shop=shop)
    chart = SimpleUploadedFile(
        "size-chart.pdf", b"%PDF-1.7\n" + b"1" * 500, content_type="application/pdf"
    )
    # when: staff answer with the shop's size chart
    response = owner_client.post(
        conversation_url("inbox-send", conversation),
        {"text": "Here is our size chart", "image": chart},
        HTTP_HX_REQUEST="true",
    )
    # then: it is kept with the reply and offered to download on both sides
    sent = conversation.messages.get(sender_kind=SenderKind.STAFF)
    assert sent.file.name.endswith("/size-chart.pdf") and sent.payload["file"]["kind"] == "file"
    assert f'href="{sent.file.url}" download="size-chart.pdf"' in response.text
    chat_page = client.get(reverse("messaging:chat-detail", args=[shop.slug])).content.decode()
    assert f'href="{sent.file.url}" download="size-chart.pdf"' in chat_page
    # and: a page passed off as a file is refused with the reason, nothing sent
    page = SimpleUploadedFile("chart.html", b"<script>x()</script>", content_type="text/html")
    refused = owner_client.post(
        conversation_url("inbox-send", conversation), {"text": "", "image": page}
    )
    assert refused.status_code == 422 and "format Plaza does not keep" in refused.text
    assert conversation.messages.filter(sender_kind=SenderKind.STAFF).count() == 1


def test_a_product_card_is_sent_from_the_picker(owner_client, shop, conversation):
    # given
    product = make_product(shop, title="Court Classic", price=450_000, stock=5)
    # when
    picker = owner_client.get(conversation_url("inbox-products", conversation), {"q": "court"})
    response = owner_client.post(
        conversation_url("inbox-send", conversation), {"product_id": product.pk}
    )
    # then
    assert "Court Classic" in picker.text
    assert response.status_code == 302
    assert conversation.messages.latest("pk").payload["product"]["id"] == product.pk


def test_a_product_of_another_shop_cannot_be_sent(owner_client, other_shop, conversation):
    theirs = make_product(other_shop, title="Serum", price=3000, stock=5)
    response = owner_client.post(
        conversation_url("inbox-send", conversation), {"product_id": theirs.pk}
    )
    assert response.status_code == 404
    assert conversation.messages.count() == 1


def test_a_private_note_stays_internal_and_records_its_mentions(
    owner_client, shop, owner, agent, conversation
):
    # given
    agent.handle = "lia"
    agent.save(update_fields=["handle"])
    # when
    owner_client.post(
        conversation_url("inbox-send", conversation), {"text": "@lia can you check?", "note": "on"}
    )
    # then
    note = conversation.messages.latest("pk")
    assert note.direction == Direction.INTERNAL
    assert note.payload["mentions"] == [agent.pk]


def test_a_closed_messenger_window_disables_the_reply_and_refuses_a_send_with_the_reason(
    owner_client, shop
):
    # given: the customer last wrote 8 days ago
    conversation = chat(shop, key="psid-old", channel="messenger")
    Conversation.objects.filter(pk=conversation.pk).update(
        last_customer_message_at=timezone.now() - timedelta(days=8)
    )
    # when
    page = owner_client.get(conversation_url("inbox-conversation", conversation))
    response = owner_client.post(conversation_url("inbox-send", conversation), {"text": "Hi"})
    note = owner_client.post(
        conversation_url("inbox-send", conversation), {"text": "Too late", "note": "on"}
    )
    # then
    reason = "More than 7 days since the customer&#x27;s last message"
    assert reason in page.text
    assert 'type="submit" disabled' in page.text
    assert response.status_code == 409
    assert reason in response.text
    assert note.status_code == 302
    assert list(conversation.messages.values_list("direction", flat=True)) == ["in", "internal"]


def test_after_24_hours_on_messenger_the_page_says_replies_carry_the_human_agent_tag(
    owner_client, owner, shop
):
    # given
    conversation = chat(shop, key="psid-2d", channel="messenger")
    Conversation.objects.filter(pk=conversation.pk).update(
        last_customer_message_at=timezone.now() - timedelta(days=2)
    )
    # when
    page = owner_client.get(conversation_url("inbox-conversation", conversation))
    owner_client.post(conversation_url("inbox-send", conversation), {"text": "Still there?"})
    # then
    assert "HUMAN_AGENT" in page.text
    assert "4 d 23 h left" in page.text or "4 d 23 h" in page.text
    assert conversation.messages.latest("pk").payload["tag"] == "HUMAN_AGENT"


def test_assigning_to_a_staff_member_to_me_and_to_nobody(owner_client, owner, agent, conversation):
    address = conversation_url("inbox-assign", conversation)
    owner_client.post(address, {"assignee": str(agent.pk)})
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    owner_client.post(address, {"assignee": "me"})
    conversation.refresh_from_db()
    assert conversation.assignee == owner
    owner_client.post(address, {"assignee": ""})
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_assigning_to_someone_who_is_not_staff_changes_nothing(
    owner_client, owner, shopper, conversation
):
    # given
    services.conversation_assign(conversation=conversation, assignee=owner, by=owner)
    # when
    response = owner_client.post(
        conversation_url("inbox-assign", conversation), {"assignee": str(shopper.pk)}
    )
    # then
    assert response.status_code == 422
    assert "Only the shop&#x27;s staff can be assigned." in response.text
    conversation.refresh_from_db()
    assert conversation.assignee == owner


def test_take_over_pauses_the_bot_and_hand_back_resumes_it(owner_client, owner, shop):
    # given: the bot answers this conversation
    conversation = services.conversation_open(shop=shop, channel="web", external_id="guest:b")
    # when
    owner_client.post(conversation_url("inbox-take-over", conversation))
    conversation.refresh_from_db()
    # then
    assert conversation.handed_off_at is not None and conversation.assignee == owner
    assert not conversation.bot_active
    # when
    owner_client.post(conversation_url("inbox-hand-back", conversation))
    conversation.refresh_from_db()
    # then
    assert conversation.bot_active and conversation.status == ConversationStatus.PENDING


def test_the_bot_is_switched_off_and_on_for_one_conversation(owner_client, conversation):
    owner_client.post(conversation_url("inbox-bot", conversation), {})
    conversation.refresh_from_db()
    assert conversation.bot_enabled is False
    owner_client.post(conversation_url("inbox-bot", conversation), {"enabled": "on"})
    conversation.refresh_from_db()
    assert conversation.bot_enabled is True


def test_resolve_and_reopen(owner_client, conversation):
    response = owner_client.post(conversation_url("inbox-resolve", conversation))
    conversation.refresh_from_db()
    assert response.status_code == 302
    assert conversation.status == ConversationStatus.RESOLVED
    owner_client.post(conversation_url("inbox-reopen", conversation))
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN


def test_an_action_goes_back_to_the_conversation_keeping_the_lists_filters(
    owner_client, conversation
):
    response = owner_client.post(
        conversation_url("inbox-resolve", conversation) + "?status=mine&channel=web"
    )
    assert response.url == conversation_url("inbox-conversation", conversation) + (
        "?status=mine&channel=web"
    )


def test_labels_are_set_by_name_and_a_too_long_one_changes_nothing(owner_client, conversation):
    # when
    owner_client.post(conversation_url("inbox-labels", conversation), {"labels": "vip, refund"})
    bad = owner_client.post(
        conversation_url("inbox-labels", conversation), {"labels": "ok, " + "x" * 41}
    )
    # then
    assert bad.status_code == 422
    assert "A label has at most 40 characters." in bad.text
    assert sorted(conversation.labels.values_list("name", flat=True)) == ["refund", "vip"]


def test_get_is_not_allowed_on_actions(owner_client, conversation):
    for name in ("inbox-send", "inbox-resolve", "inbox-assign", "inbox-labels"):
        assert owner_client.get(conversation_url(name, conversation)).status_code == 405


# --- settings ------------------------------------------------------------------------


def settings_data(**changes) -> dict:
    data = {
        "bot_enabled": "on",
        "greeting": "Hi! How can we help?",
        "away_message": "We are closed; we answer at 9.",
        "handoff_keywords": "agent, human",
        "timezone": "Asia/Manila",
        "first_response_minutes": "10",
        "resolution_minutes": "600",
        "round_robin": "on",
        "hours_0_start": "09:00",
        "hours_0_end": "18:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_settings_are_saved(owner_client, shop):
    # when
    response = owner_client.post(url("inbox-settings", shop), settings_data())
    # then
    assert response.status_code == 302
    saved = InboxSettings.objects.get(shop=shop)
    assert (saved.timezone, saved.first_response_minutes, saved.resolution_minutes) == (
        "Asia/Manila",
        10,
        600,
    )
    assert saved.hours == {"0": ["09:00", "18:00"]}
    assert saved.greeting == "Hi! How can we help?"
    page = owner_client.get(url("inbox-settings", shop))
    assert 'value="Asia/Manila"' in page.text and 'value="09:00"' in page.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "Unknown time zone."),
        ({"hours_0_end": "08:00"}, "A day&#x27;s hours must end after they start."),
        ({"hours_0_end": ""}, "Give both the opening and the closing time, or neither."),
        ({"hours_2_start": "25:00", "hours_2_end": "26:00"}, "Enter a valid time."),
        ({"first_response_minutes": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"resolution_minutes": "ten"}, "Enter a whole number."),
    ],
)
def test_bad_settings_answer_next_to_the_field_and_change_nothing(
    owner_client, shop, changes, message
):
    # when
    response = owner_client.post(url("inbox-settings", shop), settings_data(**changes))
    # then
    assert response.status_code == 422
    assert message in response.text
    saved = InboxSettings.objects.get(shop=shop)
    assert (saved.timezone, saved.hours, saved.first_response_minutes) == ("UTC", {}, 15)


def test_faq_entries_are_added_changed_and_deleted(owner_client, shop):
    # when
    owner_client.post(
        url("inbox-faq-create", shop),
        {"faq-new-question": "Do you ship abroad?", "faq-new-answer": "Yes, worldwide."},
    )
    entry = FaqEntry.objects.get(shop=shop)
    owner_client.post(
        url("inbox-faq-edit", shop, entry_id=entry.pk),
        {
            f"faq-{entry.pk}-question": "Do you ship abroad?",
            f"faq-{entry.pk}-keywords": "international, overseas",
            f"faq-{entry.pk}-answer": "Yes, to 40 countries.",
        },
    )
    entry.refresh_from_db()
    # then
    assert (entry.answer, entry.keywords) == ("Yes, to 40 countries.", "international, overseas")
    assert "Do you ship abroad?" in owner_client.get(url("inbox-settings", shop)).text
    owner_client.post(url("inbox-faq-delete", shop, entry_id=entry.pk))
    assert not FaqEntry.objects.filter(shop=shop).exists()


def test_a_faq_entry_without_an_answer_changes_nothing(owner_client, shop):
    entry = services.faq_entry_save(shop=shop, question="Hours?", answer="9 to 6.")
    response = owner_client.post(
        url("inbox-faq-edit", shop, entry_id=entry.pk),
        {f"faq-{entry.pk}-question": "Hours?", f"faq-{entry.pk}-answer": ""},
    )
    assert response.status_code == 422
    assert "This field is required." in response.text
    entry.refresh_from_db()
    assert entry.answer == "9 to 6."


def test_an_faq_entry_of_another_shop_is_missing(owner_client, shop, other_shop):
    theirs = services.faq_entry_save(shop=other_shop, question="Q?", answer="A.")
    edit = owner_client.post(
        url("inbox-faq-edit", shop, entry_id=theirs.pk),
        {f"faq-{theirs.pk}-question": "Mine now?", f"faq-{theirs.pk}-answer": "No."},
    )
    owner_client.post(url("inbox-faq-delete", shop, entry_id=theirs.pk))
    assert edit.status_code == 404
    theirs.refresh_from_db()
    assert theirs.question == "Q?"


def test_canned_replies_are_added_changed_and_deleted(owner_client, shop):
    owner_client.post(
        url("inbox-canned-create", shop),
        {"canned-new-shortcode": "/Thanks", "canned-new-text": "Thank you for your order!"},
    )
    reply = CannedReply.objects.get(shop=shop)
    assert reply.shortcode == "thanks"
    owner_client.post(
        url("inbox-canned-edit", shop, reply_id=reply.pk),
        {f"canned-{reply.pk}-shortcode": "ty", f"canned-{reply.pk}-text": "Thanks!"},
    )
    reply.refresh_from_db()
    assert (reply.shortcode, reply.text) == ("ty", "Thanks!")
    owner_client.post(url("inbox-canned-delete", shop, reply_id=reply.pk))
    assert not CannedReply.objects.filter(shop=shop).exists()


@pytest.mark.parametrize(
    ("shortcode", "message"),
    [
        ("ship", "/ship is already a canned reply."),
        ("two words", "A shortcode has 1 to 30 letters, digits, - or _."),
    ],
)
def test_a_bad_canned_reply_answers_next_to_the_field_and_changes_nothing(
    owner_client, shop, shortcode, message
):
    services.canned_reply_save(shop=shop, shortcode="ship", text="We ship in 2 days.")
    response = owner_client.post(
        url("inbox-canned-create", shop),
        {"canned-new-shortcode": shortcode, "canned-new-text": "Other text"},
    )
    assert response.status_code == 422
    assert message in response.text
    assert list(CannedReply.objects.filter(shop=shop).values_list("text", flat=True)) == [
        "We ship in 2 days."
    ]


def test_the_owner_sets_each_agents_availability(owner_client, shop, agent):
    # when
    owner_client.post(
        url("inbox-availability", shop),
        {"user_id": agent.pk, "available": "on", "next_page": "settings"},
    )
    # then
    assert AgentAvailability.objects.get(shop=shop, user=agent).available is True
    page = owner_client.get(url("inbox-settings", shop))
    assert "Mark away" in page.text
    owner_client.post(url("inbox-availability", shop), {"user_id": agent.pk})
    assert AgentAvailability.objects.get(shop=shop, user=agent).available is False


def test_an_agent_sets_their_own_availability_but_not_another_agents(client, shop, owner, agent):
    # given
    other = staff_join(shop, owner, "other-agent@kicks.test")
    client.force_login(agent)
    # when
    mine = client.post(url("inbox-availability", shop), {"user_id": agent.pk, "available": "on"})
    theirs = client.post(url("inbox-availability", shop), {"user_id": other.pk, "available": "on"})
    # then
    assert mine.status_code == 302
    assert AgentAvailability.objects.get(shop=shop, user=agent).available is True
    assert theirs.status_code == 403
    assert not AgentAvailability.objects.filter(user=other).exists()


def test_availability_of_someone_outside_the_shop_changes_nothing(owner_client, shop, shopper):
    response = owner_client.post(
        url("inbox-availability", shop), {"user_id": shopper.pk, "available": "on"}
    )
    assert response.status_code == 302
    assert not AgentAvailability.objects.exists()


# --- comment keywords ----------------------------------------------------------------


def test_the_keywords_page_lists_published_posts_and_saves_their_keywords(owner_client, shop):
    # given
    from plaza.social.tests.factories import make_post

    post = make_post(shop, caption="New drop: Court Classic")
    draft = make_post(shop, caption="Secret draft", publish="draft")
    # when
    page = owner_client.get(url("inbox-keywords", shop))
    response = owner_client.post(
        url("inbox-keywords-save", shop, post_id=post.pk),
        {f"post-{post.pk}-keywords": "WANT, #buy"},
    )
    # then
    assert "New drop: Court Classic" in page.text and "Secret draft" not in page.text
    assert response.status_code == 302
    assert PostKeyword.objects.get(post=post).keywords == "WANT, #buy"
    assert 'value="WANT, #buy"' in owner_client.get(url("inbox-keywords", shop)).text
    assert draft.pk != post.pk


def test_too_many_keywords_answer_next_to_the_field_and_change_nothing(owner_client, shop):
    from plaza.social.tests.factories import make_post

    post = make_post(shop, caption="Drop")
    services.post_keywords_set(post=post, keywords="want")
    response = owner_client.post(
        url("inbox-keywords-save", shop, post_id=post.pk),
        {f"post-{post.pk}-keywords": ", ".join(f"w{i}" for i in range(11))},
    )
    assert response.status_code == 422
    assert "Up to 10 keywords of at most 40 characters, separated by commas." in response.text
    assert PostKeyword.objects.get(post=post).keywords == "want"


def test_keywords_of_another_shops_post_are_missing(owner_client, shop, other_shop):
    from plaza.social.tests.factories import make_post

    theirs = make_post(other_shop, caption="Theirs")
    response = owner_client.post(
        url("inbox-keywords-save", shop, post_id=theirs.pk), {f"post-{theirs.pk}-keywords": "x"}
    )
    assert response.status_code == 404
    assert not PostKeyword.objects.exists()


def test_the_message_sender_kinds_cover_the_inbox_styles():
    """A new sender kind would need its own style in inbox_message.html."""
    assert set(SenderKind.values) == {"customer", "bot", "staff", "system"}


def test_opening_a_conversation_clears_its_unread_count(owner_client, conversation):
    # given
    assert conversation.unread_by_staff == 1
    # when
    owner_client.get(conversation_url("inbox-conversation", conversation))
    # then
    conversation.refresh_from_db()
    assert conversation.unread_by_staff == 0
