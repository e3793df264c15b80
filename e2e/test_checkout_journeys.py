"""Buying on a phone: a new shopper signs up and buys from a post in the feed; a returning
shopper buys in two taps; staff fulfil the order; a cart of two shops becomes two orders on
one checkout; a declined card leaves no order and the cart as it was."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from e2e.conftest import photo_png
from plaza.accounts.models import Address
from plaza.accounts.services import address_create, shop_create
from plaza.accounts.tests.factories import UserFactory
from plaza.checkout.models import CartLine, Checkout
from plaza.checkout.services import shipping_method_create
from plaza.orders.models import Order
from plaza.payments.models import PaymentMethod
from plaza.payments.services import payment_method_save
from plaza.payments.tests.factories import card_token
from plaza.social.models import Comment, Follow
from plaza.social.services import TagInput, post_create, post_publish

PASSWORD = "mango-sunrise-2049"
HOME = {
    "full_name": "Lea Santos",
    "line1": "12 Mabini St",
    "city": "Makati",
    "postal_code": "1200",
    "country": "PH",
    "phone": "+63 917 555 0101",
}


@pytest.fixture
def kicks(kicks_court):
    """Kicks Manila (owner Mara), with a shipping method, the Court Classic in three sizes and
    a published post that tags it."""
    shop, mara, court = kicks_court["shop"], kicks_court["owner"], kicks_court["court"]
    photo = SimpleUploadedFile(
        "court.png", photo_png(("#99f6e4", "#0f766e")), content_type="image/png"
    )
    post = post_publish(
        post=post_create(
            shop=shop,
            author=mara,
            caption="Back in stock: the Court Classic #sneakers",
            media=[photo],
            tags=[TagInput(product_id=court.pk, x=0.5, y=0.55)],
        )
    )
    return {"shop": shop, "owner": mara, "court": court, "post": post}


@pytest.fixture
def returning_shopper(transactional_db):
    """Lea, with a saved default address and a saved default test card."""
    lea = UserFactory(email="lea@example.com", display_name="Lea")
    address_create(user=lea, data=HOME, make_default=True)
    payment_method_save(user=lea, token=card_token(), make_default=True)
    return lea


def variant(product, size: str):
    return product.variants.get(option_values__Size=size)


def open_the_tag(page, post) -> None:
    """On the feed, tap the tag dot on the post's photo: the product sheet opens."""
    card = page.locator(f"#post-{post.pk}")
    card.get_by_role("link", name="Shop this product").first.click()
    expect(page.locator("#sc-sheet")).to_be_visible()
    expect(
        page.locator("#sc-sheet-body").get_by_role("heading", name="Court Classic")
    ).to_be_visible()


