"""Every catalog read that is more than a .get. Selectors own the query shape."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from plaza.accounts.models import Shop
from plaza.catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductStatus,
    ProductTranslation,
    Variant,
)
from plaza.core.exceptions import NotFound
from plaza.core.text import normalize_search

MIN_QUERY_LENGTH = 1


def _with_list_relations(qs: QuerySet[Product]) -> QuerySet[Product]:
    """What a product card needs: shop, category, images, translations, in a fixed number of queries."""
    return qs.select_related("shop", "category").prefetch_related(
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        Prefetch("translations", queryset=ProductTranslation.objects.all()),
    )


def _filter_query(qs: QuerySet[Product], q: str | None) -> QuerySet[Product]:
    for term in normalize_search(q or "").split():
        qs = qs.filter(search_text__contains=term)
    return qs


def product_list_public(
    *, shop: Shop | None = None, q: str | None = None, category: Category | None = None
) -> QuerySet[Product]:
    """Active products for shoppers, newest first; optionally one shop's, a search, a category."""
    qs = Product.objects.filter(status=ProductStatus.ACTIVE)
    if shop is not None:
        qs = qs.filter(shop=shop)
    if category is not None:
        qs = qs.filter(category=category)
    return _with_list_relations(_filter_query(qs, q)).order_by("-created_at", "-id")


def product_list_for_staff(
    *,
    shop: Shop,
    q: str | None = None,
    status: str | None = None,
    category_id: int | None = None,
) -> QuerySet[Product]:
    """All of one shop's products for its staff, with filters."""
    qs = Product.objects.filter(shop=shop)
    if status in ProductStatus.values:
        qs = qs.filter(status=status)
    if category_id:
        qs = qs.filter(category_id=category_id)
    qs = _with_list_relations(_filter_query(qs, q)).prefetch_related(
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id"))
    )
    return qs.order_by("-created_at", "-id")


def _with_detail_relations(qs: QuerySet[Product]) -> QuerySet[Product]:
    return _with_list_relations(qs).prefetch_related(
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
        "options",
    )


def product_get_public(*, shop_slug: str, slug: str) -> Product:
    """An active product of a shop, with everything its page shows; NotFound otherwise."""
    try:
        return _with_detail_relations(
            Product.objects.filter(status=ProductStatus.ACTIVE, shop__slug=shop_slug)
        ).get(slug=slug)
    except Product.DoesNotExist:
        raise NotFound(_("This product does not exist.")) from None


def product_get_public_by_id(*, product_id: int) -> Product:
    try:
        return _with_detail_relations(Product.objects.filter(status=ProductStatus.ACTIVE)).get(
            pk=product_id
        )
    except Product.DoesNotExist:
        raise NotFound(_("This product does not exist.")) from None


def access_shop_product(*, shop: Shop, product_id: int) -> Product:
    """One of the shop's own products, for its staff. Missing and "another shop's" look the same."""
    try:
        return _with_detail_relations(Product.objects.filter(shop=shop)).get(pk=product_id)
    except (Product.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This product does not exist.")) from None


def access_shop_variant(*, shop: Shop, variant_id: int) -> Variant:
    try:
        return Variant.objects.select_related("product", "shop").get(pk=variant_id, shop=shop)
    except (Variant.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This variant does not exist.")) from None


def variant_get_public(*, variant_id: int) -> Variant:
    try:
        return Variant.objects.select_related("product", "shop").get(
            pk=variant_id, product__status=ProductStatus.ACTIVE
        )
    except (Variant.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This variant does not exist.")) from None


def access_shop_category(*, shop: Shop, category_id: int) -> Category:
    try:
        return Category.objects.get(pk=category_id, shop=shop)
    except (Category.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This category does not exist.")) from None


def category_list(*, shop: Shop) -> QuerySet[Category]:
    return Category.objects.filter(shop=shop).order_by("position", "name")


def category_get(*, shop: Shop, slug: str) -> Category:
    try:
        return Category.objects.get(shop=shop, slug=slug)
    except Category.DoesNotExist:
        raise NotFound(_("This category does not exist.")) from None


@dataclass(frozen=True)
class LocalizedText:
    title: str
    description: str
    language: str


def product_text(product: Product, language: str | None = None) -> LocalizedText:
    """The product's title and description in the language (active one by default), falling back
    to the shop's own text. Uses prefetched translations: no query."""
    language = language or translation.get_language() or "en"
    for t in product.translations.all():
        if t.language == language:
            return LocalizedText(t.title, t.description or product.description, language)
    return LocalizedText(product.title, product.description, product.shop.language)
