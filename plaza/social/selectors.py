"""Every social read that is more than a .get. Selectors own the query shape.

Visibility: shoppers see a post when its status is published or scheduled and
``publish_at <= now``; every read below goes through ``post_list_visible``, so a scheduled post
appears on time with no task run.

Query cost: a page of cards costs the same number of queries whatever its length: the posts with
their shop, their author and the viewer's like, save and follow (``Exists`` annotations, no extra
query), then one query each for the media, the product tags with their products, the products'
images and the products' translations.

Share links: ``post_share_url`` is the post's address on SITE_URL with
``utm_source=plaza&utm_medium=share&utm_campaign=post-<id>``, so that analytics can tell visits
from shared posts apart.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from plaza.accounts.models import Membership, Shop, User
from plaza.catalog.models import Product, ProductImage, ProductStatus, ProductTranslation
from plaza.catalog.selectors import (
    LocalizedText,
    product_get_public_by_id,
    product_list_for_staff,
    product_list_public,
    product_text,
)
from plaza.core.exceptions import NotFound
from plaza.inventory.models import Drop
from plaza.inventory.selectors import drop_for_product, stock_available_for_variants
from plaza.social.hashtags import hashtag_normalize
from plaza.social.models import (
    VISIBLE_STATUSES,
    Comment,
    Follow,
    Hashtag,
    Like,
    Post,
    PostMedia,
    ProductTag,
    Save,
    UserFollow,
)
from plaza.social.ranking import CANDIDATE_LIMIT, Candidate, rank

FEED_PAGE_SIZE = 20
GRID_PAGE_SIZE = 24
COMMENT_LIMIT = 100
STAFF_PAGE_SIZE = 50
LOW_STOCK_THRESHOLD = 5


@dataclass(frozen=True)
class PostPage:
    """One page of posts and the number of the next one (None on the last page)."""

    posts: list[Post]
    number: int
    next_number: int | None


def _page_number(raw) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), 10_000)


def _slice(qs: QuerySet[Post], number: int, size: int) -> PostPage:
    """A page read with one query: one post more than the page says whether there is a next."""
    start = (number - 1) * size
    rows = list(qs[start : start + size + 1])
    return PostPage(
        posts=rows[:size], number=number, next_number=number + 1 if len(rows) > size else None
    )


def _is_viewer(viewer: User | None) -> bool:
    return viewer is not None and viewer.is_authenticated


def post_list_visible(*, now: datetime | None = None) -> QuerySet[Post]:
    """Posts shoppers may see at ``now`` (default: this moment), newest first."""
    return Post.objects.filter(
        status__in=VISIBLE_STATUSES, publish_at__lte=now or timezone.now()
    ).order_by("-publish_at", "-id")


def _follows_poster(viewer: User) -> ExpressionWrapper:
    """Whether the viewer follows who posted: the shop of a shop's post, the creator of a
    creator's post."""
    return ExpressionWrapper(
        Q(Exists(Follow.objects.filter(shop=OuterRef("shop"), user=viewer)))
        | Q(
            Q(shop__isnull=True),
            Exists(UserFollow.objects.filter(followed=OuterRef("author"), follower=viewer)),
        ),
        output_field=BooleanField(),
    )


def _with_viewer(qs: QuerySet[Post], viewer: User | None) -> QuerySet[Post]:
    """``viewer_liked``, ``viewer_saved`` and ``viewer_follows`` (the post's shop, or for a
    creator's post its creator) on every post, in the same query."""
    if not _is_viewer(viewer):
        false = Value(False, output_field=BooleanField())
        return qs.annotate(viewer_liked=false, viewer_saved=false, viewer_follows=false)
    return qs.annotate(
        viewer_liked=Exists(Like.objects.filter(post=OuterRef("pk"), user=viewer)),
        viewer_saved=Exists(Save.objects.filter(post=OuterRef("pk"), user=viewer)),
        viewer_follows=_follows_poster(viewer),
    )


def _tag_queryset() -> QuerySet[ProductTag]:
    """The tags shoppers see: those of products on sale, with what the product strip shows."""
    return (
        ProductTag.objects.filter(product__status=ProductStatus.ACTIVE)
        .select_related("product", "product__shop", "product__drop")
        .prefetch_related(
            Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch("product__translations", queryset=ProductTranslation.objects.all()),
        )
        .order_by("media_index", "id")
    )


