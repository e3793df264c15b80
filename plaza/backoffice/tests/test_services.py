import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from plaza.backoffice import selectors
from plaza.backoffice.services import (
    NewVariant,
    RowError,
    VariantChange,
    product_create_with_stock,
    product_images_add,
    product_translations_save,
    product_variants_save,
    variant_bulk_edit_apply,
)
from plaza.catalog.models import Product, ProductImage, ProductTranslation, Variant
from plaza.catalog.services import OptionInput
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.core.exceptions import NotFound, ValidationError
from plaza.inventory.models import Stock
from plaza.inventory.selectors import stock_quantities_for_variants

pytestmark = pytest.mark.django_db


def stock_of(product) -> dict[str, int]:
    by_id = stock_quantities_for_variants(variant_ids=[v.pk for v in product.variants.all()])
    return {v.sku: by_id[v.pk] for v in product.variants.all()}


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def not_an_image(name="x.png"):
    return SimpleUploadedFile(name, b"not an image", content_type="image/png")


def two_sizes() -> dict:
    return {
        "options": [OptionInput("Size", ["S", "M"])],
        "variants": [
            NewVariant("TEE-S", 1000, None, {"Size": "S"}, stock=4),
            NewVariant("TEE-M", 1000, 1500, {"Size": "M"}, stock=0),
        ],
    }


def test_product_create_with_stock_saves_variants_stock_and_images(shop):
    # when
    product = product_create_with_stock(
        shop=shop, title="Tee", images=[image_upload("a.png"), image_upload("b.png")], **two_sizes()
    )
    # then
    assert stock_of(product) == {"TEE-S": 4, "TEE-M": 0}
    assert product.images.count() == 2
    assert product.variants.get(sku="TEE-M").compare_at_price == 1500


def test_product_create_with_stock_rolls_everything_back_when_an_image_fails(shop, settings):
    # when
    with pytest.raises(ValidationError, match="bad.png: This file is not an image"):
        product_create_with_stock(
            shop=shop,
            title="Tee",
            images=[image_upload("good.png"), not_an_image("bad.png")],
            **two_sizes(),
        )
    # then
    assert not Product.objects.exists()
    assert not Variant.objects.exists()
    assert not Stock.objects.exists()
    assert not ProductImage.objects.exists()
    assert stored_files(settings) == []


def test_product_create_with_stock_names_the_row_of_a_taken_sku(shop):
    # given
    make_product(shop, title="Old").variants.update(sku="TEE-M")
    # when
    with pytest.raises(RowError, match="The SKU TEE-M is already used in this shop.") as error:
        product_create_with_stock(shop=shop, title="Tee", **two_sizes())
    # then
    assert (error.value.row, error.value.field, error.value.code) == (1, "sku", "duplicate_sku")
    assert Product.objects.count() == 1


def test_product_images_add_keeps_no_file_when_one_image_fails(shop, settings):
    product = make_product(shop)
    with pytest.raises(ValidationError, match="x.png"):
        product_images_add(product=product, uploads=[image_upload("ok.png"), not_an_image()])
    assert not product.images.exists()
    assert stored_files(settings) == []


def test_product_variants_save_changes_nothing_when_a_later_row_fails(shop):
    # given
    product = make_product(shop, sizes=("S", "M"), price=1000, stock=1)
    first, second = product.variants.order_by("position")
    # when
    with pytest.raises(RowError, match="compare-at") as error:
        product_variants_save(
            product=product,
            changes=[
                VariantChange(first.pk, "NEW-S", 2000, None, 9),
                VariantChange(second.pk, second.sku, 1000, 500, 1),
            ],
        )
    # then
    assert (error.value.row, error.value.field) == (second.pk, "compare_at_price")
    first.refresh_from_db()
    assert (first.sku, first.price) == (product.variants.get(pk=first.pk).sku, 1000)
    assert first.sku != "NEW-S"
    assert stock_of(product) == {first.sku: 1, second.sku: 1}


def test_product_variants_save_refuses_a_variant_of_another_product(shop):
    product = make_product(shop)
    other = make_product(shop).variants.get()
    with pytest.raises(NotFound, match="This variant does not exist."):
        product_variants_save(
            product=product, changes=[VariantChange(other.pk, "X-1", 100, None, 1)]
        )
    other.refresh_from_db()
    assert other.sku != "X-1"


