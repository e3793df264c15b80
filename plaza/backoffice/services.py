"""Back-office writes that span apps: each one calls the catalog's and the inventory's services
in one transaction, so a page's form is saved completely or not at all.

Errors that belong to one row of a table form (a variant, a language) are raised as RowError,
so the page can show them next to that row's field.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from plaza.accounts.models import Shop
from plaza.catalog import services as catalog
from plaza.catalog.exceptions import DuplicateSku
from plaza.catalog.models import Category, Product, ProductImage, Variant
from plaza.core.exceptions import DomainError, NotFound, ValidationError
from plaza.inventory import services as inventory
from plaza.inventory.selectors import stock_quantities_for_variants

logger = logging.getLogger("plaza.backoffice")


class RowError(DomainError):
    """A service error that belongs to one row of a table form.

    ``row`` is the row's key (the index of a new variant, a variant id, a language code) and
    ``field`` the column; status and code are those of the original error.
    """

    def __init__(self, error: DomainError, *, row, field: str | None = None):
        super().__init__(error.message, field=field or error.field, code=error.code)
        self.status_code = error.status_code
        self.row = row


@dataclass
class NewVariant:
    """One row of the variants table of a new product. Prices in minor units."""

    sku: str
    price: int
    compare_at_price: int | None = None
    option_values: dict[str, str] = field(default_factory=dict)
    stock: int = 0


@dataclass
class VariantChange:
    """The values of one existing variant as the variants table submits them."""

    variant_id: int
    sku: str
    price: int
    compare_at_price: int | None
    stock: int


def _duplicate_sku_row(exc: DuplicateSku, skus: Sequence[str]) -> int | None:
    """The index of the SKU a DuplicateSku error names (it carries only its message)."""
    for index, sku in enumerate(skus):
        if DuplicateSku(sku).message == exc.message:
            return index
    return None


def _delete_files(images: Sequence[ProductImage]) -> None:
    """Remove stored files of images whose rows are being rolled back."""
    for image in images:
        try:
            image.image.storage.delete(image.image.name)
        except OSError:
            logger.warning("Could not delete the file of a rolled-back image", exc_info=True)


@transaction.atomic
def product_images_add(*, product: Product, uploads: Sequence[UploadedFile]) -> list[ProductImage]:
    """Add several images to a product, all or none. An error names the file it is about;
    files already stored for this call are removed again when one fails."""
    added: list[ProductImage] = []
    try:
        for upload in uploads:
            try:
                added.append(catalog.product_image_add(product=product, upload=upload))
            except DomainError as exc:
                raise ValidationError(
                    _("%(file)s: %(error)s") % {"file": upload.name, "error": exc.message},
                    field="images",
                    code=exc.code,
                ) from exc
    except Exception:
        _delete_files(added)
        raise
    return added


@transaction.atomic
def product_create_with_stock(
    *,
    shop: Shop,
    title: str,
    variants: Sequence[NewVariant],
    description: str = "",
    brand: str = "",
    status: str = "draft",
    category: Category | None = None,
    options: Sequence[catalog.OptionInput] = (),
    images: Sequence[UploadedFile] = (),
) -> Product:
    """Create a product with its variants, their stock and its images, or change nothing.

    A duplicate SKU is a RowError naming the variant's index; an image error names the file.
    """
    skus = [(v.sku or "").strip() for v in variants]
    try:
        product = catalog.product_create(
            shop=shop,
            title=title,
            description=description,
            brand=brand,
            status=status,
            category=category,
            options=options,
            variants=[
                catalog.VariantInput(
                    sku=v.sku,
                    price=v.price,
                    compare_at_price=v.compare_at_price,
                    option_values=v.option_values,
                )
                for v in variants
            ],
        )
    except DuplicateSku as exc:
        row = _duplicate_sku_row(exc, skus)
        if row is None:
            raise
        raise RowError(exc, row=row, field="sku") from exc
    ids_by_sku = {variant.sku: variant.pk for variant in product.variants.all()}
    inventory.stock_bulk_set(
        shop=shop,
        quantities={ids_by_sku[sku]: v.stock for sku, v in zip(skus, variants, strict=True)},
    )
    if images:
        product_images_add(product=product, uploads=images)
    return product


@transaction.atomic
def product_variants_save(*, product: Product, changes: Sequence[VariantChange]) -> int:
    """Save the variants table of a product: SKU, price, compare-at price and stock of each row,
    all or nothing. Rows that did not change are left alone. Returns how many rows changed.

    A variant that is not the product's is NotFound; an error of one row is a RowError keyed by
    the variant id.
    """
    variants = {v.pk: v for v in product.variants.all()}
    quantities = stock_quantities_for_variants(variant_ids=list(variants))
    changed = 0
    for change in changes:
        variant = variants.get(change.variant_id)
        if variant is None:
            raise NotFound(_("This variant does not exist."))
        try:
            if (variant.sku, variant.price, variant.compare_at_price) != (
                change.sku,
                change.price,
                change.compare_at_price,
            ):
                catalog.variant_update(
                    variant=variant,
                    sku=change.sku,
                    price=change.price,
                    compare_at_price=change.compare_at_price,
                )
                changed += 1
            if quantities.get(variant.pk, 0) != change.stock:
                inventory.stock_bulk_set(shop=product.shop, quantities={variant.pk: change.stock})
                changed += 1
        except DomainError as exc:
            raise RowError(exc, row=variant.pk) from exc
    return changed


@transaction.atomic
def variant_create_with_stock(
    *,
    product: Product,
    sku: str,
    price: int,
    compare_at_price: int | None = None,
    option_values: dict[str, str] | None = None,
    stock: int = 0,
) -> Variant:
    """Add a variant to a product with its stock, or change nothing."""
    variant = catalog.variant_create(
        product=product,
        sku=sku,
        price=price,
        compare_at_price=compare_at_price,
        option_values=option_values,
    )
    inventory.stock_bulk_set(shop=product.shop, quantities={variant.pk: stock})
    return variant


@transaction.atomic
def product_translations_save(*, product: Product, texts: dict[str, tuple[str, str]]) -> int:
    """Set the product's title and description in several languages at once, all or nothing.

    An empty title removes that language's translation. Languages whose text did not change are
    left alone. An error is a RowError keyed by the language code. Returns how many changed.
    """
    current = {t.language: t for t in product.translations.all()}
    changed = 0
    for language, (title, description) in texts.items():
        title = (title or "").strip()
        description = description or ""
        existing = current.get(language)
        if existing is None and not title:
            continue
        if existing is not None and (existing.title, existing.description) == (title, description):
            continue
        try:
            catalog.product_set_translation(
                product=product, language=language, title=title, description=description
            )
        except DomainError as exc:
            raise RowError(exc, row=language) from exc
        changed += 1
    return changed


@transaction.atomic
def variant_bulk_edit_apply(
    *,
    shop: Shop,
    prices: dict[int, tuple[int, int | None]],
    stock: dict[int, int],
) -> None:
    """Apply a bulk edit: new (price, compare-at price) and new stock for many variants of the
    shop, all or nothing. A variant id that is not the shop's is NotFound."""
    catalog.variant_bulk_set_prices(shop=shop, changes=prices)
    inventory.stock_bulk_set(shop=shop, quantities=stock)
