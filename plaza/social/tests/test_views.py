"""The shopper pages and htmx actions of the social layer."""

from datetime import timedelta

import pytest
from django.urls import resolve, reverse

from plaza.catalog.services import product_image_add, product_set_translation
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.social import services
from plaza.social.models import Comment, Follow, Like, Save
from plaza.social.selectors import FEED_PAGE_SIZE
from plaza.social.tests.factories import make_post

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}

# Session, user, the top bar's shops; then the feed (see test_selectors): candidates, posts,
# media, tags, product images, product translations.
FEED_FOR_YOU_QUERIES = 9
# The top bar for an anonymous visitor runs nothing; no session either.
FEED_ANONYMOUS_QUERIES = 6


def _html(response) -> str:
    return response.content.decode()


def _feed(count: int, shop) -> None:
    products = []
    for n in range(3):
        product = make_product(shop, title=f"Tea {n}", stock=2)
        product_image_add(product=product, upload=image_upload(size=(8, 8)))
        product_set_translation(product=product, language="fr", title=f"Thé {n}")
        products.append(product)
    for n in range(count):
        make_post(shop, caption=f"Post {n}", tags=[products[n % 3]])


# --- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/feed/", "social:feed-list"),
        ("/p/1/", "social:post-detail"),
        ("/tags/抹茶/", "social:hashtag-detail"),
        ("/s/kicks/posts/", "social:shop-post-list"),
        ("/s/kicks/", "storefront:shop"),
        ("/s/kicks/p/runner/", "storefront:product"),
        ("/s/kicks/c/tea/", "storefront:category"),
        ("/search/", "storefront:search"),
        ("/", "storefront:home"),
        ("/backoffice/kicks/", "backoffice:shop-home"),
        ("/backoffice/kicks/posts/", "social:staff-post-list"),
    ],
)
def test_social_urls_do_not_shadow_the_storefront_or_the_back_office(path, name):
    match = resolve(path)
    assert f"{match.namespace}:{match.url_name}" == name, path


# --- the feed ----------------------------------------------------------------------------------


def test_the_feed_shows_for_you_to_anonymous_visitors_with_cards_tags_and_prices(client, shop):
    # given
    product = make_product(shop, title="Runner", price=125000, stock=2)
    post = make_post(shop, caption="Fresh #Runners", tags=[product])

    # when
    response = client.get(reverse("social:feed-list") + "?tab=following")

    # then
    html = _html(response)
    assert response.status_code == 200
    assert response.context["tab"] == "for-you", "anonymous visitors see For you"
    assert f'id="post-{post.pk}"' in html
    assert "₱1,250.00" in html, "the products strip shows the price with the money filter"
    assert reverse("social:product-tag-detail", args=[post.pk, post.tags.get().pk]) in html
    assert f'href="{reverse("social:hashtag-detail", args=["runners"])}"' in html
    assert "utm_campaign=post-" in html, "the share link carries the UTM parameters"


def test_the_following_tab_shows_posts_of_followed_shops_and_an_empty_state(
    client, shop, other_shop, shopper
):
    # given
    mine = make_post(shop, caption="Followed shop")
    theirs = make_post(other_shop, caption="Other shop")
    client.force_login(shopper)
    url = reverse("social:feed-list") + "?tab=following"

    # when nobody is followed
    empty = _html(client.get(url))
    services.shop_follow(shop=shop, user=shopper)
    following = client.get(url)

    # then
    assert "Follow shops you like" in empty
    assert [p.pk for p in following.context["page"].posts] == [mine.pk]
    assert f'id="post-{theirs.pk}"' not in _html(following)


def test_the_feed_shows_titles_in_the_active_language(client, shop, settings):
    # given
    product = make_product(shop, title="Green tea")
    product_set_translation(product=product, language="fr", title="Thé vert")
    make_post(shop, tags=[product])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    # when
    html = _html(client.get(reverse("social:feed-list")))

    # then
    assert "Thé vert" in html and "Green tea" not in html


def test_the_feed_hides_drafts_and_posts_not_yet_due(client, shop, clock):
    make_post(shop, caption="Draft words", publish="draft")
    make_post(
        shop, caption="Tomorrow words", publish="schedule", publish_at=clock.now + timedelta(days=1)
    )
    html = _html(client.get(reverse("social:feed-list")))
    assert "Draft words" not in html and "Tomorrow words" not in html
    assert "No posts yet" in html


