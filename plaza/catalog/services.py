"""Every write to the catalog. Prices are integer minor units in the shop's currency."""

import io
import itertools
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from plaza.accounts.models import Shop
from plaza.catalog.exceptions import DuplicateSku, InvalidImage
from plaza.catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductOption,
    ProductStatus,
    ProductTranslation,
    Variant,
)
from plaza.core import events
from plaza.core.exceptions import Conflict, NotFound, ValidationError
from plaza.core.money import MAX_AMOUNT
from plaza.core.text import normalize_search

logger = logging.getLogger("plaza.catalog")

MAX_OPTIONS = 3
MAX_OPTION_VALUES = 50
MAX_VARIANTS = 100
MAX_IMAGES = 10
ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
THUMBNAIL_SIZE = (480, 480)
_SKU_RE = re.compile(r"^[^\s]{1,64}$")


@dataclass
class OptionInput:
    name: str
    values: list[str]


@dataclass
class VariantInput:
    sku: str
    price: int
    compare_at_price: int | None = None
    option_values: dict[str, str] = field(default_factory=dict)


# --- validation helpers ------------------------------------------------------


def validate_price(value, *, field_name: str = "price", allow_none: bool = False) -> int | None:
    """An amount in minor units: a whole, non-negative number below MAX_AMOUNT."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            _("A price must be a whole number of minor units (cents)."), field=field_name
        )
    if value < 0:
        raise ValidationError(_("A price cannot be negative."), field=field_name)
    if value > MAX_AMOUNT:
        raise ValidationError(_("That price is too large."), field=field_name)
    return value


def _validate_compare_at(price: int, compare_at: int | None) -> int | None:
    compare_at = validate_price(compare_at, field_name="compare_at_price", allow_none=True)
    if compare_at is not None and compare_at <= price:
        raise ValidationError(
            _("The compare-at price must be higher than the price."), field="compare_at_price"
        )
    return compare_at


def _validate_sku(sku: str) -> str:
    sku = (sku or "").strip()
    if not _SKU_RE.match(sku):
        raise ValidationError(
            _("A SKU has 1 to 64 characters and no spaces."), field="sku"
        )
    return sku


def _validate_status(status: str) -> str:
    if status not in ProductStatus.values:
        raise ValidationError(_("Unknown product status."), field="status")
    return status


def _validate_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the product a title."), field="title")
    if len(title) > 200:
        raise ValidationError(_("A title has at most 200 characters."), field="title")
    return title


def _validate_description(description: str) -> str:
    description = description or ""
    if len(description) > 9999:
        raise ValidationError(
            _("A description has at most 9,999 characters."), field="description"
        )
    return description


def _validate_language(language: str) -> str:
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("Unknown language code."), field="language")
    return language


def _clean_options(options: Sequence[OptionInput]) -> list[OptionInput]:
    if len(options) > MAX_OPTIONS:
        raise ValidationError(
            _("A product has at most %(n)s options.") % {"n": MAX_OPTIONS}, field="options"
        )
    clean: list[OptionInput] = []
    seen: set[str] = set()
    for option in options:
        name = (option.name or "").strip()[:40]
        values = list(dict.fromkeys(v.strip()[:60] for v in option.values if v and v.strip()))
        if not name or not values:
            raise ValidationError(_("Each option needs a name and at least one value."), field="options")
        if name.casefold() in seen:
            raise ValidationError(_("Two options have the same name."), field="options")
        if len(values) > MAX_OPTION_VALUES:
            raise ValidationError(_("An option has too many values."), field="options")
        seen.add(name.casefold())
        clean.append(OptionInput(name=name, values=values))
    return clean


def variant_combinations(options: Sequence[OptionInput]) -> list[dict[str, str]]:
    """Every combination of option values, in display order: [{"Size": "40", "Colour": "Red"}, ...]."""
    if not options:
        return [{}]
    names = [option.name for option in options]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(o.values for o in options))]


def variant_title(option_values: dict[str, str]) -> str:
    return " / ".join(option_values.values())


def _unique_slug(shop: Shop, title: str, exclude_id: int | None = None) -> str:
    base = slugify(title, allow_unicode=True)[:100] or "product"
    taken = set(
        Product.objects.filter(shop=shop, slug__startswith=base)
        .exclude(pk=exclude_id)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


def _check_skus_free(shop: Shop, skus: Iterable[str], exclude_ids: Iterable[int] = ()) -> None:
    skus = list(skus)
    duplicates = {s for s in skus if skus.count(s) > 1}
    if duplicates:
        raise DuplicateSku(sorted(duplicates)[0])
    clash = (
        Variant.objects.filter(shop=shop, sku__in=skus)
        .exclude(pk__in=list(exclude_ids))
        .values_list("sku", flat=True)
        .first()
    )
    if clash:
        raise DuplicateSku(clash)


def product_refresh_derived(*, product: Product) -> None:
    """Recompute price range and search text from the variants and translations."""
    prices = Variant.objects.filter(product=product).aggregate(low=Min("price"), high=Max("price"))
    parts = [product.title, product.brand, product.description]
    parts += list(
        ProductTranslation.objects.filter(product=product).values_list("title", flat=True)
    )
    parts += list(
        ProductTranslation.objects.filter(product=product).values_list("description", flat=True)
    )
    parts += list(Variant.objects.filter(product=product).values_list("sku", flat=True))
    if product.category_id:
        parts.append(Category.objects.filter(pk=product.category_id).values_list("name", flat=True).first() or "")
    product.price_min = prices["low"] or 0
    product.price_max = prices["high"] or 0
    product.search_text = normalize_search("\n".join(p for p in parts if p))
    product.save(update_fields=["price_min", "price_max", "search_text", "updated_at"])
    events.publish("product.changed", product_id=product.pk, shop_id=product.shop_id)


# --- categories --------------------------------------------------------------


@transaction.atomic
def category_create(*, shop: Shop, name: str) -> Category:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError(_("A category name has 1 to 80 characters."), field="name")
    slug = slugify(name, allow_unicode=True)[:80] or "category"
    position = Category.objects.filter(shop=shop).count()
    try:
        with transaction.atomic():
            return Category.objects.create(shop=shop, name=name, slug=slug, position=position)
    except IntegrityError:
        # The unique (shop, slug) constraint decides, also between concurrent requests.
        raise Conflict(
            _("This shop already has a category with that name."), field="name"
        ) from None


def _check_category(shop: Shop, category: Category | None) -> Category | None:
    if category is not None and category.shop_id != shop.pk:
        raise NotFound(_("This category does not exist."))
    return category


# --- products ----------------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    shop: Shop,
    title: str,
    variants: Sequence[VariantInput],
    description: str = "",
    brand: str = "",
    status: str = ProductStatus.DRAFT,
    category: Category | None = None,
    options: Sequence[OptionInput] = (),
) -> Product:
    """Create a product with its options and at least one variant, or change nothing.

    Every variant's option values must name exactly the product's options; SKUs must be
    free in the shop.
    """
    title = _validate_title(title)
    description = _validate_description(description)
    status = _validate_status(status)
    category = _check_category(shop, category)
    options = _clean_options(options)
    if not variants:
        raise ValidationError(_("A product needs at least one variant."), field="variants")
    if len(variants) > MAX_VARIANTS:
        raise ValidationError(_("A product has at most 100 variants."), field="variants")
    clean_variants = [_clean_variant_input(v, options) for v in variants]
    _check_skus_free(shop, [v.sku for v in clean_variants])

    product = _product_insert(
        shop=shop,
        title=title,
        description=description,
        brand=(brand or "").strip()[:100],
        status=status,
        category=category,
    )
    ProductOption.objects.bulk_create(
        ProductOption(product=product, name=o.name, values=o.values, position=i)
        for i, o in enumerate(options)
    )
    try:
        with transaction.atomic():
            Variant.objects.bulk_create(
                Variant(
                    shop=shop,
                    product=product,
                    sku=v.sku,
                    title=variant_title(v.option_values),
                    option_values=v.option_values,
                    price=v.price,
                    compare_at_price=v.compare_at_price,
                    position=i,
                )
                for i, v in enumerate(clean_variants)
            )
    except IntegrityError:
        raise DuplicateSku(clean_variants[0].sku) from None
    product_refresh_derived(product=product)
    return product


def _product_insert(*, shop: Shop, title: str, **fields) -> Product:
    """Insert a product under a free slug. When a concurrent request takes the same slug
    between the look-up and the insert, try again with a random suffix."""
    slug = _unique_slug(shop, title)
    for attempt in range(3):
        try:
            with transaction.atomic():
                return Product.objects.create(shop=shop, title=title, slug=slug, **fields)
        except IntegrityError:
            if attempt == 2:
                raise
            slug = f"{_unique_slug(shop, title)[:100]}-{secrets.token_hex(3)}"
    raise AssertionError("unreachable")


def _clean_variant_input(variant: VariantInput, options: Sequence[OptionInput]) -> VariantInput:
    sku = _validate_sku(variant.sku)
    price = validate_price(variant.price)
    compare_at = _validate_compare_at(price, variant.compare_at_price)
    values = dict(variant.option_values or {})
    expected = {o.name: o.values for o in options}
    if set(values) != set(expected) or any(values[k] not in expected[k] for k in values):
        raise ValidationError(
            _("Variant %(sku)s must pick one value of each option.") % {"sku": sku},
            field="option_values",
        )
    ordered = {o.name: values[o.name] for o in options}
    return VariantInput(sku=sku, price=price, compare_at_price=compare_at, option_values=ordered)


@transaction.atomic
def product_update(
    *,
    product: Product,
    title: str | None = None,
    description: str | None = None,
    brand: str | None = None,
    status: str | None = None,
    category: Category | None = None,
    clear_category: bool = False,
) -> Product:
    """Change a product's own fields; only the ones given change."""
    changed: list[str] = []
    if title is not None:
        product.title = _validate_title(title)
        changed.append("title")
    if description is not None:
        product.description = _validate_description(description)
        changed.append("description")
    if brand is not None:
        product.brand = brand.strip()[:100]
        changed.append("brand")
    if status is not None:
        product.status = _validate_status(status)
        changed.append("status")
    if category is not None or clear_category:
        product.category = None if clear_category else _check_category(product.shop, category)
        changed.append("category")
    if changed:
        product.save(update_fields=[*changed, "updated_at"])
        product_refresh_derived(product=product)
    return product


