"""Catalog state built through the services, as the application builds it."""

import io
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from plaza.catalog.models import ProductStatus
from plaza.catalog.services import OptionInput, VariantInput, product_create, variant_combinations

_counter = itertools.count(1)


def make_product(
    shop,
    *,
    title: str | None = None,
    price: int = 1000,
    sizes: tuple[str, ...] = (),
    status: str = ProductStatus.ACTIVE,
    stock: int | None = None,
    **kwargs,
):
    """An active product with one variant, or one per size; optionally with stock."""
    n = next(_counter)
    title = title or f"Product {n}"
    options = [OptionInput("Size", list(sizes))] if sizes else []
    variants = [
        VariantInput(sku=f"SKU-{n}-{i}", price=price, option_values=values)
        for i, values in enumerate(variant_combinations(options))
    ]
    product = product_create(
        shop=shop, title=title, variants=variants, options=options, status=status, **kwargs
    )
    if stock is not None:
        from plaza.inventory.services import stock_bulk_set

        stock_bulk_set(shop=shop, quantities={v.pk: stock for v in product.variants.all()})
    return product


def image_upload(name: str = "photo.png", size=(600, 600), fmt: str = "PNG", color="red"):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg"}.get(fmt, "application/octet-stream")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)
