"""API v1 of the social layer: the feed, posts, comments, likes, saves, follows and grids, for
anonymous visitors and for shoppers logged in with their session."""

from datetime import timedelta

import pytest
from django.test import Client

from plaza.catalog.services import product_image_add, product_set_translation
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.social import services
from plaza.social.models import COMMENT_MAX_LENGTH, Comment, Follow, Like, Save
from plaza.social.selectors import FEED_PAGE_SIZE
from plaza.social.tests.factories import make_post

pytestmark = pytest.mark.django_db

JSON = "application/json"
API = "/api/v1"

# Session and user; then the feed (see test_selectors): candidates, posts, media, product tags,
# product images, product translations.
FEED_FOR_YOU_QUERIES = 8
# No session without a login cookie.
FEED_FOR_YOU_ANONYMOUS_QUERIES = 6
# Session and user; posts, media, product tags, product images, product translations.
FEED_FOLLOWING_QUERIES = 7
# The hashtag (or the shop), the posts with their shop, their media.
GRID_QUERIES = 3
# The post, the top-level comments with their authors, the replies with theirs.
COMMENTS_QUERIES = 3


def _shoppable_posts(shop, count: int) -> list:
    """``count`` posts tagged "#tea", each with one of three products that have a photo and a
    French title."""
    products = []
    for n in range(3):
        product = make_product(shop, title=f"Tea {n}", stock=3)
        product_image_add(product=product, upload=image_upload(size=(8, 8)))
        product_set_translation(product=product, language="fr", title=f"Thé {n}")
        products.append(product)
    return [make_post(shop, caption=f"Post {n} #tea", tags=[products[n % 3]]) for n in range(count)]


@pytest.fixture
def shopper_client(shopper) -> Client:
    client = Client()
    client.force_login(shopper)
    return client


# --- the feed --------------------------------------------------------------------------------


def test_feed_api_for_you_shows_posts_with_shop_media_product_tags_and_prices(client, shop):
    # given
    product = make_product(shop, title="Runner", price=125_000, stock=2)
    post = make_post(shop, caption="Fresh #Runners for #抹茶 fans", tags=[product])

    # when
    response = client.get(f"{API}/feed")

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["next_page"]) == (1, None)
    [item] = body["items"]
    assert item["id"] == post.pk
    assert item["shop"] == {"id": shop.pk, "slug": "kicks", "name": "Kicks"}
    assert item["caption"] == "Fresh #Runners for #抹茶 fans"
    assert item["hashtags"] == ["runners", "抹茶"]
    assert item["media"][0]["kind"] == "image"
    assert item["media"][0]["url"].startswith("/media/posts/")
    [tag] = item["product_tags"]
    assert (tag["x"], tag["y"], tag["media_index"]) == (0.5, 0.5, 0)
    assert tag["product"]["id"] == product.pk
    assert tag["product"]["title"] == "Runner"
    assert (tag["product"]["price_min"], tag["product"]["currency"]) == (125_000, "PHP")
    assert (item["like_count"], item["comment_count"]) == (0, 0)
    assert (item["liked"], item["saved"], item["following"]) == (False, False, False)
    assert item["published_at"]
    assert item["share_url"].endswith(
        f"/p/{post.pk}/?utm_source=plaza&utm_medium=share&utm_campaign=post-{post.pk}"
    )


def test_feed_api_hides_drafts_and_posts_not_yet_due(client, shop, clock):
    # given
    shown = make_post(shop, caption="Now")
    make_post(shop, caption="Draft", publish="draft")
    make_post(
        shop, caption="Tomorrow", publish="schedule", publish_at=clock.now + timedelta(days=1)
    )

    # when
    response = client.get(f"{API}/feed")

    # then
    assert [i["id"] for i in response.json()["items"]] == [shown.pk]


def test_feed_api_shows_what_the_logged_in_shopper_liked_saved_and_follows(
    shopper_client, shop, shopper
):
    # given
    post = make_post(shop)
    services.post_like(post=post, user=shopper)
    services.post_save(post=post, user=shopper)
    services.shop_follow(shop=shop, user=shopper)

    # when
    [item] = shopper_client.get(f"{API}/feed").json()["items"]

    # then
    assert (item["liked"], item["saved"], item["following"]) == (True, True, True)
    assert (item["like_count"], item["save_count"]) == (1, 1)


