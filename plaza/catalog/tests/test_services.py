import pytest

from plaza.catalog.exceptions import DuplicateSku, InvalidImage
from plaza.catalog.models import Product, Variant
from plaza.catalog.services import (
    OptionInput,
    VariantInput,
    product_create,
    product_image_add,
    product_set_translation,
    variant_bulk_set_prices,
    variant_update,
)
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.core.exceptions import NotFound, ValidationError

pytestmark = pytest.mark.django_db


def test_product_create_builds_variants_from_options_and_keeps_price_range(shop):
    # given
    options = [OptionInput("Size", ["41", "42"]), OptionInput("Colour", ["Red"])]
    variants = [
        VariantInput("RUN-41-R", 5000, None, {"Size": "41", "Colour": "Red"}),
        VariantInput("RUN-42-R", 5500, 6000, {"Colour": "Red", "Size": "42"}),
    ]
    # when
    product = product_create(shop=shop, title="Runner", variants=variants, options=options)
    # then
    assert [v.title for v in product.variants.order_by("position")] == ["41 / Red", "42 / Red"]
    assert (product.price_min, product.price_max) == (5000, 5500)
    assert "run-41-r" in product.search_text


def test_product_create_refuses_a_sku_already_used_in_the_shop_and_changes_nothing(shop):
    # given
    make_product(shop, title="First")
    taken = Variant.objects.get().sku
    # when / then
    with pytest.raises(DuplicateSku, match=taken):
        product_create(shop=shop, title="Second", variants=[VariantInput(taken, 100)])
    assert Product.objects.count() == 1


def test_the_same_sku_may_be_used_by_two_shops(shop, other_shop):
    product_create(shop=shop, title="A", variants=[VariantInput("SAME", 100)])
    product_create(shop=other_shop, title="B", variants=[VariantInput("SAME", 100)])
    assert Variant.objects.filter(sku="SAME").count() == 2


@pytest.mark.parametrize("price", [-1, 12.5, "12", True, None])
def test_product_create_refuses_a_negative_or_non_integer_price(shop, price):
    with pytest.raises(ValidationError, match="price"):
        product_create(shop=shop, title="Bad", variants=[VariantInput("BAD", price)])
    assert not Product.objects.exists()


def test_compare_at_price_must_be_above_the_price(shop):
    product = make_product(shop, price=1000)
    variant = product.variants.get()
    with pytest.raises(ValidationError, match="compare-at"):
        variant_update(variant=variant, compare_at_price=900)
    variant.refresh_from_db()
    assert variant.compare_at_price is None


def test_variant_bulk_set_prices_refuses_another_shops_variant_and_changes_nothing(shop, other_shop):
    mine = make_product(shop, price=1000).variants.get()
    theirs = make_product(other_shop, price=2000).variants.get()
    with pytest.raises(NotFound):
        variant_bulk_set_prices(shop=shop, changes={mine.pk: (1500, None), theirs.pk: (1, None)})
    mine.refresh_from_db()
    assert mine.price == 1000


def test_translation_is_searchable_in_chinese_by_two_characters(shop):
    product = make_product(shop, title="Green tea")
    product_set_translation(product=product, language="zh-hans", title="抹茶绿茶拿铁")
    product.refresh_from_db()
    assert "绿茶" in product.search_text


def test_translation_refuses_an_unknown_language(shop):
    product = make_product(shop)
    with pytest.raises(ValidationError, match="language"):
        product_set_translation(product=product, language="xx", title="Nope")


def test_image_add_stores_the_image_and_makes_a_thumbnail_after_commit(
    shop, django_capture_on_commit_callbacks
):
    product = make_product(shop)
    with django_capture_on_commit_callbacks(execute=True):
        image = product_image_add(product=product, upload=image_upload(size=(1200, 900)))
    image.refresh_from_db()
    assert (image.width, image.height) == (1200, 900)
    assert image.thumbnail.name.endswith("_thumb.jpg")


def test_image_add_refuses_a_file_that_is_not_an_image(shop):
    from django.core.files.uploadedfile import SimpleUploadedFile

    product = make_product(shop)
    fake = SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", content_type="image/png")
    with pytest.raises(InvalidImage, match="not an image"):
        product_image_add(product=product, upload=fake)
    assert not product.images.exists()


def test_image_add_refuses_more_than_10_mb(shop, settings):
    settings.PLAZA_MAX_IMAGE_BYTES = 1000
    product = make_product(shop)
    with pytest.raises(InvalidImage, match="10 MB"):
        product_image_add(product=product, upload=image_upload(size=(800, 800)))


def test_category_create_refuses_a_second_category_with_the_same_name(shop):
    from plaza.catalog.services import category_create
    from plaza.core.exceptions import Conflict

    category_create(shop=shop, name="Running")
    with pytest.raises(Conflict, match="already has a category"):
        category_create(shop=shop, name="Running")


def test_product_create_survives_a_slug_taken_by_a_concurrent_request(shop, monkeypatch):
    # given: the slug look-up answers before another request inserts the same slug
    from plaza.catalog import services

    first = make_product(shop, title="Court Classic")
    monkeypatch.setattr(services, "_unique_slug", lambda shop, title, exclude_id=None: first.slug)
    # when
    second = product_create(shop=shop, title="Court Classic", variants=[VariantInput("CC-2", 100)])
    # then
    assert second.slug.startswith(f"{first.slug}-") and second.slug != first.slug
