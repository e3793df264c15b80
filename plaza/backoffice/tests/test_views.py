import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse

from plaza.accounts.models import ApiToken, Invitation, Membership, Shop, StaffRole
from plaza.accounts.services import api_token_create, staff_invite
from plaza.backoffice import urls as backoffice_urls
from plaza.catalog.models import Product, ProductImage, ProductTranslation, Variant
from plaza.catalog.services import category_create, product_image_add, product_set_translation
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.inventory.selectors import stock_quantities_for_variants

pytestmark = pytest.mark.django_db


def url(name: str, shop: Shop, **kwargs) -> str:
    return reverse(f"backoffice:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def quantities(product) -> dict[str, int]:
    by_id = stock_quantities_for_variants(variant_ids=[v.pk for v in product.variants.all()])
    return {v.sku: by_id[v.pk] for v in product.variants.all()}


def media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- index and shop ----------------------------------------------------------------


def test_index_offers_to_open_a_shop_to_a_user_without_one(client, shopper):
    # given
    client.force_login(shopper)
    # when
    response = client.get(reverse("backoffice:index"))
    # then
    assert response.status_code == 200
    assert "Open a shop" in response.text


def test_index_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("backoffice:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_opening_a_shop_makes_the_user_its_owner_and_shows_its_home(client, shopper):
    # given
    client.force_login(shopper)
    # when
    response = client.post(
        reverse("backoffice:index"),
        {"name": "Tea Corner", "slug": "tea-corner", "currency": "JPY", "language": "ja"},
    )
    # then
    shop = Shop.objects.get(slug="tea-corner")
    assert response.status_code == 302
    assert response.url == url("shop-home", shop)
    assert (shop.currency, shop.language) == ("JPY", "ja")
    assert Membership.objects.get(shop=shop).user == shopper


def test_opening_a_shop_at_a_taken_address_changes_nothing_and_keeps_what_was_typed(
    client, shopper, shop
):
    # given
    client.force_login(shopper)
    # when
    response = client.post(
        reverse("backoffice:index"),
        {"name": "Other Kicks", "slug": shop.slug, "currency": "PHP", "language": "en"},
    )
    # then
    assert response.status_code == 422
    assert "This web address is taken by another shop." in response.text
    assert 'value="Other Kicks"' in response.text
    assert Shop.objects.count() == 1


def test_index_goes_straight_to_the_only_shop(owner_client, shop):
    response = owner_client.get(reverse("backoffice:index"))
    assert response.status_code == 302
    assert response.url == url("shop-home", shop)


def test_index_lists_every_shop_of_a_user_with_several(owner_client, owner, shop):
    # given
    from plaza.accounts.services import shop_create

    shop_create(owner=owner, name="Kicks Outlet", slug="kicks-outlet", currency="PHP")
    # when
    response = owner_client.get(reverse("backoffice:index"))
    # then
    assert response.status_code == 200
    assert "Kicks Outlet" in response.text and "Kicks" in response.text


def test_shop_home_shows_which_onboarding_steps_are_done(owner_client, shop):
    # given
    product = make_product(shop, title="Runner", stock=4)
    product_image_add(product=product, upload=image_upload())
    # when
    response = owner_client.get(url("shop-home", shop))
    # then
    assert response.status_code == 200
    checklist = response.context["overview"].onboarding
    assert (checklist.has_product, checklist.has_image, checklist.has_stock) == (True, True, True)
    assert (checklist.has_category, checklist.has_teammate, checklist.has_api_token) == (
        False,
        False,
        False,
    )
    assert checklist.has_two_factor is False and checklist.has_translation is False
    assert "3 of 8 done" in response.text
    assert reverse("mfa_index") in response.text


def test_shop_home_counts_the_two_factor_step_done_when_the_user_has_totp(
    owner_client, owner, shop
):
    # given
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=owner, type=Authenticator.Type.TOTP, data={"secret": "x"})
    # when
    response = owner_client.get(url("shop-home", shop))
    # then
    assert response.context["overview"].onboarding.has_two_factor is True


def test_shop_settings_save_the_name_and_keep_the_currency(owner_client, shop):
    # when
    response = owner_client.post(
        url("shop-settings", shop),
        {
            "name": "Kicks PH",
            "description": "Sneakers",
            "language": "tl",
            "contact_email": "hi@kicks.test",
        },
    )
    # then
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.language, shop.currency) == ("Kicks PH", "tl", "PHP")


def test_shop_settings_refuse_an_empty_name_and_change_nothing(owner_client, shop):
    response = owner_client.post(
        url("shop-settings", shop), {"name": " ", "description": "", "language": "en"}
    )
    assert response.status_code == 422
    assert "This field is required." in response.text
    shop.refresh_from_db()
    assert shop.name == "Kicks"


# --- product create -----------------------------------------------------------------