def test_feed_api_following_shows_only_the_followed_shops_posts(
    shopper_client, shop, other_shop, shopper
):
    # given
    mine = make_post(shop, caption="Followed")
    make_post(other_shop, caption="Not followed")
    services.shop_follow(shop=shop, user=shopper)

    # when
    response = shopper_client.get(f"{API}/feed?tab=following")

    # then
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [mine.pk]


def test_feed_api_following_without_a_login_is_401_with_the_error_shape(client, shop):
    # when
    response = client.get(f"{API}/feed?tab=following")

    # then
    assert response.status_code == 401
    assert response.json() == {
        "code": "login_required",
        "detail": "Log in to see the posts of the shops you follow.",
    }


def test_feed_api_pages_by_number(client, shop):
    # given
    _shoppable_posts(shop, FEED_PAGE_SIZE + 2)

    # when
    first = client.get(f"{API}/feed").json()
    second = client.get(f"{API}/feed?page=2").json()

    # then
    assert (len(first["items"]), first["next_page"]) == (FEED_PAGE_SIZE, 2)
    assert (len(second["items"]), second["page"], second["next_page"]) == (2, 2, None)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}


@pytest.mark.parametrize(
    ("query", "field"), [("tab=latest", "tab"), ("page=0", "page"), ("page=abc", "page")]
)
def test_feed_api_refuses_an_unknown_tab_or_page_with_422(client, db, query, field):
    # when
    response = client.get(f"{API}/feed?{query}")

    # then
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_feed_api_shows_product_titles_in_the_requested_language(client, shop):
    # given
    product = make_product(shop, title="Green tea")
    product_set_translation(product=product, language="fr", title="Thé vert")
    make_post(shop, tags=[product])

    # when
    response = client.get(f"{API}/feed", headers={"Accept-Language": "fr"})

    # then
    [item] = response.json()["items"]
    assert item["product_tags"][0]["product"]["title"] == "Thé vert"


@pytest.mark.parametrize("count", [5, 50])
def test_feed_api_for_you_costs_the_same_queries_for_5_and_50_posts(
    shopper_client, shop, count, django_assert_num_queries
):
    # given
    _shoppable_posts(shop, count)

    # when
    with django_assert_num_queries(FEED_FOR_YOU_QUERIES):
        response = shopper_client.get(f"{API}/feed")

    # then
    assert len(response.json()["items"]) == min(count, FEED_PAGE_SIZE)


@pytest.mark.parametrize("count", [5, 50])
def test_feed_api_for_you_for_anonymous_visitors_costs_the_same_queries_for_5_and_50_posts(
    client, shop, count, django_assert_num_queries
):
    # given
    _shoppable_posts(shop, count)

    # when
    with django_assert_num_queries(FEED_FOR_YOU_ANONYMOUS_QUERIES):
        response = client.get(f"{API}/feed")

    # then
    assert len(response.json()["items"]) == min(count, FEED_PAGE_SIZE)


@pytest.mark.parametrize("count", [5, 50])
def test_feed_api_following_costs_the_same_queries_for_5_and_50_posts(
    shopper_client, shop, shopper, count, django_assert_num_queries
):
    # given
    _shoppable_posts(shop, count)
    services.shop_follow(shop=shop, user=shopper)

    # when
    with django_assert_num_queries(FEED_FOLLOWING_QUERIES):
        response = shopper_client.get(f"{API}/feed?tab=following")

    # then
    assert len(response.json()["items"]) == min(count, FEED_PAGE_SIZE)


# --- one post -------------------------------------------------------------------------------


def test_post_api_get_answers_the_post_card(shopper_client, shop, shopper):
    # given
    post = make_post(shop, caption="One")
    services.post_like(post=post, user=shopper)

    # when
    response = shopper_client.get(f"{API}/posts/{post.pk}")

    # then
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["liked"]) == (post.pk, True)


@pytest.mark.parametrize("kind", ["missing", "draft", "scheduled"])
def test_post_api_get_of_a_missing_draft_or_scheduled_post_is_404(client, shop, clock, kind):
    # given
    post_id = {
        "missing": lambda: 999_999,
        "draft": lambda: make_post(shop, publish="draft").pk,
        "scheduled": lambda: (
            make_post(shop, publish="schedule", publish_at=clock.now + timedelta(hours=1)).pk
        ),
    }[kind]()

    # when
    response = client.get(f"{API}/posts/{post_id}")

    # then
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "This post does not exist."}


