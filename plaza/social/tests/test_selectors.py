"""The social reads: feeds, visibility, the ranking on real posts, grids, share links, and
how many queries they cost."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plaza.catalog.services import product_image_add, product_set_translation
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.core.exceptions import NotFound
from plaza.social import selectors, services
from plaza.social.ranking import CANDIDATE_LIMIT
from plaza.social.tests.factories import make_post

pytestmark = pytest.mark.django_db

# Posts with their shop and the viewer's like/save/follow (one query), then media, product
# tags with their products, the products' images, the products' translations.
FOLLOWING_QUERIES = 5
# The same, after one light query for the ranking's candidates.
FOR_YOU_QUERIES = 6
# Posts with their shop, then media.
GRID_QUERIES = 2


def _shoppable_posts(shop, count: int) -> list:
    """``count`` posts, each tagged with one of three products that have a photo and a French
    title."""
    products = []
    for n in range(3):
        product = make_product(shop, title=f"Tea {n}", stock=3)
        product_image_add(product=product, upload=image_upload(size=(8, 8)))
        product_set_translation(product=product, language="fr", title=f"Thé {n}")
        products.append(product)
    return [make_post(shop, caption=f"Post {n} #tea", tags=[products[n % 3]]) for n in range(count)]


def _touch_cards(posts) -> None:
    """Read everything a post card reads."""
    for post in posts:
        assert post.shop.name
        _ = (post.viewer_liked, post.viewer_saved, post.viewer_follows)
        for media in post.media.all():
            assert media.file.name
        for tag in post.tags.all():
            _ = [image.thumb_url for image in tag.product.images.all()]
            _ = [t.title for t in tag.product.translations.all()]
            assert tag.product.shop.currency


@pytest.mark.parametrize("count", [5, 50])
def test_the_following_feed_costs_the_same_queries_for_5_and_50_posts(
    shop, shopper, count, django_assert_num_queries
):
    # given
    _shoppable_posts(shop, count)
    services.shop_follow(shop=shop, user=shopper)

    # when
    with django_assert_num_queries(FOLLOWING_QUERIES):
        page = selectors.post_feed_following(viewer=shopper)
        _touch_cards(page.posts)

    # then
    assert len(page.posts) == min(count, selectors.FEED_PAGE_SIZE)


@pytest.mark.parametrize("count", [5, 50])
@pytest.mark.parametrize("logged_in", [True, False], ids=["member", "anonymous"])
def test_the_for_you_feed_costs_the_same_queries_for_5_and_50_posts(
    shop, shopper, count, logged_in, django_assert_num_queries
):
    # given
    from django.contrib.auth.models import AnonymousUser

    _shoppable_posts(shop, count)
    viewer = shopper if logged_in else AnonymousUser()
    if logged_in:
        services.post_like(post=selectors.post_list_visible().first(), user=shopper)

    # when
    with django_assert_num_queries(FOR_YOU_QUERIES):
        page = selectors.post_feed_for_you(viewer=viewer)
        _touch_cards(page.posts)

    # then
    assert len(page.posts) == min(count, selectors.FEED_PAGE_SIZE)
    assert (page.next_number is not None) == (count > selectors.FEED_PAGE_SIZE)


@pytest.mark.parametrize("count", [5, 50])
def test_the_hashtag_and_shop_grids_cost_the_same_queries_for_5_and_50_posts(
    shop, count, django_assert_num_queries
):
    # given
    _shoppable_posts(shop, count)
    hashtag = selectors.hashtag_get(name="tea")

    # when / then
    for read in (
        lambda: selectors.post_list_for_hashtag(hashtag=hashtag),
        lambda: selectors.post_list_for_shop(shop=shop),
    ):
        with django_assert_num_queries(GRID_QUERIES):
            page = read()
            for post in page.posts:
                _ = [m.thumb_url for m in post.media.all()]
                assert post.shop.slug
        assert len(page.posts) == min(count, selectors.GRID_PAGE_SIZE)


def test_the_viewers_likes_saves_and_follows_come_with_the_posts(shop, other_shop, shopper):
    # given
    mine = make_post(shop)
    other = make_post(other_shop)
    services.post_like(post=mine, user=shopper)
    services.post_save(post=other, user=shopper)
    services.shop_follow(shop=shop, user=shopper)

    # when
    by_id = {p.pk: p for p in selectors.post_feed_for_you(viewer=shopper).posts}

    # then
    assert (by_id[mine.pk].viewer_liked, by_id[mine.pk].viewer_saved) == (True, False)
    assert (by_id[other.pk].viewer_liked, by_id[other.pk].viewer_saved) == (False, True)
    assert (by_id[mine.pk].viewer_follows, by_id[other.pk].viewer_follows) == (True, False)


def test_the_following_feed_shows_only_followed_shops_newest_first(
    shop, other_shop, shopper, clock
):
    # given
    first = make_post(shop)
    clock.advance(minutes=5)
    make_post(other_shop)
    clock.advance(minutes=5)
    second = make_post(shop)
    services.shop_follow(shop=shop, user=shopper)

    # when
    page = selectors.post_feed_following(viewer=shopper)

    # then
    assert [p.pk for p in page.posts] == [second.pk, first.pk]


def test_the_following_feed_is_empty_for_a_viewer_who_follows_nobody(shop, shopper):
    make_post(shop)
    assert selectors.post_feed_following(viewer=shopper).posts == []


def test_the_following_feed_pages_through_every_post_once(shop, shopper, clock):
    # given 23 posts a minute apart
    posts = []
    for _n in range(23):
        posts.append(make_post(shop))
        clock.advance(minutes=1)
    services.shop_follow(shop=shop, user=shopper)

    # when
    seen, number = [], 1
    while number:
        page = selectors.post_feed_following(viewer=shopper, page=number)
        seen += [p.pk for p in page.posts]
        number = page.next_number

    # then
    assert seen == [p.pk for p in reversed(posts)]


def test_the_for_you_feed_ranks_real_posts_by_the_documented_rule(
    shop, other_shop, shopper, users, clock
):
    # given, at hour 0: an old post of a followed shop with many likes
    start = clock.now
    old_followed = make_post(shop, caption="old")
    for user in users(6):
        services.post_like(post=old_followed, user=user)
    # at hour 4: a post of another shop with comments and a save
    clock.now = start + timedelta(hours=4)
    discussed = make_post(other_shop, caption="discussed")
    commenter = users(1)[0]
    services.comment_create(post=discussed, user=commenter, body="Nice")
    services.comment_create(post=discussed, user=commenter, body="Price?")
    services.post_save(post=discussed, user=commenter)
    # at hour 5: a fresh post nobody reacted to, and a draft
    clock.now = start + timedelta(hours=5)
    fresh = make_post(other_shop, caption="fresh")
    make_post(shop, caption="draft", publish="draft")
    services.shop_follow(shop=shop, user=shopper)

    # when, at hour 6
    clock.now = start + timedelta(hours=6)
    order = [p.pk for p in selectors.post_feed_for_you(viewer=shopper).posts]

    # then:
    #   discussed: (1 + 2×2 + 3×1) / (2 + 2)^1.5 = 8 / 8 = 1.0
    #   old_followed: 2 × (1 + 6) / (6 + 2)^1.5 = 14 / 22.6 = 0.62
    #   fresh: 1 / (1 + 2)^1.5 = 0.19
    assert order == [discussed.pk, old_followed.pk, fresh.pk]

    # and without the follow boost, for an anonymous viewer, the old post falls below
    from django.contrib.auth.models import AnonymousUser

    anonymous = [p.pk for p in selectors.post_feed_for_you(viewer=AnonymousUser()).posts]
    assert anonymous == [discussed.pk, old_followed.pk, fresh.pk]
    assert selectors.post_feed_candidates(viewer=AnonymousUser())[0].followed is False


def test_the_for_you_candidates_are_bounded_to_the_newest_posts(shop, monkeypatch):
    # given a bound of 3
    monkeypatch.setattr(selectors, "CANDIDATE_LIMIT", 3)
    posts = [make_post(shop) for _ in range(5)]

    # when
    candidates = selectors.post_feed_candidates(viewer=None)

    # then
    assert [c.post_id for c in candidates] == [p.pk for p in reversed(posts)][:3]
    assert CANDIDATE_LIMIT == 200


def test_post_get_visible_hides_drafts_and_missing_posts(shop):
    draft = make_post(shop, publish="draft")
    for post_id in (draft.pk, 999_999, 2**70):
        with pytest.raises(NotFound, match="This post does not exist"):
            selectors.post_get_visible(post_id=post_id)


def test_hashtag_get_finds_a_hashtag_in_any_case_width_and_with_its_mark(shop):
    make_post(shop, caption="#抹茶 #Matcha")
    assert selectors.hashtag_get(name="MATCHA").tag == "matcha"
    assert selectors.hashtag_get(name="#ｍａｔｃｈａ").tag == "matcha"
    assert selectors.hashtag_get(name="抹茶").tag == "抹茶"
    with pytest.raises(NotFound, match="Nobody has used this hashtag yet"):
        selectors.hashtag_get(name="<script>")


def test_the_hashtag_grid_shows_only_visible_posts_with_the_hashtag(shop, clock):
    visible = make_post(shop, caption="#tea")
    make_post(
        shop, caption="#tea later", publish="schedule", publish_at=clock.now + timedelta(hours=1)
    )
    make_post(shop, caption="#coffee")
    page = selectors.post_list_for_hashtag(hashtag=selectors.hashtag_get(name="tea"))
    assert [p.pk for p in page.posts] == [visible.pk]


def test_post_share_url_is_the_post_on_the_site_with_utm_parameters(shop, settings):
    # given
    settings.SITE_URL = "https://plaza.example"
    post = make_post(shop)

    # when
    url = selectors.post_share_url(post=post)

    # then
    assert url == (
        f"https://plaza.example/p/{post.pk}/"
        f"?utm_source=plaza&utm_medium=share&utm_campaign=post-{post.pk}"
    )


def test_shop_social_counts_followers_and_visible_posts_in_one_query(shop, shopper, users):
    # given
    make_post(shop)
    make_post(shop, publish="draft")
    services.shop_follow(shop=shop, user=shopper)
    services.shop_follow(shop=shop, user=users(1)[0])

    # when
    with CaptureQueriesContext(connection) as queries:
        social = selectors.shop_social_get(shop=shop, viewer=shopper)

    # then
    assert len(queries) == 1
    assert (social.follower_count, social.post_count, social.viewer_follows) == (2, 1, True)


def test_comment_list_gives_top_comments_with_their_replies_in_two_queries(
    shop, shopper, owner, django_assert_num_queries
):
    # given
    post = make_post(shop)
    first = services.comment_create(post=post, user=shopper, body="First")
    services.comment_create(post=post, user=owner, body="Reply", parent_id=first.pk)
    services.comment_create(post=post, user=shopper, body="Second")

    # when
    with django_assert_num_queries(2):
        comments = selectors.comment_list(post=post)
        shape = [(c.body, c.user.email, [r.body for r in c.replies.all()]) for c in comments]

    # then
    assert shape == [("First", shopper.email, ["Reply"]), ("Second", shopper.email, [])]


def test_product_sheet_shows_the_product_its_price_and_stock(shop):
    # given
    product = make_product(shop, title="Runner", price=125000, stock=3)
    post = make_post(shop, tags=[product])
    tag = post.tags.get()

    # when
    sheet = selectors.product_sheet_get(post_id=post.pk, tag_id=tag.pk)

    # then
    assert (sheet.product, sheet.available, sheet.stock_state) == (product, 3, "low")
    assert sheet.text.title == "Runner"


def test_product_sheet_of_a_tag_on_another_post_is_not_found(shop):
    product = make_product(shop)
    tagged, other = make_post(shop, tags=[product]), make_post(shop)
    with pytest.raises(NotFound):
        selectors.product_sheet_get(post_id=other.pk, tag_id=tagged.tags.get().pk)
