"""API v1: the feed, posts with their product tags, comments, likes, saves, follows of shops, and
people: their profiles, their posts and following them.

Anyone reads; a logged-in shopper (Django's session cookie, see ``ShopperSession``) also sees
what they liked, saved and follow, reads the Following feed, and writes: likes, saves, comments
and follows. Writes without a login answer 401; a logged-in write without the CSRF token 403.
A post that is missing, a draft or not yet published answers 404. Prices are integer minor
units of the shop's currency.

Pages: the feed and the grids take ``?page=`` (1, 2, ...) and answer
``{"items": [...], "page": n, "next_page": n + 1 or null}``: the "For you" feed is ranked, so it
pages by number rather than by offset.
"""

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from plaza.accounts.api_auth import (
    BODY_ERRORS,
    NO_NUL,
    OPTIONAL_AUTH_OPENAPI,
    Id,
    LoginRequired,
    Slug,
    errors,
    session_shopper,
    shopper_session,
    shopper_session_optional,
)
from plaza.accounts.models import Shop
from plaza.accounts.selectors import shop_get
from plaza.catalog.models import Product
from plaza.catalog.selectors import product_text
from plaza.social import selectors, services
from plaza.social.hashtags import hashtag_list
from plaza.social.models import COMMENT_MAX_LENGTH, Comment, Post, PostMedia, ProductTag
from plaza.social.selectors import PostPage

router = Router(tags=["social"])

# Statuses of a shopper's write: no login (401), a login without CSRF token (403).
SESSION_WRITE_ERRORS = (401, 403)

# --- input types -----------------------------------------------------------------


class In(Schema):
    """A request body. Unknown fields are refused (422), so a typo never goes unnoticed."""

    model_config = ConfigDict(extra="forbid")


class CommentIn(In):
    body: str = Field(
        ...,
        description=(
            f"Plain text, at most {COMMENT_MAX_LENGTH:,} characters. Stored as typed: HTML is "
            "not interpreted and shows as text."
        ),
    )
    parent_id: Id | None = Field(
        None, description="The comment replied to; a reply to a reply joins its thread."
    )


class FeedFilter(Schema):
    tab: Literal["for_you", "following"] = Field(
        "for_you",
        description="`for_you`: ranked posts of every shop. `following`: newest posts of the "
        "shops the shopper follows (needs a login).",
    )
    page: int = Field(1, ge=1, le=10_000, description="The page number, from 1.")


class PageFilter(Schema):
    page: int = Field(1, ge=1, le=10_000, description="The page number, from 1.")


Handle = Annotated[
    str,
    Field(
        min_length=3,
        max_length=31,
        pattern=r"^@?[A-Za-z0-9_.]{3,30}$",
        description='A person\'s handle, in any case, with or without "@".',
    ),
]

HashtagName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        description='With or without "#", in any case or width: "Matcha", "#抹茶".',
    ),
]

# --- output types ----------------------------------------------------------------


class ShopRefOut(Schema):
    id: int
    slug: str
    name: str


class PersonRefOut(Schema):
    handle: str
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.public_name


class MediaOut(Schema):
    kind: str = Field(..., description="`image` or `video`.")
    url: str
    thumbnail_url: str
    width: int
    height: int

    @staticmethod
    def resolve_url(obj: PostMedia) -> str:
        return obj.file.url

    @staticmethod
    def resolve_thumbnail_url(obj: PostMedia) -> str:
        return obj.thumb_url


class TaggedProductOut(Schema):
    id: int
    title: str = Field(..., description="In the request's language when translated.")
    price_min: int = Field(..., description="Lowest variant price, minor units of `currency`.")
    price_max: int = Field(..., description="Highest variant price, minor units of `currency`.")
    currency: str
    image_url: str | None

    @staticmethod
    def resolve_title(obj: Product) -> str:
        return product_text(obj).title

    @staticmethod
    def resolve_currency(obj: Product) -> str:
        return obj.shop.currency

    @staticmethod
    def resolve_image_url(obj: Product) -> str | None:
        images = list(obj.images.all())
        return images[0].thumb_url if images else None


class ProductTagOut(Schema):
    id: int
    media_index: int = Field(..., description="The media the tag sits on, from 0.")
    x: float = Field(..., description="From the media's left edge, a fraction of its width.")
    y: float = Field(..., description="From the media's top edge, a fraction of its height.")
    product: TaggedProductOut


