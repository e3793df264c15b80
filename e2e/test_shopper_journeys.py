"""A visitor on a phone: from the home page to a shop, a product and its variants, in English
then in French; and a search in Japanese script."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.conftest import COURT_CLASSIC
from plaza.accounts.services import shop_create
from plaza.accounts.tests.factories import UserFactory
from plaza.core.money import format_money

FRENCH_CATALOG = Path(__file__).resolve().parent.parent / "locale/fr/LC_MESSAGES/django.mo"


@pytest.fixture
def plaza_shops(transactional_db, add_product):
    """Three small shops with photos, stock and translations, as a visitor finds them."""
    kicks = shop_create(
        owner=UserFactory(email="mara@kicks.test"),
        name="Kicks Manila",
        slug="kicks",
        currency="PHP",
        language="en",
        description="Sneakers and court shoes, picked one pair at a time in Manila.",
    )
    belle = shop_create(
        owner=UserFactory(email="claire@bellepeau.test"),
        name="Belle Peau",
        slug="belle",
        currency="EUR",
        language="fr",
        description="Soins naturels fabriqués à Lyon.",
    )
    tea = shop_create(
        owner=UserFactory(email="yuki@teacorner.test"),
        name="Tea Corner",
        slug="tea-corner",
        currency="JPY",
        language="en",
        description="Matcha, hojicha and sweets from Uji.",
    )
    add_product(
        belle, "Savon au lait d'ânesse", price=850, sku="BP-SAVON", colors=("#fbcfe8", "#be185d")
    )
    add_product(
        belle,
        "Crème hydratante à l'aloe",
        price=1250,
        sku="BP-CREME",
        colors=("#d9f99d", "#3f6212"),
    )
    add_product(
        tea,
        "Iced matcha latte",
        price=650,
        sku="TC-LATTE",
        colors=("#bbf7d0", "#166534"),
        description="Stone-ground Uji matcha over oat milk and ice.",
        translations={"ja": ("抹茶ラテ（アイス）", "宇治抹茶とオーツミルクのアイスラテ。")},
    )
    add_product(
        tea,
        "Hojicha cookies",
        price=480,
        sku="TC-COOKIE",
        colors=("#fde68a", "#92400e"),
        translations={"ja": ("ほうじ茶クッキー", "")},
    )
    add_product(kicks, "Canvas Slip-On", price=185000, sku="KM-SLIP", colors=("#bfdbfe", "#1e3a8a"))
    add_product(
        kicks,
        "Trail Runner GTX",
        price=620000,
        sku="KM-TRAIL",
        sizes={"40": 3, "41": 8},
        colors=("#fed7aa", "#c2410c"),
    )
    court = add_product(
        kicks,
        "Court Classic",
        **COURT_CLASSIC,
        brand="Kicks Manila",
        description="Clean leather low-tops with a cushioned sole. Runs true to size.",
        translations={
            "fr": (
                "Baskets Court Classic",
                "Baskets basses en cuir lisse, semelle amortie. Taille normalement.",
            )
        },
    )
    return {"kicks": kicks, "belle": belle, "tea": tea, "court": court}


def test_visitor_browses_to_a_product_picks_a_size_and_reads_it_in_french(
    page, plaza_shops, screenshot
):
    """From the home page a visitor taps a shop, then a product; the size picker shows the
    stock of each size, a sold-out size cannot be picked; the footer switches to French, and
    the page shows the French title and a French-formatted price."""
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shops = page.get_by_role("region", name="Shops")
    expect(shops.get_by_role("link", name=re.compile("Kicks Manila"))).to_contain_text("3 products")
    expect(page.get_by_role("region", name="New arrivals")).to_contain_text("Court Classic")
    screenshot(page, "01-home")

    shops.get_by_role("link", name=re.compile("Kicks Manila")).click()
    expect(page.get_by_role("heading", level=1, name="Kicks Manila")).to_be_visible()
    expect(page.get_by_text("Sneakers and court shoes, picked one pair at a time")).to_be_visible()
    products = page.get_by_role("region", name="Products")
    court_card = products.get_by_role("link", name=re.compile("Court Classic"))
    expect(court_card).to_contain_text("₱4,500.00")
    expect(products.get_by_role("link", name=re.compile("Trail Runner GTX"))).to_contain_text(
        "₱6,200.00"
    )
    expect(products.get_by_role("link", name=re.compile("Belle Peau|matcha"))).to_have_count(0)
    screenshot(page, "02-shop")

    court_card.click()
    expect(page.get_by_role("heading", level=1, name="Court Classic")).to_be_visible()
    # The price and stock line of the chosen size (the other sizes' lines are hidden).
    offer = page.locator(".sf-offer-line").filter(visible=True)
    # The first size in stock is chosen: 41, with 2 pairs left.
    expect(page.get_by_role("radio", name="41")).to_be_checked()
    expect(offer).to_have_count(1)
    expect(offer).to_contain_text("₱4,500.00")
    expect(offer).to_contain_text("Only 2 left")
    # Size 43 is sold out: shown, but it cannot be picked.
    expect(page.get_by_role("radio", name="43")).to_be_disabled()

    page.get_by_role("radio", name="42").check()
    expect(offer).to_contain_text("In stock")
    expect(offer).not_to_contain_text("Only 2 left")
    expect(page.get_by_role("group", name=re.compile("Size"))).to_contain_text("Size: 42")
    forty_two = plaza_shops["court"].variants.get(sku="KM-COURT-42")
    expect(page).to_have_url(re.compile(rf"\?variant={forty_two.pk}$"))
    screenshot(page, "03-product")

    page.get_by_label("Language").select_option(label="français")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1, name="Baskets Court Classic")).to_be_visible()
    expect(page.get_by_text("Baskets basses en cuir lisse")).to_be_visible()
    french_price = format_money(450000, "PHP", "fr")
    assert french_price == "4\u202f500,00\xa0PHP"
    expect(offer.locator(".sf-price-now")).to_have_text(french_price)
    # The interface speaks French, and the size picked before the switch is still chosen.
    expect(page.get_by_role("link", name="Se connecter", exact=True)).to_be_visible()
    expect(page.get_by_role("radio", name="42")).to_be_checked()
    expect(offer).to_contain_text("En stock")
    page.get_by_role("heading", level=1).scroll_into_view_if_needed()
    screenshot(page, "04-product-fr")


def test_the_chosen_size_survives_a_language_switch(page, plaza_shops):
    """A shopper who picked size 42 and switches to French still sees size 42."""
    court = plaza_shops["court"]
    page.goto(f"/s/kicks/p/{court.slug}/")
    page.get_by_role("radio", name="42").check()
    expect(page).to_have_url(re.compile(r"\?variant=\d+$"))

    page.get_by_label("Language").select_option(label="français")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("radio", name="42")).to_be_checked(timeout=2_000)


def test_search_in_japanese_script_finds_the_product_by_its_japanese_title(
    page, plaza_shops, screenshot
):
    """Searching "抹茶" from the top bar finds the latte whose Japanese title is 抹茶ラテ, and
    nothing else; in Japanese the card shows that title and a yen price."""
    page.goto("/")
    search = page.get_by_role("searchbox", name="Search products")
    search.fill("抹茶")
    search.press("Enter")

    expect(page.get_by_role("heading", level=1, name="Search")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("1 result for “抹茶”")
    results = page.locator(".sf-grid")
    expect(results.get_by_role("link")).to_have_count(1)
    expect(results.get_by_role("link", name=re.compile("Iced matcha latte"))).to_contain_text(
        "¥650"
    )
    expect(results).not_to_contain_text("Hojicha cookies")

    page.get_by_label("Language").select_option(label="日本語")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    card = results.get_by_role("link")
    expect(card).to_contain_text("抹茶ラテ（アイス）")
    expect(card).to_contain_text(format_money(650, "JPY", "ja"))
    expect(page.get_by_role("searchbox").first).to_have_value("抹茶")
    screenshot(page, "05-search-cjk")