def create_data(**overrides) -> dict:
    data = {
        "title": "Runner",
        "description": "Light and fast.",
        "brand": "Kicks",
        "status": "active",
        "category": "",
        "option_name_1": "Size",
        "option_values_1": "41, 42",
        "option_name_2": "",
        "option_values_2": "",
        "option_name_3": "",
        "option_values_3": "",
        "variant-0-key": '["41"]',
        "variant-0-sku": "RUN-41",
        "variant-0-price": "2499.50",
        "variant-0-compare_at": "",
        "variant-0-stock": "5",
        "variant-1-key": '["42"]',
        "variant-1-sku": "RUN-42",
        "variant-1-price": "2599",
        "variant-1-compare_at": "2999",
        "variant-1-stock": "3",
    }
    data.update(overrides)
    return data


def test_creating_a_product_saves_its_variants_stock_and_image_and_makes_a_thumbnail(
    owner_client, shop, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = owner_client.post(
            url("product-create", shop), create_data(images=[image_upload("shoe.png")])
        )
    # then
    product = Product.objects.get()
    assert response.status_code == 302
    assert response.url == url("product-edit", shop, product_id=product.pk)
    variants = list(product.variants.order_by("position"))
    assert [(v.sku, v.title, v.price, v.compare_at_price) for v in variants] == [
        ("RUN-41", "41", 249950, None),
        ("RUN-42", "42", 259900, 299900),
    ]
    assert quantities(product) == {"RUN-41": 5, "RUN-42": 3}
    image = product.images.get()
    assert callbacks, "the thumbnail is made after commit"
    image.refresh_from_db()
    assert image.thumbnail.name.endswith("_thumb.jpg")


def test_creating_a_product_refuses_a_sku_already_used_in_the_shop_and_changes_nothing(
    owner_client, shop
):
    # given
    make_product(shop, title="Old runner")
    taken = Variant.objects.get().sku
    # when
    response = owner_client.post(
        url("product-create", shop), create_data(**{"variant-1-sku": taken})
    )
    # then
    assert response.status_code == 422
    assert f"The SKU {taken} is already used in this shop." in response.text
    assert Product.objects.count() == 1
    assert 'value="Light and fast."' not in response.text  # a textarea keeps it as text
    assert "Light and fast." in response.text and 'value="RUN-41"' in response.text


def test_creating_a_product_refuses_the_same_sku_twice_in_the_table(owner_client, shop):
    response = owner_client.post(
        url("product-create", shop), create_data(**{"variant-1-sku": "RUN-41"})
    )
    assert response.status_code == 422
    assert "Two variants have the SKU RUN-41." in response.text
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-5", "A price cannot be negative."),
        ("twelve", "Enter a price as a number, for example 12.50."),
        ("12.505", "PHP prices have at most 2 decimal places."),
        ("", "Enter a price."),
    ],
)
def test_creating_a_product_refuses_a_bad_price_next_to_it_and_changes_nothing(
    owner_client, shop, price, message
):
    # when
    response = owner_client.post(
        url("product-create", shop), create_data(**{"variant-0-price": price})
    )
    # then
    assert response.status_code == 422
    assert message in response.text
    assert not Product.objects.exists()
    assert not Variant.objects.exists()
    row = response.context["form"].variant_rows[0]
    assert row.errors == {"price": message}
    assert row.price == price


def test_creating_a_product_refuses_a_compare_at_price_below_the_price(owner_client, shop):
    response = owner_client.post(
        url("product-create", shop), create_data(**{"variant-1-compare_at": "100"})
    )
    assert response.status_code == 422
    assert "The compare-at price must be higher than the price." in response.text
    assert not Product.objects.exists()


def test_creating_a_product_refuses_a_file_that_is_not_an_image_and_changes_nothing(
    owner_client, shop, settings
):
    # given
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = SimpleUploadedFile("notes.png", b"just some text", content_type="image/png")
    # when
    response = owner_client.post(url("product-create", shop), create_data(images=[text]))
    # then
    assert response.status_code == 422
    assert "notes.png: This file is not an image we can read" in response.text
    assert "Choose the images again" in response.text
    assert not Product.objects.exists()
    assert not ProductImage.objects.exists()
    assert media_files(settings) == []


def test_creating_a_product_refuses_an_image_over_the_size_limit_and_changes_nothing(
    owner_client, shop, settings
):
    # given
    settings.PLAZA_MAX_IMAGE_BYTES = 1000
    big = image_upload("big.png", size=(400, 400))
    assert big.size > 1000
    # when
    response = owner_client.post(url("product-create", shop), create_data(images=[big]))
    # then
    assert response.status_code == 422
    assert "big.png: An image may be at most 10 MB." in response.text
    assert not Product.objects.exists()
    assert not Variant.objects.exists()


