"""The cart, checkout and shipping pages, driven through Django's test client."""

import logging
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plaza.accounts.services import address_create
from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.services import variant_update
from plaza.catalog.tests.factories import make_product
from plaza.checkout.models import CartLine, Checkout, ShippingMethod
from plaza.checkout.services import cart_add, cart_get_or_create, shipping_method_create
from plaza.checkout.urls import STAFF_URLS
from plaza.orders.models import Order, OrderStatus
from plaza.orders.tests.factories import ADDRESS
from plaza.payments.models import PaymentMethod
from plaza.payments.services import payment_method_save
from plaza.payments.tests.factories import card_token

pytestmark = pytest.mark.django_db

NEW_CARD = {
    "address": "new",
    **ADDRESS,
    "card": "new",
    "card_number": "4242 4242 4242 4242",
    "card_expiry": "12/30",
    "card_cvc": "123",
}


@pytest.fixture
def sneaker(shop):
    shipping_method_create(shop=shop, data={"name": "Standard", "price": 15_000})
    return make_product(shop, title="Court Runner", price=499_900, sizes=("41", "42"), stock=3)


@pytest.fixture
def serum(other_shop):
    return make_product(other_shop, title="Sérum", price=2_900, stock=10)


def variant_of(product):
    return product.variants.order_by("pk").first()


def hidden(page, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page.content.decode())
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def test_a_guest_adds_to_the_cart_and_keeps_it_after_logging_in(client, shopper, sneaker):
    # given
    variant = variant_of(sneaker)
    added = client.post(reverse("checkout:cart-add"), {"variant": variant.pk, "quantity": 2})
    # when
    client.force_login(shopper)
    page = client.get(reverse("checkout:cart-detail"))
    # then
    assert added.status_code == 302
    assert page.status_code == 200
    assert "Court Runner" in page.content.decode()
    assert CartLine.objects.get(cart__user=shopper).quantity == 2


def test_add_to_cart_with_htmx_answers_a_toast_and_the_new_count(client, shopper, sneaker):
    client.force_login(shopper)
    response = client.post(
        reverse("checkout:cart-add"),
        {"variant": variant_of(sneaker).pk, "quantity": 1},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "Added to your cart." in body
    assert 'id="cart-count"' in body and ">1<" in body


def test_add_to_cart_beyond_the_stock_is_refused_with_a_message(client, shopper, sneaker):
    client.force_login(shopper)
    response = client.post(
        reverse("checkout:cart-add"),
        {"variant": variant_of(sneaker).pk, "quantity": 5},
        HTTP_HX_REQUEST="true",
    )
    assert "Only 3 of Court Runner left." in response.content.decode()
    assert not CartLine.objects.exists()


def test_checkout_page_sends_a_guest_to_log_in_first(client, sneaker):
    response = client.get(reverse("checkout:buy-now"), {"variant": variant_of(sneaker).pk})
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_first_time_shopper_buys_now_with_one_form_and_saves_card_and_address(
    client, shopper, sneaker
):
    # given
    client.force_login(shopper)
    url = reverse("checkout:buy-now") + f"?variant={variant_of(sneaker).pk}&quantity=1"
    page = client.get(url)
    # when
    response = client.post(
        url,
        {
            **NEW_CARD,
            "save_card": "on",
            "save_address": "on",
            "idempotency_key": hidden(page, "idempotency_key"),
            "seal": hidden(page, "seal"),
            "variant": variant_of(sneaker).pk,
            "quantity": 1,
        },
    )
    # then
    assert response.status_code == 302
    order = Order.objects.get(buyer=shopper)
    assert order.status == OrderStatus.PAID and order.total == 514_900
    receipt = client.get(response["Location"])
    assert order.number in receipt.content.decode()
    assert PaymentMethod.objects.filter(user=shopper, last4="4242").exists()
    assert shopper.addresses.count() == 1
    assert "4242 4242 4242 4242" not in str(Checkout.objects.values())


def test_a_returning_shopper_pays_with_the_saved_address_and_card_in_one_more_tap(
    client, shopper, sneaker
):
    # given: a saved address and card
    address_create(user=shopper, data=ADDRESS)
    payment_method_save(user=shopper, token=card_token())
    client.force_login(shopper)
    url = reverse("checkout:buy-now") + f"?variant={variant_of(sneaker).pk}"
    # when: tap 1 opens the checkout in the sheet, tap 2 is "Pay"
    sheet = client.get(url, HTTP_HX_REQUEST="true")
    body = sheet.content.decode()
    data = {
        "idempotency_key": hidden(sheet, "idempotency_key"),
        "seal": hidden(sheet, "seal"),
        "variant": variant_of(sneaker).pk,
        "quantity": 1,
        "address": str(shopper.addresses.get().pk),
        "card": str(PaymentMethod.objects.get(user=shopper).pk),
        "shipping_" + str(sneaker.shop_id): str(ShippingMethod.objects.get().pk),
    }
    paid = client.post(url, data, HTTP_HX_REQUEST="true")
    # then
    assert "Pay ₱5,149.00" in body
    assert "Thank you! Your order is placed." in paid.content.decode()
    assert Order.objects.get(buyer=shopper).status == OrderStatus.PAID


def test_a_declined_card_shows_why_and_leaves_the_cart_intact(client, shopper, sneaker):
    # given
    client.force_login(shopper)
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=variant_of(sneaker).pk)
    page = client.get(reverse("checkout:checkout-page"))
    # when
    response = client.post(
        reverse("checkout:checkout-page"),
        {
            **NEW_CARD,
            "card_number": "4000 0000 0000 0002",
            "idempotency_key": hidden(page, "idempotency_key"),
            "seal": hidden(page, "seal"),
        },
    )
    # then
    body = response.content.decode()
    assert response.status_code == 402
    assert "declined" in body
    assert 'value="4000 0000 0000 0002"' not in body, "the card number is never rendered back"
    assert not Order.objects.exists()
    assert cart.lines.count() == 1