def test_the_feed_loads_the_next_page_as_an_htmx_partial(client, shop):
    # given
    _feed(FEED_PAGE_SIZE + 2, shop)

    # when
    first = client.get(reverse("social:feed-list"))
    second = client.get(reverse("social:feed-list") + "?tab=for-you&page=2", **HTMX)

    # then
    assert "page=2" in _html(first)
    assert _html(first).count('class="sc-card"') == FEED_PAGE_SIZE
    assert "<html" not in _html(second), "htmx gets the cards only"
    assert _html(second).count('class="sc-card"') == 2


@pytest.mark.parametrize("count", [5, 50])
def test_the_feed_page_costs_the_same_queries_for_5_and_50_posts(
    client, shop, shopper, count, django_assert_num_queries
):
    # given
    _feed(count, shop)
    client.force_login(shopper)

    # when
    with django_assert_num_queries(FEED_FOR_YOU_QUERIES):
        response = client.get(reverse("social:feed-list"))

    # then
    assert response.status_code == 200


@pytest.mark.parametrize("count", [5, 50])
def test_the_feed_page_for_anonymous_visitors_costs_the_same_queries_for_5_and_50_posts(
    client, shop, count, django_assert_num_queries
):
    _feed(count, shop)
    with django_assert_num_queries(FEED_ANONYMOUS_QUERIES):
        assert client.get(reverse("social:feed-list")).status_code == 200


# --- likes and saves ---------------------------------------------------------------------------


def test_liking_with_htmx_returns_the_button_with_the_new_count(client, shop, shopper):
    # given
    post = make_post(shop)
    client.force_login(shopper)

    # when
    response = client.post(reverse("social:post-like", args=[post.pk]), **HTMX)

    # then
    html = _html(response)
    assert response.status_code == 200
    assert 'aria-pressed="true"' in html and '<span class="sc-count"' in html
    assert ">1</span>" in html, "the count is updated"
    assert reverse("social:post-unlike", args=[post.pk]) in html, "the button now unlikes"
    assert Like.objects.filter(post=post, user=shopper).exists()


def test_liking_twice_and_unliking_keep_the_count_right(client, shop, shopper):
    post = make_post(shop)
    client.force_login(shopper)
    client.post(reverse("social:post-like", args=[post.pk]), **HTMX)
    client.post(reverse("social:post-like", args=[post.pk]), **HTMX)
    post.refresh_from_db()
    assert post.like_count == 1
    client.post(reverse("social:post-unlike", args=[post.pk]), **HTMX)
    post.refresh_from_db()
    assert post.like_count == 0


def test_liking_without_javascript_comes_back_to_the_page(client, shop, shopper):
    post = make_post(shop)
    client.force_login(shopper)
    response = client.post(reverse("social:post-like", args=[post.pk]), {"next": "/feed/"})
    assert response.status_code == 302 and response.url == "/feed/"


def test_liking_refuses_a_next_address_on_another_site(client, shop, shopper):
    post = make_post(shop)
    client.force_login(shopper)
    response = client.post(
        reverse("social:post-like", args=[post.pk]), {"next": "https://evil.example/"}
    )
    assert response.url == reverse("social:post-detail", args=[post.pk])


def test_an_anonymous_like_with_htmx_sends_the_visitor_to_log_in(client, shop):
    # given
    post = make_post(shop)

    # when
    response = client.post(reverse("social:post-like", args=[post.pk]), {"next": "/feed/"}, **HTMX)

    # then
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("account_login") + "?next=/feed/"
    assert not Like.objects.exists()


def test_a_like_needs_a_post_request(client, shop, shopper):
    post = make_post(shop)
    client.force_login(shopper)
    assert client.get(reverse("social:post-like", args=[post.pk])).status_code == 405


def test_liking_a_draft_is_a_404(client, shop, shopper):
    post = make_post(shop, publish="draft")
    client.force_login(shopper)
    assert client.post(reverse("social:post-like", args=[post.pk]), **HTMX).status_code == 404
    assert not Like.objects.exists()


def test_saving_with_htmx_marks_the_bookmark(client, shop, shopper):
    post = make_post(shop)
    client.force_login(shopper)
    response = client.post(reverse("social:post-save", args=[post.pk]), **HTMX)
    assert 'aria-pressed="true"' in _html(response)
    assert Save.objects.filter(post=post, user=shopper).exists()
    client.post(reverse("social:post-unsave", args=[post.pk]), **HTMX)
    assert not Save.objects.exists()


# --- the post page and comments ------------------------------------------------------------


