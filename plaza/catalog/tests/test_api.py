"""API v1: products, variants, categories and translations, read and written over HTTP."""

import pytest

from plaza.accounts.services import api_token_create
from plaza.catalog.models import Category, Product, ProductStatus, ProductTranslation, Variant
from plaza.catalog.services import category_create, product_set_translation
from plaza.catalog.tests.factories import make_product

pytestmark = pytest.mark.django_db

JSON = "application/json"


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def token(shop):
    _api_token, raw = api_token_create(shop=shop, name="Kicks sync", created_by=None)
    return raw


@pytest.fixture
def other_token(other_shop):
    _api_token, raw = api_token_create(shop=other_shop, name="Belle sync", created_by=None)
    return raw


def product_payload(**overrides) -> dict:
    payload = {
        "title": "Court Runner",
        "description": "Light and quick.",
        "brand": "Kicks",
        "status": "active",
        "options": [{"name": "Size", "values": ["41", "42"]}],
        "variants": [
            {"sku": "CR-41", "price": 499900, "option_values": {"Size": "41"}},
            {
                "sku": "CR-42",
                "price": 519900,
                "compare_at_price": 599900,
                "option_values": {"Size": "42"},
            },
        ],
    }
    payload.update(overrides)
    return payload


# --- listing a shop's products -------------------------------------------------------


def test_products_list_shows_only_active_products_to_the_public(client, shop):
    # given
    active = make_product(shop, title="Court Runner", price=499900)
    make_product(shop, title="Secret Draft", status=ProductStatus.DRAFT)
    make_product(shop, title="Old Model", status=ProductStatus.ARCHIVED)
    # when
    response = client.get("/api/v1/shops/kicks/products")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == active.pk
    assert item["shop"] == "kicks"
    assert (item["price_min"], item["price_max"], item["currency"]) == (499900, 499900, "PHP")


def test_products_list_with_the_shops_own_token_includes_drafts(client, shop, token):
    # given
    make_product(shop, title="Court Runner")
    make_product(shop, title="Secret Draft", status=ProductStatus.DRAFT)
    # when
    response = client.get("/api/v1/shops/kicks/products", headers=bearer(token))
    # then
    assert response.json()["count"] == 2
    assert {i["status"] for i in response.json()["items"]} == {"active", "draft"}


def test_products_list_with_another_shops_token_does_not_include_drafts(client, shop, other_token):
    # given
    make_product(shop, title="Court Runner")
    make_product(shop, title="Secret Draft", status=ProductStatus.DRAFT)
    # when
    response = client.get("/api/v1/shops/kicks/products", headers=bearer(other_token))
    # then
    assert [i["title"] for i in response.json()["items"]] == ["Court Runner"]


def test_products_list_searches_and_filters_by_category(client, shop):
    # given
    shoes = category_create(shop=shop, name="Shoes")
    make_product(shop, title="Court Runner", category=shoes)
    make_product(shop, title="Trail Runner")
    make_product(shop, title="Court Sock", category=shoes)
    # when
    response = client.get("/api/v1/shops/kicks/products?q=runner&category=shoes")
    # then
    assert [i["title"] for i in response.json()["items"]] == ["Court Runner"]
    assert response.json()["items"][0]["category"]["slug"] == "shoes"


def test_products_list_pages_with_limit_and_offset_newest_first(client, shop):
    # given
    for n in range(5):
        make_product(shop, title=f"Shoe {n}")
    # when
    response = client.get("/api/v1/shops/kicks/products?limit=2&offset=1")
    # then
    assert response.json()["count"] == 5
    assert [i["title"] for i in response.json()["items"]] == ["Shoe 3", "Shoe 2"]


def test_products_list_of_an_unknown_category_is_404(client, shop):
    # when
    response = client.get("/api/v1/shops/kicks/products?category=hats")
    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "This category does not exist."


def test_products_list_of_an_unknown_shop_is_404(client, db):
    # when
    response = client.get("/api/v1/shops/nowhere/products")
    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "This shop does not exist."


# --- reading one product ----------------------------------------------------------


