"""Shop staff on a phone: logging in, adding a product with sizes and a photo, editing prices
in bulk; and a shopper signing up."""

import re

import pytest
from playwright.sync_api import expect

from plaza.accounts.models import User
from plaza.accounts.services import shop_create
from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.models import Product, Variant
from plaza.inventory.models import Stock

PASSWORD = "correct horse battery"


@pytest.fixture
def mara(transactional_db):
    """Mara, who owns the shop Kicks Manila."""
    user = UserFactory(email="mara@kicks.test", display_name="Mara")
    shop_create(
        owner=user,
        name="Kicks Manila",
        slug="kicks",
        currency="PHP",
        language="en",
        description="Sneakers and court shoes, picked one pair at a time in Manila.",
    )
    return user


def test_staff_logs_in_adds_a_product_with_two_sizes_and_a_photo_and_finds_it_in_the_shop(
    page, mara, photo_file, screenshot
):
    """Mara logs in with the e-mail form, goes to her back office from the top bar, adds
    "Trail Runner" in sizes 41 and 42 (the variant rows follow the options as she types) with a
    photo; it is listed in the back office and, with its photo, in the shop."""
    page.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name="Sign In")).to_be_visible()
    page.get_by_label("Email").fill("mara@kicks.test")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "06-login")
    page.get_by_role("button", name="Sign In").click()

    top_bar = page.get_by_role("navigation", name="Account")
    expect(top_bar.get_by_role("link", name="My shop")).to_be_visible()
    expect(top_bar.get_by_role("link", name="Log in")).to_have_count(0)
    top_bar.get_by_role("link", name="My shop").click()

    expect(page.get_by_role("heading", level=1, name="Home")).to_be_visible()
    expect(page.locator(".bo-shop-name")).to_contain_text("Kicks Manila")
    expect(page.get_by_role("heading", name="Get your shop ready")).to_be_visible()
    screenshot(page, "07-backoffice-home")

    page.locator(".bo-page-head").get_by_role("link", name="Add a product").click()
    expect(page.get_by_role("heading", level=1, name="Add a product")).to_be_visible()
    page.get_by_label("Title").fill("Trail Runner")
    page.get_by_label("Description").fill("A light trail shoe with a grippy sole, for wet paths.")
    page.get_by_label("Brand").fill("Kicks Manila")
    page.get_by_label("Status").select_option(label="Active")

    variants = page.locator(".bo-variant-table tbody tr")
    expect(variants).to_have_count(1)
    expect(variants.first).to_contain_text("Default")
    page.get_by_label(re.compile(r"^Option 1\b")).fill("Size")
    page.get_by_label(re.compile(r"^Values of option 1\b")).fill("41, 42")
    expect(variants).to_have_count(2)
    for row, size, stock in ((variants.nth(0), "41", "3"), (variants.nth(1), "42", "4")):
        expect(row.locator(".row-title")).to_have_text(size)
        row.get_by_label("SKU").fill(f"KM-TRAIL-{size}")
        row.get_by_label("Price", exact=True).fill("3200")
        row.get_by_label("Stock").fill(stock)
    page.get_by_role("region", name="Images").get_by_label("Images").set_input_files(
        photo_file("trail-runner.png", ("#fdba74", "#9a3412"))
    )
    page.get_by_role("heading", name="Variants").scroll_into_view_if_needed()
    screenshot(page, "08-product-create")
    page.get_by_role("button", name="Save the product").click()

    expect(page.get_by_role("status")).to_contain_text("The product Trail Runner is saved.")
    expect(page.get_by_role("heading", level=1, name="Trail Runner")).to_be_visible()
    product = Product.objects.get(shop__slug="kicks", title="Trail Runner")
    assert product.status == "active"
    assert sorted(product.variants.values_list("sku", "price")) == [
        ("KM-TRAIL-41", 320000),
        ("KM-TRAIL-42", 320000),
    ]
    assert product.images.count() == 1
    assert sorted(
        Stock.objects.filter(variant__product=product).values_list("variant__sku", "quantity")
    ) == [("KM-TRAIL-41", 3), ("KM-TRAIL-42", 4)]

    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Products").click()
    expect(page.get_by_role("heading", level=1, name="Products")).to_be_visible()
    row = page.locator(".bo-products tbody tr", has_text="Trail Runner")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("2 variants")
    expect(row).to_contain_text("₱3,200.00")
    expect(row).to_contain_text("7 in stock")
    expect(row.locator("img.thumb")).to_be_visible()
    screenshot(page, "09-product-list")

    page.locator(".bo-switcher summary").click()
    page.get_by_role("link", name="View the shop").click()
    expect(page.get_by_role("heading", level=1, name="Kicks Manila")).to_be_visible()
    card = page.get_by_role("region", name="Products").get_by_role(
        "link", name=re.compile("Trail Runner")
    )
    expect(card).to_contain_text("₱3,200.00")
    photo = card.locator("img")
    expect(photo).to_be_visible()
    expect(photo).to_have_attribute("src", re.compile(r"^/media/.+_thumb\.jpg$"))
    photo.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    screenshot(page, "11-shop-with-new-product")