@transaction.atomic
def product_set_translation(
    *, product: Product, language: str, title: str, description: str = ""
) -> ProductTranslation | None:
    """Set (or, with an empty title, remove) the product's title and description in a language."""
    language = _validate_language(language)
    title = (title or "").strip()
    if not title:
        ProductTranslation.objects.filter(product=product, language=language).delete()
        product_refresh_derived(product=product)
        return None
    title = _validate_title(title)
    description = _validate_description(description)
    translation, _created = ProductTranslation.objects.update_or_create(
        product=product, language=language, defaults={"title": title, "description": description}
    )
    product_refresh_derived(product=product)
    return translation


# --- variants ----------------------------------------------------------------


@transaction.atomic
def variant_create(
    *,
    product: Product,
    sku: str,
    price: int,
    compare_at_price: int | None = None,
    option_values: dict[str, str] | None = None,
) -> Variant:
    options = [OptionInput(o.name, o.values) for o in product.options.all()]
    clean = _clean_variant_input(
        VariantInput(sku=sku, price=price, compare_at_price=compare_at_price, option_values=option_values or {}),
        options,
    )
    if product.variants.count() >= MAX_VARIANTS:
        raise ValidationError(_("A product has at most 100 variants."), field="variants")
    if Variant.objects.filter(product=product, option_values=clean.option_values).exists() and options:
        raise ValidationError(_("A variant with these option values already exists."), field="option_values")
    _check_skus_free(product.shop, [clean.sku])
    try:
        with transaction.atomic():
            variant = Variant.objects.create(
                shop=product.shop,
                product=product,
                sku=clean.sku,
                title=variant_title(clean.option_values),
                option_values=clean.option_values,
                price=clean.price,
                compare_at_price=clean.compare_at_price,
                position=product.variants.count(),
            )
    except IntegrityError:
        raise DuplicateSku(clean.sku) from None
    product_refresh_derived(product=product)
    return variant