def test_a_failing_second_image_rolls_back_the_product_and_the_first_image(
    owner_client, shop, settings, django_capture_on_commit_callbacks
):
    # given
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = image_upload("good.png")
    bad = SimpleUploadedFile("bad.gif", b"GIF89a-not-really", content_type="image/gif")
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = owner_client.post(url("product-create", shop), create_data(images=[good, bad]))
    # then
    assert response.status_code == 422
    assert "bad.gif: This file is not an image we can read" in response.text
    assert not Product.objects.exists()
    assert not ProductImage.objects.exists()
    assert callbacks == []
    assert media_files(settings) == []


def test_without_javascript_the_variants_table_is_rebuilt_from_the_options(owner_client, shop):
    # given: the page as first sent, with one row and no options, and options typed since
    data = {
        "title": "Tee",
        "status": "draft",
        "option_name_1": "Size",
        "option_values_1": "S, M",
        "option_name_2": "Colour",
        "option_values_2": "Red",
        "variant-0-key": "[]",
        "variant-0-sku": "",
        "variant-0-price": "",
        "variant-0-stock": "0",
        "action": "rebuild",
    }
    # when
    response = owner_client.post(url("product-create", shop), data)
    # then
    assert response.status_code == 200
    rows = response.context["form"].variant_rows
    assert [row.title for row in rows] == ["S / Red", "M / Red"]
    assert all(row.errors == {} for row in rows)
    assert 'name="variant-1-key" value="[&quot;M&quot;,&quot;Red&quot;]"' in response.text
    assert not Product.objects.exists()


def test_saving_with_options_that_no_longer_match_the_table_changes_nothing(owner_client, shop):
    response = owner_client.post(
        url("product-create", shop), create_data(option_values_1="41, 42, 43")
    )
    assert response.status_code == 422
    assert "The variants table was rebuilt from the options" in response.text
    rows = response.context["form"].variant_rows
    assert [(row.title, row.sku) for row in rows] == [
        ("41", "RUN-41"),
        ("42", "RUN-42"),
        ("43", ""),
    ]
    assert not Product.objects.exists()


def test_the_variant_editor_starts_from_what_was_typed(owner_client, shop):
    response = owner_client.post(
        url("product-create", shop), create_data(**{"variant-0-price": "-1"})
    )
    state = json.loads(
        response.text.split('id="variant-editor-state" type="application/json">')[1].split(
            "</script>"
        )[0]
    )
    assert state["options"][0] == {"name": "Size", "values": "41, 42"}
    assert state["rows"][0]["key"] == '["41"]'
    assert state["rows"][0]["errors"] == {"price": "A price cannot be negative."}


# --- product edit -------------------------------------------------------------------


def test_the_edit_page_shows_every_section(owner_client, shop):
    product = make_product(shop, title="Runner", sizes=("41", "42"), stock=2)
    response = owner_client.get(url("product-edit", shop, product_id=product.pk))
    assert response.status_code == 200
    for section in ("Details", "Variants", "Images", "Translations", "Add a variant"):
        assert section in response.text
    # five languages besides the shop's own (English)
    assert len(response.context["translation_form"].groups) == 5


def test_editing_the_details_saves_title_status_and_category(owner_client, shop):
    # given
    product = make_product(shop, title="Runner", status="draft")
    category = category_create(shop=shop, name="Sneakers")
    # when
    response = owner_client.post(
        url("product-edit", shop, product_id=product.pk),
        {
            "title": "Runner 2",
            "description": "",
            "brand": "",
            "status": "active",
            "category": category.pk,
        },
    )
    # then
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.title, product.status, product.category) == ("Runner 2", "active", category)


def test_editing_refuses_another_shops_category(owner_client, shop, other_shop):
    product = make_product(shop, title="Runner")
    theirs = category_create(shop=other_shop, name="Soins")
    response = owner_client.post(
        url("product-edit", shop, product_id=product.pk),
        {"title": "Runner", "status": "active", "category": theirs.pk},
    )
    assert response.status_code == 422
    product.refresh_from_db()
    assert product.category is None


def variant_table_data(product, **changes) -> dict:
    data = {}
    for v in product.variants.all():
        data[f"v-{v.pk}-sku"] = v.sku
        data[f"v-{v.pk}-price"] = f"{v.price / 100:.2f}"
        data[f"v-{v.pk}-compare_at"] = ""
        data[f"v-{v.pk}-stock"] = "1"
    data.update(changes)
    return data


def test_the_variants_table_saves_sku_price_compare_at_and_stock(owner_client, shop):
    # given
    product = make_product(shop, sizes=("41", "42"), price=1000, stock=1)
    first, second = product.variants.order_by("position")
    # when
    response = owner_client.post(
        url("variant-update", shop, product_id=product.pk),
        variant_table_data(
            product,
            **{
                f"v-{first.pk}-sku": "NEW-41",
                f"v-{first.pk}-price": "12.50",
                f"v-{first.pk}-compare_at": "15",
                f"v-{second.pk}-stock": "9",
            },
        ),
    )
    # then
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.sku, first.price, first.compare_at_price) == ("NEW-41", 1250, 1500)
    assert quantities(product) == {"NEW-41": 1, second.sku: 9}
    product.refresh_from_db()
    assert (product.price_min, product.price_max) == (1000, 1250)


