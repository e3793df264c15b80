"""People's pages: a person's profile at /@<handle>/, following them with htmx, the creator's
composer at /me/posts/new/, and creators on post cards and comments."""

import json

import pytest
from django.urls import resolve, reverse

from plaza.accounts.services import user_handle_set
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.social import services
from plaza.social.models import Post, UserFollow
from plaza.social.tests.factories import make_post

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# Session, user, the top bar's shops; then the person, their counts, the posts with their shop
# and author, the posts' media.
PROFILE_QUERIES = 7


@pytest.fixture
def creator(users):
    person = users(1)[0]
    person.display_name = "Mia Tan"
    person.bio = "Tea & sneakers <3"
    person.save(update_fields=["display_name", "bio"])
    return user_handle_set(user=person, handle="mia")


def _html(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/@mia/", "social:user-profile"),
        ("/@mia/follow/", "social:user-follow"),
        ("/me/posts/new/", "social:creator-post-create"),
        ("/me/", "accounts:profile"),
        ("/me/addresses/", "accounts:address-list"),
    ],
)
def test_people_urls_do_not_shadow_the_account_pages(path, name):
    assert resolve(path).view_name == name


def test_the_profile_shows_name_handle_bio_counts_and_the_grid(client, shop, creator, shopper):
    # given
    post = make_post(None, author=creator, caption="Matcha time", tags=[make_product(shop)])
    make_post(shop, author=creator, caption="Written for the shop")
    services.user_follow(follower=shopper, followed=creator)

    # when
    response = client.get("/@MIA/")

    # then
    html = _html(response)
    assert response.status_code == 200
    assert "Mia Tan" in html and "@mia" in html
    assert "Tea &amp; sneakers &lt;3" in html
    assert "<strong>1</strong> post" in html and "<strong>1</strong> follower" in html
    assert "<strong>0</strong> following" in html
    assert reverse("social:post-detail", args=[post.pk]) in html
    assert "Written for the shop" not in html
    assert reverse("social:user-follow", args=["mia"]) in html


def test_an_unknown_handle_is_a_404(client, db):
    assert client.get("/@nobody/").status_code == 404


def test_a_person_on_their_own_profile_sees_new_post_instead_of_follow(client, creator):
    # given
    client.force_login(creator)

    # when
    html = _html(client.get("/@mia/"))

    # then
    assert reverse("social:creator-post-create") in html
    assert reverse("social:user-follow", args=["mia"]) not in html


@pytest.mark.parametrize("count", [3, 30])
def test_the_profile_page_costs_the_same_queries_for_3_and_30_posts(
    client, shopper, creator, count, django_assert_num_queries
):
    # given
    for _ in range(count):
        make_post(None, author=creator)
    client.force_login(shopper)

    # when / then
    with django_assert_num_queries(PROFILE_QUERIES):
        response = client.get("/@mia/")
    assert response.status_code == 200


def test_following_a_person_with_htmx_flips_the_button_and_updates_the_count(
    client, shopper, creator
):
    # given
    client.force_login(shopper)

    # when
    response = client.post("/@mia/follow/", {"where": "header"}, **HTMX)

    # then
    html = _html(response)
    assert response.status_code == 200
    assert "Following" in html and reverse("social:user-unfollow", args=["mia"]) in html
    assert 'id="sc-follower-count" hx-swap-oob="true"' in html
    assert "<strong>1</strong> follower" in html
    assert UserFollow.objects.filter(follower=shopper, followed=creator).exists()

    # and unfollowing flips it back
    response = client.post("/@mia/unfollow/", {"where": "header"}, **HTMX)
    assert reverse("social:user-follow", args=["mia"]) in _html(response)
    assert not UserFollow.objects.exists()


def test_following_oneself_from_the_page_says_why_and_changes_nothing(client, creator):
    # given
    client.force_login(creator)

    # when
    response = client.post("/@mia/follow/", **HTMX)

    # then
    assert response.status_code == 422
    assert "You cannot follow yourself." in _html(response)
    assert not UserFollow.objects.exists()


