"""Every write of the social layer: posts (a shop's, or a creator's own) and their media, product
tags and hashtags; likes, saves, comments; follows of shops and of people.

A person gets a handle (``accounts.services.user_handle_ensure``) the first time they need a
profile here: when they post as a creator, follow, or comment.

Counters (``Post.like_count``, ``comment_count``, ``save_count``) change only here, with an
``F()`` update in the same transaction as the row they count, and only when that row was really
inserted or deleted: the unique constraints on (post, user) decide between concurrent requests,
so liking twice, or twenty people liking at once, leaves the exact count.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plaza.accounts.models import Membership, Shop, User
from plaza.accounts.services import user_handle_ensure
from plaza.catalog.models import Product, ProductStatus
from plaza.core import events
from plaza.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationError
from plaza.core.text import plain_text
from plaza.social.hashtags import MAX_HASHTAGS_PER_POST, hashtag_list
from plaza.social.media import PreparedMedia, image_prepare, media_prepare
from plaza.social.models import (
    CAPTION_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    Comment,
    Follow,
    Hashtag,
    Like,
    Post,
    PostHashtag,
    PostMedia,
    PostStatus,
    ProductTag,
    Save,
    UserFollow,
)

MAX_TAGS_PER_POST = 20


@dataclass(frozen=True)
class TagInput:
    """A product to pin on media number ``media_index`` at (x, y), fractions of its size."""

    product_id: int
    x: float
    y: float
    media_index: int = 0


def _check_visible(post: Post) -> None:
    if not post.is_visible():
        raise NotFound(_("This post does not exist."))


def _is_staff(*, shop_id: int, user: User) -> bool:
    return Membership.objects.filter(shop_id=shop_id, user_id=user.pk).exists()


# --- posts ---------------------------------------------------------------------------


def _clean_caption(caption: str) -> str:
    caption = plain_text(caption)
    if len(caption) > CAPTION_MAX_LENGTH:
        raise ValidationError(
            _("A caption has at most %(max)s characters (this one has %(n)s).")
            % {"max": f"{CAPTION_MAX_LENGTH:,}", "n": f"{len(caption):,}"},
            field="caption",
        )
    tags = hashtag_list(caption)
    if len(tags) > MAX_HASHTAGS_PER_POST:
        raise ValidationError(
            _("A caption has at most %(max)s hashtags.") % {"max": MAX_HASHTAGS_PER_POST},
            field="caption",
        )
    return caption


def _post_set_hashtags(post: Post) -> None:
    """Link the post to the hashtags of its caption, creating the new ones. Concurrent posts
    with the same new hashtag both succeed: the unique constraint keeps one row."""
    tags = hashtag_list(post.caption)
    PostHashtag.objects.filter(post=post).exclude(hashtag__tag__in=tags).delete()
    if not tags:
        return
    Hashtag.objects.bulk_create([Hashtag(tag=tag) for tag in tags], ignore_conflicts=True)
    PostHashtag.objects.bulk_create(
        [PostHashtag(post=post, hashtag=h) for h in Hashtag.objects.filter(tag__in=tags)],
        ignore_conflicts=True,
    )


def post_create(
    *,
    shop: Shop | None,
    author: User | None,
    caption: str,
    media: Sequence[UploadedFile],
    tags: Sequence[TagInput] = (),
) -> Post:
    """A draft post with its media (1 to 10 photos, or one video), its hashtags and its product
    tags, or a translated ValidationError and nothing stored.

    With a shop, the post is the shop's (``author`` is the staff member writing it). Without
    one, it is a creator's post: ``author`` is the creator, who gets a handle if they have none.
    """
    if shop is None:
        if author is None:
            raise ValidationError(_("A post needs a shop or an author."), field="author")
        user_handle_ensure(user=author)  # in its own short transaction, before the post's
    caption = _clean_caption(caption)
    prepared = media_prepare(list(media))
    return _post_insert(shop=shop, author=author, caption=caption, prepared=prepared, tags=tags)


@transaction.atomic
def _post_insert(*, shop, author, caption: str, prepared: list, tags: Sequence[TagInput]) -> Post:
    """The writes of ``post_create``, after the input is checked and the media prepared."""
    post = Post.objects.create(shop=shop, author=author, caption=caption)
    stored: list = []
    try:
        for position, item in enumerate(prepared):
            row = PostMedia(
                post=post, kind=item.kind, width=item.width, height=item.height, position=position
            )
            row.file.save(item.name, ContentFile(item.content), save=False)
            stored.append(row.file)
            if item.thumbnail:
                row.thumbnail.save(
                    item.name.replace(".", "_thumb.", 1), ContentFile(item.thumbnail), save=False
                )
                stored.append(row.thumbnail)
            row.save()
        _post_set_hashtags(post)
        if len(tags) > MAX_TAGS_PER_POST:
            raise _too_many_tags()
        products = _products_by_id([t.product_id for t in tags])
        for tag in tags:
            post_tag_product(
                post=post,
                product=products.get(tag.product_id),
                x=tag.x,
                y=tag.y,
                media_index=tag.media_index,
            )
    except BaseException:
        # The rows go with the transaction; the files written so far go now.
        for file in stored:
            file.storage.delete(file.name)
        raise
    return post


def _products_by_id(ids: Sequence[int]) -> dict[int, Product]:
    """The products by id, whichever shop they belong to: post_tag_product refuses strangers."""
    clean = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
    return {p.pk: p for p in Product.objects.filter(pk__in=clean)}


def _too_many_tags() -> ValidationError:
    return ValidationError(
        ngettext(
            "A post has at most %(n)s product tag.",
            "A post has at most %(n)s product tags.",
            MAX_TAGS_PER_POST,
        )
        % {"n": MAX_TAGS_PER_POST},
        field="tags",
    )


@transaction.atomic
def post_publish(*, post: Post) -> Post:
    """Show the post from now on. A post already shown keeps its ``publish_at``."""
    locked = Post.objects.select_for_update().get(pk=post.pk)
    if locked.is_visible():
        # Already shown (a scheduled post whose time came counts): keep its moment in the feed.
        if locked.status != PostStatus.PUBLISHED:
            locked.status = PostStatus.PUBLISHED
            locked.save(update_fields=["status", "updated_at"])
        return locked
    locked.status = PostStatus.PUBLISHED
    locked.publish_at = timezone.now()
    locked.save(update_fields=["status", "publish_at", "updated_at"])
    return locked


@transaction.atomic
def post_schedule(*, post: Post, publish_at: datetime) -> Post:
    """Show the post from ``publish_at``, which must be in the future. No task is needed: every
    read shows the post once ``publish_at <= now``."""
    if publish_at is None or timezone.is_naive(publish_at):
        raise ValidationError(_("Choose a date and time to publish."), field="publish_at")
    if publish_at <= timezone.now():
        raise ValidationError(_("Choose a time in the future, or publish now."), field="publish_at")
    locked = Post.objects.select_for_update().get(pk=post.pk)
    if locked.is_visible():
        raise Conflict(_("This post is already published."), field="publish_at")
    locked.status = PostStatus.SCHEDULED
    locked.publish_at = publish_at
    locked.save(update_fields=["status", "publish_at", "updated_at"])
    return locked


@transaction.atomic
def post_compose(
    *,
    shop: Shop | None,
    author: User,
    caption: str,
    media: Sequence[UploadedFile],
    tags: Sequence[TagInput] = (),
    publish: str = "now",
    publish_at: datetime | None = None,
) -> Post:
    """The composer's one step: create the post and publish it ``"now"``, at ``publish_at``
    (``"schedule"``) or keep it as a ``"draft"``; all of it, or nothing. ``shop=None`` makes a
    creator's post (see ``post_create``)."""
    if publish not in ("now", "schedule", "draft"):
        raise ValidationError(_("Choose when to publish."), field="publish")
    if publish == "schedule":
        # Checked first, so that a past date refuses the post before its files are processed.
        if publish_at is None or timezone.is_naive(publish_at):
            raise ValidationError(_("Choose a date and time to publish."), field="publish_at")
        if publish_at <= timezone.now():
            raise ValidationError(
                _("Choose a time in the future, or publish now."), field="publish_at"
            )
    post = post_create(shop=shop, author=author, caption=caption, media=media, tags=tags)
    if publish == "now":
        return post_publish(post=post)
    if publish == "schedule":
        return post_schedule(post=post, publish_at=publish_at)
    return post


