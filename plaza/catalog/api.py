"""API v1: products, variants, categories and translations.

Anyone reads active products; a shop's own token also reads its drafts and archived products.
Writes need the shop's token and only ever touch that shop: another shop's product, variant or
category answers 404, exactly like a missing one. Money is integer minor units plus the shop's
ISO-4217 currency.
"""

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from plaza.accounts.api_auth import (
    BODY_ERRORS,
    NO_NUL,
    OPTIONAL_AUTH_OPENAPI,
    Id,
    Page,
    Slug,
    Text,
    auth_shop,
    errors,
    shop_token,
    shop_token_optional,
    token_shop,
)
from plaza.accounts.models import Shop
from plaza.accounts.selectors import shop_get
from plaza.catalog.models import Category, Product, ProductImage, ProductStatus, Variant
from plaza.catalog.selectors import (
    access_shop_category,
    access_shop_product,
    access_shop_variant,
    category_get,
    category_list,
    product_get_public_by_id,
    product_list_for_staff,
    product_list_public,
)
from plaza.catalog.services import (
    MAX_OPTION_VALUES,
    MAX_OPTIONS,
    MAX_VARIANTS,
    OptionInput,
    VariantInput,
    category_create,
    product_create,
    product_set_translation,
    product_update,
    variant_create,
    variant_update,
)
from plaza.core.exceptions import NotFound, ValidationError
from plaza.core.money import MAX_AMOUNT

router = Router(tags=["catalog"])

# --- input types -------------------------------------------------------------