def test_an_anonymous_follow_of_a_person_goes_to_the_login_page(client, creator):
    # when
    response = client.post("/@mia/follow/", {"next": "/@mia/"})

    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_creator_post_card_shows_the_creator_linking_to_the_profile(client, shop, creator):
    # given
    post = make_post(None, author=creator, caption="Look #glow", tags=[make_product(shop)])

    # when
    html = _html(client.get(reverse("social:post-detail", args=[post.pk])))

    # then
    assert 'href="/@mia/"' in html
    assert "Mia Tan" in html
    assert "Post by Mia Tan" in html


def test_comments_link_the_commenters_name_to_their_profile(client, shop, shopper):
    # given
    post = make_post(shop)
    services.comment_create(post=post, user=shopper, body="Love it")
    shopper.refresh_from_db()

    # when
    html = _html(client.get(reverse("social:post-detail", args=[post.pk])))

    # then
    assert f'href="/@{shopper.handle}/"' in html


def test_the_creator_composer_needs_a_login(client, db):
    response = client.get("/me/posts/new/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_creator_composer_offers_publish_now_and_schedule_but_no_draft(client, shopper):
    # given
    client.force_login(shopper)

    # when
    html = _html(client.get("/me/posts/new/"))

    # then
    assert 'value="now"' in html and 'value="schedule"' in html
    assert 'value="draft"' not in html
    assert reverse("social:creator-product-search") in html


def test_a_creator_posts_from_the_composer_tagging_another_shops_product(
    client, shopper, other_shop
):
    # given
    product = make_product(other_shop, title="Rose serum")
    client.force_login(shopper)

    # when
    response = client.post(
        "/me/posts/new/",
        {
            "media": [image_upload(size=(8, 10))],
            "caption": "My glow",
            "tags": json.dumps([{"product_id": product.pk, "x": 0.4, "y": 0.6}]),
            "publish": "now",
        },
    )

    # then
    post = Post.objects.get()
    shopper.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/@{shopper.handle}/"
    assert (post.shop_id, post.author_id, post.is_visible()) == (None, shopper.pk, True)
    assert [t.product_id for t in post.tags.all()] == [product.pk]


def test_the_creator_composer_refuses_a_draft_products_tag_with_the_message(client, shopper, shop):
    # given
    product = make_product(shop, status="draft")
    client.force_login(shopper)

    # when
    response = client.post(
        "/me/posts/new/",
        {
            "media": [image_upload(size=(8, 10))],
            "tags": json.dumps([{"product_id": product.pk, "x": 0.4, "y": 0.6}]),
            "publish": "now",
        },
    )

    # then
    assert response.status_code == 422
    assert "Only products on sale in a shop can be tagged." in _html(response)
    assert not Post.objects.exists()


def test_the_creator_picker_finds_products_on_sale_of_every_shop(client, shopper, shop, other_shop):
    # given
    make_product(shop, title="Matcha whisk")
    make_product(other_shop, title="Matcha soap")
    make_product(other_shop, title="Matcha draft", status="draft")
    client.force_login(shopper)

    # when
    html = _html(client.get("/me/posts/products/?q=matcha", **HTMX))

    # then
    assert "Matcha whisk" in html and "Matcha soap" in html
    assert "Matcha draft" not in html


def test_the_account_page_gives_a_handle_and_edits_handle_and_bio(client, shopper):
    # given
    client.force_login(shopper)

    # when the person opens their account page, then saves a new handle and bio
    html = _html(client.get("/me/"))
    shopper.refresh_from_db()
    response = client.post(
        "/me/", {"display_name": "Mia", "language": "", "handle": "Mia.T", "bio": "Hi"}
    )

    # then
    assert shopper.handle and f'value="{shopper.handle}"' in html
    assert response.status_code == 302
    shopper.refresh_from_db()
    assert (shopper.handle, shopper.bio) == ("mia.t", "Hi")


def test_the_account_page_shows_a_taken_handle_error_on_the_field(client, shopper, creator):
    # given
    client.force_login(shopper)

    # when
    response = client.post("/me/", {"display_name": "", "language": "", "handle": "MIA", "bio": ""})

    # then
    assert response.status_code == 409
    assert "@mia is taken. Try another one." in _html(response)