@transaction.atomic
def post_delete(*, post: Post) -> None:
    """Delete the post with its media rows; the files go once the deletion is committed."""
    files = [(f.storage, f.name) for m in post.media.all() for f in (m.file, m.thumbnail) if f]
    post.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])


@transaction.atomic
def post_tag_product(
    *, post: Post, product: Product | None, x: float, y: float, media_index: int = 0
) -> ProductTag:
    """Pin a product on one of the post's media, at (x, y) in 0..1. A shop's post tags the
    shop's own products (not archived ones); a creator's post tags any shop's products on sale.

    Refuses another shop's product on a shop's post, an archived one (on a creator's post, any
    product not on sale), a position off the media, a media number the post does not have, the
    same product twice on one media, and a 21st tag. Locks the post row, so that concurrent
    taggings cannot pass the limit together.
    """
    if post.shop_id is None:
        if product is None or product.status != ProductStatus.ACTIVE:
            raise ValidationError(_("Only products on sale in a shop can be tagged."), field="tags")
    elif product is None or product.shop_id != post.shop_id:
        raise ValidationError(
            _("Only products of this shop can be tagged in its posts."), field="tags"
        )
    if product.status == ProductStatus.ARCHIVED:
        raise ValidationError(
            _("%(title)s is archived: put it back on sale before tagging it.")
            % {"title": product.title},
            field="tags",
        )
    try:
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        x = y = math.nan
    if not (0 <= x <= 1 and 0 <= y <= 1):  # also refuses NaN
        raise ValidationError(
            _("A product tag must sit on the photo (x and y between 0 and 1)."), field="tags"
        )
    locked = Post.objects.select_for_update().get(pk=post.pk)
    media_count = PostMedia.objects.filter(post=locked).count()
    if (
        not isinstance(media_index, int)
        or isinstance(media_index, bool)
        or not (0 <= media_index < media_count)
    ):
        raise ValidationError(_("This post has no such photo to tag."), field="tags")
    if ProductTag.objects.filter(post=locked).count() >= MAX_TAGS_PER_POST:
        raise _too_many_tags()
    try:
        with transaction.atomic():
            return ProductTag.objects.create(
                post=locked, product=product, media_index=media_index, x=x, y=y
            )
    except IntegrityError:
        raise Conflict(
            _("%(title)s is already tagged on this photo.") % {"title": product.title},
            field="tags",
        ) from None