def test_a_new_shopper_signs_up_joins_in_on_the_feed_and_buys_from_a_post(page, kicks, screenshot):
    """Lea signs up, follows Kicks Manila, likes and comments its post, taps the tag, picks
    size 42 and "Buy now" in the sheet, fills the one short form (address and test card, both
    saved), pays, reads the thank-you in the sheet, and finds the order in "My orders"."""
    post = kicks["post"]
    # given: a visitor signs up
    page.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("lea@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(
        page.get_by_role("navigation", name="Account").get_by_role("link", name="Account")
    ).to_be_visible()

    # when: she follows the shop, likes the post and comments it
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Feed").click()
    card = page.locator(f"#post-{post.pk}")
    card.get_by_role("button", name="Follow Kicks Manila").click()
    expect(card.get_by_role("button", name="Following Kicks Manila")).to_be_visible()
    card.locator("button.sc-like").click()
    expect(card.locator("button.sc-like")).to_have_attribute("aria-pressed", "true")
    card.get_by_role("link", name=re.compile("^Comments")).click()
    page.get_by_label("Add a comment").fill("Do they run true to size?")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#comments")).to_contain_text("Do they run true to size?")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Feed").click()

    # and: taps the tag, chooses size 42 and "Buy now"
    open_the_tag(page, post)
    sheet = page.locator("#sc-sheet-body")
    expect(sheet.get_by_role("radio", name=re.compile(r"^43"))).to_be_disabled()
    sheet.get_by_role("radio", name=re.compile(r"^42")).check()
    sheet.get_by_role("button", name="Buy now").click()

    # then: the one short form opens in the sheet, with the item and its total
    expect(sheet.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(sheet.get_by_role("region", name="Kicks Manila")).to_contain_text("42 · 1 × ₱4,500.00")
    expect(sheet.get_by_role("region", name="Kicks Manila")).to_contain_text("₱4,650.00")
    sheet.get_by_label("Full name").fill(HOME["full_name"])
    sheet.get_by_label("Address", exact=True).fill(HOME["line1"])
    sheet.get_by_label("City").fill(HOME["city"])
    sheet.get_by_label("Postal code").fill(HOME["postal_code"])
    sheet.get_by_label("Country").select_option("PH")
    sheet.get_by_label("Phone").fill(HOME["phone"])
    sheet.get_by_label("Save this address for next time").check()
    sheet.get_by_label("Card number").fill("4242 4242 4242 4242")
    sheet.get_by_label("Expiry (MM/YY)").fill("12/30")
    sheet.get_by_label("Security code").fill("123")
    sheet.get_by_label("Save this card for next time").check()
    sheet.get_by_label("Full name").scroll_into_view_if_needed()
    screenshot(page, "15-checkout-first-time")
    sheet.get_by_role("button", name="Pay ₱4,650.00").click()

    # then: the receipt, still in the sheet over the feed
    expect(sheet.get_by_role("heading", name="Thank you! Your order is placed.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/feed/"))
    order = Order.objects.get(buyer__email="lea@example.com")
    expect(sheet).to_contain_text(f"Kicks Manila · Order {order.number}")
    expect(sheet).to_contain_text("₱4,650.00 · Paid")
    screenshot(page, "16-receipt")

    sheet.get_by_role("link", name="My orders").click()
    expect(page.get_by_role("heading", level=1, name="My orders")).to_be_visible()
    row = page.locator(".order-row", has_text=order.number)
    expect(row).to_contain_text("Kicks Manila")
    expect(row).to_contain_text("Paid")
    expect(row).to_contain_text("₱4,650.00")

    lea = order.buyer
    assert order.status == "paid"
    assert order.total == 465_000
    assert order.post_id == post.pk
    assert list(order.lines.values_list("variant_id", "quantity")) == [
        (variant(kicks["court"], "42").pk, 1)
    ]
    assert Follow.objects.filter(user=lea, shop=kicks["shop"]).exists()
    assert post.likes.filter(user=lea).exists()
    assert Comment.objects.get(post=post, user=lea).body == "Do they run true to size?"
    saved = Address.objects.get(user=lea)
    assert (saved.line1, saved.city, saved.country, saved.is_default) == (
        "12 Mabini St",
        "Makati",
        "PH",
        True,
    )
    assert PaymentMethod.objects.get(user=lea).last4 == "4242"


def test_a_returning_shopper_buys_from_a_post_in_two_taps(
    page, kicks, returning_shopper, login_as, screenshot
):
    """With a saved address and card, the sheet's "Buy now" (tap 1) shows them chosen and
    "Pay" (tap 2) places the order: the receipt shows in the sheet, over the feed."""
    # given: Lea is logged in and opened the product sheet from the post's tag
    login_as(returning_shopper)
    page.goto("/feed/")
    open_the_tag(page, kicks["post"])
    sheet = page.locator("#sc-sheet-body")
    expect(sheet.get_by_role("radio", name=re.compile(r"^41"))).to_be_checked()
    screenshot(page, "14-sheet-buy-now")
    page.evaluate(
        """() => { window.plazaTaps = 0;
        document.addEventListener("click", (event) => {
          if (event.isTrusted) window.plazaTaps += 1; }, true); }"""
    )

    # when: tap 1, "Buy now"
    sheet.get_by_role("button", name="Buy now").click()
    expect(sheet.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(sheet.get_by_role("radio", name=re.compile("Lea Santos"))).to_be_checked()
    expect(sheet.get_by_role("radio", name=re.compile("4242"))).to_be_checked()
    expect(sheet.get_by_label("Card number")).to_be_hidden()
    # and: tap 2, "Pay"
    sheet.get_by_role("button", name="Pay ₱4,650.00").click()

    # then
    expect(sheet.get_by_role("heading", name="Thank you! Your order is placed.")).to_be_visible()
    assert page.evaluate("window.plazaTaps") == 2
    expect(page).to_have_url(re.compile(r"/feed/$"))
    order = Order.objects.get(buyer=returning_shopper)
    expect(sheet).to_contain_text(f"Order {order.number}")
    assert (order.status, order.total, order.post_id) == ("paid", 465_000, kicks["post"].pk)
    assert order.line1 == "12 Mabini St"


def place_order(buyer, product, size: str, post=None) -> Order:
    """An order placed through the checkout service with the buyer's saved address and card."""
    from plaza.checkout.selectors import quote_build, quote_seal
    from plaza.checkout.services import AddressChoice, PaymentChoice, checkout_complete

    lines = [(variant(product, size).pk, 1, post.pk if post else None)]
    checkout = checkout_complete(
        buyer=buyer,
        idempotency_key=f"e2e-{buyer.pk}-{product.pk}-{size}",
        seal=quote_seal(quote_build(lines=lines, shipping={})),
        address=AddressChoice(address_id=buyer.addresses.get().pk),
        payment=PaymentChoice(method_id=buyer.payment_methods.get().pk),
        lines=lines,
        shipping={},
    )
    return checkout.parts.get().order


def test_staff_fulfil_an_order_and_the_shopper_sees_it_on_the_way(
    page, kicks, returning_shopper, login_as, screenshot
):
    """Mara finds the paid order in her back office, marks it fulfilled with the carrier and
    tracking number; Lea's order page then says "Fulfilled" with the tracking number."""
    # given: Lea bought the Court Classic from the post
    order = place_order(returning_shopper, kicks["court"], "42", kicks["post"])
    login_as(kicks["owner"])

    # when: Mara opens her orders and fulfils it
    page.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="My shop").click()
    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", level=1, name="Orders")).to_be_visible()
    row = page.locator(".order-row", has_text=order.number)
    expect(row).to_contain_text("Paid")
    expect(row).to_contain_text("lea@example.com")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1, name=f"Order {order.number}")).to_be_visible()
    page.get_by_label("Carrier").fill("LBC Express")
    page.get_by_label("Tracking number").fill("LBC-7730-2291")
    page.get_by_role("heading", name="Fulfil").scroll_into_view_if_needed()
    screenshot(page, "19-staff-fulfil")
    page.get_by_role("button", name="Mark as fulfilled").click()
    expect(page.get_by_role("status")).to_contain_text("The order is marked as fulfilled.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fulfilled")

    # then: Lea sees it on her order page
    page.context.clear_cookies()
    login_as(returning_shopper)
    page.goto("/orders/")
    mine = page.locator(".order-row", has_text=order.number)
    expect(mine).to_contain_text("Fulfilled")
    mine.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1, name=f"Order {order.number}")).to_contain_text(
        "Fulfilled"
    )
    expect(page.locator(".order-tracking")).to_have_text("LBC Express · LBC-7730-2291")
    screenshot(page, "20-order-fulfilled")
    order.refresh_from_db()
    assert order.status == "fulfilled"
    assert list(order.fulfillments.values_list("carrier", "tracking_number")) == [
        ("LBC Express", "LBC-7730-2291")
    ]