class PostTileOut(Schema):
    """A post in a grid (a hashtag's, a shop's): open it for its product tags and the
    viewer's like and save."""

    id: int
    shop: ShopRefOut | None = Field(..., description="Null for a creator's post.")
    author: PersonRefOut | None = Field(
        ...,
        description="The creator, for a creator's post; null for a shop's post (the shop speaks).",
    )
    caption: str
    hashtags: list[str] = Field(..., description='Without "#", lowercase.')
    media: list[MediaOut]
    like_count: int
    comment_count: int
    published_at: datetime
    share_url: str

    @staticmethod
    def resolve_author(obj: Post):
        if obj.shop_id is None and obj.author_id and obj.author.handle:
            return obj.author
        return None

    @staticmethod
    def resolve_hashtags(obj: Post) -> list[str]:
        return hashtag_list(obj.caption)

    @staticmethod
    def resolve_media(obj: Post) -> list[PostMedia]:
        return list(obj.media.all())

    @staticmethod
    def resolve_published_at(obj: Post) -> datetime:
        return obj.publish_at

    @staticmethod
    def resolve_share_url(obj: Post) -> str:
        return selectors.post_share_url(post=obj)


class PostOut(PostTileOut):
    """A post card: its media, the products tagged on them, and what the viewer did."""

    product_tags: list[ProductTagOut] = Field(
        ..., description="Tags of products on sale, in media order."
    )
    save_count: int
    liked: bool = Field(..., description="The logged-in shopper likes it (false when anonymous).")
    saved: bool = Field(..., description="The logged-in shopper saved it (false when anonymous).")
    following: bool = Field(
        ...,
        description="The logged-in shopper follows its shop, or for a creator's post its "
        "creator (false when anonymous).",
    )

    @staticmethod
    def resolve_product_tags(obj: Post) -> list[ProductTag]:
        return list(obj.tags.all())

    @staticmethod
    def resolve_liked(obj: Post) -> bool:
        return bool(obj.viewer_liked)

    @staticmethod
    def resolve_saved(obj: Post) -> bool:
        return bool(obj.viewer_saved)

    @staticmethod
    def resolve_following(obj: Post) -> bool:
        return bool(obj.viewer_follows)


class PostPageOut(Schema):
    items: list[PostOut]
    page: int
    next_page: int | None = Field(..., description="The next page's number; null on the last.")


class PostTilePageOut(Schema):
    items: list[PostTileOut]
    page: int
    next_page: int | None = Field(..., description="The next page's number; null on the last.")


class AuthorOut(Schema):
    name: str


class CommentOut(Schema):
    id: int
    parent_id: int | None = Field(..., description="The thread's first comment, for a reply.")
    body: str = Field(..., description="Plain text: show it escaped.")
    author: AuthorOut
    mine: bool = Field(..., description="Written by the logged-in shopper.")
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Comment) -> dict:
        return {"name": obj.user.display_name or _("Plaza member")}

    @staticmethod
    def resolve_mine(obj: Comment, context) -> bool:
        shopper = session_shopper(context["request"])
        return shopper is not None and obj.user_id == shopper.pk


class CommentThreadOut(CommentOut):
    replies: list[CommentOut] = Field(..., description="Oldest first.")

    @staticmethod
    def resolve_replies(obj: Comment) -> list[Comment]:
        return list(obj.replies.all())


class LikeOut(Schema):
    liked: bool
    like_count: int


class SaveOut(Schema):
    saved: bool
    save_count: int


class FollowOut(Schema):
    following: bool


class PersonOut(Schema):
    handle: str
    name: str
    bio: str
    post_count: int
    follower_count: int
    following_count: int
    following: bool = Field(
        ..., description="The logged-in shopper follows this person (false when anonymous)."
    )

    @staticmethod
    def resolve_handle(obj: selectors.UserSocial) -> str:
        return obj.user.handle

    @staticmethod
    def resolve_name(obj: selectors.UserSocial) -> str:
        return obj.user.public_name

    @staticmethod
    def resolve_bio(obj: selectors.UserSocial) -> str:
        return obj.user.bio

    @staticmethod
    def resolve_following(obj: selectors.UserSocial) -> bool:
        return obj.viewer_follows


def _page(page: PostPage) -> dict:
    return {"items": page.posts, "page": page.number, "next_page": page.next_number}


# --- the feed and the grids ------------------------------------------------------