# --- likes and saves -----------------------------------------------------------------


def _insert_once(model, **fields) -> bool:
    """Insert the row unless the unique constraint says it exists; True when inserted. Runs in a
    savepoint, so a concurrent duplicate leaves the surrounding transaction usable."""
    try:
        with transaction.atomic():
            model.objects.create(**fields)
    except IntegrityError:
        return False
    return True


def _refresh_counters(post: Post) -> Post:
    post.refresh_from_db(fields=["like_count", "comment_count", "save_count"])
    return post


@transaction.atomic
def post_like(*, post: Post, user: User) -> Post:
    """Like a visible post; liking it again changes nothing. Returns the post with its count."""
    _check_visible(post)
    if _insert_once(Like, post=post, user=user):
        Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    return _refresh_counters(post)


@transaction.atomic
def post_unlike(*, post: Post, user: User) -> Post:
    """Take a like back; without one, nothing changes."""
    deleted, _rows = Like.objects.filter(post=post, user=user).delete()
    if deleted:
        Post.objects.filter(pk=post.pk).update(like_count=F("like_count") - 1)
    return _refresh_counters(post)


@transaction.atomic
def post_save(*, post: Post, user: User) -> Post:
    """Bookmark a visible post; saving it again changes nothing."""
    _check_visible(post)
    if _insert_once(Save, post=post, user=user):
        Post.objects.filter(pk=post.pk).update(save_count=F("save_count") + 1)
    return _refresh_counters(post)


@transaction.atomic
def post_unsave(*, post: Post, user: User) -> Post:
    deleted, _rows = Save.objects.filter(post=post, user=user).delete()
    if deleted:
        Post.objects.filter(pk=post.pk).update(save_count=F("save_count") - 1)
    return _refresh_counters(post)


# --- comments ------------------------------------------------------------------------


def _clean_comment(body: str) -> str:
    body = plain_text(body)
    if not body:
        raise ValidationError(_("Write something first."), field="body")
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            _("A comment has at most %(max)s characters (this one has %(n)s).")
            % {"max": f"{COMMENT_MAX_LENGTH:,}", "n": f"{len(body):,}"},
            field="body",
        )
    return body


def comment_create(*, post: Post, user: User, body: str, parent_id: int | None = None) -> Comment:
    """Comment on a visible post, or reply to one of its comments. Replies are one level deep:
    replying to a reply attaches the new comment to that reply's top-level comment. The body is
    stored as plain text, exactly as typed (it is escaped when shown)."""
    _check_visible(post)
    body = _clean_comment(body)
    user_handle_ensure(user=user)  # the commenter's name links to their profile
    # The handle is settled in its own short transaction first: taking a unique handle while
    # holding other locks can deadlock with another person taking the same one.
    return _comment_insert(post=post, user=user, body=body, parent_id=parent_id)