def test_the_variants_table_saves_nothing_when_one_row_is_wrong(owner_client, shop):
    # given
    other = make_product(shop, title="Other")
    product = make_product(shop, sizes=("41", "42"), price=1000, stock=1)
    first, second = product.variants.order_by("position")
    # when: the first row is fine, the second takes a SKU of another product
    response = owner_client.post(
        url("variant-update", shop, product_id=product.pk),
        variant_table_data(
            product,
            **{
                f"v-{first.pk}-price": "20",
                f"v-{first.pk}-stock": "7",
                f"v-{second.pk}-sku": other.variants.get().sku,
            },
        ),
    )
    # then
    assert response.status_code == 422
    assert f"The SKU {other.variants.get().sku} is already used in this shop." in response.text
    first.refresh_from_db()
    assert first.price == 1000
    assert quantities(product) == {first.sku: 1, second.sku: 1}
    rows = {row.variant_id: row for row in response.context["variant_table"].rows}
    assert rows[first.pk].price == "20"


def test_the_variants_table_shows_a_bad_stock_next_to_its_row(owner_client, shop):
    product = make_product(shop, stock=1)
    variant = product.variants.get()
    response = owner_client.post(
        url("variant-update", shop, product_id=product.pk),
        variant_table_data(product, **{f"v-{variant.pk}-stock": "-2"}),
    )
    assert response.status_code == 422
    assert "A stock quantity cannot be negative." in response.text
    assert quantities(product) == {variant.sku: 1}


def test_adding_a_variant_picks_one_value_of_each_option(owner_client, shop):
    # given
    product = make_product(shop, sizes=("41", "42"), price=1000)
    product.variants.order_by("position").first().delete()
    # when
    response = owner_client.post(
        url("variant-create", shop, product_id=product.pk),
        {
            "new-sku": "RUN-41B",
            "new-price": "11",
            "new-compare_at": "",
            "new-stock": "4",
            "new-option_0": "41",
        },
    )
    # then
    assert response.status_code == 302
    variant = product.variants.get(sku="RUN-41B")
    assert (variant.price, variant.option_values) == (1100, {"Size": "41"})
    assert quantities(product)["RUN-41B"] == 4


def test_adding_a_variant_with_a_taken_sku_shows_the_error_and_changes_nothing(owner_client, shop):
    product = make_product(shop, price=1000)
    taken = product.variants.get().sku
    response = owner_client.post(
        url("variant-create", shop, product_id=product.pk),
        {"new-sku": taken, "new-price": "11", "new-stock": "0"},
    )
    assert response.status_code == 422
    assert f"The SKU {taken} is already used in this shop." in response.text
    assert product.variants.count() == 1


def test_deleting_a_variant_keeps_the_others(owner_client, shop):
    product = make_product(shop, sizes=("41", "42"))
    first, second = product.variants.order_by("position")
    response = owner_client.post(
        url("variant-delete", shop, product_id=product.pk, variant_id=first.pk)
    )
    assert response.status_code == 302
    assert list(product.variants.all()) == [second]


def test_deleting_the_last_variant_is_refused_with_a_message(owner_client, shop):
    product = make_product(shop)
    variant = product.variants.get()
    response = owner_client.post(
        url("variant-delete", shop, product_id=product.pk, variant_id=variant.pk), follow=True
    )
    assert "A product needs at least one variant." in response.text
    assert product.variants.count() == 1


def test_adding_and_deleting_images(owner_client, shop, settings):
    # given
    product = make_product(shop)
    # when
    response = owner_client.post(
        url("image-add", shop, product_id=product.pk),
        {"images": [image_upload("a.png"), image_upload("b.jpg", fmt="JPEG")]},
    )
    # then
    assert response.status_code == 302
    first, second = product.images.order_by("position")
    # when
    response = owner_client.post(
        url("image-delete", shop, product_id=product.pk, image_id=first.pk)
    )
    # then
    assert response.status_code == 302
    assert list(product.images.all()) == [second]


def test_adding_an_image_that_is_not_one_shows_the_error(owner_client, shop):
    from django.core.files.uploadedfile import SimpleUploadedFile

    product = make_product(shop)
    response = owner_client.post(
        url("image-add", shop, product_id=product.pk),
        {"images": [SimpleUploadedFile("x.txt", b"hello", content_type="text/plain")]},
    )
    assert response.status_code == 422
    assert "x.txt: This file is not an image we can read" in response.text
    assert not product.images.exists()


