"""The inbox's work in the services: round robin, service levels, messaging windows, handoff,
canned replies, notes, labels, resolve and reopen, one conversation per customer."""

from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

import pytest
from django.utils import timezone

from plaza.accounts.tests.factories import UserFactory, staff_join
from plaza.core.exceptions import ValidationError
from plaza.core.testing import requires_postgres, run_together
from plaza.messaging import selectors, services
from plaza.messaging.exceptions import WindowClosed
from plaza.messaging.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    Label,
    Message,
    SenderKind,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(0))


@contextmanager
def clock(moment: datetime):
    with patch("django.utils.timezone.now", return_value=moment):
        yield


def customer_writes(shop, key, text="Hello?", channel=Channel.WEB):
    conversation = services.conversation_open(shop=shop, channel=channel, external_id=key)
    services.message_receive(conversation=conversation, text=text)
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def bot_off(shop):
    """The shop's bot is off: every customer message needs a person."""
    services.inbox_settings_update(shop=shop, bot_enabled=False)
    return shop


# --- round robin ---------------------------------------------------------------------


def test_round_robin_gives_two_conversations_to_two_available_agents(bot_off, owner):
    # given
    ana = staff_join(bot_off, owner, "ana@kicks.test")
    ben = staff_join(bot_off, owner, "ben@kicks.test")
    services.agent_set_available(shop=bot_off, user=owner, available=False)  # the owner is away
    # when
    first = customer_writes(bot_off, "guest:1")
    second = customer_writes(bot_off, "guest:2")
    third = customer_writes(bot_off, "guest:3")
    # then: each in turn, the one who waited longest next
    assert {first.assignee, second.assignee} == {ana, ben}
    assert third.assignee == first.assignee


def test_round_robin_passes_over_an_unavailable_agent(bot_off, owner):
    # given
    ana = staff_join(bot_off, owner, "ana@kicks.test")
    ben = staff_join(bot_off, owner, "ben@kicks.test")
    services.agent_set_available(shop=bot_off, user=owner, available=False)
    services.agent_set_available(shop=bot_off, user=ben, available=False)
    # when
    assignees = [customer_writes(bot_off, f"guest:{i}").assignee for i in range(3)]
    # then
    assert assignees == [ana, ana, ana]


def test_nobody_is_assigned_when_no_agent_is_available_or_round_robin_is_off(bot_off, owner):
    # given
    ana = staff_join(bot_off, owner, "ana@kicks.test")
    services.agent_set_available(shop=bot_off, user=ana, available=False)
    services.agent_set_available(shop=bot_off, user=owner, available=False)
    # when
    nobody_available = customer_writes(bot_off, "guest:1")
    services.agent_set_available(shop=bot_off, user=ana, available=True)
    services.inbox_settings_update(shop=bot_off, round_robin=False)
    turned_off = customer_writes(bot_off, "guest:2")
    # then
    assert nobody_available.assignee is None
    assert turned_off.assignee is None


def test_staff_who_never_said_they_are_away_take_conversations(bot_off, owner):
    # when: nobody ever touched their availability
    conversation = customer_writes(bot_off, "guest:1")
    # then: the shop's only staff member gets it
    assert conversation.assignee == owner


def test_the_bot_keeps_a_conversation_unassigned_until_it_hands_off(shop, owner):
    # given
    ana = staff_join(shop, owner, "ana@kicks.test")
    services.agent_set_available(shop=shop, user=ana, available=True)
    conversation = services.conversation_open(shop=shop, channel=Channel.WEB, external_id="g:1")
    # when
    services.message_receive(conversation=conversation, text="Hi")
    conversation.refresh_from_db()
    waiting = conversation.assignee
    services.conversation_handoff(
        conversation=conversation, reason="The customer asked for a person."
    )
    conversation.refresh_from_db()
    # then
    assert waiting is None
    assert conversation.assignee == ana


def test_only_the_shops_staff_can_be_made_available(shop, shopper):
    with pytest.raises(ValidationError, match="Only the shop's staff can be assigned."):
        services.agent_set_available(shop=shop, user=shopper, available=True)


