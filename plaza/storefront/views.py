"""Shopper pages: home, shop, category, product and search. Parse, call selectors, render."""

import re
import unicodedata

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from plaza.accounts.selectors import shop_get
from plaza.catalog.models import Product
from plaza.catalog.selectors import (
    category_get,
    product_get_public,
    product_list_public,
    product_text,
)
from plaza.core.shortcuts import not_found_as_404
from plaza.inventory.selectors import drop_for_product, stock_available_for_variants
from plaza.storefront.picker import variant_picker_build
from plaza.storefront.selectors import category_list_public, shop_list_public

PAGE_SIZE = 24
HOME_PRODUCT_LIMIT = 12
MAX_QUERY_LENGTH = 100
_SHOP_SLUG_RE = re.compile(r"^[a-z0-9-]{1,60}$")


def _page(request: HttpRequest, products: QuerySet[Product]) -> Page:
    """One page of products; a missing or bad ?page= gives the first or last page."""
    return Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))


def _search_query(raw: str) -> str:
    """The shopper's words without control characters, at most MAX_QUERY_LENGTH long."""
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in raw)
    return " ".join(text[:MAX_QUERY_LENGTH].split())


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "storefront/home.html",
        {
            "shops": shop_list_public(),
            "products": list(product_list_public()[:HOME_PRODUCT_LIMIT]),
        },
    )


@require_safe
@not_found_as_404
def shop_detail(request: HttpRequest, shop_slug: str) -> HttpResponse:
    shop = shop_get(slug=shop_slug)
    return render(
        request,
        "storefront/shop_detail.html",
        {
            "shop": shop,
            "categories": list(category_list_public(shop=shop)),
            "category": None,
            "page": _page(request, product_list_public(shop=shop)),
        },
    )


@require_safe
@not_found_as_404
def category_detail(request: HttpRequest, shop_slug: str, category_slug: str) -> HttpResponse:
    shop = shop_get(slug=shop_slug)
    category = category_get(shop=shop, slug=category_slug)
    return render(
        request,
        "storefront/shop_detail.html",
        {
            "shop": shop,
            "categories": list(category_list_public(shop=shop)),
            "category": category,
            "page": _page(request, product_list_public(shop=shop, category=category)),
        },
    )


@require_safe
@not_found_as_404
def product_detail(request: HttpRequest, shop_slug: str, slug: str) -> HttpResponse:
    product = product_get_public(shop_slug=shop_slug, slug=slug)
    available = stock_available_for_variants(variant_ids=[v.pk for v in product.variants.all()])
    picker = variant_picker_build(
        product=product,
        available=available,
        selected_id=_int_or_none(request.GET.get("variant")),
    )
    images = list(product.images.all())
    return render(
        request,
        "storefront/product_detail.html",
        {
            "product": product,
            "shop": product.shop,
            "text": product_text(product),
            "images": images,
            "picker": picker,
            "drop": drop_for_product(product_id=product.pk),
            "share_image_url": request.build_absolute_uri(images[0].image.url) if images else "",
        },
    )


@require_safe
@not_found_as_404
def search(request: HttpRequest) -> HttpResponse:
    q = _search_query(request.GET.get("q", ""))
    shop_slug = request.GET.get("shop", "").strip()
    shop = None
    if shop_slug:
        if not _SHOP_SLUG_RE.match(shop_slug):
            raise Http404
        shop = shop_get(slug=shop_slug)
    page = _page(request, product_list_public(shop=shop, q=q)) if q else None
    return render(request, "storefront/search.html", {"q": q, "shop": shop, "page": page})
