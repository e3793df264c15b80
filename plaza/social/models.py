"""Shoppable posts of shops and of creators, and what people do with them: follow, like, save,
comment.

A post belongs to a shop (``shop`` set; ``author`` is the staff member who wrote it) or to a
person, a creator (``shop`` null, ``author`` the creator): the database refuses a post with
neither.

A post is visible to shoppers when its status is published or scheduled and its ``publish_at``
has come: every read filters on ``publish_at <= now`` (see ``selectors.post_list_visible``), so a
scheduled post appears on time without any task running. ``like_count``, ``comment_count`` and
``save_count`` are kept by the services with ``F()`` updates in the same transaction as the row
they count.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plaza.accounts.models import Shop
from plaza.catalog.models import Product
from plaza.core.models import TimeStampedModel

CAPTION_MAX_LENGTH = 2200
COMMENT_MAX_LENGTH = 1000
HASHTAG_MAX_LENGTH = 100


class Follow(models.Model):
    """A person following a shop: the shop's posts come first in their feed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_follows"
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["user", "shop"], name="follow_unique_user_shop"),
        ]
        indexes = [models.Index(fields=["shop", "-created_at"])]

    def __str__(self):
        return f"{self.user_id} -> {self.shop_id}"


class UserFollow(models.Model):
    """A person following another person: the creator's posts show in their Following feed."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_follows"
    )
    followed = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_followers"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("person follow")
        verbose_name_plural = _("person follows")
        constraints = [
            models.UniqueConstraint(
                fields=["follower", "followed"], name="user_follow_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(follower=F("followed")), name="user_follow_not_self"
            ),
        ]
        indexes = [models.Index(fields=["followed", "-created_at"])]

    def __str__(self):
        return f"{self.follower_id} -> @{self.followed_id}"


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")


# The statuses a shopper may see, once publish_at has come.
VISIBLE_STATUSES = (PostStatus.SCHEDULED, PostStatus.PUBLISHED)


class Hashtag(models.Model):
    """A hashtag, stored without "#", NFKC-normalised and lowercase: "#Matcha" and "#ＭＡＴＣＨＡ"
    are both "matcha"; "#抹茶" is "抹茶"."""

    tag = models.CharField(_("hashtag"), max_length=HASHTAG_MAX_LENGTH, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hashtag")
        verbose_name_plural = _("hashtags")

    def __str__(self):
        return f"#{self.tag}"


def delete_creator_posts_else_set_null(collector, field, sub_objs, using):
    """``on_delete`` of ``Post.author``: a creator's own posts go with the person; a shop's posts
    stay with the shop, without the link to the staff member who wrote them."""
    creator_posts = [post for post in sub_objs if post.shop_id is None]
    shop_posts = [post for post in sub_objs if post.shop_id is not None]
    if creator_posts:
        models.CASCADE(collector, field, creator_posts, using)
    if shop_posts:
        collector.add_field_update(field, None, shop_posts)


class Post(TimeStampedModel):
    # Null for a creator's post: the post is the author's.
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, null=True, blank=True, related_name="posts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=delete_creator_posts_else_set_null,
        null=True,
        blank=True,
        related_name="social_posts",
    )
    caption = models.TextField(_("caption"), blank=True, max_length=CAPTION_MAX_LENGTH)
    status = models.CharField(
        _("status"), max_length=10, choices=PostStatus.choices, default=PostStatus.DRAFT
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    like_count = models.PositiveIntegerField(_("likes"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    save_count = models.PositiveIntegerField(_("saves"), default=0)
    hashtags = models.ManyToManyField(
        Hashtag, through="PostHashtag", related_name="posts", blank=True
    )

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-publish_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=PostStatus.DRAFT) | Q(publish_at__isnull=False),
                name="post_published_has_publish_at",
            ),
            models.CheckConstraint(
                condition=Q(like_count__gte=0) & Q(comment_count__gte=0) & Q(save_count__gte=0),
                name="post_counters_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(shop__isnull=False) | Q(author__isnull=False),
                name="post_has_shop_or_author",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-publish_at"]),
            models.Index(fields=["shop", "status", "-publish_at"]),
            models.Index(fields=["author", "status", "-publish_at"]),
        ]

    def __str__(self):
        owner = self.shop_id if self.shop_id else f"@{self.author_id}"
        return f"{owner}#{self.pk} {self.caption[:40]}"

    @property
    def is_creator_post(self) -> bool:
        """The post is a person's (a creator's), not a shop's."""
        return self.shop_id is None

    def is_visible(self, now=None) -> bool:
        """Shoppers see the post: published or scheduled, and its time has come."""
        now = now or timezone.now()
        return (
            self.status in VISIBLE_STATUSES
            and self.publish_at is not None
            and self.publish_at <= now
        )

    def display_status(self, now=None) -> str:
        """What staff read: a scheduled post whose time has come is published."""
        if self.status == PostStatus.SCHEDULED and self.is_visible(now):
            return PostStatus.PUBLISHED
        return self.status


class MediaKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")


def post_media_path(instance: "PostMedia", filename: str) -> str:
    post = instance.post
    owner = post.shop_id if post.shop_id else f"u{post.author_id}"
    return f"posts/{owner}/{instance.post_id}/{filename}"


class PostMedia(models.Model):
    """One photo or the video of a post. Photos are stored re-encoded (upright, without their
    metadata, at most 1440 px), with a small copy for grids."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(_("kind"), max_length=5, choices=MediaKind.choices)
    file = models.FileField(_("file"), upload_to=post_media_path, max_length=200)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=post_media_path, max_length=200, blank=True
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("post media")
        verbose_name_plural = _("post media")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "position"], name="post_media_unique_position"),
        ]

    def __str__(self):
        return self.file.name

    @property
    def is_video(self) -> bool:
        return self.kind == MediaKind.VIDEO

    @property
    def ratio(self) -> str:
        """Width / height as a number for CSS ("0.8000"); square when unknown."""
        if self.width and self.height:
            return f"{self.width / self.height:.4f}"
        return "1"

    @property
    def thumb_url(self) -> str:
        return (self.thumbnail or self.file).url


class ProductTag(models.Model):
    """A product of the posting shop (any shop's product on sale, on a creator's post), pinned on one of the post's media at (x, y): fractions of
    the media's width and height from its top-left corner."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="tags")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="post_tags")
    media_index = models.PositiveSmallIntegerField(_("media index"), default=0)
    x = models.FloatField()
    y = models.FloatField()

    class Meta:
        verbose_name = _("product tag")
        verbose_name_plural = _("product tags")
        ordering = ["media_index", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "media_index", "product"], name="product_tag_once_per_media"
            ),
            models.CheckConstraint(
                condition=Q(x__gte=0) & Q(x__lte=1) & Q(y__gte=0) & Q(y__lte=1),
                name="product_tag_position_is_a_fraction",
            ),
        ]

    def __str__(self):
        return f"{self.post_id}: {self.product_id} @ {self.x:.2f},{self.y:.2f}"

    @property
    def left_percent(self) -> str:
        return f"{self.x * 100:.2f}"

    @property
    def top_percent(self) -> str:
        return f"{self.y * 100:.2f}"


class PostHashtag(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="post_hashtags")
    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="post_hashtags")

    class Meta:
        verbose_name = _("post hashtag")
        verbose_name_plural = _("post hashtags")
        constraints = [
            models.UniqueConstraint(fields=["post", "hashtag"], name="post_hashtag_unique"),
        ]

    def __str__(self):
        return f"{self.post_id} #{self.hashtag_id}"


class Like(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_likes"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("like")
        verbose_name_plural = _("likes")
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="like_unique_post_user"),
        ]
        indexes = [models.Index(fields=["user", "post"])]

    def __str__(self):
        return f"{self.user_id} likes {self.post_id}"


class Save(models.Model):
    """A bookmark: the person kept the post to find it again."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="saves")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_saves"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("save")
        verbose_name_plural = _("saves")
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="save_unique_post_user"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.user_id} saved {self.post_id}"


class Comment(models.Model):
    """A comment on a post, or a reply to one. Replies are one level deep: ``parent`` is always a
    top-level comment. The body is plain text, shown escaped."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["post", "parent", "created_at"])]

    def __str__(self):
        return f"{self.user_id} on {self.post_id}: {self.body[:40]}"
