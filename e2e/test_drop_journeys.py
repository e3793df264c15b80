"""A drop on a phone: the product page counts down with its buttons off, comes alive at the
release time, and a returning shopper buys in two taps; the second pair is refused by the
per-customer limit."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from plaza.accounts.services import address_create, shop_create
from plaza.accounts.tests.factories import UserFactory
from plaza.checkout.services import shipping_method_create
from plaza.inventory.services import drop_set
from plaza.orders.models import Order
from plaza.payments.services import payment_method_save
from plaza.payments.tests.factories import card_token

HOME = {"full_name": "Lea Santos", "line1": "12 Mabini St", "city": "Makati", "country": "PH"}


@pytest.fixture
def drop(transactional_db, add_product):
    owner = UserFactory(email="mara@kicks.test")
    shop = shop_create(owner=owner, name="Kicks Manila", slug="kicks", currency="PHP")
    shipping_method_create(shop=shop, data={"name": "Standard", "price": 15_000})
    product = add_product(
        shop,
        "Jordan Low Drop",
        price=899_900,
        sku="KM-JD",
        sizes={"42": 20},
        colors=("#fde68a", "#b45309"),
    )
    drop_set(
        product=product,
        release_at=timezone.now() + timedelta(seconds=15),  # margin for a loaded machine
        per_customer_limit=1,
    )
    return product


def test_a_drop_counts_down_then_sells_one_pair_per_customer(page, drop, login_as, screenshot):
    # given: a returning shopper on the drop's page before the release
    shopper = UserFactory(email="lea@plaza.test")
    address_create(user=shopper, data=HOME)
    payment_method_save(user=shopper, token=card_token())
    login_as(shopper)
    page.goto(f"/s/kicks/p/{drop.slug}/")
    buy = page.get_by_role("button", name="Buy now")
    # then: a running countdown, the buttons off
    expect(page.get_by_text(re.compile(r"Opens in 00:00:[01]\d"))).to_be_visible()
    expect(buy).to_be_disabled()
    expect(page.get_by_role("button", name="Add to cart")).to_be_disabled()
    expect(page.get_by_text("Limited release")).to_have_count(0)
    page.evaluate("document.querySelector('.co-buy').scrollIntoView({block: 'center'})")
    screenshot(page, "23-drop-countdown")

    # when: the release time passes, without reloading
    expect(buy).to_be_enabled(timeout=25_000)
    buy.click()
    expect(page).to_have_url(re.compile(r"/checkout/buy/"))
    page.get_by_role("button", name="Pay ₱9,149.00").click()

    # then
    expect(page.get_by_role("heading", name="Thank you! Your order is placed.")).to_be_visible()
    assert Order.objects.get(buyer=shopper).status == "paid"

    # when: the same shopper tries for a second pair
    page.goto(f"/s/kicks/p/{drop.slug}/")
    expect(page.get_by_text("Limited release: 1 per customer.")).to_be_visible()
    page.get_by_role("button", name="Buy now").click()

    # then: refused before anything is held or charged
    expect(page.get_by_text("you have it already")).to_be_visible()
    assert Order.objects.filter(buyer=shopper).count() == 1
