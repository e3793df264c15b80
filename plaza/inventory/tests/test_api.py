"""API v1: a variant's stock, for its own shop's token only."""

import pytest

from plaza.accounts.services import api_token_create
from plaza.catalog.tests.factories import make_product
from plaza.inventory.models import Stock

pytestmark = pytest.mark.django_db

JSON = "application/json"


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def token(shop):
    _api_token, raw = api_token_create(shop=shop, name="Warehouse", created_by=None)
    return raw


def test_stock_get_answers_quantity_allocated_and_available(client, shop, token):
    # given 5 on the shelf, 2 of them promised to orders (no allocation service yet: plain row)
    variant = make_product(shop, stock=5).variants.get()
    Stock.objects.filter(variant=variant).update(allocated=2)
    # when
    response = client.get(f"/api/v1/variants/{variant.pk}/stock", headers=bearer(token))
    # then
    assert response.status_code == 200
    assert response.json() == {
        "variant_id": variant.pk,
        "quantity": 5,
        "allocated": 2,
        "available": 3,
    }


def test_stock_get_of_a_variant_without_stock_is_all_zeros(client, shop, token):
    # given
    variant = make_product(shop).variants.get()
    # when
    response = client.get(f"/api/v1/variants/{variant.pk}/stock", headers=bearer(token))
    # then
    assert response.json() == {
        "variant_id": variant.pk,
        "quantity": 0,
        "allocated": 0,
        "available": 0,
    }


def test_stock_get_without_a_token_is_401(client, shop):
    # given
    variant = make_product(shop, stock=5).variants.get()
    # when
    response = client.get(f"/api/v1/variants/{variant.pk}/stock")
    # then
    assert response.status_code == 401
    assert response.json()["detail"] == "A valid shop API token is required."


def test_stock_get_of_another_shops_variant_is_404_like_a_missing_one(client, other_shop, token):
    # given
    theirs = make_product(other_shop, stock=5).variants.get()
    # when
    theirs_response = client.get(f"/api/v1/variants/{theirs.pk}/stock", headers=bearer(token))
    missing_response = client.get("/api/v1/variants/999999/stock", headers=bearer(token))
    # then
    assert theirs_response.status_code == missing_response.status_code == 404
    assert (
        theirs_response.json()
        == missing_response.json()
        == {
            "code": "not_found",
            "detail": "This variant does not exist.",
        }
    )


def test_stock_put_sets_the_quantity(client, shop, token):
    # given
    variant = make_product(shop, stock=5).variants.get()
    # when
    response = client.put(
        f"/api/v1/variants/{variant.pk}/stock",
        {"quantity": 12},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 200
    assert response.json()["available"] == 12
    assert Stock.objects.get(variant=variant).quantity == 12


def test_stock_put_creates_stock_for_a_variant_without_any(client, shop, token):
    # given
    variant = make_product(shop).variants.get()
    # when
    response = client.put(
        f"/api/v1/variants/{variant.pk}/stock",
        {"quantity": 3},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.json()["quantity"] == 3
    assert Stock.objects.get(variant=variant).quantity == 3


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (-1, "The value must be at least 0."),
        (2.5, "Enter a whole number."),
        ("4", "Enter a whole number."),
        (10**9, "The value must be at most 10000000."),
    ],
)
def test_stock_put_refuses_a_quantity_that_is_not_a_whole_number_of_units(
    client, shop, token, quantity, message
):
    # given
    variant = make_product(shop, stock=5).variants.get()
    # when
    response = client.put(
        f"/api/v1/variants/{variant.pk}/stock",
        {"quantity": quantity},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["detail"]) == ("quantity", message)
    assert Stock.objects.get(variant=variant).quantity == 5


def test_stock_put_below_what_orders_hold_is_422_and_changes_nothing(client, shop, token):
    # given
    variant = make_product(shop, stock=5).variants.get()
    Stock.objects.filter(variant=variant).update(allocated=4)
    # when
    response = client.put(
        f"/api/v1/variants/{variant.pk}/stock",
        {"quantity": 3},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "4 units are already promised to orders; stock cannot go below that."
    )
    assert Stock.objects.get(variant=variant).quantity == 5


def test_stock_put_on_another_shops_variant_is_404_and_changes_nothing(client, other_shop, token):
    # given
    theirs = make_product(other_shop, stock=5).variants.get()
    # when
    response = client.put(
        f"/api/v1/variants/{theirs.pk}/stock",
        {"quantity": 0},
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 404
    assert response.json()["detail"] == "This variant does not exist."
    assert Stock.objects.get(variant=theirs).quantity == 5


def test_stock_put_with_malformed_json_is_400_and_changes_nothing(client, shop, token):
    # given
    variant = make_product(shop, stock=5).variants.get()
    # when
    response = client.put(
        f"/api/v1/variants/{variant.pk}/stock",
        b'{"quantity": ',
        content_type=JSON,
        headers=bearer(token),
    )
    # then
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."
    assert Stock.objects.get(variant=variant).quantity == 5