# --- service levels ------------------------------------------------------------------


def test_first_response_and_resolution_are_measured_from_when_a_person_was_needed(bot_off, owner):
    # given
    with clock(T0):
        conversation = customer_writes(bot_off, "guest:1")
    # when
    with clock(T0 + timedelta(minutes=5)):
        services.staff_message_send(conversation=conversation, author=owner, text="Hi!")
    with clock(T0 + timedelta(hours=1)):
        services.conversation_resolve(conversation=conversation, by=owner)
    conversation.refresh_from_db()
    sla = selectors.conversation_sla(
        conversation=conversation,
        settings=selectors.inbox_settings_get(shop=bot_off),
        now=T0 + timedelta(hours=2),
    )
    # then
    assert (sla.first_response_seconds, sla.resolution_seconds) == (300, 3600)
    assert (sla.first_response_due, sla.resolution_due) == (None, None)
    assert (sla.at_risk, sla.breached) == (False, False)


@pytest.mark.parametrize(
    ("minutes", "at_risk", "breached"),
    [(5, False, False), (12, True, False), (16, False, True)],
)
def test_an_unanswered_conversation_is_at_risk_after_three_quarters_of_the_target_then_breached(
    bot_off, minutes, at_risk, breached
):
    # given: a first response target of 15 minutes
    with clock(T0):
        conversation = customer_writes(bot_off, "guest:1")
    settings_row = selectors.inbox_settings_get(shop=bot_off)
    # when
    sla = selectors.conversation_sla(
        conversation=conversation, settings=settings_row, now=T0 + timedelta(minutes=minutes)
    )
    # then
    assert sla.first_response_due == T0 + timedelta(minutes=15)
    assert (sla.at_risk, sla.breached) == (at_risk, breached)
    with clock(T0 + timedelta(minutes=minutes)):
        listed = selectors.conversation_list_at_risk(shop=bot_off)
    assert (conversation in listed) == (at_risk or breached)


def test_a_late_first_response_stays_breached_once_answered(bot_off, owner):
    # given
    with clock(T0):
        conversation = customer_writes(bot_off, "guest:1")
    # when
    with clock(T0 + timedelta(minutes=20)):
        services.staff_message_send(conversation=conversation, author=owner, text="Sorry!")
    conversation.refresh_from_db()
    sla = selectors.conversation_sla(
        conversation=conversation,
        settings=selectors.inbox_settings_get(shop=bot_off),
        now=T0 + timedelta(minutes=21),
    )
    # then
    assert sla.first_response_seconds == 1200
    assert sla.breached is True


def test_a_conversation_the_bot_handles_alone_has_no_service_levels(shop):
    conversation = customer_writes(shop, "guest:1")
    sla = selectors.conversation_sla(
        conversation=conversation, settings=selectors.inbox_settings_get(shop=shop)
    )
    assert sla == selectors.Sla(None, None, None, None, False, False)


# --- messaging windows ---------------------------------------------------------------


def test_the_web_chat_has_no_messaging_window(shop):
    conversation = customer_writes(shop, "guest:1")
    window = selectors.messaging_window(
        conversation=conversation, now=timezone.now() + timedelta(days=30), human=False
    )
    assert window.is_open and window.closes_at is None and window.seconds_left() is None


def test_messenger_allows_24_hours_then_a_person_7_days_with_the_human_agent_tag(shop):
    # given
    with clock(T0):
        conversation = customer_writes(shop, "psid-1", channel=Channel.MESSENGER)

    def window(hours, *, human):
        return selectors.messaging_window(
            conversation=conversation, now=T0 + timedelta(hours=hours), human=human
        )

    # then
    assert window(23, human=False).is_open and window(23, human=False).tag == ""
    assert window(23, human=True).seconds_left(T0 + timedelta(hours=23)) == 3600
    late_bot = window(25, human=False)
    assert not late_bot.is_open
    assert late_bot.reason == (
        "More than 24 hours since the customer's last message: only a person may answer now."
    )
    late_person = window(25, human=True)
    assert late_person.is_open and late_person.tag == "HUMAN_AGENT"
    assert late_person.closes_at == T0 + timedelta(days=7)
    assert not window(24 * 7 + 1, human=True).is_open