def test_product_variants_save_refuses_stock_below_what_orders_hold(shop):
    # given
    product = make_product(shop, price=1000, stock=5)
    variant = product.variants.get()
    Stock.objects.filter(variant=variant).update(allocated=3)
    # when
    with pytest.raises(RowError, match="3 units are already promised to orders") as error:
        product_variants_save(
            product=product, changes=[VariantChange(variant.pk, variant.sku, 1200, None, 2)]
        )
    # then
    assert error.value.row == variant.pk
    variant.refresh_from_db()
    assert variant.price == 1000


def test_product_translations_save_sets_and_removes_languages(shop):
    # given
    product = make_product(shop, title="Green tea")
    product_translations_save(product=product, texts={"ja": ("緑茶", ""), "fr": ("Thé vert", "")})
    # when
    changed = product_translations_save(
        product=product, texts={"ja": ("", ""), "fr": ("Thé vert", ""), "af": ("Groen tee", "")}
    )
    # then
    assert changed == 2
    assert dict(ProductTranslation.objects.values_list("language", "title")) == {
        "fr": "Thé vert",
        "af": "Groen tee",
    }


def test_product_translations_save_names_the_language_of_an_error_and_saves_nothing(shop):
    product = make_product(shop, title="Green tea")
    with pytest.raises(RowError, match="at most 200 characters") as error:
        product_translations_save(
            product=product, texts={"fr": ("Thé vert", ""), "ja": ("茶" * 201, "")}
        )
    assert error.value.row == "ja"
    assert not ProductTranslation.objects.exists()


def test_variant_bulk_edit_apply_is_all_or_nothing(shop, other_shop):
    # given
    mine = make_product(shop, price=1000, stock=2).variants.get()
    theirs = make_product(other_shop, price=1000, stock=2).variants.get()
    # when
    with pytest.raises(NotFound):
        variant_bulk_edit_apply(
            shop=shop, prices={mine.pk: (1500, None)}, stock={mine.pk: 7, theirs.pk: 0}
        )
    # then
    mine.refresh_from_db()
    assert mine.price == 1000
    assert stock_quantities_for_variants(variant_ids=[mine.pk, theirs.pk]) == {
        mine.pk: 2,
        theirs.pk: 2,
    }


def test_variant_bulk_edit_apply_keeps_prices_when_stock_is_refused(shop):
    # given
    variant = make_product(shop, price=1000, stock=5).variants.get()
    Stock.objects.filter(variant=variant).update(allocated=4)
    # when
    with pytest.raises(ValidationError, match="4 units are already promised"):
        variant_bulk_edit_apply(shop=shop, prices={variant.pk: (900, 1200)}, stock={variant.pk: 1})
    # then
    variant.refresh_from_db()
    assert (variant.price, variant.compare_at_price) == (1000, None)


def test_shop_overview_counts_products_stock_and_staff(shop, owner):
    # given
    make_product(shop, title="A", sizes=("S", "M"), stock=3)
    make_product(shop, title="B", status="draft")
    # when
    overview = selectors.shop_overview(shop=shop, user=owner)
    # then
    assert (overview.products, overview.active_products) == (2, 1)
    assert (overview.units_in_stock, overview.staff, overview.categories) == (6, 1, 0)
    assert overview.onboarding.done == 2


def test_bulk_edit_selection_never_takes_another_shops_products(shop, other_shop):
    mine = make_product(shop)
    theirs = make_product(other_shop)
    selection = selectors.bulk_edit_selection(shop=shop, product_ids=[mine.pk, theirs.pk])
    assert selection.product_ids == [mine.pk]


def test_bulk_edit_selection_stops_at_the_variant_limit(shop, monkeypatch):
    # given
    monkeypatch.setattr(selectors, "MAX_BULK_VARIANTS", 3)
    for n in range(3):
        make_product(shop, title=f"P{n}", sizes=("S", "M"))
    # when
    selection = selectors.bulk_edit_selection(shop=shop)
    # then
    assert selection.truncated is True
    assert len(selection.rows) == 2