Price = Annotated[
    int,
    Field(
        strict=True,
        ge=0,
        le=MAX_AMOUNT,
        description="Whole minor units of the shop's currency (cents), e.g. 1250 for 12.50.",
    ),
]
Sku = Annotated[
    str, Field(pattern=r"^[^\s\x00]{1,64}$", description="1 to 64 characters, no spaces.")
]
Language = Annotated[
    str, Field(min_length=2, max_length=10, pattern=r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
]
OptionName = Annotated[str, Field(min_length=1, max_length=40, pattern=NO_NUL)]
OptionValue = Annotated[str, Field(min_length=1, max_length=60, pattern=NO_NUL)]


class In(Schema):
    """A request body. Unknown fields are refused (422), so a typo never goes unnoticed."""

    model_config = ConfigDict(extra="forbid")


class OptionIn(In):
    name: OptionName
    values: list[OptionValue] = Field(..., min_length=1, max_length=MAX_OPTION_VALUES)


class VariantIn(In):
    sku: Sku
    price: Price
    compare_at_price: Price | None = Field(
        None, description="The price before a discount; above the price, or null."
    )
    option_values: dict[OptionName, OptionValue] = Field(
        default_factory=dict,
        description='One value of each of the product\'s options, e.g. {"Size": "42"}.',
    )


class ProductIn(In):
    title: Text = Field(..., min_length=1, max_length=200)
    description: Text = Field("", max_length=9999)
    brand: Text = Field("", max_length=100)
    status: ProductStatus = ProductStatus.DRAFT
    category_id: Id | None = None
    options: list[OptionIn] = Field(default_factory=list, max_length=MAX_OPTIONS)
    variants: list[VariantIn] = Field(..., min_length=1, max_length=MAX_VARIANTS)
    currency: str | None = Field(
        None,
        pattern=r"^[A-Z]{3}$",
        description="Optional check: the currency of the prices; must be the shop's currency.",
    )


class ProductPatchIn(In):
    """Fields left out (or null) stay as they are; ``category_id: null`` removes the category."""

    title: Text | None = Field(None, min_length=1, max_length=200)
    description: Text | None = Field(None, max_length=9999)
    brand: Text | None = Field(None, max_length=100)
    status: ProductStatus | None = None
    category_id: Id | None = None


class VariantPatchIn(In):
    """Fields left out stay as they are; ``compare_at_price: null`` removes the compare-at price."""

    sku: Sku | None = None
    price: Price | None = None
    compare_at_price: Price | None = None


class CategoryIn(In):
    name: Text = Field(..., min_length=1, max_length=80)


class TranslationIn(In):
    title: Text = Field(..., max_length=200, description="An empty title removes the translation.")
    description: Text = Field("", max_length=9999)


class ProductFilter(Schema):
    q: Text | None = Field(None, max_length=200, description="Words to search for.")
    category: Slug | None = Field(None, description="A category slug of the shop.")


# --- output types ------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    position: int


class ImageOut(Schema):
    id: int
    url: str
    thumbnail_url: str
    alt: str
    width: int
    height: int

    @staticmethod
    def resolve_url(obj: ProductImage) -> str:
        return obj.image.url

    @staticmethod
    def resolve_thumbnail_url(obj: ProductImage) -> str:
        return obj.thumb_url


class TranslationOut(Schema):
    language: str
    title: str
    description: str


class OptionOut(Schema):
    name: str
    values: list[str]


class VariantOut(Schema):
    id: int
    product_id: int
    sku: str
    title: str
    option_values: dict[str, str]
    price: int = Field(..., description="Whole minor units of `currency`.")
    compare_at_price: int | None
    currency: str
    position: int

    @staticmethod
    def resolve_currency(obj: Variant) -> str:
        # Whichever shop is already loaded: the variant's own, or its product's. No query.
        shop = obj.shop if Variant.shop.is_cached(obj) else obj.product.shop
        return shop.currency


class ProductOut(Schema):
    id: int
    shop: str = Field(..., description="The shop's slug.")
    slug: str
    title: str
    description: str
    brand: str
    status: ProductStatus
    category: CategoryOut | None
    price_min: int = Field(..., description="Lowest variant price, minor units of `currency`.")
    price_max: int = Field(..., description="Highest variant price, minor units of `currency`.")
    currency: str
    images: list[ImageOut]
    translations: list[TranslationOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_shop(obj: Product) -> str:
        return obj.shop.slug


class ProductDetailOut(ProductOut):
    options: list[OptionOut]
    variants: list[VariantOut]


# --- helpers -----------------------------------------------------------------


def _is_own_shop(request: HttpRequest, shop: Shop) -> bool:
    own = token_shop(request)
    return own is not None and own.pk == shop.pk


def _visible_product(request: HttpRequest, product_id: int) -> Product:
    """The token's own product (any status), else an active product; NotFound otherwise."""
    own = token_shop(request)
    if own is not None:
        try:
            return access_shop_product(shop=own, product_id=product_id)
        except NotFound:
            pass
    return product_get_public_by_id(product_id=product_id)


def _own_category(shop: Shop, category_id: int | None) -> Category | None:
    return None if category_id is None else access_shop_category(shop=shop, category_id=category_id)


# --- products ----------------------------------------------------------------


@router.get(
    "/shops/{slug}/products",
    operation_id="products_list",
    response={200: list[ProductOut], **errors(401, 404, 422)},
    auth=shop_token_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    tags=["products"],
    summary="List a shop's products",
    description=(
        "Active products, newest first. With the shop's own token: every product, drafts and "
        "archived ones included. An unknown category slug answers 404."
    ),
)
@paginate(Page)
def products_list(request: HttpRequest, slug: Path[Slug], filters: Query[ProductFilter]):
    shop = shop_get(slug=slug)
    category = category_get(shop=shop, slug=filters.category) if filters.category else None
    if _is_own_shop(request, shop):
        return product_list_for_staff(
            shop=shop, q=filters.q, category_id=category.pk if category else None
        )
    return product_list_public(shop=shop, q=filters.q, category=category)


@router.get(
    "/products/{product_id}",
    operation_id="product_get",
    response={200: ProductDetailOut, **errors(401, 404, 422)},
    auth=shop_token_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    tags=["products"],
    summary="Get a product with its options and variants",
    description="Active products for everyone; the shop's own token also sees its drafts.",
)
def product_detail(request: HttpRequest, product_id: Path[Id]) -> Product:
    return _visible_product(request, product_id)


@router.post(
    "/products",
    operation_id="product_create",
    response={201: ProductDetailOut, **errors(401, 404, 409, *BODY_ERRORS)},
    auth=shop_token,
    tags=["products"],
    summary="Create a product in the token's shop",
    description=(
        "With its options and at least one variant. Each variant picks one value of every "
        "option. A SKU already used in the shop answers 409; another shop's category 404."
    ),
)
def product_create_endpoint(request: HttpRequest, payload: ProductIn):
    shop = auth_shop(request)
    if payload.currency is not None and payload.currency != shop.currency:
        raise ValidationError(
            _(
                "This shop sells in %(currency)s; send prices in %(currency)s or leave out the "
                "currency."
            )
            % {"currency": shop.currency},
            field="currency",
        )
    product = product_create(
        shop=shop,
        title=payload.title,
        description=payload.description,
        brand=payload.brand,
        status=payload.status,
        category=_own_category(shop, payload.category_id),
        options=[OptionInput(name=o.name, values=o.values) for o in payload.options],
        variants=[
            VariantInput(
                sku=v.sku,
                price=v.price,
                compare_at_price=v.compare_at_price,
                option_values=v.option_values,
            )
            for v in payload.variants
        ],
    )
    return Status(201, product)


@router.patch(
    "/products/{product_id}",
    operation_id="product_update",
    response={200: ProductDetailOut, **errors(401, 404, *BODY_ERRORS)},
    auth=shop_token,
    tags=["products"],
    summary="Change a product's own fields",
)
def product_update_endpoint(request: HttpRequest, product_id: Path[Id], payload: ProductPatchIn):
    shop = auth_shop(request)
    product = access_shop_product(shop=shop, product_id=product_id)
    given = payload.model_dump(exclude_unset=True)
    clear_category = "category_id" in given and given["category_id"] is None
    return product_update(
        product=product,
        title=payload.title,
        description=payload.description,
        brand=payload.brand,
        status=payload.status,
        category=_own_category(shop, payload.category_id),
        clear_category=clear_category,
    )


@router.put(
    "/products/{product_id}/translations/{language}",
    operation_id="product_translation_set",
    response={200: TranslationOut, 204: None, **errors(401, 404, *BODY_ERRORS)},
    auth=shop_token,
    tags=["products"],
    summary="Set or remove a product's title and description in a language",
    description="An unknown language answers 422; an empty title removes the translation (204).",
)
def product_translation_put(
    request: HttpRequest, product_id: Path[Id], language: Path[Language], payload: TranslationIn
):
    product = access_shop_product(shop=auth_shop(request), product_id=product_id)
    translation = product_set_translation(
        product=product, language=language, title=payload.title, description=payload.description
    )
    return translation if translation is not None else Status(204, None)


# --- variants ----------------------------------------------------------------


@router.get(
    "/products/{product_id}/variants",
    operation_id="variants_list",
    response={200: list[VariantOut], **errors(401, 404, 422)},
    auth=shop_token_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    tags=["variants"],
    summary="List a product's variants",
    description="At most 100 per product, in display order; same visibility as the product.",
)
def variants_list(request: HttpRequest, product_id: Path[Id]):
    return _visible_product(request, product_id).variants.all()


@router.post(
    "/products/{product_id}/variants",
    operation_id="variant_create",
    response={201: VariantOut, **errors(401, 404, 409, *BODY_ERRORS)},
    auth=shop_token,
    tags=["variants"],
    summary="Add a variant to a product",
)
def variant_create_endpoint(request: HttpRequest, product_id: Path[Id], payload: VariantIn):
    product = access_shop_product(shop=auth_shop(request), product_id=product_id)
    variant = variant_create(
        product=product,
        sku=payload.sku,
        price=payload.price,
        compare_at_price=payload.compare_at_price,
        option_values=payload.option_values,
    )
    return Status(201, variant)


@router.patch(
    "/variants/{variant_id}",
    operation_id="variant_update",
    response={200: VariantOut, **errors(401, 404, 409, *BODY_ERRORS)},
    auth=shop_token,
    tags=["variants"],
    summary="Change a variant's SKU, price or compare-at price",
)
def variant_update_endpoint(request: HttpRequest, variant_id: Path[Id], payload: VariantPatchIn):
    variant = access_shop_variant(shop=auth_shop(request), variant_id=variant_id)
    # Only the fields sent change; "compare_at_price": null clears it.
    return variant_update(variant=variant, **payload.model_dump(exclude_unset=True))


# --- categories --------------------------------------------------------------


@router.get(
    "/shops/{slug}/categories",
    operation_id="categories_list",
    response={200: list[CategoryOut], **errors(401, 404, 422)},
    auth=shop_token_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    tags=["categories"],
    summary="List a shop's categories",
)
@paginate(Page)
def categories_list(request: HttpRequest, slug: Path[Slug]):
    return category_list(shop=shop_get(slug=slug))


@router.post(
    "/categories",
    operation_id="category_create",
    response={201: CategoryOut, **errors(401, 409, *BODY_ERRORS)},
    auth=shop_token,
    tags=["categories"],
    summary="Create a category in the token's shop",
)
def category_create_endpoint(request: HttpRequest, payload: CategoryIn):
    return Status(201, category_create(shop=auth_shop(request), name=payload.name))