def _with_card_relations(qs: QuerySet[Post], viewer: User | None) -> QuerySet[Post]:
    """What a post card shows, in a fixed number of queries."""
    return (
        _with_viewer(qs, viewer)
        .select_related("shop", "author")
        .prefetch_related(
            Prefetch("media", queryset=PostMedia.objects.order_by("position", "id")),
            Prefetch("tags", queryset=_tag_queryset()),
        )
    )


def _with_grid_relations(qs: QuerySet[Post]) -> QuerySet[Post]:
    """What a grid tile shows: the first media (and whether there are more), the counts."""
    return qs.select_related("shop", "author").prefetch_related(
        Prefetch("media", queryset=PostMedia.objects.order_by("position", "id"))
    )


# --- feeds -----------------------------------------------------------------------------


def post_feed_following(*, viewer: User, page=1, now: datetime | None = None) -> PostPage:
    """Posts of the shops and the creators the viewer follows, newest first. Nobody followed,
    nothing shown."""
    if not _is_viewer(viewer):
        return PostPage(posts=[], number=1, next_number=None)
    qs = post_list_visible(now=now).filter(
        Q(shop__in=Follow.objects.filter(user=viewer).values("shop"))
        | Q(
            shop__isnull=True,
            author__in=UserFollow.objects.filter(follower=viewer).values("followed"),
        )
    )
    return _slice(_with_card_relations(qs, viewer), _page_number(page), FEED_PAGE_SIZE)


def post_feed_candidates(*, viewer: User | None, now: datetime | None = None) -> list[Candidate]:
    """The newest CANDIDATE_LIMIT visible posts, with what the ranking reads. One query."""
    qs = post_list_visible(now=now)
    if _is_viewer(viewer):
        # The follow boost of the ranking: the viewer follows the post's shop or its author.
        qs = qs.annotate(
            followed=ExpressionWrapper(
                Q(Exists(Follow.objects.filter(shop=OuterRef("shop"), user=viewer)))
                | Q(
                    Exists(UserFollow.objects.filter(followed=OuterRef("author"), follower=viewer))
                ),
                output_field=BooleanField(),
            )
        )
    else:
        qs = qs.annotate(followed=Value(False, output_field=BooleanField()))
    rows = qs.values_list(
        "pk",
        "shop_id",
        "publish_at",
        "like_count",
        "comment_count",
        "save_count",
        "followed",
        "author_id",
    )[:CANDIDATE_LIMIT]
    return [Candidate(*row) for row in rows]


def post_feed_for_you(*, viewer: User | None, page=1, now: datetime | None = None) -> PostPage:
    """The "For you" feed: visible posts in the order of ``plaza.social.ranking``. Two queries
    (candidates, then the page's cards) plus the cards' prefetches."""
    now = now or timezone.now()
    number = _page_number(page)
    ranked = rank(post_feed_candidates(viewer=viewer, now=now), now=now)
    start = (number - 1) * FEED_PAGE_SIZE
    ids = ranked[start : start + FEED_PAGE_SIZE]
    by_id = (
        {post.pk: post for post in _with_card_relations(Post.objects.filter(pk__in=ids), viewer)}
        if ids
        else {}
    )
    return PostPage(
        posts=[by_id[i] for i in ids if i in by_id],
        number=number,
        next_number=number + 1 if len(ranked) > start + FEED_PAGE_SIZE else None,
    )


# --- single posts, hashtags, shops -------------------------------------------------------


def post_get_visible(*, post_id: int, viewer: User | None = None, card: bool = True) -> Post:
    """A visible post, with everything its card shows unless ``card`` is False (for actions that
    only need the row); NotFound otherwise (drafts, posts not yet due, missing ones)."""
    qs = _with_card_relations(post_list_visible(), viewer) if card else post_list_visible()
    try:
        return qs.get(pk=post_id)
    except (Post.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("This post does not exist.")) from None


def hashtag_get(*, name: str) -> Hashtag:
    """The hashtag named (with or without "#", in any case or width); NotFound otherwise."""
    tag = hashtag_normalize(name)
    hashtag = Hashtag.objects.filter(tag=tag).first() if tag else None
    if hashtag is None:
        raise NotFound(_("Nobody has used this hashtag yet."))
    return hashtag


def post_list_for_hashtag(*, hashtag: Hashtag, page=1) -> PostPage:
    """Visible posts with the hashtag, newest first, for a grid."""
    qs = post_list_visible().filter(post_hashtags__hashtag=hashtag)
    return _slice(_with_grid_relations(qs), _page_number(page), GRID_PAGE_SIZE)