def test_product_detail_answers_options_variants_and_translations_in_minor_units(client, shop):
    # given
    product = make_product(shop, title="Court Runner", sizes=("41", "42"), price=499900)
    product_set_translation(product=product, language="fr", title="Coureur de court")
    # when
    response = client.get(f"/api/v1/products/{product.pk}")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["options"] == [{"name": "Size", "values": ["41", "42"]}]
    assert [(v["title"], v["price"], v["currency"]) for v in body["variants"]] == [
        ("41", 499900, "PHP"),
        ("42", 499900, "PHP"),
    ]
    assert body["translations"] == [
        {"language": "fr", "title": "Coureur de court", "description": ""}
    ]


def test_a_draft_is_404_for_the_public(client, shop):
    # given
    draft = make_product(shop, status=ProductStatus.DRAFT)
    # when
    response = client.get(f"/api/v1/products/{draft.pk}")
    # then
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "This product does not exist."}


def test_a_draft_is_visible_with_its_own_shops_token(client, shop, token):
    # given
    draft = make_product(shop, status=ProductStatus.DRAFT)
    # when
    response = client.get(f"/api/v1/products/{draft.pk}", headers=bearer(token))
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


def test_a_draft_is_404_with_another_shops_token(client, shop, other_token):
    # given
    draft = make_product(shop, status=ProductStatus.DRAFT)
    # when
    response = client.get(f"/api/v1/products/{draft.pk}", headers=bearer(other_token))
    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "This product does not exist."


def test_another_shops_active_product_is_public_even_with_a_token(client, shop, other_token):
    # given
    product = make_product(shop)
    # when
    response = client.get(f"/api/v1/products/{product.pk}", headers=bearer(other_token))
    # then
    assert response.status_code == 200


def test_a_product_id_that_is_not_a_number_is_422_with_the_field(client, db):
    # when
    response = client.get("/api/v1/products/abc")
    # then
    assert response.status_code == 422
    assert response.json()["field"] == "product_id"
    assert response.json()["detail"] == "Enter a whole number."


# --- creating products -------------------------------------------------------------


def test_product_create_makes_the_product_in_the_tokens_shop(client, shop, token):
    # when
    response = client.post(
        "/api/v1/products", product_payload(), content_type=JSON, headers=bearer(token)
    )
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["shop"] == "kicks"
    assert (body["price_min"], body["price_max"], body["currency"]) == (499900, 519900, "PHP")
    assert [(v["sku"], v["compare_at_price"]) for v in body["variants"]] == [
        ("CR-41", None),
        ("CR-42", 599900),
    ]
    assert Product.objects.get(pk=body["id"]).shop == shop


def test_product_create_accepts_the_shops_own_currency(client, shop, token):
    # when
    response = client.post(
        "/api/v1/products",
        product_payload(currency="PHP"),
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 201


def test_product_create_refuses_another_currency_and_changes_nothing(client, shop, token):
    # when
    response = client.post(
        "/api/v1/products",
        product_payload(currency="EUR"),
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "detail": "This shop sells in PHP; send prices in PHP or leave out the currency.",
        "field": "currency",
    }
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("price", "message"),
    [
        (12.5, "A price must be a whole number of minor units (cents)."),
        (1250.0, "A price must be a whole number of minor units (cents)."),
        ("1250", "A price must be a whole number of minor units (cents)."),
        (True, "A price must be a whole number of minor units (cents)."),
        (-1, "A price cannot be negative."),
        (10**14, "That price is too large."),
    ],
)
def test_product_create_refuses_a_price_that_is_not_whole_minor_units(
    client, shop, token, price, message
):
    # given
    payload = product_payload(options=[], variants=[{"sku": "CR-1", "price": price}])
    # when
    response = client.post("/api/v1/products", payload, content_type=JSON, headers=bearer(token))
    # then
    assert response.status_code == 422
    assert response.json()["field"] == "variants.0.price"
    assert response.json()["detail"] == message
    assert not Product.objects.exists()


def test_product_create_refuses_a_sku_already_used_in_the_shop_with_409(client, shop, token):
    # given
    make_product(shop, title="First")
    taken = Variant.objects.get().sku
    payload = product_payload(options=[], variants=[{"sku": taken, "price": 100}])
    # when
    response = client.post("/api/v1/products", payload, content_type=JSON, headers=bearer(token))
    # then
    assert response.status_code == 409
    assert response.json() == {
        "code": "duplicate_sku",
        "detail": f"The SKU {taken} is already used in this shop.",
        "field": "sku",
    }
    assert Product.objects.count() == 1


