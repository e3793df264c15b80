"""API v1 of the cart and checkout, with the shopper's session."""

import logging
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plaza.catalog.services import variant_update
from plaza.catalog.tests.factories import make_product
from plaza.checkout.services import shipping_method_create
from plaza.orders.models import Order, OrderStatus
from plaza.orders.tests.factories import ADDRESS
from plaza.payments.tests.factories import DECLINED, THREE_D_SECURE, card_token

pytestmark = pytest.mark.django_db

API = "/api/v1"
JSON = "application/json"


@pytest.fixture
def api(shopper) -> Client:
    client = Client()
    client.force_login(shopper)
    return client


@pytest.fixture
def sneaker(shop):
    shipping_method_create(shop=shop, data={"name": "Standard", "price": 15_000})
    return make_product(shop, title="Court Runner", price=499_900, stock=3).variants.get()


@pytest.fixture
def serum(other_shop):
    return make_product(other_shop, title="Sérum", price=2_900, stock=10).variants.get()


def add(api, variant, quantity=1):
    return api.post(
        f"{API}/cart/lines", {"variant_id": variant.pk, "quantity": quantity}, content_type=JSON
    )


def pay(api, seal, key="key-1", number=None, **body):
    body = {
        "seal": seal,
        "address": ADDRESS,
        "payment_token": card_token(number) if number else card_token(),
        **body,
    }
    return api.post(f"{API}/checkout", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY=key)


def test_cart_api_adds_lines_of_two_shops_and_prices_each_shop(api, sneaker, serum):
    # given
    add(api, sneaker)
    # when
    response = add(api, serum, 2)
    # then
    assert response.status_code == 201
    body = response.json()
    assert [(s["shop"]["slug"], s["total"], s["currency"]) for s in body["shops"]] == [
        ("kicks", 514_900, "PHP"),
        ("belle", 5_800, "EUR"),
    ]
    assert body["totals"] == [
        {"currency": "PHP", "total": 514_900},
        {"currency": "EUR", "total": 5_800},
    ]
    assert body["item_count"] == 3 and body["seal"]


def test_cart_api_refuses_more_than_the_stock_with_422(api, sneaker):
    response = add(api, sneaker, 4)
    assert response.status_code == 422
    assert response.json()["detail"] == "Only 3 of Court Runner left."


def test_cart_api_updates_and_removes_lines(api, sneaker):
    line_id = add(api, sneaker).json()["shops"][0]["lines"][0]["line_id"]
    updated = api.patch(f"{API}/cart/lines/{line_id}", {"quantity": 2}, content_type=JSON)
    removed = api.delete(f"{API}/cart/lines/{line_id}")
    assert updated.json()["item_count"] == 2
    assert removed.json()["shops"] == []
    assert api.delete(f"{API}/cart/lines/{line_id}").status_code == 404


def test_checkout_api_pays_the_cart_and_answers_the_orders(api, sneaker, serum, shopper):
    # given
    add(api, sneaker)
    seal = add(api, serum).json()["seal"]
    # when
    response = pay(api, seal)
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "completed"
    numbers = {part["shop"]["slug"]: part["order_number"] for part in body["parts"]}
    assert set(numbers) == {"kicks", "belle"}
    assert Order.objects.get(number=numbers["kicks"]).status == OrderStatus.PAID
    assert api.get(f"{API}/cart").json()["shops"] == []


def test_checkout_api_repeated_with_the_same_key_answers_the_same_checkout(api, sneaker):
    seal = add(api, sneaker).json()["seal"]
    first = pay(api, seal, key="same")
    second = pay(api, seal, key="same")
    assert first.json()["uid"] == second.json()["uid"]
    assert Order.objects.count() == 1


def test_checkout_api_same_key_with_another_body_is_409(api, sneaker):
    seal = add(api, sneaker).json()["seal"]
    pay(api, seal, key="same")
    other = pay(api, seal, key="same", save_card=True)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"