def post_list_for_shop(*, shop: Shop, page=1) -> PostPage:
    """The shop's visible posts, newest first, for its grid."""
    qs = post_list_visible().filter(shop=shop)
    return _slice(_with_grid_relations(qs), _page_number(page), GRID_PAGE_SIZE)


def post_list_for_user(*, user: User, page=1) -> PostPage:
    """The person's own visible posts (creator posts), newest first, for their profile's grid."""
    qs = post_list_visible().filter(shop__isnull=True, author=user)
    return _slice(_with_grid_relations(qs), _page_number(page), GRID_PAGE_SIZE)


@dataclass(frozen=True)
class ShopSocial:
    shop: Shop
    follower_count: int
    post_count: int
    viewer_follows: bool


def shop_social_get(*, shop: Shop, viewer: User | None) -> ShopSocial:
    """Followers and posts of a shop, and whether the viewer follows it. One query."""
    visible = post_list_visible().filter(shop=OuterRef("pk")).order_by().values("shop")
    qs = Shop.objects.filter(pk=shop.pk).annotate(
        follower_total=_count(Follow.objects.filter(shop=OuterRef("pk")).values("shop")),
        post_total=_count(visible),
        viewer_follows=Exists(Follow.objects.filter(shop=OuterRef("pk"), user=viewer))
        if _is_viewer(viewer)
        else Value(False, output_field=BooleanField()),
    )
    row = qs.values("follower_total", "post_total", "viewer_follows").get()
    return ShopSocial(
        shop=shop,
        follower_count=row["follower_total"] or 0,
        post_count=row["post_total"] or 0,
        viewer_follows=bool(row["viewer_follows"]),
    )


def user_get_by_handle(*, handle: str) -> User:
    """The active person with the handle (any case, with or without "@"); NotFound otherwise."""
    value = (handle or "").strip().lstrip("@").lower()
    user = User.objects.filter(handle=value, is_active=True).first() if value else None
    if user is None:
        raise NotFound(_("This profile does not exist."))
    return user


@dataclass(frozen=True)
class UserSocial:
    """What a person's profile counts: their visible posts, followers and the people they
    follow, and whether the viewer follows them."""

    user: User
    post_count: int
    follower_count: int
    following_count: int
    viewer_follows: bool


def user_social_get(*, user: User, viewer: User | None) -> UserSocial:
    """Posts, followers and followings of a person, and whether the viewer follows them. One
    query."""
    visible = (
        post_list_visible()
        .filter(shop__isnull=True, author=OuterRef("pk"))
        .order_by()
        .values("author")
    )
    qs = User.objects.filter(pk=user.pk).annotate(
        post_total=_count(visible),
        follower_total=_count(
            UserFollow.objects.filter(followed=OuterRef("pk")).order_by().values("followed")
        ),
        following_total=_count(
            UserFollow.objects.filter(follower=OuterRef("pk")).order_by().values("follower")
        ),
        viewer_follows=Exists(UserFollow.objects.filter(followed=OuterRef("pk"), follower=viewer))
        if _is_viewer(viewer)
        else Value(False, output_field=BooleanField()),
    )
    row = qs.values("post_total", "follower_total", "following_total", "viewer_follows").get()
    return UserSocial(
        user=user,
        post_count=row["post_total"] or 0,
        follower_count=row["follower_total"] or 0,
        following_count=row["following_total"] or 0,
        viewer_follows=bool(row["viewer_follows"]),
    )


def _count(subquery: QuerySet) -> Subquery:
    """The number of rows of a subquery grouped by one value, as a column."""
    return Subquery(subquery.annotate(n=Count("*")).values("n")[:1], output_field=IntegerField())


def post_share_url(*, post: Post, path: str = "") -> str:
    """The link people share: the post on SITE_URL, tagged so that visits from shares can be
    counted: ``?utm_source=plaza&utm_medium=share&utm_campaign=post-<id>``. ``path``: the post's
    own path when the caller has reversed it already."""
    query = urlencode(
        {"utm_source": "plaza", "utm_medium": "share", "utm_campaign": f"post-{post.pk}"}
    )
    path = path or reverse("social:post-detail", args=[post.pk])
    return f"{settings.SITE_URL.rstrip('/')}{path}?{query}"