def test_staff_raises_prices_by_ten_percent_after_a_preview(
    page, mara, add_product, login_as, screenshot
):
    """On the product list Mara selects two products and opens the bulk editor; a 10% rise
    previews every price as old -> new and saves nothing; Apply saves exactly the preview."""
    shop = mara.memberships.get().shop
    add_product(shop, "Canvas Slip-On", price=185000, sku="KM-SLIP", colors=("#bfdbfe", "#1e3a8a"))
    court = add_product(
        shop,
        "Court Classic",
        price=450000,
        sku="KM-COURT",
        sizes={"41": 2, "42": 12},
        colors=("#99f6e4", "#0f766e"),
    )
    add_product(shop, "Trail Runner GTX", price=620000, sku="KM-GTX", colors=("#fed7aa", "#c2410c"))
    login_as(mara)

    page.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="My shop").click()
    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Products").click()
    expect(page.get_by_text("3 products")).to_be_visible()
    page.get_by_role("checkbox", name="Select Court Classic").check()
    page.get_by_role("checkbox", name="Select Canvas Slip-On").check()
    page.get_by_role("button", name="Edit prices and stock of the selected").click()

    expect(page.get_by_role("heading", level=1, name="Edit prices and stock")).to_be_visible()
    rows = page.locator(".bo-bulk-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator(".bo-bulk-table")).not_to_contain_text("Trail Runner GTX")
    page.get_by_label("Change every price by").fill("10")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("status")).to_have_text(
        "Preview: 3 variants will change. Nothing is saved until you apply."
    )
    court_41 = rows.filter(has_text="KM-COURT-41")
    expect(court_41.locator(".bo-diff")).to_have_text("₱4,500.00 → ₱4,950.00")
    expect(court_41.get_by_label("Price", exact=True)).to_have_value("4950.00")
    expect(rows.filter(has_text="KM-SLIP").locator(".bo-diff")).to_have_text(
        "₱1,850.00 → ₱2,035.00"
    )
    expect(page.get_by_label("Change every price by")).to_have_value("")
    assert set(Variant.objects.filter(product=court).values_list("price", flat=True)) == {450000}
    screenshot(page, "10-bulk-edit-preview")

    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", level=1, name="Products")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("3 variants updated.")
    products = page.locator(".bo-products tbody tr")
    expect(products.filter(has_text="Court Classic")).to_contain_text("₱4,950.00")
    expect(products.filter(has_text="Canvas Slip-On")).to_contain_text("₱2,035.00")
    expect(products.filter(has_text="Trail Runner GTX")).to_contain_text("₱6,200.00")
    assert dict(Variant.objects.filter(product__shop=shop).values_list("sku", "price")) == {
        "KM-SLIP": 203500,
        "KM-COURT-41": 495000,
        "KM-COURT-42": 495000,
        "KM-GTX": 620000,
    }


def test_a_shopper_signs_up_with_the_form_and_lands_logged_in(page, transactional_db, mailoutbox):
    """A visitor taps "Sign up", gives an e-mail and a password twice, and comes back to the
    home page logged in; a confirmation e-mail is on its way."""
    page.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", level=1, name="Sign Up")).to_be_visible()
    page.get_by_label("Email").fill("lea@example.com")
    page.get_by_label("Password", exact=True).fill("mango-sunrise-2049")
    page.get_by_label("Password (again)").fill("mango-sunrise-2049")
    page.get_by_role("button", name="Sign Up").click()

    expect(page).to_have_url(re.compile(r"/$"))
    top_bar = page.get_by_role("navigation", name="Account")
    expect(top_bar.get_by_role("link", name="Account")).to_be_visible()
    expect(top_bar.get_by_role("link", name="Log in")).to_have_count(0)
    expect(top_bar.get_by_role("link", name="My shop")).to_have_count(0)
    user = User.objects.get(email="lea@example.com")
    assert user.check_password("mango-sunrise-2049")
    assert [message.to for message in mailoutbox] == [["lea@example.com"]]