def test_translations_are_saved_per_language(owner_client, shop):
    # given
    product = make_product(shop, title="Green tea")
    product_set_translation(product=product, language="ja", title="緑茶")
    data = {f"title_{code}": "" for code in ("fr", "tl", "zh-hans", "ja", "af")}
    data.update({f"description_{code}": "" for code in ("fr", "tl", "zh-hans", "ja", "af")})
    data.update({"title_fr": "Thé vert", "description_fr": "Doux", "title_zh-hans": "绿茶"})
    # when
    response = owner_client.post(url("translation-update", shop, product_id=product.pk), data)
    # then
    assert response.status_code == 302
    saved = dict(ProductTranslation.objects.values_list("language", "title"))
    assert saved == {"fr": "Thé vert", "zh-hans": "绿茶"}


def test_a_translation_with_a_description_but_no_title_is_refused(owner_client, shop):
    product = make_product(shop, title="Green tea")
    response = owner_client.post(
        url("translation-update", shop, product_id=product.pk),
        {"title_fr": "", "description_fr": "Doux"},
    )
    assert response.status_code == 422
    assert "Give a title in this language, or leave both empty." in response.text
    assert not ProductTranslation.objects.exists()


# --- product list -------------------------------------------------------------------


def test_the_product_list_searches_and_filters(owner_client, shop):
    # given
    sneakers = category_create(shop=shop, name="Sneakers")
    make_product(shop, title="Trail runner", category=sneakers)
    make_product(shop, title="Road runner", status="draft")
    make_product(shop, title="Canvas bag")
    # when
    by_text = owner_client.get(url("product-list", shop), {"q": "runner"})
    by_status = owner_client.get(url("product-list", shop), {"q": "runner", "status": "draft"})
    by_category = owner_client.get(url("product-list", shop), {"category": sneakers.pk})
    # then
    titles = lambda r: [row.product.title for row in r.context["result"].rows]  # noqa: E731
    assert sorted(titles(by_text)) == ["Road runner", "Trail runner"]
    assert titles(by_status) == ["Road runner"]
    assert titles(by_category) == ["Trail runner"]


def test_the_product_list_shows_price_range_stock_and_thumbnail(owner_client, shop):
    # given
    product = make_product(shop, title="Runner", sizes=("41", "42"), price=1000, stock=3)
    first = product.variants.order_by("position").last()
    first.price = 1500
    first.save(update_fields=["price"])
    from plaza.catalog.services import product_refresh_derived

    product_refresh_derived(product=product)
    product_image_add(product=product, upload=image_upload())
    # when
    response = owner_client.get(url("product-list", shop))
    # then
    row = response.context["result"].rows[0]
    assert row.stock == 6 and row.thumb_url
    assert "₱10.00 – ₱15.00" in response.text


def test_the_product_list_pages_by_25(owner_client, shop):
    for n in range(27):
        make_product(shop, title=f"P{n}")
    first = owner_client.get(url("product-list", shop))
    second = owner_client.get(url("product-list", shop), {"page": 2})
    assert len(first.context["result"].rows) == 25
    assert len(second.context["result"].rows) == 2
    assert "Page 1 of 2" in first.text


def _product_list_queries(client, shop) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("product-list", shop))
    assert response.status_code == 200
    return len(queries)


PRODUCT_LIST_QUERIES = 11


def test_the_product_list_takes_a_fixed_number_of_queries(owner_client, shop):
    """Session, user, membership, count, page, images, translations, variants, stock,
    categories, the layout's shops: 11, for 3 products as for 30."""
    # given
    for n in range(3):
        product = make_product(shop, title=f"P{n}", sizes=("S", "M"), stock=2)
        product_image_add(product=product, upload=image_upload())
    few = _product_list_queries(owner_client, shop)
    for n in range(3, 30):
        product = make_product(shop, title=f"P{n}", sizes=("S", "M"), stock=2)
        product_image_add(product=product, upload=image_upload())
    # when
    many = _product_list_queries(owner_client, shop)
    # then
    assert few == many == PRODUCT_LIST_QUERIES


# --- bulk edit ----------------------------------------------------------------------


def bulk_data(products, action="preview", **changes) -> dict:
    data = {"ids": [p.pk for p in products], "action": action}
    for product in products:
        for v in product.variants.all():
            data[f"price-{v.pk}"] = f"{v.price / 100:.2f}"
            data[f"compare_at-{v.pk}"] = ""
            data[f"stock-{v.pk}"] = "2"
    data.update(changes)
    return data


def test_the_bulk_editor_lists_the_variants_of_the_chosen_products(owner_client, shop):
    a = make_product(shop, title="A", sizes=("S", "M"))
    make_product(shop, title="B")
    response = owner_client.get(url("product-bulk-edit", shop), {"ids": [a.pk]})
    assert response.status_code == 200
    assert [row.variant.sku for row in response.context["form"].rows] == [
        v.sku for v in a.variants.all()
    ]


