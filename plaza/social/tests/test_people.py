"""People on the social layer: following a person, creator posts (a person's own, tagging any
shop's products), the Following feed and the ranking with people, a person's profile counts, and
erasing a creator's data."""

import pytest
from django.db import IntegrityError, transaction

from plaza.accounts.services import user_handle_set
from plaza.catalog.tests.factories import make_product
from plaza.core.exceptions import NotFound, PermissionDenied, ValidationError
from plaza.social import selectors, services
from plaza.social.models import Post, PostMedia, ProductTag, UserFollow
from plaza.social.ranking import FOLLOW_BOOST
from plaza.social.services import MAX_TAGS_PER_POST, TagInput
from plaza.social.tests.factories import make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(users):
    return users(1)[0]


# --- following people ------------------------------------------------------------------------


def test_user_follow_and_unfollow_are_idempotent(shopper, creator):
    # when / then
    assert services.user_follow(follower=shopper, followed=creator) is True
    assert services.user_follow(follower=shopper, followed=creator) is False
    assert UserFollow.objects.filter(follower=shopper, followed=creator).count() == 1
    assert services.user_unfollow(follower=shopper, followed=creator) is True
    assert services.user_unfollow(follower=shopper, followed=creator) is False
    assert not UserFollow.objects.exists()


def test_following_oneself_is_refused_with_a_clear_message(shopper):
    # when / then
    with pytest.raises(ValidationError, match="You cannot follow yourself."):
        services.user_follow(follower=shopper, followed=shopper)
    assert not UserFollow.objects.exists()


def test_the_database_refuses_a_self_follow_and_a_duplicate(shopper, creator):
    # given
    UserFollow.objects.create(follower=shopper, followed=creator)

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFollow.objects.create(follower=shopper, followed=shopper)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFollow.objects.create(follower=shopper, followed=creator)


def test_following_gives_the_follower_a_handle(shopper, creator):
    # given
    assert shopper.handle is None

    # when
    services.user_follow(follower=shopper, followed=creator)

    # then
    shopper.refresh_from_db()
    assert shopper.handle


def test_a_deactivated_person_cannot_be_followed(shopper, creator):
    # given
    creator.is_active = False
    creator.save(update_fields=["is_active"])

    # when / then
    with pytest.raises(NotFound, match="This profile does not exist."):
        services.user_follow(follower=shopper, followed=creator)


# --- creator posts ---------------------------------------------------------------------------


def test_a_creator_posts_a_photo_tagging_a_product_of_another_shop(shop, other_shop, creator):
    # given
    product = make_product(other_shop, title="Rose serum")

    # when
    post = make_post(None, author=creator, caption="My glow #skincare", tags=[product])

    # then
    assert (post.shop_id, post.author_id, post.is_visible()) == (None, creator.pk, True)
    assert [t.product_id for t in post.tags.all()] == [product.pk]
    creator.refresh_from_db()
    assert creator.handle, "posting as a creator gives the person a handle"
    media = PostMedia.objects.get(post=post)
    assert media.file.name.startswith(f"posts/u{creator.pk}/{post.pk}/")


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_a_creator_cannot_tag_a_product_that_is_not_on_sale(shop, creator, status):
    # given
    product = make_product(shop, status=status)

    # when / then
    with pytest.raises(ValidationError, match="Only products on sale in a shop can be tagged."):
        make_post(None, author=creator, tags=[product])
    assert not Post.objects.exists()


def test_a_creator_post_has_at_most_20_tags(shop, creator):
    # given
    products = [make_product(shop) for _ in range(MAX_TAGS_PER_POST + 1)]

    # when / then
    with pytest.raises(ValidationError, match="A post has at most 20 product tags."):
        make_post(None, author=creator, tags=products)
    assert not ProductTag.objects.exists()


def test_a_creator_tag_must_sit_on_the_photo(shop, creator):
    # given
    product = make_product(shop)

    # when / then
    with pytest.raises(ValidationError, match="A product tag must sit on the photo"):
        make_post(None, author=creator, tags=[TagInput(product_id=product.pk, x=1.5, y=0.5)])


def test_a_shop_still_cannot_tag_another_shops_product(shop, other_shop):
    # given
    product = make_product(other_shop)

    # when / then
    with pytest.raises(
        ValidationError, match="Only products of this shop can be tagged in its posts."
    ):
        make_post(shop, tags=[product])


def test_a_post_without_shop_nor_author_is_refused(db):
    # when / then
    with pytest.raises(ValidationError, match="A post needs a shop or an author."):
        services.post_create(shop=None, author=None, caption="", media=[])


def test_the_database_refuses_a_post_without_shop_nor_author(db):
    # when / then
    with pytest.raises(IntegrityError):
        Post.objects.create(shop=None, author=None, caption="orphan")


def test_the_creator_deletes_any_comment_on_their_post_and_a_stranger_cannot(
    creator, shopper, users
):
    # given
    post = make_post(None, author=creator)
    comment = services.comment_create(post=post, user=shopper, body="Where is it from?")
    stranger = users(1)[0]

    # when / then
    with pytest.raises(PermissionDenied, match="Only its author or the post's creator can delete"):
        services.comment_delete(comment=comment, by=stranger)
    assert services.comment_delete(comment=comment, by=creator) == 1


# --- feeds and ranking ------------------------------------------------------------------------