_UNSET = object()


@transaction.atomic
def variant_update(
    *, variant: Variant, sku: str | None = None, price: int | None = None, compare_at_price=_UNSET
) -> Variant:
    """Change a variant's SKU, price or compare-at price (None clears the compare-at price)."""
    changed: list[str] = []
    if sku is not None:
        sku = _validate_sku(sku)
        if sku != variant.sku:
            _check_skus_free(variant.shop, [sku], exclude_ids=[variant.pk])
            variant.sku = sku
            changed.append("sku")
    if price is not None:
        variant.price = validate_price(price)
        changed.append("price")
    if compare_at_price is not _UNSET:
        variant.compare_at_price = compare_at_price
        changed.append("compare_at_price")
    if "price" in changed or "compare_at_price" in changed:
        variant.compare_at_price = _validate_compare_at(variant.price, variant.compare_at_price)
    if changed:
        try:
            with transaction.atomic():
                variant.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        except IntegrityError:
            raise DuplicateSku(variant.sku) from None
        product_refresh_derived(product=variant.product)
    return variant


@transaction.atomic
def variant_delete(*, variant: Variant) -> None:
    product = variant.product
    if product.variants.count() <= 1:
        raise ValidationError(_("A product needs at least one variant."), field="variants")
    variant.delete()
    product_refresh_derived(product=product)