# --- comments ----------------------------------------------------------------------------


def comment_list(*, post: Post, limit: int = COMMENT_LIMIT) -> list[Comment]:
    """The post's top-level comments, oldest first (at most ``limit``: the newest ones), each
    with its replies, oldest first, and the authors. Two queries."""
    replies = Comment.objects.select_related("user").order_by("created_at", "id")
    newest = list(
        Comment.objects.filter(post=post, parent__isnull=True)
        .select_related("user")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("-created_at", "-id")[:limit]
    )
    return newest[::-1]


def comment_get(*, post: Post, comment_id: int) -> Comment:
    try:
        return Comment.objects.get(pk=comment_id, post=post)
    except (Comment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("This comment does not exist.")) from None


def user_is_shop_staff(*, user: User | None, shop_id: int | None) -> bool:
    """Whether the user works for the shop (its staff moderate its comments). One query."""
    if not _is_viewer(user) or shop_id is None:
        return False
    return Membership.objects.filter(shop_id=shop_id, user=user).exists()


def user_can_moderate(*, user: User | None, post: Post) -> bool:
    """Whether the user may delete any comment of the post: staff of its shop, or the creator of
    a creator's post (no query then)."""
    if post.shop_id is None:
        return _is_viewer(user) and post.author_id == user.pk
    return user_is_shop_staff(user=user, shop_id=post.shop_id)


# --- the product sheet ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProductSheet:
    """What the sheet opened from a tag dot shows: the product in the active language, its
    first image, its price range and how many can be bought now."""

    post: Post
    tag: ProductTag
    product: Product
    text: LocalizedText
    image: ProductImage | None
    available: int
    # (variant, units that can be bought now), in the product's order: the sheet's buy box.
    offers: tuple = ()
    drop: Drop | None = None  # when the product is a limited release

    @property
    def first_in_stock(self) -> int | None:
        return next((variant.pk for variant, units in self.offers if units > 0), None)

    @property
    def stock_state(self) -> str:
        if self.available <= 0:
            return "out"
        return "low" if self.available <= LOW_STOCK_THRESHOLD else "in"


def product_sheet_get(*, post_id: int, tag_id: int) -> ProductSheet:
    """The sheet of a tag on a visible post, for a product on sale; NotFound otherwise."""
    try:
        tag = ProductTag.objects.select_related("post").get(
            pk=tag_id,
            post_id=post_id,
            post__in=post_list_visible(),
            product__status=ProductStatus.ACTIVE,
        )
    except (ProductTag.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("This product is no longer tagged here.")) from None
    product = product_get_public_by_id(product_id=tag.product_id)
    variants = list(product.variants.all())
    available = stock_available_for_variants(variant_ids=[v.pk for v in variants])
    images = list(product.images.all())
    return ProductSheet(
        post=tag.post,
        tag=tag,
        product=product,
        text=product_text(product),
        image=images[0] if images else None,
        available=sum(available.values()),
        offers=tuple((v, available.get(v.pk, 0)) for v in variants),
        drop=drop_for_product(product_id=product.pk),
    )


# --- staff -----------------------------------------------------------------------------------


def post_list_for_staff(*, shop: Shop, page=1) -> PostPage:
    """All the shop's posts for its staff: drafts and scheduled ones first, then the newest."""
    qs = (
        Post.objects.filter(shop=shop)
        .select_related("author")
        .prefetch_related(
            Prefetch("media", queryset=PostMedia.objects.order_by("position", "id")),
        )
        .order_by(F("publish_at").desc(nulls_first=True), "-id")
    )
    return _slice(qs, _page_number(page), STAFF_PAGE_SIZE)


def access_shop_post(*, shop: Shop, post_id: int) -> Post:
    """One of the shop's own posts, for its staff; another shop's post looks missing."""
    try:
        return Post.objects.get(pk=post_id, shop=shop)
    except (Post.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("This post does not exist.")) from None


def product_list_taggable(*, shop: Shop | None, q: str = "", limit: int = 20) -> list[Product]:
    """The products the composer may tag, matching ``q``, newest first, with their images and
    translations for the picker: the shop's products that are not archived, or, for a creator's
    post (``shop=None``), every shop's products on sale."""
    if shop is None:
        qs = product_list_public(q=q)
    else:
        qs = product_list_for_staff(shop=shop, q=q).exclude(status=ProductStatus.ARCHIVED)
    return list(qs[:limit])