def test_the_post_page_shows_comments_with_their_replies(client, shop, shopper, owner):
    # given
    post = make_post(shop)
    top = services.comment_create(post=post, user=shopper, body="Ship to Cebu?")
    services.comment_create(post=post, user=owner, body="Yes, in 2 days", parent_id=top.pk)

    # when
    html = _html(client.get(reverse("social:post-detail", args=[post.pk])))

    # then
    assert "Ship to Cebu?" in html and "Yes, in 2 days" in html
    assert 'class="sc-replies"' in html
    assert "Log in to comment" in html


def test_a_comment_with_html_shows_escaped_as_text(client, shop, shopper):
    # given
    post = make_post(shop)
    client.force_login(shopper)

    # when
    response = client.post(
        reverse("social:comment-create", args=[post.pk]),
        {"body": '<script>alert("x")</script><img src=x onerror=alert(1)>'},
        **HTMX,
    )

    # then
    html = _html(response)
    assert response.status_code == 200
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert 'hx-swap-oob="true"' in html, "the comment count on the card follows"
    assert Comment.objects.get().body.startswith("<script>"), "stored as typed"


def test_a_caption_with_html_shows_escaped_and_its_hashtags_linked(client, shop):
    post = make_post(shop, caption="<b>bold</b> & #Tea\nline two")
    html = _html(client.get(reverse("social:post-detail", args=[post.pk])))
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; " in html
    assert (
        f'<a class="sc-hashtag" href="{reverse("social:hashtag-detail", args=["tea"])}">#Tea</a>'
        in html
    )
    assert "<br>line two" in html


def test_a_5000_character_comment_is_refused_with_the_message_and_the_text_kept(
    client, shop, shopper
):
    # given
    post = make_post(shop)
    client.force_login(shopper)

    # when
    response = client.post(
        reverse("social:comment-create", args=[post.pk]), {"body": "x" * 5000}, **HTMX
    )

    # then
    html = _html(response)
    assert response.status_code == 422
    assert "A comment has at most 1,000 characters (this one has 5,000)." in html
    assert "x" * 5000 in html, "what was typed comes back"
    assert not Comment.objects.exists()


def test_a_reply_posted_from_the_page_hangs_under_the_top_comment(client, shop, shopper, owner):
    # given
    post = make_post(shop)
    top = services.comment_create(post=post, user=shopper, body="Question")
    reply = services.comment_create(post=post, user=owner, body="Answer", parent_id=top.pk)
    client.force_login(shopper)

    # when
    client.post(
        reverse("social:comment-create", args=[post.pk]),
        {"body": "Thanks", "parent": reply.pk},
        **HTMX,
    )

    # then
    assert Comment.objects.get(body="Thanks").parent_id == top.pk


def test_commenting_without_javascript_comes_back_to_the_new_comment(client, shop, shopper):
    post = make_post(shop)
    client.force_login(shopper)
    response = client.post(reverse("social:comment-create", args=[post.pk]), {"body": "Hi"})
    comment = Comment.objects.get()
    assert response.url == reverse("social:post-detail", args=[post.pk]) + f"#comment-{comment.pk}"


def test_shop_staff_see_delete_on_every_comment_and_a_stranger_cannot_delete(
    client, shop, shopper, owner, users
):
    # given
    post = make_post(shop)
    comment = services.comment_create(post=post, user=shopper, body="Hello")
    delete_url = reverse("social:comment-delete", args=[post.pk, comment.pk])

    # when / then: a stranger
    client.force_login(users(1)[0])
    assert delete_url not in _html(client.get(reverse("social:post-detail", args=[post.pk])))
    refused = client.post(delete_url, **HTMX)
    assert refused.status_code == 403 and "Only its author or the shop" in _html(refused)
    assert Comment.objects.exists()

    # when / then: the shop's owner
    client.force_login(owner)
    assert delete_url in _html(client.get(reverse("social:post-detail", args=[post.pk])))
    assert client.post(delete_url, **HTMX).status_code == 200
    assert not Comment.objects.exists()


# --- the product sheet, hashtags, shops, follows ------------------------------------------------


