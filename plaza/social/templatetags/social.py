"""Template helpers of the social pages. None of them runs a query."""

from collections.abc import Callable

from babel.numbers import format_compact_decimal
from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from plaza.core.money import babel_locale
from plaza.social.hashtags import caption_segments
from plaza.social.models import Post

register = template.Library()

# Instagram's bounds for a post's frame: from 4:5 (portrait) to 1.91:1 (landscape).
MIN_RATIO, MAX_RATIO = 0.8, 1.91


@register.filter
def caption(text: str) -> SafeString:
    """The caption as HTML: every character escaped, line breaks kept, hashtags linked to their
    page. "<script>" stays text."""
    return caption_html(text)


def caption_html(text: str, hashtag_url: Callable[[str], str] | None = None) -> SafeString:
    """``caption``, with the hashtags' page URLs from ``hashtag_url`` when given (the feed's
    cards reverse it once for all their hashtags)."""
    parts = []
    for kind, piece, tag in caption_segments(text or ""):
        if kind == "tag":
            url = hashtag_url(tag) if hashtag_url else reverse("social:hashtag-detail", args=[tag])
            parts.append(format_html('<a class="sc-hashtag" href="{}">{}</a>', url, piece))
        else:
            parts.append(str(conditional_escape(piece)).replace("\n", "<br>"))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


@register.filter
def compact(number) -> str:
    """1234 -> "1.2K" ("1,2 k" in French, "1234" in Japanese): counts under posts."""
    try:
        value = int(number or 0)
    except (TypeError, ValueError):
        return ""
    if value < 1000:
        return str(value)
    return format_compact_decimal(value, locale=babel_locale(), fraction_digits=1)


@register.filter
def frame_ratio(post: Post) -> str:
    """The aspect ratio of the post's media frame: its first media's, within 4:5 and 1.91:1."""
    media = list(post.media.all())
    first = media[0] if media else None
    if not first or not first.width or not first.height:
        return "1"
    ratio = min(max(first.width / first.height, MIN_RATIO), MAX_RATIO)
    return f"{ratio:.4f}"


@register.filter
def poster_name(post: Post) -> str:
    """Who posted: the shop's name, or the creator's name for a creator's post."""
    if post.shop_id:
        return post.shop.name
    return post.author.public_name if post.author_id else ""