def test_the_bulk_editor_takes_every_product_the_filters_match(owner_client, shop):
    make_product(shop, title="Red tee")
    make_product(shop, title="Blue tee")
    make_product(shop, title="Cap")
    response = owner_client.get(url("product-bulk-edit", shop), {"all": "1", "q": "tee"})
    assert sorted(row.product.title for row in response.context["form"].rows) == [
        "Blue tee",
        "Red tee",
    ]


def test_the_bulk_editor_without_a_choice_goes_back_to_the_list(owner_client, shop):
    response = owner_client.get(url("product-bulk-edit", shop), follow=True)
    assert "Choose the products to edit first." in response.text


def test_bulk_preview_shows_the_changes_and_saves_nothing(owner_client, shop):
    # given
    product = make_product(shop, price=1000, stock=2)
    variant = product.variants.get()
    # when
    response = owner_client.post(
        url("product-bulk-edit", shop),
        bulk_data([product], **{f"price-{variant.pk}": "12", f"stock-{variant.pk}": "5"}),
    )
    # then
    assert response.status_code == 200
    row = response.context["form"].rows[0]
    assert (row.new_price, row.new_stock, row.changed) == (1200, 5, True)
    assert "Preview: 1 variant will change." in response.text
    assert "<del>₱10.00</del> → <ins>₱12.00</ins>" in response.text
    variant.refresh_from_db()
    assert variant.price == 1000
    assert quantities(product) == {variant.sku: 2}


def test_bulk_preview_by_htmx_returns_only_the_editor(owner_client, shop):
    product = make_product(shop, price=1000, stock=2)
    response = owner_client.post(
        url("product-bulk-edit", shop), bulk_data([product]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="bulk-editor">')
    assert "<html" not in response.text


def test_bulk_preview_changes_every_price_by_a_percentage(owner_client, shop):
    # given
    a = make_product(shop, price=1000)
    b = make_product(shop, price=1999)
    # when
    response = owner_client.post(url("product-bulk-edit", shop), bulk_data([a, b], percent="-10"))
    # then
    rows = {row.variant.product_id: row for row in response.context["form"].rows}
    assert (rows[a.pk].new_price, rows[b.pk].new_price) == (900, 1799)
    assert (rows[a.pk].price, rows[b.pk].price) == ("9.00", "17.99")
    assert response.context["form"].percent == ""
    assert Variant.objects.get(product=a).price == 1000


def test_bulk_preview_shows_an_error_per_row(owner_client, shop):
    product = make_product(shop, price=1000, stock=2)
    variant = product.variants.get()
    response = owner_client.post(
        url("product-bulk-edit", shop),
        bulk_data([product], **{f"compare_at-{variant.pk}": "5", f"stock-{variant.pk}": "x"}),
    )
    row = response.context["form"].rows[0]
    assert row.errors == {
        "compare_at": "The compare-at price must be higher than the price.",
        "stock": "A stock quantity must be a whole number.",
    }
    assert "Some rows need a correction; nothing was saved." in response.text


def test_bulk_apply_saves_every_change(owner_client, shop):
    # given
    a = make_product(shop, price=1000, stock=2)
    b = make_product(shop, price=2000, stock=2)
    va, vb = a.variants.get(), b.variants.get()
    # when
    response = owner_client.post(
        url("product-bulk-edit", shop),
        bulk_data(
            [a, b],
            action="apply",
            **{f"price-{va.pk}": "11", f"compare_at-{va.pk}": "15", f"stock-{vb.pk}": "8"},
        ),
        follow=True,
    )
    # then
    assert "2 variants updated." in response.text
    va.refresh_from_db()
    assert (va.price, va.compare_at_price) == (1100, 1500)
    assert quantities(b) == {vb.sku: 8}
    a.refresh_from_db()
    assert a.price_min == 1100


def test_bulk_apply_with_one_bad_row_saves_nothing(owner_client, shop):
    # given
    a = make_product(shop, price=1000, stock=2)
    b = make_product(shop, price=2000, stock=2)
    va, vb = a.variants.get(), b.variants.get()
    # when
    response = owner_client.post(
        url("product-bulk-edit", shop),
        bulk_data(
            [a, b],
            action="apply",
            **{f"price-{va.pk}": "11", f"price-{vb.pk}": "-3", f"stock-{va.pk}": "9"},
        ),
    )
    # then
    assert response.status_code == 422
    assert "A price cannot be negative." in response.text
    va.refresh_from_db()
    assert va.price == 1000
    assert quantities(a) == {va.sku: 2}


def test_bulk_apply_ignores_variants_of_other_shops(owner_client, shop, other_shop):
    # given
    mine = make_product(shop, price=1000, stock=2)
    theirs = make_product(other_shop, price=5000, stock=2)
    vt = theirs.variants.get()
    # when
    owner_client.post(
        url("product-bulk-edit", shop),
        bulk_data([mine], action="apply", ids=[mine.pk, theirs.pk], **{f"price-{vt.pk}": "1"}),
    )
    # then
    vt.refresh_from_db()
    assert vt.price == 5000


# --- categories, staff, tokens ------------------------------------------------------


def test_adding_a_category_and_refusing_a_duplicate(owner_client, shop):
    assert owner_client.post(url("category-create", shop), {"name": "Sneakers"}).status_code == 302
    response = owner_client.post(url("category-create", shop), {"name": "Sneakers"})
    assert response.status_code == 422
    assert "This shop already has a category with that name." in response.text
    assert shop.categories.count() == 1


def test_inviting_a_teammate_sends_the_email_after_commit(
    owner_client, shop, mailoutbox, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            url("staff-invite", shop), {"email": "Mia@Kicks.test", "role": "manager"}, follow=True
        )
    # then
    assert "An invitation is on its way to mia@kicks.test." in response.text
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("mia@kicks.test", "manager")
    assert [m.to for m in mailoutbox] == [["mia@kicks.test"]]


def test_inviting_someone_already_invited_shows_the_error_and_sends_nothing(
    owner_client, owner, shop, mailoutbox, django_capture_on_commit_callbacks
):
    # given
    staff_invite(shop=shop, invited_by=owner, email="mia@kicks.test", role="agent")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            url("staff-invite", shop), {"email": "mia@kicks.test", "role": "agent"}
        )
    # then
    assert response.status_code == 422
    assert "This address already has an open invitation." in response.text
    assert Invitation.objects.count() == 1
    assert mailoutbox == []


def test_withdrawing_an_invitation(owner_client, owner, shop):
    invitation, _raw = staff_invite(
        shop=shop, invited_by=owner, email="mia@kicks.test", role="agent"
    )
    response = owner_client.post(url("invitation-revoke", shop, invitation_id=invitation.pk))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_removing_a_staff_member(owner_client, shop, agent):
    membership = Membership.objects.get(user=agent)
    response = owner_client.post(url("staff-remove", shop, membership_id=membership.pk))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=agent).exists()