def test_a_cart_with_two_shops_becomes_two_orders_on_one_checkout(
    page, kicks, add_product, returning_shopper, login_as, screenshot
):
    """Lea adds shoes from Kicks Manila and coffee from Kape Roastery on their product pages
    (the header badge counts 1, then 2); the cart shows both shops; one checkout places one
    order per shop and the receipt lists both."""
    # given: a second shop, in the same currency
    kape = shop_create(
        owner=UserFactory(email="jun@kape.test"), name="Kape Roastery", slug="kape", currency="PHP"
    )
    shipping_method_create(shop=kape, data={"name": "Courier", "price": 9_000})
    beans = add_product(
        kape, "Benguet Arabica 250 g", price=52_000, sku="KR-BENGUET", colors=("#fde68a", "#78350f")
    )
    login_as(returning_shopper)
    badge = page.locator("#cart-count")

    # when: she adds a pair of Court Classic in 42, then the coffee
    page.goto(f"/s/kicks/p/{kicks['court'].slug}/")
    page.get_by_role("radio", name="42").check()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()
    expect(badge).to_have_text("1")
    page.goto(f"/s/kape/p/{beans.slug}/")
    page.get_by_role("button", name="Add to cart").click()
    expect(badge).to_have_text("2")
    expect(badge).to_be_visible()

    # then: the cart holds both shops, each with its shipping
    page.get_by_role("navigation", name="Account").get_by_role(
        "link", name=re.compile("Cart")
    ).click()
    expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()
    kicks_part = page.get_by_role("region", name="Kicks Manila")
    kape_part = page.get_by_role("region", name="Kape Roastery")
    expect(kicks_part).to_contain_text("Court Classic")
    expect(kicks_part).to_contain_text("₱4,650.00")
    expect(kape_part).to_contain_text("Benguet Arabica 250 g")
    expect(kape_part).to_contain_text("₱610.00")
    expect(page.get_by_text("One order per shop: 2 orders.")).to_be_visible()
    expect(page.locator(".co-grand")).to_contain_text("₱5,260.00")
    screenshot(page, "17-cart-two-shops", full_page=True)

    # when: she checks out with her saved address and card
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    page.get_by_role("button", name="Pay ₱5,260.00").click()

    # then: one receipt, two orders
    expect(page.get_by_role("heading", name="Thank you! Your order is placed.")).to_be_visible()
    receipt = page.locator(".co-orders li")
    expect(receipt).to_have_count(2)
    expect(receipt.filter(has_text="Kicks Manila")).to_contain_text("₱4,650.00 · Paid")
    expect(receipt.filter(has_text="Kape Roastery")).to_contain_text("₱610.00 · Paid")
    expect(badge).to_be_hidden()
    checkout = Checkout.objects.get(buyer=returning_shopper)
    orders = Order.objects.filter(buyer=returning_shopper)
    assert sorted(orders.values_list("shop__slug", "total", "status")) == [
        ("kape", 61_000, "paid"),
        ("kicks", 465_000, "paid"),
    ]
    assert {part.order_id for part in checkout.parts.all()} == set(
        orders.values_list("pk", flat=True)
    )
    assert not CartLine.objects.filter(cart__user=returning_shopper).exists()