def test_a_price_change_is_explained_before_payment(client, shopper, sneaker):
    # given
    client.force_login(shopper)
    cart = cart_get_or_create(user=shopper)
    variant = variant_of(sneaker)
    cart_add(cart=cart, variant_id=variant.pk)
    page = client.get(reverse("checkout:checkout-page"))
    variant_update(variant=variant, price=529_900)
    # when
    response = client.post(
        reverse("checkout:checkout-page"),
        {
            **NEW_CARD,
            "idempotency_key": hidden(page, "idempotency_key"),
            "seal": hidden(page, "seal"),
        },
    )
    # then
    body = response.content.decode()
    assert response.status_code == 409
    assert "The price of Court Runner changed from ₱4,999.00 to ₱5,299.00." in body
    assert "Pay ₱5,449.00" in body
    assert not Order.objects.exists()


def test_a_double_click_on_pay_makes_one_order(client, shopper, sneaker):
    client.force_login(shopper)
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=variant_of(sneaker).pk)
    page = client.get(reverse("checkout:checkout-page"))
    data = {
        **NEW_CARD,
        "idempotency_key": hidden(page, "idempotency_key"),
        "seal": hidden(page, "seal"),
    }
    first = client.post(reverse("checkout:checkout-page"), data)
    cart_add(cart=cart, variant_id=variant_of(sneaker).pk)  # the cart changed meanwhile
    second = client.post(reverse("checkout:checkout-page"), data)
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1


def test_a_card_that_asks_for_confirmation_goes_through_the_confirmation_step(
    client, shopper, sneaker
):
    client.force_login(shopper)
    url = reverse("checkout:buy-now") + f"?variant={variant_of(sneaker).pk}"
    page = client.get(url)
    pay = client.post(
        url,
        {
            **NEW_CARD,
            "card_number": "4000 0025 0000 3155",
            "idempotency_key": hidden(page, "idempotency_key"),
            "seal": hidden(page, "seal"),
            "variant": variant_of(sneaker).pk,
        },
    )
    confirm_page = client.get(pay["Location"])
    done = client.post(pay["Location"], {"confirm": "1", "token": hidden(confirm_page, "token")})
    assert "/confirm/" in pay["Location"]
    assert "Confirm payment" in confirm_page.content.decode()
    assert done.status_code == 302
    assert Order.objects.get().status == OrderStatus.PAID


def test_another_shoppers_receipt_is_not_found(client, shopper, other_owner, sneaker):
    client.force_login(shopper)
    url = reverse("checkout:buy-now") + f"?variant={variant_of(sneaker).pk}"
    page = client.get(url)
    pay = client.post(
        url,
        {
            **NEW_CARD,
            "idempotency_key": hidden(page, "idempotency_key"),
            "seal": hidden(page, "seal"),
            "variant": variant_of(sneaker).pk,
        },
    )
    client.force_login(other_owner)
    assert client.get(pay["Location"]).status_code == 404