@transaction.atomic
def variant_bulk_set_prices(
    *, shop: Shop, changes: dict[int, tuple[int, int | None]]
) -> list[Variant]:
    """Set (price, compare-at price) of many variants of one shop at once, all or nothing.

    Rows are locked in primary-key order. A variant id that is not the shop's is NotFound.
    """
    if not changes:
        return []
    variants = list(
        Variant.objects.select_for_update(of=("self",))
        .filter(shop=shop, pk__in=list(changes))
        .order_by("pk")
    )
    if len(variants) != len(changes):
        raise NotFound(_("This variant does not exist."))
    for variant in variants:
        price, compare_at = changes[variant.pk]
        variant.price = validate_price(price)
        variant.compare_at_price = _validate_compare_at(variant.price, compare_at)
    Variant.objects.bulk_update(variants, ["price", "compare_at_price"])
    for product in Product.objects.filter(pk__in={v.product_id for v in variants}):
        product_refresh_derived(product=product)
    return variants


# --- images ------------------------------------------------------------------


def _read_image(upload: UploadedFile) -> str:
    """Check that the upload is a real image of an allowed type and size; return its format."""
    if upload.size is None or upload.size > settings.PLAZA_MAX_IMAGE_BYTES:
        raise InvalidImage(_("An image may be at most 10 MB."), field="image")
    try:
        upload.seek(0)
        with Image.open(upload) as img:
            fmt = img.format
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidImage(_("This file is not an image we can read (use JPEG, PNG, WebP or GIF)."), field="image") from None
    finally:
        upload.seek(0)
    if fmt not in ALLOWED_IMAGE_FORMATS:
        raise InvalidImage(_("This file is not an image we can read (use JPEG, PNG, WebP or GIF)."), field="image")
    return fmt


@transaction.atomic
def product_image_add(*, product: Product, upload: UploadedFile, alt: str = "") -> ProductImage:
    """Store a validated image; its thumbnail is made in the background after commit."""
    _read_image(upload)
    count = product.images.count()
    if count >= MAX_IMAGES:
        raise ValidationError(_("A product has at most 10 images."), field="image")
    image = ProductImage(product=product, alt=(alt or "")[:200], position=count)
    image.image.save(upload.name or "image", upload, save=False)
    image.save()

    from plaza.catalog.tasks import product_image_make_thumbnail

    transaction.on_commit(lambda: product_image_make_thumbnail.delay(image.pk))
    return image


def product_image_make_thumbnail(*, image_id: int) -> None:
    """Make (or remake) the thumbnail of an image. Idempotent."""
    image = ProductImage.objects.filter(pk=image_id).select_related("product").first()
    if image is None:
        return
    with image.image.open("rb") as source, Image.open(source) as img:
        img = img.convert("RGB")
        img.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        img.save(buffer, format="JPEG", quality=82, optimize=True)
    name = image.image.name.rsplit("/", 1)[-1].rsplit(".", 1)[0] + "_thumb.jpg"
    if image.thumbnail:
        image.thumbnail.delete(save=False)
    image.thumbnail.save(name, ContentFile(buffer.getvalue()), save=False)
    image.save(update_fields=["thumbnail", "updated_at"])


@transaction.atomic
def product_image_delete(*, image: ProductImage) -> None:
    files = [f for f in (image.image, image.thumbnail) if f]
    names = [(f.storage, f.name) for f in files]
    image.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])