@pytest.mark.parametrize("post_id", ["abc", "0", "-1", str(2**63)])
def test_post_api_get_with_an_id_that_is_not_a_positive_integer_is_422(client, db, post_id):
    # when
    response = client.get(f"{API}/posts/{post_id}")

    # then
    assert response.status_code == 422
    assert response.json()["field"] == "post_id"


# --- likes and saves -------------------------------------------------------------------------


def test_post_api_like_twice_then_unlike_keeps_the_count_exact(shopper_client, shop, shopper):
    # given
    post = make_post(shop)
    url = f"{API}/posts/{post.pk}/like"

    # when
    first = shopper_client.post(url)
    second = shopper_client.post(url)
    undone = shopper_client.delete(url)

    # then
    assert first.json() == second.json() == {"liked": True, "like_count": 1}
    assert undone.json() == {"liked": False, "like_count": 0}
    assert not Like.objects.exists()


def test_post_api_save_and_unsave(shopper_client, shop, shopper):
    # given
    post = make_post(shop)
    url = f"{API}/posts/{post.pk}/save"

    # when
    saved = shopper_client.post(url)
    stored = Save.objects.filter(post=post, user=shopper).exists()
    unsaved = shopper_client.delete(url)

    # then
    assert saved.json() == {"saved": True, "save_count": 1}
    assert stored
    assert unsaved.json() == {"saved": False, "save_count": 0}
    assert not Save.objects.exists()


def test_post_api_like_without_a_login_is_401_and_changes_nothing(client, shop):
    # given
    post = make_post(shop)

    # when
    response = client.post(f"{API}/posts/{post.pk}/like")

    # then
    assert response.status_code == 401
    assert response.json() == {"code": "login_required", "detail": "Log in to do this."}
    assert not Like.objects.exists()


def test_post_api_like_of_a_draft_is_404(shopper_client, shop):
    # given
    post = make_post(shop, publish="draft")

    # when
    response = shopper_client.post(f"{API}/posts/{post.pk}/like")

    # then
    assert response.status_code == 404
    assert not Like.objects.exists()


def test_post_api_like_with_a_session_needs_the_csrf_token(shop, shopper):
    # given: a browser-like client that enforces CSRF, logged in, with its CSRF cookie
    post = make_post(shop)
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)
    token = "a" * 32
    client.cookies["csrftoken"] = token
    url = f"{API}/posts/{post.pk}/like"

    # when
    refused = client.post(url)
    accepted = client.post(url, headers={"X-CSRFToken": token})

    # then
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert "X-CSRFToken" in refused.json()["detail"]
    assert accepted.status_code == 200
    assert Like.objects.filter(post=post, user=shopper).count() == 1


def test_post_api_reads_need_no_csrf_token(shop, shopper):
    # given
    post = make_post(shop)
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)

    # when
    response = client.get(f"{API}/posts/{post.pk}")

    # then
    assert response.status_code == 200


# --- comments ------------------------------------------------------------------------------


def test_comment_api_create_stores_html_as_plain_text(shopper_client, shop, shopper):
    # given
    post = make_post(shop)
    body = "<script>alert('hi')</script> <b>nice</b>"

    # when
    response = shopper_client.post(
        f"{API}/posts/{post.pk}/comments", {"body": body}, content_type=JSON
    )

    # then
    assert response.status_code == 201
    created = response.json()
    assert created["body"] == body, "stored and answered as typed: clients show it as text"
    assert response["Content-Type"].startswith("application/json")
    assert (created["parent_id"], created["mine"]) == (None, True)
    assert created["author"]["name"] == shopper.display_name
    assert Comment.objects.get().body == body
    post.refresh_from_db()
    assert post.comment_count == 1


def test_comment_api_refuses_a_5000_character_comment_with_422(shopper_client, shop):
    # given
    post = make_post(shop)

    # when
    response = shopper_client.post(
        f"{API}/posts/{post.pk}/comments", {"body": "x" * 5000}, content_type=JSON
    )

    # then
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "detail": f"A comment has at most {COMMENT_MAX_LENGTH:,} characters (this one has 5,000).",
        "field": "body",
    }
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "   "}, "body"),
        ({}, "body"),
        ({"body": 12}, "body"),
        ({"body": "hi", "parent_id": "x"}, "parent_id"),
        ({"body": "hi", "author": "someone"}, "author"),
    ],
)
def test_comment_api_refuses_bad_bodies_with_422(shopper_client, shop, payload, field):
    # given
    post = make_post(shop)

    # when
    response = shopper_client.post(f"{API}/posts/{post.pk}/comments", payload, content_type=JSON)

    # then
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not Comment.objects.exists()