def test_a_declined_card_leaves_no_order_and_the_cart_as_it_was(page, kicks, login_as, screenshot):
    """Lea pays her cart with the test card that is declined: the checkout page says so, no
    order exists, and the item is still in her cart."""
    # given: Lea (a saved address, no saved card) has a pair in her cart
    lea = UserFactory(email="lea@example.com", display_name="Lea")
    address_create(user=lea, data=HOME, make_default=True)
    login_as(lea)
    page.goto(f"/s/kicks/p/{kicks['court'].slug}/")
    page.get_by_role("radio", name="42").check()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-count")).to_have_text("1")

    # when: she checks out with the card 4000 0000 0000 0002
    page.get_by_role("navigation", name="Account").get_by_role(
        "link", name=re.compile("Cart")
    ).click()
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay ₱4,650.00").click()

    # then: the decline is said on the checkout page, the card number is not kept
    alert = page.locator(".co-alert")
    expect(alert).to_contain_text("declined")
    expect(page.get_by_role("heading", level=1, name="Checkout")).to_be_visible()
    expect(page.get_by_label("Card number")).to_have_value("")
    page.get_by_role("heading", level=1).scroll_into_view_if_needed()
    screenshot(page, "18-declined")
    assert not Order.objects.filter(buyer=lea).exists()
    assert Checkout.objects.get(buyer=lea).status == "failed"

    # and: the cart still holds the pair
    page.get_by_role("link", name="Back to your cart").click()
    expect(page.get_by_role("region", name="Kicks Manila")).to_contain_text("Court Classic")
    expect(page.locator("#cart-count")).to_have_text("1")
    assert list(CartLine.objects.filter(cart__user=lea).values_list("quantity", flat=True)) == [1]