def test_cart_page_costs_the_same_queries_for_one_or_many_items(
    client, shopper, shop, other_shop, django_assert_max_num_queries
):
    # given
    client.force_login(shopper)
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=variant_of(make_product(shop, stock=5)).pk)
    client.get(reverse("checkout:cart-detail"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("checkout:cart-detail"))
    for owner_shop in (shop, other_shop) * 4:
        cart_add(cart=cart, variant_id=variant_of(make_product(owner_shop, stock=5)).pk)
    # when
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("checkout:cart-detail"))
    # then
    assert page.status_code == 200
    assert len(many) == len(one) == 14


# --- staff ----------------------------------------------------------------------------------


def test_owner_adds_a_shipping_method_and_sets_the_tax_rate(client, owner, shop):
    client.force_login(owner)
    url = reverse("checkout:staff-shipping", args=[shop.slug])
    added = client.post(
        url, {"name": "Express", "price": "350.00", "free_above": "", "is_active": "on"}
    )
    taxed = client.post(url, {"tax_rate": "12"})
    shop.refresh_from_db()
    assert added.status_code == taxed.status_code == 302
    method = ShippingMethod.objects.get(shop=shop)
    assert (method.name, method.price, method.free_above) == ("Express", 35_000, None)
    assert shop.tax_rate_bp == 1_200


def test_a_negative_shipping_price_is_refused_with_a_message(client, owner, shop):
    client.force_login(owner)
    response = client.post(
        reverse("checkout:staff-shipping", args=[shop.slug]), {"name": "Express", "price": "-1"}
    )
    assert response.status_code == 422
    assert "A price cannot be negative." in response.content.decode()
    assert not ShippingMethod.objects.exists()


@pytest.mark.parametrize("name", [p.name for p in STAFF_URLS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_of_another_shop_get_404_on_every_shipping_url(
    client, shop, other_owner, other_shop, name, method
):
    # given: the shop's own shipping method and product; someone of another shop
    theirs = shipping_method_create(shop=shop, data={"name": "Standard", "price": 100})
    product = make_product(shop, stock=1)
    client.force_login(other_owner)
    pattern = str(next(p.pattern for p in STAFF_URLS if p.name == name))
    kwargs = {}
    if "<int:method_id>" in pattern:
        kwargs["method_id"] = theirs.pk
    if "<int:product_id>" in pattern:
        kwargs["product_id"] = product.pk
    # when
    on_their_url = getattr(client, method)(
        reverse(f"checkout:{name}", kwargs={"shop_slug": other_shop.slug, **kwargs})
    )
    on_the_shops_url = getattr(client, method)(
        reverse(f"checkout:{name}", kwargs={"shop_slug": shop.slug, **kwargs})
    )
    # then
    if kwargs and not (method == "get" and name.endswith("delete")):  # GET there is 405
        assert on_their_url.status_code == 404, "another shop's method is not found"
    assert on_the_shops_url.status_code == 404
    assert ShippingMethod.objects.filter(pk=theirs.pk).exists()
    assert not hasattr(product, "drop") or product.drop is None


# --- drops ------------------------------------------------------------------------------------


def test_buy_now_before_a_drop_opens_says_when_it_opens(client, shopper, sneaker):
    from datetime import timedelta

    from django.utils import timezone

    from plaza.inventory.services import drop_set

    drop_set(product=sneaker, release_at=timezone.now() + timedelta(days=1))
    client.force_login(shopper)
    response = client.get(
        reverse("checkout:buy-now") + f"?variant={variant_of(sneaker).pk}",
        HTTP_HX_REQUEST="true",
    )
    assert "This drop opens on" in response.content.decode()
    assert not Checkout.objects.exists()


def test_a_full_drop_line_sends_the_shopper_to_wait_and_back_on_their_turn(
    client, shopper, other_owner, sneaker
):
    # given: one shopper at a time, and someone else is checking out
    from django.utils import timezone

    from plaza.checkout.services import checkout_hold
    from plaza.inventory.models import DropTicket
    from plaza.inventory.services import drop_set

    drop_set(product=sneaker, release_at=timezone.now(), queue_size=1)
    variant = variant_of(sneaker)
    checkout_hold(buyer=other_owner, lines=[(variant.pk, 1)])
    client.force_login(shopper)
    url = reverse("checkout:buy-now") + f"?variant={variant.pk}"
    # when
    sent = client.get(url)
    line = client.get(sent["Location"])
    DropTicket.objects.filter(user=other_owner).update(done_at=timezone.now())
    turn = client.get(sent["Location"])
    # then
    assert "/checkout/line/" in sent["Location"]
    assert "You are in line" in line.content.decode()
    assert "1 shopper is ahead of you" in line.content.decode()
    assert turn.status_code == 302 and turn["Location"] == url


def test_buy_now_after_the_last_unit_answers_sold_out_from_the_cache(
    client, shopper, sneaker, caplog
):
    from plaza.checkout.services import checkout_hold

    variant = variant_of(sneaker)
    checkout_hold(buyer=UserFactory(), lines=[(variant.pk, 3)])
    assert checkout_hold(buyer=shopper, lines=[(variant.pk, 1)]) is None
    client.force_login(shopper)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("checkout:buy-now") + f"?variant={variant.pk}")
    assert response.status_code == 409
    assert "Every unit has found a buyer." in response.content.decode()
    # an answer shoppers expect: no warning in the log for each of a stampede's presses
    assert [r for r in caplog.records if r.name == "django.request"] == []


def test_buy_now_in_the_sheet_after_the_last_unit_reads_no_ones_row(client, shopper, sneaker):
    # given: someone else holds the last units, and the shopper was told so once
    from plaza.checkout.services import checkout_hold

    variant = variant_of(sneaker)
    checkout_hold(buyer=UserFactory(), lines=[(variant.pk, 3)])
    assert checkout_hold(buyer=shopper, lines=[(variant.pk, 1)]) is None
    client.force_login(shopper)
    # when: they press Buy now again in the feed's product sheet
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("checkout:buy-now") + f"?variant={variant.pk}", headers={"HX-Request": "true"}
        )
    # then: sold out, from the cache; the only row read is the session's (none with Redis)
    assert response.status_code == 409
    assert "Every unit has found a buyer." in response.content.decode()
    tables = {q["sql"].split(" FROM ")[1].split()[0] for q in queries.captured_queries}
    assert tables <= {'"django_session"'}, queries.captured_queries