def test_whatsapp_closes_after_24_hours_even_for_a_person(shop):
    with clock(T0):
        conversation = customer_writes(shop, "+639170000000", channel=Channel.WHATSAPP)
    window = selectors.messaging_window(
        conversation=conversation, now=T0 + timedelta(hours=25), human=True
    )
    assert not window.is_open
    assert "WhatsApp accepts only an approved template now" in window.reason


def test_staff_sending_outside_the_window_is_refused_with_the_reason_and_nothing_is_stored(
    shop, owner
):
    # given
    with clock(T0):
        conversation = customer_writes(shop, "psid-1", channel=Channel.MESSENGER)
    # when / then
    closed = pytest.raises(WindowClosed, match="More than 7 days since the customer's last")
    with clock(T0 + timedelta(days=8)), closed:
        services.staff_message_send(conversation=conversation, author=owner, text="Hi")
    assert conversation.messages.count() == 1


def test_staff_answer_after_24_hours_with_the_human_agent_tag_but_the_bot_may_not(shop, owner):
    # given
    with clock(T0):
        conversation = customer_writes(shop, "psid-1", channel=Channel.MESSENGER)
    # when
    with clock(T0 + timedelta(hours=30)):
        message = services.staff_message_send(conversation=conversation, author=owner, text="Hi")
        with pytest.raises(WindowClosed, match="only a person may answer now"):
            services.bot_message_send(conversation=conversation, text="Anything else?")
    # then
    assert message.payload["tag"] == "HUMAN_AGENT"
    assert conversation.messages.filter(sender_kind=SenderKind.BOT).count() == 0


# --- handoff, take over, hand back ---------------------------------------------------


def test_a_handoff_pauses_the_bot_and_starts_the_wait_for_a_person(shop):
    # given
    conversation = customer_writes(shop, "guest:1")
    # when
    with clock(T0):
        services.conversation_handoff(conversation=conversation, reason="Asked for a person.")
    conversation.refresh_from_db()
    # then
    assert conversation.status == ConversationStatus.OPEN
    assert not conversation.bot_active
    assert conversation.handed_off_at == conversation.needs_person_at == T0
    assert conversation.waiting_since == T0
    note = conversation.messages.latest("pk")
    assert (note.sender_kind, note.direction, note.text) == (
        SenderKind.SYSTEM,
        Direction.INTERNAL,
        "Asked for a person.",
    )


def test_staff_take_over_then_hand_back_to_the_bot(shop, owner):
    # given
    conversation = customer_writes(shop, "guest:1")
    # when
    services.conversation_take_over(conversation=conversation, by=owner)
    conversation.refresh_from_db()
    # then
    assert conversation.assignee == owner and not conversation.bot_active
    assert conversation.status == ConversationStatus.OPEN
    # when
    services.conversation_hand_back(conversation=conversation, by=owner)
    conversation.refresh_from_db()
    # then
    assert conversation.bot_active and conversation.status == ConversationStatus.PENDING
    assert conversation.waiting_since is None
    assert conversation.bot_state.get("misses") == 0
    notes = list(
        conversation.messages.filter(sender_kind=SenderKind.SYSTEM).values_list("text", flat=True)
    )
    assert len(notes) == 2 and "took over" in notes[0] and "handed back" in notes[1]


def test_someone_outside_the_shop_cannot_take_over(shop, shopper):
    conversation = customer_writes(shop, "guest:1")
    with pytest.raises(ValidationError, match="Only the shop's staff can be assigned."):
        services.conversation_take_over(conversation=conversation, by=shopper)
    conversation.refresh_from_db()
    assert conversation.bot_active