def test_comment_api_refuses_malformed_json_with_400(shopper_client, shop):
    # given
    post = make_post(shop)

    # when
    response = shopper_client.post(f"{API}/posts/{post.pk}/comments", "{body", content_type=JSON)

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"


def test_comment_api_on_an_unknown_post_is_404(shopper_client, db):
    # when
    response = shopper_client.post(
        f"{API}/posts/999999/comments", {"body": "Hello"}, content_type=JSON
    )

    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "This post does not exist."


def test_comment_api_reply_to_a_reply_joins_its_thread(shopper_client, shop, owner):
    # given
    post = make_post(shop)
    top = services.comment_create(post=post, user=owner, body="Welcome")
    reply = services.comment_create(post=post, user=owner, body="Ask away", parent_id=top.pk)

    # when
    response = shopper_client.post(
        f"{API}/posts/{post.pk}/comments",
        {"body": "Thanks", "parent_id": reply.pk},
        content_type=JSON,
    )

    # then
    assert response.status_code == 201
    assert response.json()["parent_id"] == top.pk


def test_comment_api_reply_to_a_deleted_comment_is_404(shopper_client, shop):
    # given
    post = make_post(shop)

    # when
    response = shopper_client.post(
        f"{API}/posts/{post.pk}/comments", {"body": "Hi", "parent_id": 424242}, content_type=JSON
    )

    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "The comment you are replying to was deleted."


def test_comment_api_list_shows_threads_oldest_first_and_marks_the_shoppers_own(
    shopper_client, shop, owner, shopper
):
    # given
    post = make_post(shop)
    first = services.comment_create(post=post, user=shopper, body="First")
    answer = services.comment_create(post=post, user=owner, body="Answer", parent_id=first.pk)
    second = services.comment_create(post=post, user=owner, body="Second")

    # when
    response = shopper_client.get(f"{API}/posts/{post.pk}/comments")

    # then
    assert response.status_code == 200
    threads = response.json()
    assert [(c["id"], c["mine"]) for c in threads] == [(first.pk, True), (second.pk, False)]
    assert [r["id"] for r in threads[0]["replies"]] == [answer.pk]
    assert threads[1]["replies"] == []


@pytest.mark.parametrize("comments", [2, 20])
def test_comment_api_list_costs_the_same_queries_for_2_and_20_comments(
    client, shop, users, comments, django_assert_num_queries
):
    # given
    post = make_post(shop)
    for user in users(comments):
        top = services.comment_create(post=post, user=user, body="Nice")
        services.comment_create(post=post, user=user, body="Reply", parent_id=top.pk)

    # when
    with django_assert_num_queries(COMMENTS_QUERIES):
        response = client.get(f"{API}/posts/{post.pk}/comments")

    # then
    assert len(response.json()) == comments


def test_comment_api_delete_by_its_author_removes_it_with_its_replies(
    shopper_client, shop, owner, shopper
):
    # given
    post = make_post(shop)
    mine = services.comment_create(post=post, user=shopper, body="Mine")
    services.comment_create(post=post, user=owner, body="Reply", parent_id=mine.pk)

    # when
    response = shopper_client.delete(f"{API}/posts/{post.pk}/comments/{mine.pk}")

    # then
    assert response.status_code == 204
    assert not Comment.objects.exists()
    post.refresh_from_db()
    assert post.comment_count == 0


def test_comment_api_delete_of_someone_elses_comment_is_403(shopper_client, shop, owner):
    # given
    post = make_post(shop)
    theirs = services.comment_create(post=post, user=owner, body="Shop's words")

    # when
    response = shopper_client.delete(f"{API}/posts/{post.pk}/comments/{theirs.pk}")

    # then
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "detail": "Only its author or the shop can delete this comment.",
    }
    assert Comment.objects.filter(pk=theirs.pk).exists()