def test_checkout_api_without_an_idempotency_key_is_422(api, sneaker):
    seal = add(api, sneaker).json()["seal"]
    response = api.post(
        f"{API}/checkout",
        {"seal": seal, "address": ADDRESS, "payment_token": card_token()},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert not Order.objects.exists()


def test_checkout_api_declined_card_is_402_and_keeps_the_cart(api, sneaker):
    seal = add(api, sneaker).json()["seal"]
    response = pay(api, seal, number=DECLINED)
    assert response.status_code == 402
    assert response.json()["code"] == "payment_declined"
    assert not Order.objects.exists()
    assert api.get(f"{API}/cart").json()["item_count"] == 1


def test_checkout_api_stale_price_is_409_with_the_changes(api, sneaker):
    seal = add(api, sneaker).json()["seal"]
    variant_update(variant=sneaker, price=529_900)
    response = pay(api, seal)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "checkout_stale"
    assert "₱5,299.00" in body["changes"][0]
    assert not Order.objects.exists()


def test_checkout_api_buy_now_with_a_confirmation_step(api, sneaker):
    # given
    quote = api.post(
        f"{API}/checkout/quote", {"lines": [{"variant_id": sneaker.pk}]}, content_type=JSON
    ).json()
    lines = [{"variant_id": sneaker.pk, "quantity": 1}]
    # when
    started = pay(api, quote["seal"], number=THREE_D_SECURE, source="buy_now", lines=lines)
    uid, action = started.json()["uid"], started.json()["next_action"]
    confirmed = api.post(
        f"{API}/checkout/{uid}/confirm",
        {"confirmation_token": action["token"]},
        content_type=JSON,
    )
    # then
    assert started.json()["status"] == "requires_action" and action["kind"] == "confirm"
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "completed"
    assert Order.objects.get().status == OrderStatus.PAID


def test_checkout_api_of_another_shopper_is_404(api, sneaker, other_owner):
    seal = add(api, sneaker).json()["seal"]
    uid = pay(api, seal).json()["uid"]
    stranger = Client()
    stranger.force_login(other_owner)
    assert stranger.get(f"{API}/checkout/{uid}").status_code == 404


@pytest.mark.parametrize(
    "method,path", [("get", "/cart"), ("post", "/cart/lines"), ("post", "/checkout")]
)
def test_cart_and_checkout_api_without_a_login_is_401(client, db, method, path):
    response = getattr(client, method)(f"{API}{path}", {}, content_type=JSON)
    assert response.status_code == 401


def test_cart_api_costs_the_same_queries_for_one_or_nine_items(api, shop, other_shop):
    # given
    add(api, make_product(shop, stock=5).variants.get())
    with CaptureQueriesContext(connection) as one:
        api.get(f"{API}/cart")
    for owner_shop in (shop, other_shop) * 4:
        add(api, make_product(owner_shop, stock=5).variants.get())
    # when
    with CaptureQueriesContext(connection) as nine:
        response = api.get(f"{API}/cart")
    # then
    assert response.json()["item_count"] == 9
    assert len(nine) == len(one) == 8  # no pictures in the answer: no image query


def test_after_the_last_unit_a_quote_is_refused_reading_no_ones_row(api, sneaker):
    # given: someone else holds the last units, and the shopper was told so once
    from plaza.accounts.tests.factories import UserFactory
    from plaza.checkout.services import checkout_hold

    checkout_hold(buyer=UserFactory(), lines=[(sneaker.pk, 3)])
    body = {"lines": [{"variant_id": sneaker.pk}]}
    assert api.post(f"{API}/checkout/quote", body, content_type=JSON).status_code == 200
    # when: they press again
    with CaptureQueriesContext(connection) as queries:
        again = api.post(f"{API}/checkout/quote", body, content_type=JSON)
    # then: sold out, from the cache; the only row read is the session's (none with Redis)
    assert again.status_code == 409
    assert again.json()["changes"] == ["Every unit has found a buyer."]
    tables = {q["sql"].split(" FROM ")[1].split()[0] for q in queries.captured_queries}
    assert tables <= {'"django_session"'}, queries.captured_queries


def _request_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "django.request"]


def test_sold_out_and_stale_answers_are_not_logged_as_warnings(api, sneaker, caplog):
    # given: someone else holds the last units, and the shopper was told so once
    from plaza.accounts.tests.factories import UserFactory
    from plaza.checkout.services import checkout_hold

    seal = add(api, sneaker).json()["seal"]
    checkout_hold(buyer=UserFactory(), lines=[(sneaker.pk, 3)])
    body = {"lines": [{"variant_id": sneaker.pk}]}
    api.post(f"{API}/checkout/quote", body, content_type=JSON)
    # when: the stampede presses again, and a cart whose units went is paid
    with caplog.at_level(logging.WARNING, logger="django.request"):
        sold_out = api.post(f"{API}/checkout/quote", body, content_type=JSON)
        stale = pay(api, seal)
    # then: the expected answers, and not a warning each
    assert (sold_out.status_code, sold_out.json()["code"]) == (409, "checkout_stale")
    assert (stale.status_code, stale.json()["code"]) == (409, "checkout_stale")
    assert _request_warnings(caplog) == []


def test_a_drop_before_its_release_answers_409_without_a_warning(api, sneaker, caplog):
    # given: the drop opens in an hour
    from datetime import timedelta

    from django.utils import timezone

    from plaza.inventory.services import drop_set

    drop_set(product=sneaker.product, release_at=timezone.now() + timedelta(hours=1))
    body = {"lines": [{"variant_id": sneaker.pk}]}
    # when: the shopper presses early
    with caplog.at_level(logging.WARNING, logger="django.request"):
        early = api.post(f"{API}/checkout/quote", body, content_type=JSON)
    # then: the expected answer, and no warning
    assert (early.status_code, early.json()["code"]) == (409, "drop_not_open")
    assert _request_warnings(caplog) == []


def test_other_errors_of_the_checkout_api_are_still_logged(api, sneaker, caplog):
    # given
    seal = add(api, sneaker).json()["seal"]
    pay(api, seal, key="key-1")
    uid = uuid.uuid4()
    # when: a checkout that does not exist, and a key used before for another body
    with caplog.at_level(logging.WARNING, logger="django.request"):
        missing = api.get(f"{API}/checkout/{uid}")
        conflict = pay(api, seal, key="key-1", save_card=True)
    # then
    assert missing.status_code == 404
    assert (conflict.status_code, conflict.json()["code"]) == (409, "idempotency_conflict")
    assert _request_warnings(caplog) == [
        f"Not Found: {API}/checkout/{uid}",
        f"Conflict: {API}/checkout",
    ]


def test_a_quote_needs_a_login_and_a_session_that_still_holds(client, shopper, sneaker):
    body = {"lines": [{"variant_id": sneaker.pk}]}
    # without a login
    assert client.post(f"{API}/checkout/quote", body, content_type=JSON).status_code == 401
    # with a session whose password has changed since
    client.force_login(shopper)
    shopper.set_password("a new secret 42")
    shopper.save()
    assert client.post(f"{API}/checkout/quote", body, content_type=JSON).status_code == 401
