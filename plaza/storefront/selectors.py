"""Reads that only the shopper pages need. Each is one query; products come from catalog."""

from django.db.models import Count, Q, QuerySet

from plaza.accounts.models import Shop
from plaza.catalog.models import Category, ProductStatus

# The "Only N left" threshold, re-exported for the apps above (checkout's live stock).
from plaza.storefront.picker import LOW_STOCK_THRESHOLD as LOW_STOCK_THRESHOLD

HOME_SHOP_LIMIT = 24


def shop_list_public(*, limit: int = HOME_SHOP_LIMIT) -> list[Shop]:
    """Shops with at least one active product, the biggest first, each with
    ``active_product_count``. One query."""
    return list(
        Shop.objects.annotate(
            active_product_count=Count("products", filter=Q(products__status=ProductStatus.ACTIVE))
        )
        .filter(active_product_count__gt=0)
        .order_by("-active_product_count", "name", "pk")[:limit]
    )


def category_list_public(*, shop: Shop) -> QuerySet[Category]:
    """The shop's categories that hold at least one active product, in the shop's order,
    each with ``active_product_count``. One query."""
    return (
        Category.objects.filter(shop=shop)
        .annotate(
            active_product_count=Count("products", filter=Q(products__status=ProductStatus.ACTIVE))
        )
        .filter(active_product_count__gt=0)
        .order_by("position", "name")
    )