def test_the_bot_switched_off_for_one_conversation_leaves_its_next_message_to_a_person(shop):
    # given
    conversation = customer_writes(shop, "guest:1")
    services.conversation_set_bot(conversation=conversation, enabled=False)
    # when
    services.message_receive(conversation=conversation, text="Are you there?")
    conversation.refresh_from_db()
    # then
    assert conversation.status == ConversationStatus.OPEN
    assert conversation.waiting_since is not None


# --- canned replies, notes, labels ---------------------------------------------------


def test_a_canned_reply_expands_with_the_rest_of_the_text_after_it(shop):
    services.canned_reply_save(shop=shop, shortcode="ship", text="We ship in 2 days.")
    assert services.canned_reply_expand(shop=shop, text="/ship") == "We ship in 2 days."
    assert services.canned_reply_expand(shop=shop, text="/SHIP Thanks") == (
        "We ship in 2 days.\nThanks"
    )
    assert services.canned_reply_expand(shop=shop, text="No code here") == "No code here"


def test_an_unknown_shortcode_is_refused(shop, other_shop, owner):
    # given: another shop's canned reply does not count
    services.canned_reply_save(shop=other_shop, shortcode="ship", text="Theirs")
    conversation = customer_writes(shop, "guest:1")
    # when / then
    with pytest.raises(ValidationError, match="There is no canned reply /ship."):
        services.staff_message_send(conversation=conversation, author=owner, text="/ship")
    assert conversation.messages.count() == 1


def test_a_note_mentions_the_shops_staff_by_handle_and_customers_never_see_it(shop, owner):
    # given
    lia = staff_join(shop, owner, "lia@kicks.test", handle="lia")
    outsider = UserFactory(email="out@plaza.test")
    outsider.handle = "outsider"
    outsider.save(update_fields=["handle"])
    conversation = customer_writes(shop, "guest:1")
    # when
    note = services.note_add(
        conversation=conversation, author=owner, text="@lia and @outsider: check the stock"
    )
    # then
    assert note.direction == Direction.INTERNAL
    assert note.payload == {"mentions": [lia.pk]}
    assert note not in selectors.message_list(conversation=conversation, for_staff=False)
    assert note in selectors.message_list(conversation=conversation, for_staff=True)


def test_a_note_does_not_answer_the_customer(bot_off, owner):
    conversation = customer_writes(bot_off, "guest:1")
    services.note_add(conversation=conversation, author=owner, text="Looking into it")
    conversation.refresh_from_db()
    assert conversation.first_response_at is None and conversation.waiting_since is not None


def test_labels_are_set_by_name_within_the_shop(shop, other_shop):
    # given
    conversation = customer_writes(shop, "guest:1")
    Label.objects.create(shop=other_shop, name="vip")
    # when
    services.conversation_set_labels(conversation=conversation, names=["vip", " Refund ", "vip"])
    services.conversation_set_labels(conversation=conversation, names=["Refund"])
    # then
    assert list(conversation.labels.values_list("name", flat=True)) == ["Refund"]
    assert sorted(Label.objects.filter(shop=shop).values_list("name", flat=True)) == [
        "Refund",
        "vip",
    ]


def test_a_too_long_label_is_refused_and_changes_nothing(shop):
    conversation = customer_writes(shop, "guest:1")
    services.conversation_set_labels(conversation=conversation, names=["vip"])
    with pytest.raises(ValidationError, match="A label has at most 40 characters."):
        services.conversation_set_labels(conversation=conversation, names=["ok", "x" * 41])
    assert list(conversation.labels.values_list("name", flat=True)) == ["vip"]


# --- resolve and reopen --------------------------------------------------------------


def test_a_resolved_conversation_reopens_when_the_customer_writes_again(bot_off, owner):
    # given
    conversation = customer_writes(bot_off, "guest:1")
    services.staff_message_send(conversation=conversation, author=owner, text="Done!")
    services.conversation_resolve(conversation=conversation, by=owner)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.RESOLVED and conversation.resolved_at
    # when
    with clock(T0 + timedelta(days=400)):
        services.message_receive(conversation=conversation, text="One more question")
    conversation.refresh_from_db()
    # then: a person is needed again, and the service levels start over
    assert conversation.status == ConversationStatus.OPEN
    assert conversation.resolved_at is None and conversation.first_response_at is None
    assert conversation.needs_person_at == T0 + timedelta(days=400)


