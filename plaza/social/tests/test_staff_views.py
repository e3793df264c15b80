"""The back-office pages of the social layer: the shop's posts and the composer, and tenancy."""

import json
from datetime import timedelta

import pytest
from django.urls import URLPattern, reverse

from plaza.accounts.models import StaffRole
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.social import urls as social_urls
from plaza.social.models import Post, PostStatus
from plaza.social.tests.factories import make_post, video_upload

pytestmark = pytest.mark.django_db


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"social:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


@pytest.fixture
def owner_client(client, owner, shop):
    client.force_login(owner)
    return client


@pytest.fixture
def agent(shop, owner):
    from plaza.accounts.services import membership_add
    from plaza.accounts.tests.factories import UserFactory

    user = UserFactory(email="agent@kicks.test")
    membership_add(shop=shop, user=user, role=StaffRole.AGENT)
    return user


def _compose(**overrides) -> dict:
    data = {"caption": "New #drop", "publish": "now", "tags": "[]", "media": [image_upload()]}
    data.update(overrides)
    return data


# --- the composer -----------------------------------------------------------------------------


def test_the_composer_page_lists_the_shops_products_to_tag(owner_client, shop, other_shop):
    # given
    make_product(shop, title="Runner")
    make_product(other_shop, title="Sérum")

    # when
    response = owner_client.get(url("staff-post-create", shop))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Runner" in html and "Sérum" not in html
    assert 'id="composer-state"' in html


def test_composing_publishes_a_post_with_photos_tags_and_hashtags(owner_client, shop, owner):
    # given
    product = make_product(shop, title="Runner")
    tags = [{"product_id": product.pk, "x": 0.25, "y": 0.75, "media_index": 1, "title": "Runner"}]

    # when
    response = owner_client.post(
        url("staff-post-create", shop),
        _compose(media=[image_upload(), image_upload(color="blue")], tags=json.dumps(tags)),
    )

    # then
    assert response.status_code == 302
    assert response.url == url("staff-post-list", shop)
    post = Post.objects.get()
    assert (post.status, post.author, post.caption) == (PostStatus.PUBLISHED, owner, "New #drop")
    assert post.media.count() == 2
    tag = post.tags.get()
    assert (tag.product, tag.x, tag.y, tag.media_index) == (product, 0.25, 0.75, 1)
    assert list(post.hashtags.values_list("tag", flat=True)) == ["drop"]


def test_composing_a_video_post(owner_client, shop):
    response = owner_client.post(url("staff-post-create", shop), _compose(media=[video_upload()]))
    assert response.status_code == 302
    assert Post.objects.get().media.get().is_video


def test_composing_schedules_a_post_in_the_browsers_time_zone(owner_client, shop, clock):
    # given a browser 8 hours ahead of UTC (getTimezoneOffset() = -480), two days from now
    local = (clock.now + timedelta(days=2)).replace(tzinfo=None)

    # when
    response = owner_client.post(
        url("staff-post-create", shop),
        _compose(publish="schedule", publish_at=local.strftime("%Y-%m-%dT%H:%M"), tz_offset="-480"),
    )

    # then
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.status == PostStatus.SCHEDULED
    expected = (clock.now + timedelta(days=2) - timedelta(hours=8)).replace(second=0)
    assert post.publish_at == expected


def test_composing_a_schedule_in_the_past_is_refused_with_the_message(owner_client, shop, clock):
    past = (clock.now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = owner_client.post(
        url("staff-post-create", shop), _compose(publish="schedule", publish_at=past)
    )
    assert response.status_code == 422
    assert "Choose a time in the future, or publish now." in response.content.decode()
    assert not Post.objects.exists()


def test_composing_a_schedule_without_a_date_is_refused(owner_client, shop):
    response = owner_client.post(url("staff-post-create", shop), _compose(publish="schedule"))
    assert response.status_code == 422
    assert "Choose a date and time to publish." in response.content.decode()


def test_composing_with_another_shops_product_is_refused_and_keeps_the_form(
    owner_client, shop, other_shop
):
    # given
    theirs = make_product(other_shop, title="Sérum")
    tags = [{"product_id": theirs.pk, "x": 0.5, "y": 0.5, "media_index": 0, "title": "Sérum"}]

    # when
    response = owner_client.post(
        url("staff-post-create", shop), _compose(caption="Kept caption", tags=json.dumps(tags))
    )

    # then
    html = response.content.decode()
    assert response.status_code == 422
    assert "Only products of this shop can be tagged in its posts." in html
    assert "Kept caption" in html
    assert "Choose the photos or the video again" in html
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    "tags", ["not json", '{"a": 1}', '[{"x": 1}]', '[{"product_id": "x", "x": 0, "y": 0}]']
)
def test_composing_with_unreadable_tags_is_refused(owner_client, shop, tags):
    response = owner_client.post(url("staff-post-create", shop), _compose(tags=tags))
    assert response.status_code == 422
    assert "The product tags could not be read" in response.content.decode()
    assert not Post.objects.exists()


