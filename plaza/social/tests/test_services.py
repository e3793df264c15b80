"""The social services: posts, tags, hashtags, likes, saves, comments, follows."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from plaza.catalog.models import ProductStatus
from plaza.catalog.services import product_update
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationError
from plaza.social import selectors, services
from plaza.social.models import (
    Comment,
    Follow,
    Hashtag,
    Like,
    MediaKind,
    Post,
    PostStatus,
    ProductTag,
    Save,
)
from plaza.social.services import MAX_TAGS_PER_POST, TagInput
from plaza.social.tests.factories import make_post, video_upload

pytestmark = pytest.mark.django_db


def _visible_ids() -> list[int]:
    return list(selectors.post_list_visible().values_list("pk", flat=True))


# --- posts and media -------------------------------------------------------------------


def test_post_create_keeps_a_draft_with_its_photos_in_order_and_hidden_from_shoppers(shop, owner):
    # when
    post = services.post_create(
        shop=shop,
        author=owner,
        caption="New drop",
        media=[image_upload(size=(40, 50)), image_upload(size=(60, 30), fmt="JPEG")],
    )

    # then
    assert post.status == PostStatus.DRAFT and post.publish_at is None
    media = list(post.media.all())
    assert [m.position for m in media] == [0, 1]
    assert [(m.kind, m.width, m.height) for m in media] == [
        (MediaKind.IMAGE, 40, 50),
        (MediaKind.IMAGE, 60, 30),
    ], "photos keep their order and their size"
    assert all(m.file.name.endswith(".jpg") and m.thumbnail for m in media)
    assert post.pk not in _visible_ids(), "a draft is not shown"


def test_post_create_stores_photos_upright_without_their_metadata(shop, owner):
    # given a phone photo: stored sideways, with EXIF saying "rotate 90°" and a GPS position
    import io

    img = Image.new("RGB", (40, 20), "blue")
    exif = img.getexif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", exif=exif)
    upload = SimpleUploadedFile("phone.jpg", buffer.getvalue(), content_type="image/jpeg")

    # when
    post = services.post_create(shop=shop, author=owner, caption="", media=[upload])

    # then
    media = post.media.get()
    assert (media.width, media.height) == (20, 40), "the photo is stored upright"
    with media.file.open("rb") as stored, Image.open(stored) as saved:
        assert saved.size == (20, 40)
        assert not saved.getexif(), "no EXIF (orientation, GPS) is kept"


def test_post_create_accepts_one_video(shop, owner):
    post = services.post_create(shop=shop, author=owner, caption="", media=[video_upload()])
    media = post.media.get()
    assert media.kind == MediaKind.VIDEO and media.file.name.endswith(".mp4")


@pytest.mark.parametrize(
    ("media", "message"),
    [
        (lambda: [], "at least one photo or a video"),
        (lambda: [image_upload() for _ in range(11)], "at most 10 photos"),
        (lambda: [video_upload(), image_upload()], "one video on its own"),
        (lambda: [video_upload("a.mp4"), video_upload("b.mp4")], "one video on its own"),
        (
            lambda: [SimpleUploadedFile("x.png", b"<script>alert(1)</script>", "image/png")],
            "not a photo or video we can read",
        ),
        (
            lambda: [SimpleUploadedFile("x.mp4", b"just text, not a video", "video/mp4")],
            "not a photo or video we can read",
        ),
        (
            lambda: [
                SimpleUploadedFile(
                    "x.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 20, "image/heic"
                )
            ],
            "not a photo or video we can read",
        ),
    ],
    ids=[
        "none",
        "eleven-photos",
        "video-and-photo",
        "two-videos",
        "fake-image",
        "fake-video",
        "heic",
    ],
)
def test_post_create_refuses_media_that_do_not_make_a_post_and_stores_nothing(
    shop, owner, settings, media, message
):
    # when
    with pytest.raises(ValidationError, match=message):
        services.post_create(shop=shop, author=owner, caption="", media=media())

    # then
    assert not Post.objects.exists()
    stored = (
        [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
        if settings.MEDIA_ROOT.exists()
        else []
    )
    assert stored == [], "no file is left behind"


def test_post_create_refuses_a_photo_or_video_over_the_size_limit(shop, owner, settings):
    # given
    settings.PLAZA_MAX_IMAGE_BYTES = 100
    settings.PLAZA_MAX_VIDEO_BYTES = 1024 * 1024

    # when / then
    with pytest.raises(ValidationError, match="A photo may be at most 1 MB"):
        services.post_create(shop=shop, author=owner, caption="", media=[image_upload()])
    with pytest.raises(ValidationError, match="A video may be at most 1 MB"):
        services.post_create(
            shop=shop, author=owner, caption="", media=[video_upload(size=2 * 1024 * 1024)]
        )
    assert not Post.objects.exists()


def test_post_create_refuses_a_caption_over_2200_characters(shop, owner):
    with pytest.raises(ValidationError, match="at most 2,200 characters"):
        services.post_create(shop=shop, author=owner, caption="a" * 2201, media=[image_upload()])
    assert not Post.objects.exists()


def test_post_create_refuses_a_failure_after_the_files_were_written_and_leaves_none(
    shop, owner, other_shop, settings
):
    # given a product of another shop: the refusal comes after the photos were stored
    theirs = make_product(other_shop)

    # when
    with pytest.raises(ValidationError):
        make_post(shop, images=2, tags=[theirs])

    # then
    files = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert files == [], f"files left behind: {files}"


# --- hashtags ------------------------------------------------------------------------------


def test_post_create_links_the_hashtags_of_the_caption_normalised_including_non_latin(shop):
    # when
    post = make_post(shop, caption="New #Matcha set! #抹茶 #ＭＡＴＣＨＡ #café and#not #123")

    # then
    assert sorted(post.hashtags.values_list("tag", flat=True)) == sorted(["matcha", "抹茶", "café"])
    assert Hashtag.objects.count() == 3, "#Matcha and the full-width #ＭＡＴＣＨＡ are one hashtag"


def test_two_posts_share_one_hashtag_row(shop, other_shop):
    make_post(shop, caption="#tea")
    make_post(other_shop, caption="#TEA time")
    assert Hashtag.objects.filter(tag="tea").count() == 1
    assert Hashtag.objects.get(tag="tea").posts.count() == 2


def test_a_caption_with_more_than_30_hashtags_is_refused(shop, owner):
    caption = " ".join(f"#tag{n}" for n in range(31))
    with pytest.raises(ValidationError, match="at most 30 hashtags"):
        services.post_create(shop=shop, author=owner, caption=caption, media=[image_upload()])


# --- publishing and scheduling ---------------------------------------------------------------


def test_post_publish_shows_the_post_from_now(shop, owner, clock):
    # given
    post = make_post(shop, publish="draft")

    # when
    published = services.post_publish(post=post)

    # then
    assert published.status == PostStatus.PUBLISHED
    assert published.publish_at == clock.now
    assert _visible_ids() == [post.pk]


def test_a_scheduled_post_is_hidden_until_publish_at_then_visible_without_any_task(shop, clock):
    # given a post scheduled in one hour
    post = make_post(shop, publish="schedule", publish_at=clock.now + timedelta(hours=1))
    assert post.status == PostStatus.SCHEDULED

    # when / then: not yet
    clock.advance(minutes=59)
    assert post.pk not in _visible_ids(), "a scheduled post is hidden before publish_at"
    with pytest.raises(NotFound):
        selectors.post_get_visible(post_id=post.pk)

    # when / then: its time has come; nothing ran in between
    clock.advance(minutes=1)
    assert _visible_ids() == [post.pk], "the post shows once publish_at <= now"
    assert selectors.post_get_visible(post_id=post.pk).pk == post.pk
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED, "no task changed the row"
    assert post.display_status() == PostStatus.PUBLISHED, "staff read it as published"


@pytest.mark.parametrize("minutes", [0, -5])
def test_post_schedule_refuses_a_time_that_is_not_in_the_future(shop, clock, minutes):
    post = make_post(shop, publish="draft")
    with pytest.raises(ValidationError, match="in the future"):
        services.post_schedule(post=post, publish_at=clock.now + timedelta(minutes=minutes))
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_post_compose_refuses_a_past_schedule_before_storing_anything(shop, owner, clock):
    with pytest.raises(ValidationError, match="in the future"):
        make_post(shop, publish="schedule", publish_at=clock.now - timedelta(days=1))
    assert not Post.objects.exists()


def test_post_schedule_refuses_a_post_already_published(shop, clock):
    post = make_post(shop)
    with pytest.raises(Conflict, match="already published"):
        services.post_schedule(post=post, publish_at=clock.now + timedelta(hours=1))


# --- product tags --------------------------------------------------------------------------


def test_post_tag_product_pins_a_product_of_the_shop_at_a_position(shop):
    # given
    product = make_product(shop, title="Runner")
    post = make_post(shop, images=2)

    # when
    tag = services.post_tag_product(post=post, product=product, x=0.25, y=1, media_index=1)

    # then
    assert (tag.product, tag.x, tag.y, tag.media_index) == (product, 0.25, 1.0, 1)


def test_post_tag_product_refuses_a_product_of_another_shop(shop, other_shop):
    # given
    theirs = make_product(other_shop, title="Sérum")
    post = make_post(shop)

    # when / then
    with pytest.raises(ValidationError, match="Only products of this shop can be tagged"):
        services.post_tag_product(post=post, product=theirs, x=0.5, y=0.5)
    assert not ProductTag.objects.exists()


def test_the_refusal_of_another_shops_product_goes_through_gettext(shop, other_shop, monkeypatch):
    # given a gettext that marks what it translates
    monkeypatch.setattr(services, "_", lambda text: f"«{text}»")
    theirs = make_product(other_shop)
    post = make_post(shop)

    # when
    with pytest.raises(ValidationError) as refused:
        services.post_tag_product(post=post, product=theirs, x=0.5, y=0.5)

    # then
    assert refused.value.message == "«Only products of this shop can be tagged in its posts.»", (
        "the message is looked up in the active language's catalog"
    )


def test_post_create_refuses_the_whole_post_when_one_tag_names_another_shops_product(
    shop, other_shop
):
    mine, theirs = make_product(shop), make_product(other_shop)
    with pytest.raises(ValidationError, match="Only products of this shop"):
        make_post(shop, tags=[mine, theirs])
    assert not Post.objects.exists() and not ProductTag.objects.exists()


def test_a_post_takes_at_most_20_product_tags(shop):
    # given a post with 20 tags
    products = [make_product(shop) for _ in range(MAX_TAGS_PER_POST + 1)]
    post = make_post(shop, tags=products[:MAX_TAGS_PER_POST])
    assert post.tags.count() == MAX_TAGS_PER_POST

    # when / then
    with pytest.raises(ValidationError, match="at most 20 product tags"):
        services.post_tag_product(post=post, product=products[-1], x=0.1, y=0.1)
    assert post.tags.count() == MAX_TAGS_PER_POST


def test_post_create_refuses_21_tags(shop):
    products = [make_product(shop) for _ in range(MAX_TAGS_PER_POST + 1)]
    with pytest.raises(ValidationError, match="at most 20 product tags"):
        make_post(shop, tags=products)
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("x", "y", "index", "message"),
    [
        (1.2, 0.5, 0, "between 0 and 1"),
        (0.5, -0.1, 0, "between 0 and 1"),
        (float("nan"), 0.5, 0, "between 0 and 1"),
        ("left", 0.5, 0, "between 0 and 1"),
        (0.5, 0.5, 1, "no such photo"),
        (0.5, 0.5, -1, "no such photo"),
    ],
)
def test_post_tag_product_refuses_a_position_off_the_photo(shop, x, y, index, message):
    product = make_product(shop)
    post = make_post(shop)
    with pytest.raises(ValidationError, match=message):
        services.post_tag_product(post=post, product=product, x=x, y=y, media_index=index)


def test_post_tag_product_refuses_the_same_product_twice_on_one_photo(shop):
    product = make_product(shop, title="Runner")
    post = make_post(shop, tags=[product])
    with pytest.raises(Conflict, match="Runner is already tagged"):
        services.post_tag_product(post=post, product=product, x=0.9, y=0.9)


def test_post_tag_product_refuses_an_archived_product(shop):
    product = make_product(shop, title="Old", status=ProductStatus.ARCHIVED)
    post = make_post(shop)
    with pytest.raises(ValidationError, match="archived"):
        services.post_tag_product(post=post, product=product, x=0.5, y=0.5)


def test_post_create_takes_tags_as_inputs_on_any_photo(shop):
    product = make_product(shop)
    post = make_post(
        shop, images=3, tags=[TagInput(product_id=product.pk, x=0, y=0, media_index=2)]
    )
    assert post.tags.get().media_index == 2


# --- likes and saves ---------------------------------------------------------------------------


def test_post_like_counts_each_person_once_and_is_idempotent(shop, shopper, users):
    # given
    post = make_post(shop)
    other = users(1)[0]

    # when
    services.post_like(post=post, user=shopper)
    services.post_like(post=post, user=shopper)
    liked = services.post_like(post=post, user=other)

    # then
    assert liked.like_count == 2, "two people, one like each"
    assert Like.objects.filter(post=post).count() == 2


def test_post_unlike_takes_the_like_back_once(shop, shopper):
    # given
    post = make_post(shop)
    services.post_like(post=post, user=shopper)

    # when
    services.post_unlike(post=post, user=shopper)
    again = services.post_unlike(post=post, user=shopper)

    # then
    assert again.like_count == 0, "unliking twice does not go below zero"
    assert not Like.objects.exists()


def test_a_draft_cannot_be_liked_saved_or_commented(shop, shopper):
    post = make_post(shop, publish="draft")
    for action in (services.post_like, services.post_save):
        with pytest.raises(NotFound):
            action(post=post, user=shopper)
    with pytest.raises(NotFound):
        services.comment_create(post=post, user=shopper, body="Hi")
    post.refresh_from_db()
    assert (post.like_count, post.save_count, post.comment_count) == (0, 0, 0)


def test_post_save_and_unsave_keep_the_save_count(shop, shopper):
    # given
    post = make_post(shop)

    # when
    services.post_save(post=post, user=shopper)
    saved = services.post_save(post=post, user=shopper)

    # then
    assert saved.save_count == 1 and Save.objects.filter(user=shopper).count() == 1
    assert services.post_unsave(post=post, user=shopper).save_count == 0
    assert services.post_unsave(post=post, user=shopper).save_count == 0


# --- comments --------------------------------------------------------------------------------


def test_comment_create_stores_plain_text_as_typed_and_counts_it(shop, shopper):
    # given
    post = make_post(shop)
    body = '<script>alert("x")</script> <b>bold</b> & more'

    # when
    comment = services.comment_create(post=post, user=shopper, body=body)

    # then
    assert comment.body == body, "HTML is stored as text, unchanged; it is escaped when shown"
    post.refresh_from_db()
    assert post.comment_count == 1


def test_a_5000_character_comment_is_refused_with_a_clear_message(shop, shopper):
    # given
    post = make_post(shop)

    # when / then
    with pytest.raises(
        ValidationError, match=r"A comment has at most 1,000 characters \(this one has 5,000\)"
    ):
        services.comment_create(post=post, user=shopper, body="x" * 5000)
    assert not Comment.objects.exists()
    post.refresh_from_db()
    assert post.comment_count == 0


@pytest.mark.parametrize("body", ["", "   \n  ", "\x00\x01"])
def test_an_empty_comment_is_refused(shop, shopper, body):
    post = make_post(shop)
    with pytest.raises(ValidationError, match="Write something first"):
        services.comment_create(post=post, user=shopper, body=body)


def test_a_comment_of_exactly_1000_characters_is_accepted(shop, shopper):
    post = make_post(shop)
    assert len(services.comment_create(post=post, user=shopper, body="é" * 1000).body) == 1000


def test_replies_are_one_level_deep_a_reply_to_a_reply_attaches_to_the_top_comment(
    shop, shopper, owner
):
    # given
    post = make_post(shop)
    top = services.comment_create(post=post, user=shopper, body="Do you ship to Cebu?")
    reply = services.comment_create(post=post, user=owner, body="Yes!", parent_id=top.pk)

    # when
    reply_to_reply = services.comment_create(
        post=post, user=shopper, body="Thanks", parent_id=reply.pk
    )

    # then
    assert reply.parent_id == top.pk
    assert reply_to_reply.parent_id == top.pk, "the reply to a reply hangs under the top comment"
    post.refresh_from_db()
    assert post.comment_count == 3


def test_a_reply_to_a_comment_of_another_post_is_refused(shop, shopper):
    first, second = make_post(shop), make_post(shop)
    elsewhere = services.comment_create(post=first, user=shopper, body="Hi")
    with pytest.raises(NotFound):
        services.comment_create(post=second, user=shopper, body="Hi", parent_id=elsewhere.pk)


def test_comment_delete_by_its_author_removes_its_replies_and_the_counts(shop, shopper, owner):
    # given
    post = make_post(shop)
    top = services.comment_create(post=post, user=shopper, body="Question")
    services.comment_create(post=post, user=owner, body="Answer", parent_id=top.pk)
    services.comment_create(post=post, user=shopper, body="Other")

    # when
    removed = services.comment_delete(comment=top, by=shopper)

    # then
    assert removed == 2
    post.refresh_from_db()
    assert post.comment_count == 1
    assert list(Comment.objects.values_list("body", flat=True)) == ["Other"]


def test_comment_delete_by_shop_staff_is_allowed_and_by_a_stranger_refused(
    shop, shopper, owner, users
):
    # given
    post = make_post(shop)
    comment = services.comment_create(post=post, user=shopper, body="Spam")
    stranger = users(1)[0]

    # when / then
    with pytest.raises(PermissionDenied, match="Only its author or the shop"):
        services.comment_delete(comment=comment, by=stranger)
    assert services.comment_delete(comment=comment, by=owner) == 1
    assert services.comment_delete(comment=comment, by=owner) == 0, "deleting twice is harmless"
    post.refresh_from_db()
    assert post.comment_count == 0


def test_staff_of_another_shop_cannot_delete_a_comment(shop, other_shop, other_owner, shopper):
    post = make_post(shop)
    comment = services.comment_create(post=post, user=shopper, body="Hi")
    with pytest.raises(PermissionDenied):
        services.comment_delete(comment=comment, by=other_owner)


# --- follows ---------------------------------------------------------------------------------


def test_shop_follow_and_unfollow_are_idempotent(shop, shopper):
    assert services.shop_follow(shop=shop, user=shopper) is True
    assert services.shop_follow(shop=shop, user=shopper) is False
    assert Follow.objects.filter(shop=shop, user=shopper).count() == 1
    assert services.shop_unfollow(shop=shop, user=shopper) is True
    assert services.shop_unfollow(shop=shop, user=shopper) is False
    assert not Follow.objects.exists()


def test_post_delete_removes_the_post_and_its_files_after_commit(
    shop, settings, django_capture_on_commit_callbacks
):
    # given
    post = make_post(shop, images=2)
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.post_delete(post=post)

    # then
    assert not Post.objects.exists()
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []


def test_archiving_a_tagged_product_hides_its_tag_from_shoppers(shop):
    product = make_product(shop)
    post = make_post(shop, tags=[product])
    product_update(product=product, status=ProductStatus.ARCHIVED)
    assert list(selectors.post_get_visible(post_id=post.pk).tags.all()) == []


def test_visible_posts_read_the_clock_at_each_call(shop, clock):
    post = make_post(shop, publish="schedule", publish_at=timezone.now() + timedelta(seconds=1))
    assert post.pk not in _visible_ids()
    clock.advance(seconds=1)
    assert post.pk in _visible_ids()


# --- personal data ---------------------------------------------------------------------------


def test_erasing_a_persons_social_data_keeps_every_counter_exact(shop, owner, shopper, users):
    # given a post the person liked, saved and commented on, with a reply from the shop under
    # their comment, another person's comment and like, and a shop they follow
    post = make_post(shop)
    other = users(1)[0]
    services.post_like(post=post, user=shopper)
    services.post_like(post=post, user=other)
    services.post_save(post=post, user=shopper)
    mine = services.comment_create(post=post, user=shopper, body="Mine")
    services.comment_create(post=post, user=owner, body="Reply to mine", parent_id=mine.pk)
    services.comment_create(post=post, user=other, body="Theirs")
    services.shop_follow(shop=shop, user=shopper)

    # when
    services.user_social_data_erase(user=shopper)

    # then
    post.refresh_from_db()
    assert (post.like_count, post.save_count, post.comment_count) == (1, 0, 1)
    assert list(Comment.objects.values_list("body", flat=True)) == ["Theirs"]
    assert not Like.objects.filter(user=shopper).exists()
    assert not Save.objects.exists() and not Follow.objects.exists()


def test_erasing_a_staff_members_data_keeps_their_posts_for_the_shop(shop, owner):
    post = make_post(shop, author=owner)
    services.user_social_data_erase(user=owner)
    post.refresh_from_db()
    assert post.author is None and post.is_visible()


def test_publishing_a_scheduled_post_whose_time_came_keeps_its_moment_in_the_feed(shop, clock):
    # given
    due = clock.now + timedelta(hours=1)
    post = make_post(shop, publish="schedule", publish_at=due)
    clock.advance(hours=3)

    # when
    published = services.post_publish(post=post)

    # then
    assert (published.status, published.publish_at) == (PostStatus.PUBLISHED, due)
