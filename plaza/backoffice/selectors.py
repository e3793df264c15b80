"""Back-office reads that compose several apps. Each one has a fixed number of queries."""

from dataclasses import dataclass, field

from allauth.mfa.utils import is_mfa_enabled
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from plaza.accounts.models import Shop, User
from plaza.accounts.selectors import api_token_list, invitation_list_open, staff_list
from plaza.catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductStatus,
    ProductTranslation,
    Variant,
)
from plaza.catalog.selectors import (
    access_shop_product,
    access_shop_variant,
    category_list,
    product_list_for_staff,
)
from plaza.core.exceptions import NotFound
from plaza.inventory.selectors import stock_available_for_variants, stock_quantities_for_variants

PRODUCTS_PER_PAGE = 25
MAX_BULK_PRODUCTS = 100
MAX_BULK_VARIANTS = 300


# --- shop home ----------------------------------------------------------------


@dataclass(frozen=True)
class Onboarding:
    """The first steps of a new shop, each done or not."""

    has_product: bool
    has_image: bool
    has_stock: bool
    has_category: bool
    has_teammate: bool
    has_api_token: bool
    has_two_factor: bool
    has_translation: bool

    @property
    def total(self) -> int:
        return 8

    @property
    def done(self) -> int:
        return sum(
            (
                self.has_product,
                self.has_image,
                self.has_stock,
                self.has_category,
                self.has_teammate,
                self.has_api_token,
                self.has_two_factor,
                self.has_translation,
            )
        )

    @property
    def is_complete(self) -> bool:
        return self.done == self.total


@dataclass(frozen=True)
class ShopOverview:
    onboarding: Onboarding
    products: int
    active_products: int
    categories: int
    staff: int
    open_invitations: int
    units_in_stock: int


def shop_overview(*, shop: Shop, user: User) -> ShopOverview:
    """The onboarding checklist of the shop (two-factor authentication is the user's own) and a
    few counts for its home page."""
    products = product_list_for_staff(shop=shop).order_by()
    counts = products.aggregate(
        total=Count("pk"), active=Count("pk", filter=Q(status=ProductStatus.ACTIVE))
    )
    units = products.aggregate(units=Sum("variants__stocks__quantity"))["units"] or 0
    categories = category_list(shop=shop).count()
    staff = staff_list(shop=shop).count()
    open_invitations = invitation_list_open(shop=shop).count()
    onboarding = Onboarding(
        has_product=counts["total"] > 0,
        has_image=products.filter(images__isnull=False).exists(),
        has_stock=units > 0,
        has_category=categories > 0,
        has_teammate=staff > 1 or open_invitations > 0,
        has_api_token=api_token_list(shop=shop).exists(),
        has_two_factor=is_mfa_enabled(user),
        has_translation=products.filter(translations__isnull=False).exists(),
    )
    return ShopOverview(
        onboarding=onboarding,
        products=counts["total"],
        active_products=counts["active"],
        categories=categories,
        staff=staff,
        open_invitations=open_invitations,
        units_in_stock=units,
    )


# --- product list -------------------------------------------------------------


@dataclass(frozen=True)
class ProductRow:
    product: Product
    thumb_url: str
    stock: int
    variant_count: int


@dataclass(frozen=True)
class ProductPage:
    page: Page
    rows: list[ProductRow]


def product_page_for_staff(
    *,
    shop: Shop,
    q: str | None = None,
    status: str | None = None,
    category_id: int | None = None,
    page: str | int | None = 1,
    per_page: int = PRODUCTS_PER_PAGE,
) -> ProductPage:
    """One page of the shop's products with thumbnail and stock on hand. The number of queries
    does not depend on the number of products."""
    products = product_list_for_staff(shop=shop, q=q, status=status, category_id=category_id)
    current = Paginator(products, per_page).get_page(page)
    items = list(current.object_list)
    variant_ids = [v.pk for p in items for v in p.variants.all()]
    quantities = stock_quantities_for_variants(variant_ids=variant_ids) if variant_ids else {}
    rows = []
    for product in items:
        images = product.images.all()
        variants = product.variants.all()
        rows.append(
            ProductRow(
                product=product,
                thumb_url=images[0].thumb_url if images else "",
                stock=sum(quantities.get(v.pk, 0) for v in variants),
                variant_count=len(variants),
            )
        )
    return ProductPage(page=current, rows=rows)