def test_a_resolved_conversation_goes_back_to_the_bot_when_it_answers(shop, owner):
    conversation = customer_writes(shop, "guest:1")
    services.conversation_resolve(conversation=conversation, by=owner)
    services.message_receive(conversation=conversation, text="Hello again")
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.PENDING
    assert conversation.resolved_at is None


def test_staff_reopen_a_resolved_conversation(bot_off, owner):
    conversation = customer_writes(bot_off, "guest:1")
    services.conversation_resolve(conversation=conversation, by=owner)
    with clock(T0):
        services.conversation_reopen(conversation=conversation, by=owner)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    assert (conversation.resolved_at, conversation.needs_person_at) == (None, T0)


# --- one conversation per customer ---------------------------------------------------


def test_a_customer_who_writes_again_continues_the_same_conversation(shop):
    first = services.conversation_open(shop=shop, channel=Channel.WEB, external_id="guest:1")
    again = services.conversation_open(shop=shop, channel=Channel.WEB, external_id="guest:1")
    elsewhere = services.conversation_open(
        shop=shop, channel=Channel.MESSENGER, external_id="guest:1"
    )
    assert first.pk == again.pk != elsewhere.pk


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_messages_open_one_conversation(shop):
    # when: eight requests of the same customer arrive at once
    results = run_together(
        8,
        lambda i: (
            services.conversation_open(shop=shop, channel=Channel.WEB, external_id="guest:rush").pk
        ),
    )
    # then
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len(set(results)) == 1
    assert Conversation.objects.filter(shop=shop, external_id="guest:rush").count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_conversations_arriving_at_once_go_to_two_agents(shop, owner):
    # given
    services.inbox_settings_update(shop=shop, bot_enabled=False)
    ana = staff_join(shop, owner, "ana@kicks.test")
    ben = staff_join(shop, owner, "ben@kicks.test")
    for agent in (ana, ben):
        services.agent_set_available(shop=shop, user=agent, available=True)
    conversations = [
        services.conversation_open(shop=shop, channel=Channel.WEB, external_id=f"guest:{i}")
        for i in range(2)
    ]
    # when
    results = run_together(
        2, lambda i: services.message_receive(conversation=conversations[i], text="Hi")
    )
    # then
    assert not [r for r in results if isinstance(r, BaseException)], results
    assignees = {c.assignee_id for c in Conversation.objects.filter(shop=shop)}
    assert assignees == {ana.pk, ben.pk}
    assert Message.objects.filter(conversation__shop=shop).count() == 2


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ([f"v{n}" for n in range(21)], "at most 20 values"),
        (["Ana", "", "7KQ2"], "leave no empty line"),
        (["x" * 1025], "at most 1024 characters"),
        (["Ana\tReyes"], "without tabs"),
        (["Ana     Reyes"], "runs of more than four spaces"),
    ],
)
def test_a_templates_values_are_refused_with_the_reason_and_nothing_is_sent(
    shop, owner, values, reason
):
    conversation = services.conversation_open(shop=shop, channel="whatsapp", external_id="639171")
    with pytest.raises(ValidationError, match=reason) as refused:
        services.staff_template_send(
            conversation=conversation, author=owner, name="order_shipped", values=values
        )
    assert refused.value.field == "values"
    assert not conversation.messages.exists()


def test_a_templates_trailing_empty_values_are_dropped(shop, owner):
    conversation = services.conversation_open(shop=shop, channel="whatsapp", external_id="639171")
    message = services.staff_template_send(
        conversation=conversation, author=owner, name="order_shipped", values=["Ana", " ", ""]
    )
    assert message.payload["template"]["values"] == ["Ana"]