def test_the_following_feed_shows_followed_shops_and_followed_creators_newest_first(
    shop, other_shop, shopper, creator, users, clock
):
    # given a followed shop, a followed creator, and a creator and a shop nobody follows
    stranger = users(1)[0]
    shop_post = make_post(shop)
    clock.advance(minutes=1)
    creator_post = make_post(None, author=creator, tags=[make_product(other_shop)])
    clock.advance(minutes=1)
    make_post(None, author=stranger)
    make_post(other_shop)
    services.shop_follow(shop=shop, user=shopper)
    services.user_follow(follower=shopper, followed=creator)

    # when
    page = selectors.post_feed_following(viewer=shopper)

    # then
    assert [p.pk for p in page.posts] == [creator_post.pk, shop_post.pk]
    assert all(p.viewer_follows for p in page.posts)


def test_for_you_includes_creator_posts_and_boosts_followed_creators(shop, shopper, creator, clock):
    # given two posts of the same moment and engagement: a shop's and a creator's
    shop_post = make_post(shop)
    creator_post = make_post(None, author=creator)
    assert creator_post.pk > shop_post.pk  # without the boost, the newer id ranks first

    # when the viewer follows the creator
    services.user_follow(follower=shopper, followed=creator)
    candidates = {c.post_id: c for c in selectors.post_feed_candidates(viewer=shopper)}
    page = selectors.post_feed_for_you(viewer=shopper)

    # then
    assert candidates[creator_post.pk].followed is True
    assert candidates[creator_post.pk].author_id == creator.pk
    assert candidates[shop_post.pk].followed is False
    assert [p.pk for p in page.posts] == [creator_post.pk, shop_post.pk]
    assert FOLLOW_BOOST == 2


def test_following_the_author_of_a_shop_post_gives_it_the_follow_boost(shop, owner, shopper):
    # given
    post = make_post(shop, author=owner)

    # when
    services.user_follow(follower=shopper, followed=owner)

    # then
    (candidate,) = selectors.post_feed_candidates(viewer=shopper)
    assert (candidate.post_id, candidate.followed) == (post.pk, True)


# --- profiles -------------------------------------------------------------------------------


def test_user_social_counts_posts_followers_and_following_in_one_query(
    shop, shopper, creator, users, django_assert_num_queries
):
    # given 2 visible creator posts, a draft, a shop post they wrote, 3 followers, 1 followed
    make_post(None, author=creator)
    make_post(None, author=creator)
    make_post(None, author=creator, publish="draft")
    make_post(shop, author=creator)
    for fan in users(2) + [shopper]:
        services.user_follow(follower=fan, followed=creator)
    services.user_follow(follower=creator, followed=shopper)

    # when
    with django_assert_num_queries(1):
        social = selectors.user_social_get(user=creator, viewer=shopper)

    # then
    assert (social.post_count, social.follower_count, social.following_count) == (2, 3, 1)
    assert social.viewer_follows is True


def test_user_get_by_handle_finds_any_case_and_hides_deactivated_people(creator):
    # given
    user_handle_set(user=creator, handle="mia")

    # when / then
    assert selectors.user_get_by_handle(handle="@MIA") == creator
    creator.is_active = False
    creator.save(update_fields=["is_active"])
    with pytest.raises(NotFound, match="This profile does not exist."):
        selectors.user_get_by_handle(handle="mia")


# --- personal data ---------------------------------------------------------------------------


def test_erasing_a_creator_deletes_their_posts_and_follows_both_ways(
    shop, creator, shopper, settings, django_capture_on_commit_callbacks
):
    # given
    own = make_post(None, author=creator, tags=[make_product(shop)])
    services.user_follow(follower=shopper, followed=creator)
    services.user_follow(follower=creator, followed=shopper)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.user_social_data_erase(user=creator)

    # then
    assert not Post.objects.filter(pk=own.pk).exists()
    assert not UserFollow.objects.exists()
    assert not [
        p for p in (settings.MEDIA_ROOT / "posts" / f"u{creator.pk}").rglob("*") if p.is_file()
    ]


def test_deleting_a_person_deletes_their_creator_posts_and_keeps_their_shop_posts(shop, owner):
    # given the shop's owner also posts as a creator
    shop_post = make_post(shop, author=owner)
    creator_post = make_post(None, author=owner)

    # when
    owner.delete()

    # then
    assert not Post.objects.filter(pk=creator_post.pk).exists()
    shop_post.refresh_from_db()
    assert shop_post.author_id is None and shop_post.shop_id == shop.pk


@pytest.mark.parametrize("count", [5, 50])
def test_the_following_feed_with_creators_costs_the_same_queries_for_5_and_50_posts(
    shop, shopper, creator, count, django_assert_num_queries
):
    # given half the posts by a followed creator, tagging the shop's product
    product = make_product(shop)
    for n in range(count):
        make_post(None if n % 2 else shop, author=creator if n % 2 else None, tags=[product])
    services.shop_follow(shop=shop, user=shopper)
    services.user_follow(follower=shopper, followed=creator)

    # when / then: the same 5 queries as a feed of shops only (see test_selectors)
    with django_assert_num_queries(5):
        page = selectors.post_feed_following(viewer=shopper)
        for post in page.posts:
            _ = (post.viewer_follows, post.shop.name if post.shop else post.author.handle)
            _ = [t.product.shop.currency for t in post.tags.all()]
    assert len(page.posts) == min(count, selectors.FEED_PAGE_SIZE)