@transaction.atomic
def _comment_insert(*, post: Post, user: User, body: str, parent_id: int | None) -> Comment:
    """The insert of ``comment_create``, after the commenter has a handle."""
    top_id = None
    if parent_id is not None:
        # Locked, so that the parent cannot be deleted under a reply being written.
        parent = (
            Comment.objects.select_for_update()
            .filter(pk=parent_id, post=post)
            .values("pk", "parent_id")
            .first()
        )
        if parent is None:
            raise NotFound(_("The comment you are replying to was deleted."))
        top_id = parent["parent_id"] or parent["pk"]
    comment = Comment.objects.create(post=post, user=user, body=body, parent_id=top_id)
    Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
    # Comment-to-DM (messaging) listens: a keyword in the comment opens a conversation.
    events.publish("comment.created", comment_id=comment.pk, post_id=post.pk, user_id=user.pk)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, by: User) -> int:
    """Delete a comment (with its replies) as its author, as staff of the post's shop, or as the
    creator of a creator's post. Returns how many comments went; a comment already gone counts
    0."""
    owner = Post.objects.filter(pk=comment.post_id).values("shop_id", "author_id").first() or {}
    shop_id = owner.get("shop_id")
    if comment.user_id != by.pk:
        if shop_id is None and owner:
            if owner["author_id"] != by.pk:
                raise PermissionDenied(
                    _("Only its author or the post's creator can delete this comment.")
                )
        elif not (shop_id and _is_staff(shop_id=shop_id, user=by)):
            raise PermissionDenied(_("Only its author or the shop can delete this comment."))
    if not Comment.objects.select_for_update().filter(pk=comment.pk).exists():
        return 0
    _total, per_model = Comment.objects.filter(pk=comment.pk).delete()
    removed = per_model.get(Comment._meta.label, 0)
    if removed:
        Post.objects.filter(pk=comment.post_id).update(comment_count=F("comment_count") - removed)
    return removed


# --- follows -------------------------------------------------------------------------


def shop_follow(*, shop: Shop, user: User) -> bool:
    """Follow the shop; following again changes nothing. True when the follow is new. The
    handle is settled first, in its own short transaction, then the follow is one insert."""
    user_handle_ensure(user=user)
    return _insert_once(Follow, shop=shop, user=user)


@transaction.atomic
def shop_unfollow(*, shop: Shop, user: User) -> bool:
    """Stop following the shop. True when there was a follow to remove."""
    deleted, _rows = Follow.objects.filter(shop=shop, user=user).delete()
    return bool(deleted)


def user_follow(*, follower: User, followed: User) -> bool:
    """Follow a person: their posts show in the follower's Following feed. Following again
    changes nothing (the unique pair decides between concurrent requests); following oneself is
    refused. True when the follow is new."""
    if follower.pk == followed.pk:
        raise ValidationError(_("You cannot follow yourself."), field="handle")
    if not followed.is_active:
        raise NotFound(_("This profile does not exist."))
    user_handle_ensure(user=follower)
    return _insert_once(UserFollow, follower=follower, followed=followed)


@transaction.atomic
def user_unfollow(*, follower: User, followed: User) -> bool:
    """Stop following a person. True when there was a follow to remove."""
    deleted, _rows = UserFollow.objects.filter(follower=follower, followed=followed).delete()
    return bool(deleted)


# --- personal data -------------------------------------------------------------------------


@transaction.atomic
def user_social_data_erase(*, user: User) -> None:
    """Erase what the social layer holds about a person (see SocialConfig.ready()): their likes,
    saves and follows (of shops and of people, both ways), their comments with the replies under
    them, keeping every post's counters exact; their own creator posts (with their files); the
    posts they wrote for a shop stay with the shop, without the link to them.

    The person's rows are locked first, so that a like or unlike racing with the erasure cannot
    be counted twice.
    """
    for model, counter in ((Like, "like_count"), (Save, "save_count")):
        post_ids = list(
            model.objects.select_for_update().filter(user=user).values_list("post_id", flat=True)
        )
        model.objects.filter(user=user, post_id__in=post_ids).delete()
        Post.objects.filter(pk__in=post_ids).update(**{counter: F(counter) - 1})
    own = list(Comment.objects.select_for_update().filter(user=user).values_list("pk", flat=True))
    gone = Comment.objects.filter(pk__in=own) | Comment.objects.filter(parent_id__in=own)
    per_post = dict(gone.order_by().values_list("post_id").annotate(n=Count("pk", distinct=True)))
    Comment.objects.filter(pk__in=own).delete()
    if per_post:
        Post.objects.filter(pk__in=per_post).update(
            comment_count=F("comment_count")
            - Case(
                *(When(pk=post_id, then=Value(n)) for post_id, n in per_post.items()),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    Follow.objects.filter(user=user).delete()
    UserFollow.objects.filter(follower=user).delete()
    UserFollow.objects.filter(followed=user).delete()
    for post in Post.objects.filter(author=user, shop__isnull=True).prefetch_related("media"):
        post_delete(post=post)
    Post.objects.filter(author=user).update(author=None)


def photo_prepare(*, upload: UploadedFile) -> PreparedMedia:
    """Check one photo by its content and re-encode it upright without its metadata (as a post's
    photos are), for other layers that take photos: chat attachments."""
    return image_prepare(upload)
