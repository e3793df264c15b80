"""API v1 of the shopper's own orders: listed and read with the shopper's session; another
buyer's order is as missing as one that never existed."""

import pytest
from django.test import Client

from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.tests.factories import make_product
from plaza.orders.services import order_fulfil
from plaza.orders.tests.factories import ADDRESS, pay, place_order

pytestmark = pytest.mark.django_db

API = "/api/v1"

# Session, user; the count, the page of orders with their shops, their lines.
ORDERS_LIST_QUERIES = 5


@pytest.fixture
def variant(shop):
    return make_product(shop, title="Runner", price=50_000, stock=100).variants.get()


@pytest.fixture
def shopper_client(shopper) -> Client:
    client = Client()
    client.force_login(shopper)
    return client


def test_orders_api_lists_the_shoppers_orders_newest_first_in_minor_units(
    shopper_client, shop, shopper, variant
):
    # given
    older = pay(place_order(shop, shopper, [(variant, 2)]))
    newer = place_order(shop, shopper, [(variant, 1)])

    # when
    response = shopper_client.get(f"{API}/orders")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [o["number"] for o in body["items"]] == [newer.number, older.number]
    paid = body["items"][1]
    assert paid["status"] == "paid"
    assert paid["shop"] == {"id": shop.pk, "slug": "kicks", "name": "Kicks"}
    assert paid["currency"] == "PHP"
    assert (paid["subtotal"], paid["shipping"], paid["total"]) == (100_000, 15_000, 115_000)
    assert isinstance(paid["tax"], int)
    assert paid["item_count"] == 2
    [line] = paid["lines"]
    assert (line["unit_price"], line["quantity"], line["line_total"]) == (50_000, 2, 100_000)


def test_orders_api_does_not_list_other_buyers_or_guest_orders(shopper_client, shop, variant):
    # given
    place_order(shop, UserFactory(), [(variant, 1)])
    place_order(shop, None, [(variant, 1)], email="guest@plaza.test")

    # when
    response = shopper_client.get(f"{API}/orders")

    # then
    assert response.json() == {"items": [], "count": 0}


def test_orders_api_pages_with_limit_and_offset(shopper_client, shop, shopper, variant):
    # given
    orders = [place_order(shop, shopper, [(variant, 1)]) for _n in range(3)]

    # when
    response = shopper_client.get(f"{API}/orders?limit=1&offset=1")

    # then
    assert response.json()["count"] == 3
    assert [o["number"] for o in response.json()["items"]] == [orders[1].number]


@pytest.mark.parametrize("path", ["/orders", "/orders/ABCD-EFGH"])
def test_orders_api_without_a_login_is_401(client, db, path):
    # when
    response = client.get(f"{API}{path}")

    # then
    assert response.status_code == 401
    assert response.json() == {"code": "login_required", "detail": "Log in to do this."}


def test_orders_api_ignores_a_shop_token_it_is_for_shoppers(client, shop):
    # given
    from plaza.accounts.services import api_token_create

    _token, raw = api_token_create(shop=shop, name="Sync", created_by=None)

    # when
    response = client.get(f"{API}/orders", headers={"Authorization": f"Bearer {raw}"})

    # then
    assert response.status_code == 401


def test_order_api_get_answers_lines_address_shipments_and_timeline(
    shopper_client, shop, owner, shopper, variant
):
    # given
    order = pay(place_order(shop, shopper, [(variant, 3)]))
    order_fulfil(order=order, by=owner, carrier="LBC", tracking_number="LBC123")

    # when
    response = shopper_client.get(f"{API}/orders/{order.number}")

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["status"]) == (order.number, "fulfilled")
    assert (body["total"], body["currency"]) == (order.total, "PHP")
    assert body["shipping_address"]["full_name"] == ADDRESS["full_name"]
    assert body["shipping_address"]["country"] == "PH"
    assert body["email"] == shopper.email
    assert [(f["carrier"], f["tracking_number"]) for f in body["fulfillments"]] == [
        ("LBC", "LBC123")
    ]
    assert [e["kind"] for e in body["timeline"]][:2] == ["placed", "paid"]
    assert body["timeline"][-1]["kind"] == "fulfilled"


def test_order_api_get_of_another_buyers_order_is_404_like_a_missing_one(
    shopper_client, shop, variant
):
    # given
    theirs = place_order(shop, UserFactory(), [(variant, 1)])

    # when
    other = shopper_client.get(f"{API}/orders/{theirs.number}")
    missing = shopper_client.get(f"{API}/orders/ZZZZ-ZZZZ")

    # then
    assert other.status_code == missing.status_code == 404
    assert (
        other.json()
        == missing.json()
        == {
            "code": "not_found",
            "detail": "This order does not exist.",
        }
    )


@pytest.mark.parametrize("number", ["a b", "x" * 17, "<script>"])
def test_order_api_get_with_a_number_of_the_wrong_form_is_422(shopper_client, db, number):
    # when
    response = shopper_client.get(f"{API}/orders/{number}")

    # then
    assert response.status_code == 422
    assert response.json()["field"] == "number"


@pytest.mark.parametrize("count", [3, 30])
def test_orders_api_list_costs_the_same_queries_for_3_and_30_orders(
    shopper_client, shop, other_shop, shopper, variant, count, django_assert_num_queries
):
    # given: orders of two shops, with two lines each
    second = make_product(shop, title="Sock", price=5_000, stock=100).variants.get()
    theirs = make_product(other_shop, title="Soap", price=900, stock=100).variants.get()
    for n in range(count):
        if n % 2:
            place_order(other_shop, shopper, [(theirs, 1)])
        else:
            place_order(shop, shopper, [(variant, 1), (second, 2)])

    # when
    with django_assert_num_queries(ORDERS_LIST_QUERIES):
        response = shopper_client.get(f"{API}/orders?limit=100")

    # then
    assert response.json()["count"] == count


def test_orders_api_operations_require_the_shoppers_session(client, db):
    # given
    openapi = client.get(f"{API}/openapi.json").json()

    # when
    operations = [
        op for item in openapi["paths"].values() for op in item.values() if op["tags"] == ["orders"]
    ]

    # then
    assert {op["operationId"] for op in operations} == {"orders_list", "order_get"}
    for op in operations:
        assert op["security"] == [{"ShopperSession": []}]
        assert "401" in op["responses"]
    amounts = openapi["components"]["schemas"]["OrderOut"]["properties"]
    assert all(amounts[f]["type"] == "integer" for f in ("subtotal", "shipping", "tax", "total"))