def test_a_tag_dot_opens_the_product_sheet_with_price_stock_and_a_link(client, shop):
    # given
    product = make_product(shop, title="Runner", price=125000, stock=2)
    post = make_post(shop, tags=[product])
    url = reverse("social:product-tag-detail", args=[post.pk, post.tags.get().pk])

    # when
    sheet = client.get(url, **HTMX)
    page = client.get(url)

    # then
    html = _html(sheet)
    assert "<html" not in html, "htmx gets the sheet only"
    assert "Runner" in html and "₱1,250.00" in html and "Only 2 left" in html
    assert reverse("storefront:product", args=[shop.slug, product.slug]) in html
    assert 'id="sc-buy"' in html, "the spot for Add to cart / Buy now is there"
    assert page.status_code == 200 and "<html" in _html(page), "without JavaScript, a page"


def test_the_hashtag_page_finds_posts_by_a_non_latin_hashtag(client, shop):
    post = make_post(shop, caption="今日の #抹茶")
    response = client.get(reverse("social:hashtag-detail", args=["抹茶"]))
    assert response.status_code == 200
    assert reverse("social:post-detail", args=[post.pk]) in _html(response)


def test_an_unknown_hashtag_is_a_404(client):
    assert client.get(reverse("social:hashtag-detail", args=["nobody"])).status_code == 404
    assert client.get("/tags/%00x/").status_code == 404


def test_the_shop_grid_shows_its_posts_followers_and_a_follow_button(client, shop, shopper):
    # given
    post = make_post(shop)
    services.shop_follow(shop=shop, user=shopper)

    # when
    response = client.get(reverse("social:shop-post-list", args=[shop.slug]))

    # then
    html = _html(response)
    assert reverse("social:post-detail", args=[post.pk]) in html
    assert "<strong>1</strong> follower" in html
    assert reverse("social:shop-follow", args=[shop.slug]) in html


def test_following_a_shop_with_htmx_flips_the_button_and_updates_the_count(client, shop, shopper):
    # given
    client.force_login(shopper)

    # when
    response = client.post(
        reverse("social:shop-follow", args=[shop.slug]), {"where": "header"}, **HTMX
    )

    # then
    html = _html(response)
    assert "Following" in html and reverse("social:shop-unfollow", args=[shop.slug]) in html
    assert 'id="sc-follower-count" hx-swap-oob="true"' in html
    assert Follow.objects.filter(shop=shop, user=shopper).exists()

    # and unfollowing
    client.post(reverse("social:shop-unfollow", args=[shop.slug]), **HTMX)
    assert not Follow.objects.exists()


def test_following_an_unknown_shop_is_a_404(client, shopper):
    client.force_login(shopper)
    assert client.post(reverse("social:shop-follow", args=["nope"])).status_code == 404


def test_an_anonymous_follow_without_javascript_goes_to_the_login_page(client, shop):
    response = client.post(reverse("social:shop-follow", args=[shop.slug]))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert not Follow.objects.exists()


# --- query counts of the other pages -------------------------------------------------------------

# Session, user, the top bar's shops; the post with its card (5 queries), the comments with
# their replies (2), whether the viewer is the shop's staff (1).
POST_PAGE_QUERIES = 11
# The shop and its counts (2); the posts and their media (2). Anonymous: no session.
SHOP_GRID_QUERIES = 4
# The hashtag (1); the posts and their media (2).
HASHTAG_QUERIES = 3


@pytest.mark.parametrize("comments", [2, 20])
def test_the_post_page_costs_the_same_queries_for_2_and_20_comments(
    client, shop, shopper, users, comments, django_assert_num_queries
):
    # given
    product = make_product(shop)
    product_image_add(product=product, upload=image_upload(size=(8, 8)))
    post = make_post(shop, tags=[product])
    people = users(comments)
    for n, person in enumerate(people):
        parent = services.comment_create(post=post, user=person, body=f"Comment {n}")
        services.comment_create(post=post, user=shopper, body="Reply", parent_id=parent.pk)
    client.force_login(shopper)

    # when
    with django_assert_num_queries(POST_PAGE_QUERIES):
        response = client.get(reverse("social:post-detail", args=[post.pk]))

    # then
    assert _html(response).count('<li class="sc-comment') == 2 * comments


@pytest.mark.parametrize("count", [5, 50])
def test_the_grids_cost_the_same_queries_for_5_and_50_posts(
    client, shop, count, django_assert_num_queries
):
    # given
    for _n in range(count):
        make_post(shop, caption="#tea")

    # when / then
    with django_assert_num_queries(SHOP_GRID_QUERIES):
        assert client.get(reverse("social:shop-post-list", args=[shop.slug])).status_code == 200
    with django_assert_num_queries(HASHTAG_QUERIES):
        assert client.get(reverse("social:hashtag-detail", args=["tea"])).status_code == 200