def test_composing_without_media_is_refused(owner_client, shop):
    response = owner_client.post(url("staff-post-create", shop), _compose(media=[]))
    assert response.status_code == 422
    assert "Add at least one photo or a video." in response.content.decode()


def test_composing_eleven_photos_is_refused(owner_client, shop):
    response = owner_client.post(
        url("staff-post-create", shop), _compose(media=[image_upload() for _ in range(11)])
    )
    assert response.status_code == 422
    assert "A post has at most 10 photos." in response.content.decode()


def test_the_product_picker_searches_the_shops_products_only(owner_client, shop, other_shop):
    make_product(shop, title="Trail runner")
    make_product(shop, title="Canvas high")
    make_product(other_shop, title="Runner serum")
    response = owner_client.get(url("staff-product-search", shop) + "?q=runner")
    html = response.content.decode()
    assert "Trail runner" in html and "Canvas high" not in html and "Runner serum" not in html


# --- the list, publish, delete -----------------------------------------------------------------


def test_the_post_list_shows_drafts_scheduled_and_published_posts(owner_client, shop, clock):
    make_post(shop, caption="Draft caption", publish="draft")
    make_post(
        shop, caption="Later caption", publish="schedule", publish_at=clock.now + timedelta(hours=3)
    )
    make_post(shop, caption="Live caption")
    html = owner_client.get(url("staff-post-list", shop)).content.decode()
    for words in (
        "Draft caption",
        "Later caption",
        "Live caption",
        "Scheduled",
        "Published",
        "Draft",
    ):
        assert words in html, words


def test_publishing_a_draft_from_the_list(owner_client, shop):
    post = make_post(shop, publish="draft")
    response = owner_client.post(url("staff-post-publish", shop, post_id=post.pk))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_deleting_a_post_from_the_list(owner_client, shop):
    post = make_post(shop)
    assert owner_client.post(url("staff-post-delete", shop, post_id=post.pk)).status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()


# --- roles and tenancy ---------------------------------------------------------------------------


def _staff_patterns() -> list[URLPattern]:
    return [
        p
        for p in social_urls.urlpatterns
        if "<slug:shop_slug>" in str(p.pattern) and p.name.startswith("staff-")
    ]


def _kwargs(pattern: URLPattern, shop, post) -> dict:
    kwargs = {"shop_slug": shop.slug}
    if "<int:post_id>" in str(pattern.pattern):
        kwargs["post_id"] = post.pk
    return kwargs


def test_the_tenancy_test_covers_every_staff_page():
    names = {p.name for p in _staff_patterns()}
    assert names == {
        "staff-post-list",
        "staff-post-create",
        "staff-product-search",
        "staff-post-publish",
        "staff-post-delete",
    }


@pytest.mark.parametrize("pattern", _staff_patterns(), ids=lambda p: p.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_of_another_shop_get_404_on_every_composer_url(
    client, shop, other_owner, other_shop, pattern, method
):
    # given a post of the shop, and the owner of another shop
    post = make_post(shop, publish="draft")
    client.force_login(other_owner)

    # when
    response = getattr(client, method)(
        reverse(f"social:{pattern.name}", kwargs=_kwargs(pattern, shop, post))
    )

    # then: the same 404 as for a shop that does not exist, whatever the method
    assert response.status_code == 404, f"{pattern.name}: {response.status_code}"
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT, "nothing changed"


@pytest.mark.parametrize("name", ["staff-post-publish", "staff-post-delete"])
def test_a_shop_cannot_publish_or_delete_another_shops_post(owner_client, shop, other_shop, name):
    theirs = make_post(other_shop, publish="draft")
    response = owner_client.post(url(name, shop, post_id=theirs.pk))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == PostStatus.DRAFT


def test_an_agent_gets_the_403_page_on_the_composer(client, shop, agent):
    client.force_login(agent)
    response = client.get(url("staff-post-create", shop))
    assert response.status_code == 403
    assert "Your role in this shop does not allow this." in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, shop):
    response = client.get(url("staff-post-list", shop))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_the_posts_link_shows_in_the_back_office_navigation_of_the_social_pages(owner_client, shop):
    html = owner_client.get(url("staff-post-list", shop)).content.decode()
    assert f'href="{url("staff-post-list", shop)}" class="active" aria-current="page"' in html


# Session, user, membership; the posts, their authors and their media (2); the layout's shops (1).
STAFF_LIST_QUERIES = 6


@pytest.mark.parametrize("count", [3, 30])
def test_the_staff_post_list_costs_the_same_queries_for_3_and_30_posts(
    owner_client, shop, count, django_assert_num_queries
):
    for _n in range(count):
        make_post(shop)
    with django_assert_num_queries(STAFF_LIST_QUERIES):
        assert owner_client.get(url("staff-post-list", shop)).status_code == 200