def test_the_line_page_refuses_to_send_the_shopper_to_another_site(client, shopper, sneaker):
    from django.utils import timezone

    from plaza.inventory.services import drop_set

    drop = drop_set(product=sneaker, release_at=timezone.now(), queue_size=5)
    client.force_login(shopper)
    response = client.get(
        reverse("checkout:drop-line", args=[drop.pk]) + "?next=https://evil.example/"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("checkout:cart-detail")


def test_staff_make_a_product_a_drop_and_end_it(client, owner, shop):
    # given
    product = make_product(shop, title="Court Classic", stock=10)
    client.force_login(owner)
    url = reverse("checkout:staff-product-drop", args=[shop.slug, product.pk])
    # when
    saved = client.post(
        url, {"release_at": "2030-01-01T18:00", "per_customer_limit": "2", "queue_size": "50"}
    )
    page = client.get(url)
    ended = client.post(url, {"remove": "1"})
    # then
    assert saved.status_code == 302
    assert "Released on" in page.content.decode()
    assert ended.status_code == 302
    from plaza.inventory.models import Drop

    assert not Drop.objects.filter(product=product).exists()


def test_a_drop_without_a_release_time_is_refused_with_a_message(client, owner, shop):
    product = make_product(shop, stock=10)
    client.force_login(owner)
    response = client.post(
        reverse("checkout:staff-product-drop", args=[shop.slug, product.pk]),
        {"release_at": "", "per_customer_limit": "0"},
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_a_drop_shows_a_countdown_and_disabled_buttons_until_its_release(client, sneaker):
    from datetime import timedelta

    from django.utils import timezone

    from plaza.inventory.services import drop_set

    drop_set(product=sneaker, release_at=timezone.now() + timedelta(hours=2), per_customer_limit=1)
    page = client.get(
        reverse("storefront:product", kwargs={"shop_slug": "kicks", "slug": sneaker.slug})
    ).content.decode()
    assert "This drop opens on" in page
    assert "plazaDrop(" in page
    buy_now_button = re.search(r'<button class="btn co-now"[^>]*>', page).group(0)
    assert " disabled" in buy_now_button