# --- product editor -----------------------------------------------------------


@dataclass(frozen=True)
class ProductEditor:
    product: Product
    stock: dict[int, int]
    categories: list[Category]
    translations: dict[str, ProductTranslation] = field(default_factory=dict)


def product_editor_get(*, shop: Shop, product_id: int) -> ProductEditor:
    """One of the shop's products with what its edit page shows; NotFound otherwise."""
    product = access_shop_product(shop=shop, product_id=product_id)
    variant_ids = [v.pk for v in product.variants.all()]
    return ProductEditor(
        product=product,
        stock=stock_quantities_for_variants(variant_ids=variant_ids),
        categories=list(category_list(shop=shop)),
        translations={t.language: t for t in product.translations.all()},
    )


def access_product_variant(*, shop: Shop, product_id: int, variant_id: int) -> Variant:
    """A variant of one of the shop's products; NotFound for any other (or missing) one."""
    variant = access_shop_variant(shop=shop, variant_id=variant_id)
    if variant.product_id != product_id:
        raise NotFound(_("This variant does not exist."))
    return variant


def access_product_image(*, shop: Shop, product_id: int, image_id: int) -> ProductImage:
    """An image of one of the shop's products; NotFound for any other (or missing) one."""
    product = access_shop_product(shop=shop, product_id=product_id)
    for image in product.images.all():
        if image.pk == image_id:
            return image
    raise NotFound(_("This image does not exist."))


def category_list_with_counts(*, shop: Shop):
    return category_list(shop=shop).annotate(product_count=Count("products"))


# --- bulk edit ----------------------------------------------------------------


@dataclass(frozen=True)
class BulkRow:
    product: Product
    variant: Variant
    quantity: int
    allocated: int


@dataclass(frozen=True)
class BulkSelection:
    rows: list[BulkRow]
    product_ids: list[int]
    truncated: bool


def bulk_edit_selection(
    *,
    shop: Shop,
    product_ids: list[int] | None = None,
    q: str | None = None,
    status: str | None = None,
    category_id: int | None = None,
) -> BulkSelection:
    """The variants of the chosen products (or, without ``product_ids``, of every product the
    filters match) with their stock, at most MAX_BULK_PRODUCTS products and MAX_BULK_VARIANTS
    variants. Only the shop's own products are ever chosen."""
    products = product_list_for_staff(shop=shop, q=q, status=status, category_id=category_id)
    if product_ids is not None:
        products = products.filter(pk__in=product_ids)
    chosen = list(products[: MAX_BULK_PRODUCTS + 1])
    truncated = len(chosen) > MAX_BULK_PRODUCTS
    chosen = chosen[:MAX_BULK_PRODUCTS]
    pairs: list[tuple[Product, Variant]] = []
    kept: list[Product] = []
    for product in chosen:
        variants = list(product.variants.all())
        if len(pairs) + len(variants) > MAX_BULK_VARIANTS:
            truncated = True
            break
        kept.append(product)
        pairs.extend((product, variant) for variant in variants)
    ids = [variant.pk for _product, variant in pairs]
    quantities = stock_quantities_for_variants(variant_ids=ids) if ids else {}
    available = stock_available_for_variants(variant_ids=ids) if ids else {}
    rows = [
        BulkRow(
            product=product,
            variant=variant,
            quantity=quantities.get(variant.pk, 0),
            allocated=max(quantities.get(variant.pk, 0) - available.get(variant.pk, 0), 0),
        )
        for product, variant in pairs
    ]
    return BulkSelection(rows=rows, product_ids=[p.pk for p in kept], truncated=truncated)
