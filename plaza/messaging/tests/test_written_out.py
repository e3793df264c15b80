"""The chat's written-out statements (``plaza.core.sql``) store and read rows as the ORM does:
the same values back, on SQLite and PostgreSQL alike."""

from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from plaza.core.sql import (
    model_columns,
    row_insert_unless_taken,
    row_update,
    rows_insert,
    rows_insert_and_update,
    rows_read,
)
from plaza.messaging import services
from plaza.messaging.models import (
    Channel,
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    SenderKind,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(shop):
    return services.conversation_open(shop=shop, channel=Channel.WEB, external_id="guest:sql")


def _reply(conversation, text, payload=None):
    return Message(
        conversation=conversation,
        direction=Direction.OUT,
        sender_kind=SenderKind.BOT,
        text=text,
        payload=payload or {},
        status=DeliveryStatus.SENT,
    )


def test_rows_inserted_together_get_their_own_keys_in_order_and_read_back_as_written(
    conversation,
):
    # given
    before = timezone.now()
    replies = [
        _reply(conversation, "first", {"quick_replies": [{"title": "42", "payload": "v:1"}]}),
        _reply(conversation, "second ✓ 你好", {}),
        _reply(conversation, "third", {"n": 3, "nested": {"ok": True}}),
    ]
    # when
    rows_insert(replies)
    # then: each instance holds the key of its own row, and the ORM reads what was written
    assert all(reply.pk for reply in replies)
    assert len({reply.pk for reply in replies}) == 3
    for reply in replies:
        stored = Message.objects.get(pk=reply.pk)
        assert (stored.text, stored.payload) == (reply.text, reply.payload)
        assert stored.created_at == reply.created_at
        assert stored.created_at >= before
        assert stored.conversation_id == conversation.pk
        assert stored.attachment.name == "" and stored.external_id is None
        assert not reply._state.adding


def test_a_row_update_sets_values_and_adds_to_a_counter_in_the_database(conversation):
    # given: another writer added to the unread count since this instance was read
    Conversation.objects.filter(pk=conversation.pk).update(unread_by_staff=5)
    moment = datetime(2026, 5, 1, 8, 30, 15, 123456, tzinfo=timezone.get_fixed_timezone(0))
    # when
    changed = row_update(
        Conversation,
        conversation.pk,
        {"last_preview": "Hi — ça va?", "last_message_at": moment, "bot_state": {"step": "qty"}},
        add={"unread_by_staff": 2},
    )
    # then
    assert changed == 1
    conversation.refresh_from_db()
    assert conversation.last_preview == "Hi — ça va?"
    assert conversation.last_message_at == moment
    assert conversation.bot_state == {"step": "qty"}
    assert conversation.unread_by_staff == 7


def test_rows_read_convert_their_values_as_the_orm_does(conversation):
    # given: a conversation with a date, JSON and a boolean set
    moment = datetime(2026, 5, 2, 10, 0, 0, 5, tzinfo=timezone.get_fixed_timezone(0))
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=moment, bot_state={"step": "size", "sizes": [41, 42]}, bot_enabled=False
    )
    # when
    sql = f"SELECT {model_columns(Conversation)} FROM messaging_conversation WHERE id = %s"  # noqa: S608
    [found] = rows_read(Conversation, sql, [conversation.pk])
    # then: field by field, the same values as the ORM's own read
    expected = Conversation.objects.get(pk=conversation.pk)
    for field in Conversation._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found.last_message_at == moment and found.bot_state["sizes"] == [41, 42]
    assert found.bot_enabled is False
    assert not found._state.adding


def test_rows_read_of_no_row_is_an_empty_list(conversation):
    sql = f"SELECT {model_columns(Conversation)} FROM messaging_conversation WHERE id = %s"  # noqa: S608
    assert rows_read(Conversation, sql, [conversation.pk + 1000]) == []


def test_rows_inserted_with_a_row_updated_are_written_together(conversation):
    # given
    replies = [_reply(conversation, "one"), _reply(conversation, "two", {"n": 2})]
    # when
    rows_insert_and_update(
        replies,
        Conversation,
        conversation.pk,
        {"last_preview": "two", "bot_state": {"step": "size"}},
    )
    # then
    assert [r.pk for r in replies] == sorted(r.pk for r in replies)
    assert list(conversation.messages.order_by("pk").values_list("pk", "text", "payload")) == [
        (replies[0].pk, "one", {}),
        (replies[1].pk, "two", {"n": 2}),
    ]
    conversation.refresh_from_db()
    assert (conversation.last_preview, conversation.bot_state) == ("two", {"step": "size"})


@pytest.mark.django_db(transaction=True)  # real commits: what a failure leaves behind
def test_rows_inserted_with_a_row_updated_are_written_not_at_all_when_the_update_fails(shop):
    # given: an update that breaks a check of the database (a count below zero)
    conversation = services.conversation_open(
        shop=shop, channel=Channel.WEB, external_id="guest:sql"
    )
    # when
    with pytest.raises(IntegrityError):
        rows_insert_and_update(
            [_reply(conversation, "lost")], Conversation, conversation.pk, {"unread_by_staff": -1}
        )
    # then: no reply stored without its conversation's change
    assert not conversation.messages.exists()


def test_a_row_inserted_unless_taken_says_whether_it_was_new(shop, conversation):
    # given: a conversation of the same shop, channel and person exists
    same = Conversation(shop=shop, channel=Channel.WEB, external_id=conversation.external_id)
    other = Conversation(shop=shop, channel=Channel.WEB, external_id="guest:other")
    # when
    taken = row_insert_unless_taken(same)
    new = row_insert_unless_taken(other)
    # then: the taken one changed nothing (and the transaction goes on); the other is stored
    assert (taken, new) == (False, True)
    assert same.pk is None and other.pk is not None
    assert Conversation.objects.get(pk=other.pk).external_id == "guest:other"
    assert Conversation.objects.filter(shop=shop).count() == 2


def test_a_row_update_with_unchanged_values_changes_nothing_once_they_changed(conversation):
    # given: the row as it was read, then changed by someone else
    read_at = Conversation.objects.get(pk=conversation.pk).updated_at
    later = read_at + timedelta(seconds=1)
    # when / then: the update holds while the row is as read, not after
    assert (
        row_update(Conversation, conversation.pk, {"name": "A"}, unchanged={"updated_at": read_at})
        == 1
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=later)
    assert (
        row_update(Conversation, conversation.pk, {"name": "B"}, unchanged={"updated_at": read_at})
        == 0
    )
    conversation.refresh_from_db()
    assert (conversation.name, conversation.updated_at) == ("A", later)