def test_product_create_refuses_variants_that_do_not_pick_the_options(client, shop, token):
    # given
    payload = product_payload(
        variants=[{"sku": "CR-43", "price": 100, "option_values": {"Size": "43"}}]
    )
    # when
    response = client.post("/api/v1/products", payload, content_type=JSON, headers=bearer(token))
    # then
    assert response.status_code == 422
    assert response.json()["detail"] == "Variant CR-43 must pick one value of each option."
    assert not Product.objects.exists()


def test_product_create_with_another_shops_category_is_404_and_changes_nothing(
    client, shop, other_shop, token
):
    # given
    theirs = category_create(shop=other_shop, name="Soins")
    # when
    response = client.post(
        "/api/v1/products",
        product_payload(category_id=theirs.pk),
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "This category does not exist."
    assert not Product.objects.exists()


def test_product_create_refuses_unknown_fields(client, shop, token):
    # when
    response = client.post(
        "/api/v1/products",
        product_payload(prices=[1]),
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 422
    assert response.json()["field"] == "prices"
    assert response.json()["detail"] == "This field is not allowed."
    assert not Product.objects.exists()


def test_product_create_without_a_token_is_401_and_changes_nothing(client, shop):
    # when
    response = client.post("/api/v1/products", product_payload(), content_type=JSON)
    # then
    assert response.status_code == 401
    assert response.json()["detail"] == "A valid shop API token is required."
    assert not Product.objects.exists()


def test_product_create_with_a_wrong_token_is_401_and_changes_nothing(client, shop):
    # when
    response = client.post(
        "/api/v1/products",
        product_payload(),
        content_type=JSON,
        headers=bearer("plz_deadbeef_wrong"),
    )
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert not Product.objects.exists()


@pytest.mark.parametrize("body", [b'{"title": "Runner",', b"not json", b"\xff\xfe", b"[" * 100_000])
def test_a_malformed_json_body_is_400_not_500_and_changes_nothing(client, shop, token, body):
    # when
    response = client.post("/api/v1/products", body, content_type=JSON, headers=bearer(token))
    # then
    assert response.status_code == 400
    assert response.json() == {"code": "malformed", "detail": "The request body is not valid JSON."}
    assert not Product.objects.exists()


def test_text_with_a_nul_character_is_422_not_a_database_error(client, shop, token):
    # when: PostgreSQL cannot store NUL in text, so it must never reach the database
    response = client.post(
        "/api/v1/categories", {"name": "Sho\u0000es"}, content_type=JSON, headers=bearer(token)
    )
    # then
    assert response.status_code == 422
    assert response.json()["field"] == "name"
    assert response.json()["detail"] == "This text has characters or a form that are not allowed."
    assert not Category.objects.exists()


def test_a_search_with_a_nul_character_is_422_not_a_database_error(client, shop):
    # when
    response = client.get("/api/v1/shops/kicks/products?q=run%00ner")
    # then
    assert response.status_code == 422
    assert response.json()["field"] == "q"


def test_a_json_body_that_is_not_an_object_is_422(client, shop, token):
    # when
    response = client.post("/api/v1/products", "[1, 2]", content_type=JSON, headers=bearer(token))
    # then
    assert response.status_code == 422
    assert response.json()["detail"] == "Send an object here."


def test_a_body_above_the_upload_limit_is_413_not_500_and_changes_nothing(
    client, shop, token, settings
):
    # given a body just above Django's in-memory limit (below the middleware's limit)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    payload = product_payload(description="x" * 2048)
    # when
    response = client.post("/api/v1/products", payload, content_type=JSON, headers=bearer(token))
    # then
    assert response.status_code == 413
    assert response.json() == {"code": "too_large", "detail": "The request body is too large."}
    assert not Product.objects.exists()


def test_a_declared_body_above_the_request_limit_is_413_before_reading_it(
    client, shop, token, settings
):
    # given
    settings.PLAZA_MAX_REQUEST_BYTES = 1024 * 1024
    # when
    response = client.generic(
        "POST",
        "/api/v1/products",
        b"{}",
        content_type=JSON,
        headers=bearer(token),
        CONTENT_LENGTH=str(2 * 1024 * 1024),
    )
    # then
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Product.objects.exists()


# --- changing products --------------------------------------------------------------


def test_product_update_changes_only_the_fields_sent(client, shop, token):
    # given
    product = make_product(shop, title="Court Runner", status=ProductStatus.DRAFT)
    # when
    response = client.patch(
        f"/api/v1/products/{product.pk}",
        {"status": "active"},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 200
    product.refresh_from_db()
    assert (product.title, product.status) == ("Court Runner", ProductStatus.ACTIVE)


def test_product_update_sets_and_clears_the_category(client, shop, token):
    # given
    product = make_product(shop)
    shoes = category_create(shop=shop, name="Shoes")
    # when
    set_response = client.patch(
        f"/api/v1/products/{product.pk}",
        {"category_id": shoes.pk},
        content_type=JSON,
        headers=bearer(token),
    )
    clear_response = client.patch(
        f"/api/v1/products/{product.pk}",
        {"category_id": None},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert set_response.json()["category"]["slug"] == "shoes"
    assert clear_response.json()["category"] is None
    product.refresh_from_db()
    assert product.category is None


def test_product_update_refuses_an_empty_title(client, shop, token):
    # given
    product = make_product(shop, title="Court Runner")
    # when
    response = client.patch(
        f"/api/v1/products/{product.pk}", {"title": "   "}, content_type=JSON, headers=bearer(token)
    )
    # then
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "detail": "Give the product a title.",
        "field": "title",
    }
    product.refresh_from_db()
    assert product.title == "Court Runner"


def test_product_update_of_another_shops_product_is_404_and_changes_nothing(
    client, shop, other_shop, token
):
    # given
    theirs = make_product(other_shop, title="Crème")
    # when
    response = client.patch(
        f"/api/v1/products/{theirs.pk}",
        {"title": "Mine now"},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "This product does not exist."
    theirs.refresh_from_db()
    assert theirs.title == "Crème"


def test_product_update_with_another_shops_category_is_404_and_changes_nothing(
    client, shop, other_shop, token
):
    # given
    product = make_product(shop)
    theirs = category_create(shop=other_shop, name="Soins")
    # when
    response = client.patch(
        f"/api/v1/products/{product.pk}",
        {"category_id": theirs.pk},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "This category does not exist."
    product.refresh_from_db()
    assert product.category is None


# --- translations -------------------------------------------------------------------


def test_translation_put_sets_the_title_in_a_language(client, shop, token):
    # given
    product = make_product(shop, title="Green tea")
    # when
    response = client.put(
        f"/api/v1/products/{product.pk}/translations/zh-hans",
        {"title": "抹茶绿茶", "description": "好喝"},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 200
    assert response.json() == {"language": "zh-hans", "title": "抹茶绿茶", "description": "好喝"}
    product.refresh_from_db()
    assert "绿茶" in product.search_text


def test_translation_put_with_an_empty_title_removes_it(client, shop, token):
    # given
    product = make_product(shop)
    product_set_translation(product=product, language="fr", title="Thé vert")
    # when
    response = client.put(
        f"/api/v1/products/{product.pk}/translations/fr",
        {"title": ""},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 204
    assert not ProductTranslation.objects.exists()


def test_translation_put_in_an_unknown_language_is_422(client, shop, token):
    # given
    product = make_product(shop)
    # when
    response = client.put(
        f"/api/v1/products/{product.pk}/translations/xx",
        {"title": "Something"},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "detail": "Unknown language code.",
        "field": "language",
    }
    assert not ProductTranslation.objects.exists()


def test_translation_put_on_another_shops_product_is_404(client, other_shop, token):
    # given
    theirs = make_product(other_shop)
    # when
    response = client.put(
        f"/api/v1/products/{theirs.pk}/translations/fr",
        {"title": "Pirate"},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 404
    assert not ProductTranslation.objects.exists()


# --- variants ------------------------------------------------------------------------


def test_variants_list_answers_prices_in_minor_units_with_the_currency(client, other_shop):
    # given
    product = make_product(other_shop, sizes=("S", "M"), price=1250)
    # when
    response = client.get(f"/api/v1/products/{product.pk}/variants")
    # then
    assert response.status_code == 200
    assert [(v["title"], v["price"], v["currency"]) for v in response.json()] == [
        ("S", 1250, "EUR"),
        ("M", 1250, "EUR"),
    ]


def test_variants_list_of_a_draft_is_404_for_another_shops_token(client, shop, other_token):
    # given
    draft = make_product(shop, status=ProductStatus.DRAFT)
    # when
    response = client.get(f"/api/v1/products/{draft.pk}/variants", headers=bearer(other_token))
    # then
    assert response.status_code == 404


def test_variant_create_adds_a_variant_for_a_new_option_value(client, shop, token):
    # given
    product = make_product(shop, sizes=("41",), price=1000)
    product.options.update(values=["41", "42"])
    # when
    response = client.post(
        f"/api/v1/products/{product.pk}/variants",
        {"sku": "NEW-42", "price": 1200, "option_values": {"Size": "42"}},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 201
    assert (response.json()["title"], response.json()["currency"]) == ("42", "PHP")
    product.refresh_from_db()
    assert (product.price_min, product.price_max) == (1000, 1200)


def test_variant_create_with_a_duplicate_sku_is_409_and_changes_nothing(client, shop, token):
    # given
    product = make_product(shop)
    taken = product.variants.get().sku
    # when
    response = client.post(
        f"/api/v1/products/{product.pk}/variants",
        {"sku": taken, "price": 1200},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_sku"
    assert product.variants.count() == 1


def test_variant_create_on_another_shops_product_is_404_and_changes_nothing(
    client, other_shop, token
):
    # given
    theirs = make_product(other_shop)
    # when
    response = client.post(
        f"/api/v1/products/{theirs.pk}/variants",
        {"sku": "MINE", "price": 1},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 404
    assert theirs.variants.count() == 1


def test_variant_update_changes_the_price_and_clears_the_compare_at_price(client, shop, token):
    # given
    variant = make_product(shop, price=1000).variants.get()
    client.patch(
        f"/api/v1/variants/{variant.pk}",
        {"compare_at_price": 1500},
        content_type=JSON,
        headers=bearer(token),
    )
    # when
    response = client.patch(
        f"/api/v1/variants/{variant.pk}",
        {"price": 900, "compare_at_price": None},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 200
    assert (response.json()["price"], response.json()["compare_at_price"]) == (900, None)
    variant.refresh_from_db()
    assert (variant.price, variant.compare_at_price) == (900, None)


def test_variant_update_refuses_a_compare_at_price_below_the_price(client, shop, token):
    # given
    variant = make_product(shop, price=1000).variants.get()
    # when
    response = client.patch(
        f"/api/v1/variants/{variant.pk}",
        {"compare_at_price": 900},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 422
    assert response.json()["detail"] == "The compare-at price must be higher than the price."
    variant.refresh_from_db()
    assert variant.compare_at_price is None


def test_variant_update_refuses_a_float_price_and_changes_nothing(client, shop, token):
    # given
    variant = make_product(shop, price=1000).variants.get()
    # when
    response = client.patch(
        f"/api/v1/variants/{variant.pk}", {"price": 9.99}, content_type=JSON, headers=bearer(token)
    )
    # then
    assert response.status_code == 422
    assert response.json()["field"] == "price"
    assert response.json()["detail"] == "A price must be a whole number of minor units (cents)."
    variant.refresh_from_db()
    assert variant.price == 1000


def test_variant_update_to_a_sku_used_by_another_variant_is_409(client, shop, token):
    # given
    first, second = make_product(shop, sizes=("S", "M")).variants.all()
    # when
    response = client.patch(
        f"/api/v1/variants/{second.pk}",
        {"sku": first.sku},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 409
    assert response.json()["detail"] == f"The SKU {first.sku} is already used in this shop."


def test_variant_update_of_another_shops_variant_is_404_and_changes_nothing(
    client, other_shop, token
):
    # given
    theirs = make_product(other_shop, price=2000).variants.get()
    # when
    response = client.patch(
        f"/api/v1/variants/{theirs.pk}", {"price": 1}, content_type=JSON, headers=bearer(token)
    )
    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "This variant does not exist."
    theirs.refresh_from_db()
    assert theirs.price == 2000


# --- categories ----------------------------------------------------------------------


def test_categories_list_is_public_in_position_order(client, shop):
    # given
    category_create(shop=shop, name="Shoes")
    category_create(shop=shop, name="Bags")
    # when
    response = client.get("/api/v1/shops/kicks/categories")
    # then
    assert [c["name"] for c in response.json()["items"]] == ["Shoes", "Bags"]


def test_category_create_makes_it_in_the_tokens_shop(client, shop, token):
    # when
    response = client.post(
        "/api/v1/categories", {"name": "Running shoes"}, content_type=JSON, headers=bearer(token)
    )
    # then
    assert response.status_code == 201
    assert response.json()["slug"] == "running-shoes"
    assert Category.objects.get().shop == shop


def test_category_create_with_a_taken_name_is_409(client, shop, token):
    # given
    category_create(shop=shop, name="Shoes")
    # when
    response = client.post(
        "/api/v1/categories", {"name": "Shoes"}, content_type=JSON, headers=bearer(token)
    )
    # then
    assert response.status_code == 409
    assert response.json()["detail"] == "This shop already has a category with that name."
    assert Category.objects.count() == 1


def test_category_create_without_a_token_is_401(client, shop):
    # when
    response = client.post("/api/v1/categories", {"name": "Shoes"}, content_type=JSON)
    # then
    assert response.status_code == 401
    assert not Category.objects.exists()


# --- the rest of /api/v1/ ---------------------------------------------------------------


def test_an_unknown_api_path_is_a_json_404(client, db):
    # when
    response = client.get("/api/v1/products/1/nothing-here")
    # then
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "This API endpoint does not exist."}


# --- query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_public_products_list_takes_five_queries_whatever_the_number_of_products(
    client, shop, django_assert_num_queries, count
):
    # given
    for _n in range(count):
        make_product(shop, sizes=("S", "M"))
    # when / then: shop, count, page, images, translations
    with django_assert_num_queries(5):
        response = client.get("/api/v1/shops/kicks/products?limit=100")
    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [3, 30])
def test_products_list_by_category_takes_six_queries_whatever_the_number_of_products(
    client, shop, django_assert_num_queries, count
):
    # given
    shoes = category_create(shop=shop, name="Shoes")
    for _n in range(count):
        make_product(shop, category=shoes)
    # when / then: shop, category, count, page, images, translations
    with django_assert_num_queries(6):
        response = client.get("/api/v1/shops/kicks/products?category=shoes&limit=100")
    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [3, 30])
def test_staff_products_list_takes_seven_queries_whatever_the_number_of_products(
    client, shop, token, django_assert_num_queries, count
):
    # given: products, and a token already used once (so it is not stamped again)
    for _n in range(count):
        make_product(shop, status=ProductStatus.DRAFT, sizes=("S", "M"))
    client.get("/api/v1/token", headers=bearer(token))
    # when / then: token, shop, count, page, images, translations, variants
    with django_assert_num_queries(7):
        response = client.get("/api/v1/shops/kicks/products?limit=100", headers=bearer(token))
    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [3, 30])
def test_categories_list_takes_three_queries_whatever_the_number_of_categories(
    client, shop, django_assert_num_queries, count
):
    # given
    for n in range(count):
        category_create(shop=shop, name=f"Category {n}")
    # when / then: shop, count, page
    with django_assert_num_queries(3):
        response = client.get("/api/v1/shops/kicks/categories?limit=100")
    assert response.json()["count"] == count


@pytest.mark.parametrize("sizes", [3, 30])
def test_variants_list_and_product_detail_take_a_fixed_number_of_queries(
    client, shop, django_assert_num_queries, sizes
):
    # given
    product = make_product(shop, sizes=tuple(str(n) for n in range(sizes)))
    # when / then: product, images, translations, variants, options
    with django_assert_num_queries(5):
        variants = client.get(f"/api/v1/products/{product.pk}/variants")
    with django_assert_num_queries(5):
        detail = client.get(f"/api/v1/products/{product.pk}")
    assert len(variants.json()) == len(detail.json()["variants"]) == sizes
