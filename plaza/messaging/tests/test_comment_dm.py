"""Comment-to-DM: a keyword in a comment on a shop's post opens a conversation with exactly one
bot message offering the post's product, however often (and however concurrently) the person
comments."""

import pytest

from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.tests.factories import make_product
from plaza.core.exceptions import ValidationError
from plaza.core.testing import requires_postgres, run_together
from plaza.messaging import services
from plaza.messaging.models import Conversation, KeywordReply, Message, SenderKind
from plaza.social.services import comment_create
from plaza.social.tests.factories import make_post


@pytest.fixture
def post(shop):
    product = make_product(shop, title="Amihan Trail Pro", price=450_000, sizes=("42",), stock=5)
    post = make_post(shop, caption="New drop! Comment WANT to get it.", tags=(product,))
    services.post_keywords_set(post=post, keywords="WANT, #buy")
    return post


def _bot_messages(user):
    return Message.objects.filter(conversation__customer=user, sender_kind=SenderKind.BOT).order_by(
        "pk"
    )


@pytest.mark.django_db(transaction=True)
def test_a_keyword_comment_gets_one_bot_message_offering_the_product(post, shopper):
    # when
    comment_create(post=post, user=shopper, body="want! size 42 please")
    # then
    messages = list(_bot_messages(shopper))
    assert len(messages) == 1
    assert "Amihan Trail Pro" in messages[0].text
    assert messages[0].payload["product"]["title"] == "Amihan Trail Pro"
    assert messages[0].payload["quick_replies"][0]["payload"].startswith("buy:")


@pytest.mark.django_db(transaction=True)
def test_commenting_again_does_not_send_a_second_message(post, shopper):
    comment_create(post=post, user=shopper, body="WANT")
    comment_create(post=post, user=shopper, body="#buy")
    comment_create(post=post, user=shopper, body="want want want")
    assert _bot_messages(shopper).count() == 1
    assert Conversation.objects.filter(customer=shopper).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_comment_without_the_keyword_sends_nothing(post, shopper):
    comment_create(post=post, user=shopper, body="wanted this for ages")  # not the word WANT
    comment_create(post=post, user=shopper, body="nice colours")
    assert not Conversation.objects.filter(customer=shopper).exists()


@pytest.mark.django_db(transaction=True)
def test_the_shops_own_staff_commenting_get_no_message(post, owner):
    comment_create(post=post, user=owner, body="WANT")
    assert not KeywordReply.objects.exists()


def test_keywords_are_checked(shop, db):
    post = make_post(shop)
    with pytest.raises(ValidationError, match="Up to 10 keywords"):
        services.post_keywords_set(post=post, keywords=",".join(f"k{i}" for i in range(11)))
    assert services.post_keywords_set(post=post, keywords="") is None


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_keyword_comments_send_exactly_one_message_per_person(post):
    # given: 3 people, each commenting the keyword 6 times at the same instant
    people = [UserFactory() for _ in range(3)]

    # when
    results = run_together(18, lambda i: comment_create(post=post, user=people[i % 3], body="WANT"))

    # then
    assert not [r for r in results if isinstance(r, BaseException)]
    for person in people:
        assert _bot_messages(person).count() == 1
        assert Conversation.objects.filter(customer=person).count() == 1
    assert KeywordReply.objects.count() == 3