def test_comment_api_delete_by_the_shops_staff_is_allowed(shop, owner, shopper):
    # given
    post = make_post(shop)
    rude = services.comment_create(post=post, user=shopper, body="Rude")
    staff = Client()
    staff.force_login(owner)

    # when
    response = staff.delete(f"{API}/posts/{post.pk}/comments/{rude.pk}")

    # then
    assert response.status_code == 204
    assert not Comment.objects.exists()


def test_comment_api_delete_of_another_posts_comment_is_404(shopper_client, shop, shopper):
    # given
    post, other = make_post(shop), make_post(shop)
    comment = services.comment_create(post=other, user=shopper, body="Elsewhere")

    # when
    response = shopper_client.delete(f"{API}/posts/{post.pk}/comments/{comment.pk}")

    # then
    assert response.status_code == 404
    assert Comment.objects.filter(pk=comment.pk).exists()


# --- follows -------------------------------------------------------------------------------


def test_follow_api_follows_and_unfollows_a_shop(shopper_client, shop, shopper):
    # when
    followed = shopper_client.post(f"{API}/shops/kicks/follow")
    again = shopper_client.post(f"{API}/shops/kicks/follow")
    follows = Follow.objects.filter(shop=shop, user=shopper).count()
    unfollowed = shopper_client.delete(f"{API}/shops/kicks/follow")

    # then
    assert followed.json() == again.json() == {"following": True}
    assert follows == 1
    assert unfollowed.json() == {"following": False}
    assert not Follow.objects.exists()


def test_follow_api_of_an_unknown_shop_is_404(shopper_client, db):
    # when
    response = shopper_client.post(f"{API}/shops/nowhere/follow")

    # then
    assert response.status_code == 404
    assert not Follow.objects.exists()


def test_follow_api_without_a_login_is_401(client, shop):
    # when
    response = client.post(f"{API}/shops/kicks/follow")

    # then
    assert response.status_code == 401
    assert response.json()["code"] == "login_required"


# --- grids ---------------------------------------------------------------------------------


def test_hashtag_posts_api_finds_posts_by_a_hashtag_in_any_case_or_width(client, shop):
    # given
    tagged = make_post(shop, caption="New #Matcha")
    make_post(shop, caption="No tag")

    # when
    responses = [client.get(f"{API}/tags/{name}/posts") for name in ("matcha", "ＭＡＴＣＨＡ")]

    # then
    for response in responses:
        assert response.status_code == 200
        assert [i["id"] for i in response.json()["items"]] == [tagged.pk]
        assert response.json()["items"][0]["hashtags"] == ["matcha"]


def test_hashtag_posts_api_of_an_unused_hashtag_is_404(client, db):
    # when
    response = client.get(f"{API}/tags/nothing/posts")

    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "Nobody has used this hashtag yet."


def test_shop_posts_api_lists_only_the_shops_visible_posts(client, shop, other_shop):
    # given
    own = make_post(shop)
    make_post(shop, publish="draft")
    make_post(other_shop)

    # when
    response = client.get(f"{API}/shops/kicks/posts")

    # then
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [own.pk]
    assert response.json()["items"][0]["shop"]["slug"] == "kicks"


def test_shop_posts_api_of_an_unknown_shop_is_404(client, db):
    assert client.get(f"{API}/shops/nowhere/posts").status_code == 404


@pytest.mark.parametrize("count", [5, 50])
def test_grid_apis_cost_the_same_queries_for_5_and_50_posts(
    client, shop, count, django_assert_num_queries
):
    # given
    _shoppable_posts(shop, count)

    # when / then
    for url in (f"{API}/tags/tea/posts", f"{API}/shops/kicks/posts"):
        with django_assert_num_queries(GRID_QUERIES):
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.json()["items"]) == min(count, 24)


# --- the OpenAPI document ------------------------------------------------------------------


def test_social_api_reads_take_an_optional_session_and_writes_require_one(client, db):
    # given
    openapi = client.get(f"{API}/openapi.json").json()
    session = {"ShopperSession": []}
    operations = [
        (method, path, op)
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        if op["tags"] == ["social"]
    ]

    # then
    assert openapi["components"]["securitySchemes"]["ShopperSession"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
    }
    # 13, and the 4 of people: a profile, their posts, follow and unfollow (test_api_people.py).
    assert len(operations) == 17
    for method, path, op in operations:
        if method == "get":
            assert op["security"] == [session, {}], path
        else:
            assert op["security"] == [session], path
            assert {"401", "403", "404", "422"} <= set(op["responses"]), (method, path)