def test_the_owner_cannot_be_removed(client, shop, owner, agent):
    # given: a manager tries
    Membership.objects.filter(user=agent).update(role=StaffRole.MANAGER)
    client.force_login(agent)
    owner_membership = Membership.objects.get(user=owner)
    # when
    response = client.post(
        url("staff-remove", shop, membership_id=owner_membership.pk), follow=True
    )
    # then
    assert "The owner cannot be removed." in response.text
    assert Membership.objects.filter(pk=owner_membership.pk).exists()


def test_a_new_api_token_is_shown_once(owner_client, shop):
    # when
    response = owner_client.post(
        url("token-create", shop), {"name": "Stock sync", "expires_on": ""}
    )
    # then
    raw = response.context["raw_token"]
    assert raw.startswith("plz_") and raw in response.text
    assert "it is shown only once" in response.text
    assert "no-cache" in response.headers["Cache-Control"]
    later = owner_client.get(url("token-list", shop))
    assert raw not in later.text and "Stock sync" in later.text


def test_a_token_with_an_expiry_in_the_past_is_refused(owner_client, shop):
    response = owner_client.post(
        url("token-create", shop), {"name": "Old", "expires_on": "2001-01-01"}
    )
    assert response.status_code == 422
    assert "The expiry date must be in the future." in response.text
    assert not ApiToken.objects.exists()


def test_revoking_a_token(owner_client, owner, shop):
    token, _raw = api_token_create(shop=shop, name="Sync", created_by=owner)
    response = owner_client.post(url("token-revoke", shop, token_id=token.pk))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


# --- roles and tenancy --------------------------------------------------------------


@pytest.mark.parametrize("name", ["staff-list", "token-list", "shop-settings", "product-create"])
def test_an_agent_gets_the_403_page_on_pages_of_owners_and_managers(client, shop, agent, name):
    client.force_login(agent)
    response = client.get(url(name, shop))
    assert response.status_code == 403
    assert "Your role in this shop does not allow this." in response.text


def test_an_agent_cannot_invite_or_create_tokens(client, shop, agent):
    client.force_login(agent)
    invite = client.post(url("staff-invite", shop), {"email": "x@kicks.test", "role": "manager"})
    token = client.post(url("token-create", shop), {"name": "Mine"})
    assert (invite.status_code, token.status_code) == (403, 403)
    assert not Invitation.objects.filter(email="x@kicks.test").exists()
    assert not ApiToken.objects.exists()


def test_an_agent_sees_the_home_and_the_products_but_no_staff_links(client, shop, agent):
    make_product(shop, title="Runner")
    client.force_login(agent)
    home = client.get(url("shop-home", shop))
    products = client.get(url("product-list", shop))
    assert (home.status_code, products.status_code) == (200, 200)
    assert url("staff-list", shop) not in home.text
    assert "Runner" in products.text
    assert url("product-create", shop) not in products.text


