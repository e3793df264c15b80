"""API v1 for people: profiles, their posts, following them, and creator posts in the outputs."""

import pytest
from django.test import Client

from plaza.accounts.services import user_handle_set
from plaza.catalog.tests.factories import make_product
from plaza.social import services
from plaza.social.models import UserFollow
from plaza.social.tests.factories import make_post

pytestmark = pytest.mark.django_db

API = "/api/v1"
# The person; the posts with their shop and author; their media.
USER_POSTS_QUERIES = 3


@pytest.fixture
def creator(users):
    person = users(1)[0]
    person.display_name = "Mia"
    person.save(update_fields=["display_name"])
    return user_handle_set(user=person, handle="mia")


@pytest.fixture
def shopper_client(shopper) -> Client:
    client = Client()
    client.force_login(shopper)
    return client


def test_user_api_get_shows_name_handle_bio_and_counts(client, creator, shopper):
    # given
    make_post(None, author=creator)
    services.user_follow(follower=shopper, followed=creator)

    # when
    response = client.get(f"{API}/users/@MIA")

    # then
    assert response.status_code == 200
    assert response.json() == {
        "handle": "mia",
        "name": "Mia",
        "bio": "",
        "post_count": 1,
        "follower_count": 1,
        "following_count": 0,
        "following": False,
    }


def test_user_api_get_of_an_unknown_handle_is_404_with_the_error_shape(client, db):
    # when
    response = client.get(f"{API}/users/nobody")

    # then
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "This profile does not exist."}


def test_user_api_get_refuses_a_malformed_handle_with_422(client, db):
    assert client.get(f"{API}/users/a-b").status_code == 422


def test_user_api_posts_lists_the_creators_posts_with_the_author_and_no_shop(client, shop, creator):
    # given
    post = make_post(None, author=creator, caption="Love it", tags=[make_product(shop)])
    make_post(shop, author=creator)  # written for a shop: the shop's, not on their profile

    # when
    response = client.get(f"{API}/users/mia/posts")

    # then
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert (item["id"], item["shop"], item["author"]) == (
        post.pk,
        None,
        {"handle": "mia", "name": "Mia"},
    )


@pytest.mark.parametrize("count", [3, 30])
def test_user_api_posts_costs_the_same_queries_for_3_and_30_posts(
    client, creator, count, django_assert_num_queries
):
    # given
    for _ in range(count):
        make_post(None, author=creator)

    # when / then
    with django_assert_num_queries(USER_POSTS_QUERIES):
        response = client.get(f"{API}/users/mia/posts")
    assert response.status_code == 200


def test_a_shop_post_in_the_api_has_its_shop_and_no_author(client, shop):
    # given
    make_post(shop)

    # when
    [item] = client.get(f"{API}/feed").json()["items"]

    # then
    assert item["shop"]["slug"] == "kicks" and item["author"] is None


def test_user_api_follow_and_unfollow_are_idempotent(shopper_client, shopper, creator):
    # when / then
    for _ in range(2):
        response = shopper_client.post(f"{API}/users/mia/follow")
        assert (response.status_code, response.json()) == (200, {"following": True})
    assert UserFollow.objects.filter(follower=shopper, followed=creator).count() == 1
    assert shopper_client.get(f"{API}/users/mia").json()["following"] is True
    for _ in range(2):
        response = shopper_client.delete(f"{API}/users/mia/follow")
        assert (response.status_code, response.json()) == (200, {"following": False})
    assert not UserFollow.objects.exists()


def test_user_api_following_oneself_is_422_with_the_message(shopper_client, shopper):
    # given
    user_handle_set(user=shopper, handle="me.myself")

    # when
    response = shopper_client.post(f"{API}/users/me.myself/follow")

    # then
    assert response.status_code == 422
    assert response.json()["detail"] == "You cannot follow yourself."
    assert not UserFollow.objects.exists()


def test_user_api_follow_without_a_login_is_401(client, creator):
    assert client.post(f"{API}/users/mia/follow").status_code == 401


def test_the_following_feed_api_includes_a_followed_creators_post(
    shopper_client, shopper, creator, shop
):
    # given
    post = make_post(None, author=creator, tags=[make_product(shop)])
    services.user_follow(follower=shopper, followed=creator)

    # when
    [item] = shopper_client.get(f"{API}/feed?tab=following").json()["items"]

    # then
    assert (item["id"], item["author"]["handle"], item["following"]) == (post.pk, "mia", True)
    assert item["product_tags"][0]["product"]["currency"] == "PHP"