@router.get(
    "/feed",
    operation_id="feed_get",
    response={200: PostPageOut, **errors(401, 422)},
    auth=shopper_session_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="The feed",
    description=(
        "`for_you` (the default): visible posts of every shop, ranked by likes, comments and "
        "saves over age, posts of followed shops first. `following`: the newest posts of the "
        "shops the shopper follows; without a login 401. 20 posts a page."
    ),
)
def feed_get(request: HttpRequest, filters: Query[FeedFilter]):
    if filters.tab == "following":
        shopper = session_shopper(request)
        if shopper is None:
            raise LoginRequired(_("Log in to see the posts of the shops you follow."))
        return _page(selectors.post_feed_following(viewer=shopper, page=filters.page))
    return _page(selectors.post_feed_for_you(viewer=request.auth, page=filters.page))


@router.get(
    "/tags/{name}/posts",
    operation_id="hashtag_posts_list",
    response={200: PostTilePageOut, **errors(404, 422)},
    auth=shopper_session_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="Posts with a hashtag",
    description="Newest first, 24 a page. A hashtag nobody used answers 404.",
)
def hashtag_posts_list(request: HttpRequest, name: Path[HashtagName], filters: Query[PageFilter]):
    hashtag = selectors.hashtag_get(name=name)
    return _page(selectors.post_list_for_hashtag(hashtag=hashtag, page=filters.page))


@router.get(
    "/shops/{slug}/posts",
    operation_id="shop_posts_list",
    response={200: PostTilePageOut, **errors(404, 422)},
    auth=shopper_session_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="A shop's posts",
    description="Newest first, 24 a page.",
)
def shop_posts_list(request: HttpRequest, slug: Path[Slug], filters: Query[PageFilter]):
    shop = shop_get(slug=slug)
    return _page(selectors.post_list_for_shop(shop=shop, page=filters.page))


# --- posts -----------------------------------------------------------------------


@router.get(
    "/posts/{post_id}",
    operation_id="post_get",
    response={200: PostOut, **errors(404, 422)},
    auth=shopper_session_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="Get a post",
    description="A published post with its media and product tags.",
)
def post_get(request: HttpRequest, post_id: Path[Id]) -> Post:
    return selectors.post_get_visible(post_id=post_id, viewer=request.auth)


@router.post(
    "/posts/{post_id}/like",
    operation_id="post_like",
    response={200: LikeOut, **errors(*SESSION_WRITE_ERRORS, 404, 422)},
    auth=shopper_session,
    summary="Like a post",
    description="Liking again changes nothing.",
)
def post_like(request: HttpRequest, post_id: Path[Id]):
    post = selectors.post_get_visible(post_id=post_id, card=False)
    post = services.post_like(post=post, user=request.auth)
    return {"liked": True, "like_count": post.like_count}


@router.delete(
    "/posts/{post_id}/like",
    operation_id="post_unlike",
    response={200: LikeOut, **errors(*SESSION_WRITE_ERRORS, 404, 422)},
    auth=shopper_session,
    summary="Take a like back",
    description="Without a like, nothing changes.",
)
def post_unlike(request: HttpRequest, post_id: Path[Id]):
    post = selectors.post_get_visible(post_id=post_id, card=False)
    post = services.post_unlike(post=post, user=request.auth)
    return {"liked": False, "like_count": post.like_count}


@router.post(
    "/posts/{post_id}/save",
    operation_id="post_save",
    response={200: SaveOut, **errors(*SESSION_WRITE_ERRORS, 404, 422)},
    auth=shopper_session,
    summary="Save (bookmark) a post",
    description="Saving again changes nothing.",
)
def post_save(request: HttpRequest, post_id: Path[Id]):
    post = selectors.post_get_visible(post_id=post_id, card=False)
    post = services.post_save(post=post, user=request.auth)
    return {"saved": True, "save_count": post.save_count}


@router.delete(
    "/posts/{post_id}/save",
    operation_id="post_unsave",
    response={200: SaveOut, **errors(*SESSION_WRITE_ERRORS, 404, 422)},
    auth=shopper_session,
    summary="Remove a post from the saved ones",
    description="When it is not saved, nothing changes.",
)
def post_unsave(request: HttpRequest, post_id: Path[Id]):
    post = selectors.post_get_visible(post_id=post_id, card=False)
    post = services.post_unsave(post=post, user=request.auth)
    return {"saved": False, "save_count": post.save_count}


# --- comments --------------------------------------------------------------------


@router.get(
    "/posts/{post_id}/comments",
    operation_id="comments_list",
    response={200: list[CommentThreadOut], **errors(404, 422)},
    auth=shopper_session_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="A post's comments",
    description="The newest 100 comments, oldest first, each with its replies.",
)
def comments_list(request: HttpRequest, post_id: Path[Id]):
    post = selectors.post_get_visible(post_id=post_id, card=False)
    return selectors.comment_list(post=post)