SHOP_PATTERNS = [
    p
    for p in backoffice_urls.urlpatterns
    if isinstance(p, URLPattern) and "shop_slug" in p.pattern.converters
]


@pytest.fixture
def victim(shop, owner, agent):
    """Every kind of object a back-office URL names, all belonging to ``shop``."""
    product = make_product(shop, title="Secret", sizes=("S", "M"), stock=3)
    image = product_image_add(product=product, upload=image_upload())
    invitation, _raw = staff_invite(
        shop=shop, invited_by=owner, email="new@kicks.test", role="agent"
    )
    token, _raw = api_token_create(shop=shop, name="Sync", created_by=owner)
    return {
        "shop_slug": shop.slug,
        "product_id": product.pk,
        "variant_id": product.variants.order_by("position").first().pk,
        "image_id": image.pk,
        "invitation_id": invitation.pk,
        "membership_id": Membership.objects.get(user=agent).pk,
        "token_id": token.pk,
    }


def _kwargs_for(pattern: URLPattern, values: dict) -> dict:
    return {name: values[name] for name in pattern.pattern.converters}


def test_every_shop_scoped_pattern_is_covered_by_the_victim_fixture():
    names = {name for p in SHOP_PATTERNS for name in p.pattern.converters}
    assert names <= {
        "shop_slug",
        "product_id",
        "variant_id",
        "image_id",
        "invitation_id",
        "membership_id",
        "token_id",
    }
    assert len(SHOP_PATTERNS) == len(backoffice_urls.urlpatterns) - 1


@pytest.mark.parametrize("pattern", SHOP_PATTERNS, ids=lambda p: p.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_of_another_shop_get_404_on_every_back_office_url(
    client, other_owner, other_shop, victim, pattern, method
):
    # given
    client.force_login(other_owner)
    path = reverse(f"backoffice:{pattern.name}", kwargs=_kwargs_for(pattern, victim))
    # when
    response = getattr(client, method)(path, {"ids": [victim["product_id"]], "all": "1"})
    # then
    assert response.status_code == 404, path
    assert "This page does not exist." in response.text


@pytest.mark.parametrize(
    "pattern",
    [p for p in SHOP_PATTERNS if len(p.pattern.converters) > 1],
    ids=lambda p: p.name,
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_objects_of_another_shop_are_404_under_ones_own_shop(
    client, other_owner, other_shop, victim, pattern, method
):
    # given: the attacker's own shop in the URL, the victim's objects after it
    client.force_login(other_owner)
    kwargs = _kwargs_for(pattern, {**victim, "shop_slug": other_shop.slug})
    path = reverse(f"backoffice:{pattern.name}", kwargs=kwargs)
    # when
    response = getattr(client, method)(path)
    # then
    assert response.status_code in (404, 405), path
    if method == "post":
        assert response.status_code == 404, path


def test_nothing_of_the_victim_changed_after_the_walk(client, other_owner, other_shop, victim):
    # given
    client.force_login(other_owner)
    # when
    for pattern in SHOP_PATTERNS:
        for slug in (victim["shop_slug"], other_shop.slug):
            kwargs = _kwargs_for(pattern, {**victim, "shop_slug": slug})
            client.post(reverse(f"backoffice:{pattern.name}", kwargs=kwargs), {"name": "Hacked"})
    # then
    assert Variant.objects.filter(product_id=victim["product_id"]).count() == 2
    assert ProductImage.objects.filter(pk=victim["image_id"]).exists()
    assert Invitation.objects.get(pk=victim["invitation_id"]).revoked_at is None
    assert ApiToken.objects.get(pk=victim["token_id"]).revoked_at is None
    assert Membership.objects.filter(pk=victim["membership_id"]).exists()
    assert Shop.objects.get(slug=victim["shop_slug"]).name == "Kicks"


@pytest.mark.parametrize("pattern", SHOP_PATTERNS, ids=lambda p: p.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_log_in_on_every_back_office_url(
    client, victim, pattern, method
):
    path = reverse(f"backoffice:{pattern.name}", kwargs=_kwargs_for(pattern, victim))
    response = getattr(client, method)(path)
    assert response.status_code == 302, path
    assert response.url.startswith(reverse("account_login"))


def test_a_missing_shop_is_the_same_404(owner_client):
    response = owner_client.get("/backoffice/no-such-shop/products/")
    assert response.status_code == 404
    assert "This page does not exist." in response.text


def test_back_office_labels_have_no_trailing_colon(owner_client, shop):
    response = owner_client.get(f"/backoffice/{shop.slug}/products/new/")
    assert "Option 1:</label>" not in response.content.decode()
    assert "Option 1</label>" in response.content.decode()
