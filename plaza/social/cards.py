"""What a post card shows, worked out once per card in Python before the template runs.

The feed renders 20 cards. Written as template expressions, each card reversed about 13 URLs
(some twice: a tag's sheet is both ``href`` and ``hx-get``), looked the same product's text up for
its dot and for the product strip, and ran a filter for every price, count and date: some 1.5 ms
of CPU per card, most of the feed's cost. ``post_cards`` does that work once per value, reverses
each URL name once per page (then only fills in the ids), and the card template only prints
the results. No query: it reads what the selectors prefetched (``_with_card_relations``).

Everything here depends on the active language (texts, prices, "3 hours ago"), so cards are
built while the request renders, never cached across requests.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.exceptions import ObjectDoesNotExist
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import template_localtime

from plaza.accounts.models import Shop, User
from plaza.catalog.models import Product
from plaza.catalog.selectors import LocalizedText, product_text
from plaza.core.money import format_money
from plaza.inventory.models import Drop
from plaza.social.models import Post, PostMedia, ProductTag
from plaza.social.selectors import post_share_url
from plaza.social.templatetags.social import caption_html, compact, frame_ratio

# How long a caption may be before the card folds it behind "more".
CAPTION_FOLD_LENGTH = 120
# Django reverses URL arguments through this quoting (django.urls.resolvers).
_URL_SAFE = "!$&'()*+,;=" + "/~:@"
# Stand-ins for a URL's arguments: digits, which every converter accepts, found nowhere else in a
# URL.
_MARKERS = ("9876543210123", "9876543210456")


class _Urls:
    """``reverse(name, args=values)`` for many values of a few names: each name is reversed once,
    with markers in place of its arguments, then the markers are replaced by the values, quoted
    as ``reverse`` quotes them. The values are ids and slugs from the database, which always
    match the patterns."""

    def __init__(self) -> None:
        self._pieces: dict[str, list[str]] = {}

    def __call__(self, name: str, *values) -> str:
        pieces = self._pieces.get(name)
        if pieces is None:
            rest, pieces = reverse(name, args=_MARKERS[: len(values)]), []
            for marker in _MARKERS[: len(values)]:
                head, found, rest = rest.partition(marker)
                assert found, f"the URL {name} does not show its arguments in order"
                pieces.append(head)
            pieces.append(rest)
            self._pieces[name] = pieces
        url = pieces[0]
        for value, piece in zip(values, pieces[1:], strict=True):
            url += quote(str(value), safe=_URL_SAFE) + piece
        return url


@dataclass(frozen=True, slots=True)
class TagDot:
    """A product's dot on a photo."""

    tag: ProductTag
    url: str  # the product sheet (href and hx-get)
    text: LocalizedText


@dataclass(frozen=True, slots=True)
class CardMedia:
    item: PostMedia
    url: str
    dots: list[TagDot]


@dataclass(frozen=True, slots=True)
class CardProduct:
    """A product of the strip under the photos."""

    product: Product
    url: str  # the sheet of its first tag
    text: LocalizedText
    thumb_url: str  # "" when the product has no photo
    price: str  # the lowest price, formatted
    price_from: bool  # prices vary: "From {price}"
    drop: Drop | None  # a limited release not open yet


@dataclass(frozen=True, slots=True)
class PostCard:
    post: Post
    shop: Shop | None  # None for a creator's post
    person: User | None  # the creator of a creator's post
    poster_name: str
    poster_url: str  # the shop's posts, or the creator's profile
    follow_url: str  # follow the shop or the creator ("" when the viewer already does)
    published_iso: str
    published_ago: str
    frame_ratio: str
    media: list[CardMedia]
    has_tags: bool
    detail_url: str
    like_url: str  # like, or unlike when the viewer likes it
    save_url: str  # save, or unsave
    share_url: str
    comment_count: str
    caption_html: str
    caption_alt: str  # the first photo's alt text
    caption_long: bool
    products: list[CardProduct]


def post_cards(*, posts: Iterable[Post]) -> list[PostCard]:
    """The cards of posts read by a selector with ``_with_card_relations`` (their viewer
    annotations and prefetched media and tags), in the active language."""
    urls = _Urls()
    language = translation.get_language() or "en"
    return [_card(post, urls, language) for post in posts]


def _card(post: Post, urls: _Urls, language: str) -> PostCard:
    shop = post.shop if post.shop_id else None
    person = None if shop else post.author
    if shop:
        poster_name, poster_url = shop.name, urls("social:shop-post-list", shop.slug)
        follow_url = urls("social:shop-follow", shop.slug)
    elif person:
        poster_name, poster_url = person.public_name, urls("social:user-profile", person.handle)
        follow_url = urls("social:user-follow", person.handle)
    else:
        poster_name = poster_url = follow_url = ""
    tags = list(post.tags.all())
    texts: dict[int, LocalizedText] = {}
    for tag in tags:
        if tag.product_id not in texts:
            texts[tag.product_id] = product_text(tag.product, language)
    tag_urls = {tag.pk: urls("social:product-tag-detail", post.pk, tag.pk) for tag in tags}
    media = [
        CardMedia(
            item=item,
            url=item.file.url,
            dots=[
                TagDot(tag=tag, url=tag_urls[tag.pk], text=texts[tag.product_id])
                for tag in tags
                if tag.media_index == index
            ],
        )
        for index, item in enumerate(post.media.all())
    ]
    detail_url = urls("social:post-detail", post.pk)
    local_publish_at = template_localtime(post.publish_at)
    return PostCard(
        post=post,
        shop=shop,
        person=person,
        poster_name=poster_name,
        poster_url=poster_url,
        follow_url="" if post.viewer_follows else follow_url,
        published_iso=date_filter(local_publish_at, "c"),
        published_ago=naturaltime(local_publish_at),
        frame_ratio=frame_ratio(post),
        media=media,
        has_tags=bool(tags),
        detail_url=detail_url,
        like_url=urls("social:post-unlike" if post.viewer_liked else "social:post-like", post.pk),
        save_url=urls("social:post-unsave" if post.viewer_saved else "social:post-save", post.pk),
        share_url=post_share_url(post=post, path=detail_url),
        comment_count=compact(post.comment_count),
        caption_html=caption_html(post.caption, lambda tag: urls("social:hashtag-detail", tag))
        if post.caption
        else "",
        caption_alt=truncatechars(post.caption, CAPTION_FOLD_LENGTH) if post.caption else "",
        caption_long=len(post.caption) > CAPTION_FOLD_LENGTH,
        products=_products(tags, tag_urls, texts, language),
    )


def _products(tags, tag_urls, texts, language: str) -> list[CardProduct]:
    """Each tagged product once, in tag order, opening the sheet of its first tag."""
    seen, products = set(), []
    for tag in tags:
        if tag.product_id in seen:
            continue
        seen.add(tag.product_id)
        product = tag.product
        images = list(product.images.all())
        try:
            drop = product.drop
        except ObjectDoesNotExist:
            drop = None
        products.append(
            CardProduct(
                product=product,
                url=tag_urls[tag.pk],
                text=texts[tag.product_id],
                thumb_url=images[0].thumb_url if images else "",
                price=format_money(product.price_min, product.shop.currency, language),
                price_from=product.price_max > product.price_min,
                drop=drop if drop is not None and not drop.is_open else None,
            )
        )
    return products
