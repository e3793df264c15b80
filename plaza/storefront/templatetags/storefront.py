"""Template helpers of the shopper pages. None of them runs a query."""

from decimal import Decimal

from babel.numbers import format_percent
from django import template

from plaza.catalog.models import Product, Variant
from plaza.catalog.selectors import LocalizedText, product_text
from plaza.core.money import babel_locale

register = template.Library()


@register.filter
def localized(product: Product) -> LocalizedText:
    """{% with text=product|localized %}{{ text.title }}: the product's text in the active
    language, or the shop's own text. Reads the prefetched translations."""
    return product_text(product)


@register.filter
def discount(variant: Variant) -> str:
    """The saving on the compare-at price, "-20%" ("-20 %" in French), or "" without one."""
    compare_at, price = variant.compare_at_price, variant.price
    if not compare_at or compare_at <= price:
        return ""
    percent = round(Decimal(compare_at - price) * 100 / compare_at)
    if percent < 1:
        return ""
    return format_percent(Decimal(-percent) / 100, locale=babel_locale())


@register.filter
def avatar_hue(shop) -> int:
    """A stable colour (hue in degrees) for a shop's initial, so shops are told apart."""
    return (int(shop.pk or 0) * 137) % 360