@router.post(
    "/posts/{post_id}/comments",
    operation_id="comment_create",
    response={201: CommentOut, **errors(*SESSION_WRITE_ERRORS, 404, *BODY_ERRORS)},
    auth=shopper_session,
    summary="Comment on a post, or reply to a comment",
    description=(
        f"An empty comment, or one above {COMMENT_MAX_LENGTH:,} characters, answers 422; a "
        "deleted comment replied to 404."
    ),
)
def comment_create(request: HttpRequest, post_id: Path[Id], payload: CommentIn):
    post = selectors.post_get_visible(post_id=post_id, card=False)
    comment = services.comment_create(
        post=post, user=request.auth, body=payload.body, parent_id=payload.parent_id
    )
    return Status(201, comment)


@router.delete(
    "/posts/{post_id}/comments/{comment_id}",
    operation_id="comment_delete",
    response={204: None, **errors(*SESSION_WRITE_ERRORS, 404, 422)},
    auth=shopper_session,
    summary="Delete a comment with its replies",
    description="Its author or the post's shop may delete it; anyone else gets 403.",
)
def comment_delete(request: HttpRequest, post_id: Path[Id], comment_id: Path[Id]):
    post = selectors.post_get_visible(post_id=post_id, card=False)
    comment = selectors.comment_get(post=post, comment_id=comment_id)
    services.comment_delete(comment=comment, by=request.auth)
    return Status(204, None)


# --- follows ---------------------------------------------------------------------


@router.post(
    "/shops/{slug}/follow",
    operation_id="shop_follow",
    response={200: FollowOut, **errors(*SESSION_WRITE_ERRORS, 404, 422)},
    auth=shopper_session,
    summary="Follow a shop",
    description="Its posts then show in the Following feed. Following again changes nothing.",
)
def shop_follow(request: HttpRequest, slug: Path[Slug]):
    shop: Shop = shop_get(slug=slug)
    services.shop_follow(shop=shop, user=request.auth)
    return {"following": True}


@router.delete(
    "/shops/{slug}/follow",
    operation_id="shop_unfollow",
    response={200: FollowOut, **errors(*SESSION_WRITE_ERRORS, 404, 422)},
    auth=shopper_session,
    summary="Stop following a shop",
    description="When the shop is not followed, nothing changes.",
)
def shop_unfollow(request: HttpRequest, slug: Path[Slug]):
    shop: Shop = shop_get(slug=slug)
    services.shop_unfollow(shop=shop, user=request.auth)
    return {"following": False}


# --- people ----------------------------------------------------------------------


@router.get(
    "/users/{handle}",
    operation_id="user_get",
    response={200: PersonOut, **errors(404, 422)},
    auth=shopper_session_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="A person's profile",
    description="Name, handle, bio and counts (visible posts, followers, following).",
)
def user_get(request: HttpRequest, handle: Path[Handle]):
    person = selectors.user_get_by_handle(handle=handle)
    return selectors.user_social_get(user=person, viewer=session_shopper(request))


@router.get(
    "/users/{handle}/posts",
    operation_id="user_posts_list",
    response={200: PostTilePageOut, **errors(404, 422)},
    auth=shopper_session_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="A person's posts",
    description="Their own (creator) posts, newest first, 24 a page.",
)
def user_posts_list(request: HttpRequest, handle: Path[Handle], filters: Query[PageFilter]):
    person = selectors.user_get_by_handle(handle=handle)
    return _page(selectors.post_list_for_user(user=person, page=filters.page))


@router.post(
    "/users/{handle}/follow",
    operation_id="user_follow",
    response={200: FollowOut, **errors(*SESSION_WRITE_ERRORS, 404, 422)},
    auth=shopper_session,
    summary="Follow a person",
    description="Their posts then show in the Following feed. Following again changes nothing; "
    "following oneself answers 422.",
)
def user_follow(request: HttpRequest, handle: Path[Handle]):
    person = selectors.user_get_by_handle(handle=handle)
    services.user_follow(follower=request.auth, followed=person)
    return {"following": True}


@router.delete(
    "/users/{handle}/follow",
    operation_id="user_unfollow",
    response={200: FollowOut, **errors(*SESSION_WRITE_ERRORS, 404, 422)},
    auth=shopper_session,
    summary="Stop following a person",
    description="When the person is not followed, nothing changes.",
)
def user_unfollow(request: HttpRequest, handle: Path[Handle]):
    person = selectors.user_get_by_handle(handle=handle)
    services.user_unfollow(follower=request.auth, followed=person)
    return {"following": False}
