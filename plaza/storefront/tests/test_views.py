"""The shopper pages: what they show, what they hide, and how many queries they cost."""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from plaza.catalog.models import ProductStatus
from plaza.catalog.services import (
    OptionInput,
    VariantInput,
    category_create,
    product_create,
    product_image_add,
    product_set_translation,
    product_update,
    variant_update,
)
from plaza.catalog.tests.factories import image_upload, make_product
from plaza.inventory.services import stock_bulk_set

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


def _product_url(product):
    return reverse(
        "storefront:product", kwargs={"shop_slug": product.shop.slug, "slug": product.slug}
    )


def _html(response) -> str:
    return response.content.decode()


class _RadioParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.radios: dict[tuple[str, str], set[str]] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "radio":
            key = (attributes["name"], attributes["value"])
            self.radios[key] = {name for name in ("checked", "disabled") if name in attributes}


def _chips(response) -> dict[tuple[str, str], set[str]]:
    """The variant picker's radio chips: (group, value) -> {"checked", "disabled"} as rendered."""
    parser = _RadioParser()
    parser.feed(_html(response))
    return parser.radios


# --- home ----------------------------------------------------------------------------------


def test_home_lists_shops_with_their_product_counts(client, shop, other_shop):
    # given
    make_product(shop, title="Runner")
    make_product(shop, title="Court")
    make_product(other_shop, title="Crème de jour")

    # when
    response = client.get(reverse("storefront:home"))

    # then
    html = _html(response)
    assert response.status_code == 200
    assert "Kicks" in html and "Belle Peau" in html, "every shop with products is listed"
    assert "2 products" in html, "a shop shows how many active products it has"
    assert "1 product<" in html, "the count is singular for one product"
    assert reverse("storefront:shop", kwargs={"shop_slug": "kicks"}) in html


def test_home_shows_newest_active_products_across_shops_first(client, shop, other_shop):
    # given
    make_product(shop, title="Old runner")
    make_product(other_shop, title="New serum")

    # when
    html = _html(client.get(reverse("storefront:home")))

    # then
    assert html.index("New serum") < html.index("Old runner"), "newest products come first"


def test_home_hides_draft_and_archived_products_and_shops_without_products(client, shop, owner):
    # given
    from plaza.accounts.services import shop_create

    make_product(shop, title="Secret draft", status=ProductStatus.DRAFT)
    archived = make_product(shop, title="Old archived")
    product_update(product=archived, status=ProductStatus.ARCHIVED)
    shop_create(owner=owner, name="Empty Shelf", slug="empty", currency="USD")

    # when
    html = _html(client.get(reverse("storefront:home")))

    # then
    assert "Secret draft" not in html, "drafts are never shown to shoppers"
    assert "Old archived" not in html, "archived products are never shown to shoppers"
    assert "Empty Shelf" not in html, "a shop with nothing for sale is not listed"
    assert "Nothing for sale yet" in html


# --- shop and category pages -----------------------------------------------------------------


def test_shop_page_shows_header_category_chips_and_active_products(client, shop):
    # given
    shoes = category_create(shop=shop, name="Shoes")
    category_create(shop=shop, name="Empty aisle")
    make_product(shop, title="Runner", price=125000, category=shoes)
    make_product(shop, title="Hidden draft", status=ProductStatus.DRAFT)

    # when
    response = client.get(reverse("storefront:shop", kwargs={"shop_slug": "kicks"}))

    # then
    html = _html(response)
    assert response.status_code == 200
    assert "<h1>Kicks</h1>" in html
    assert "Runner" in html and "₱1,250.00" in html, "cards show the title and the price"
    assert "Hidden draft" not in html
    assert (
        reverse("storefront:category", kwargs={"shop_slug": "kicks", "category_slug": "shoes"})
        in html
    ), "categories with products appear as chips"
    assert "Empty aisle" not in html, "a category with nothing in it is not offered"


def test_shop_page_paginates_24_products_per_page(client, shop):
    # given
    for n in range(25):
        make_product(shop, title=f"Sneaker {n:02d}")
    url = reverse("storefront:shop", kwargs={"shop_slug": "kicks"})

    # when
    first = _html(client.get(url))
    second = _html(client.get(url, {"page": 2}))

    # then
    assert first.count('class="sf-card"') == 24, "a page holds 24 products"
    assert "Sneaker 24" in first and "Sneaker 00" not in first, "newest first"
    assert second.count('class="sf-card"') == 1
    assert "Sneaker 00" in second
    assert "Page 2 of 2" in second
    assert 'href="?page=1"' in second, "the previous page is linked"


def test_shop_page_with_a_bad_page_number_shows_a_page_instead_of_an_error(client, shop):
    # given
    make_product(shop, title="Runner")
    url = reverse("storefront:shop", kwargs={"shop_slug": "kicks"})

    # when
    responses = [client.get(url, {"page": page}) for page in ("abc", "999", "-1")]

    # then
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all("Runner" in _html(r) for r in responses)


def test_category_page_shows_only_the_products_of_that_category(client, shop):
    # given
    shoes = category_create(shop=shop, name="Shoes")
    socks = category_create(shop=shop, name="Socks")
    make_product(shop, title="Runner", category=shoes)
    make_product(shop, title="Ankle sock", category=socks)

    # when
    response = client.get(
        reverse("storefront:category", kwargs={"shop_slug": "kicks", "category_slug": "shoes"})
    )

    # then
    html = _html(response)
    assert response.status_code == 200
    assert "<h1>Shoes</h1>" in html
    assert "Runner" in html
    assert "Ankle sock" not in html, "products of other categories are not listed"
    assert 'aria-current="page">Shoes<' in html, "the chip of the category is marked current"


def test_category_slug_of_another_shop_is_404(client, shop, other_shop):
    # given
    category_create(shop=other_shop, name="Soins")

    # when
    response = client.get(
        reverse("storefront:category", kwargs={"shop_slug": "kicks", "category_slug": "soins"})
    )

    # then
    assert response.status_code == 404, "a category is looked up within the shop of the URL"
    assert "This page does not exist." in _html(response)


def test_missing_shop_is_404(client, db):
    # when
    response = client.get(reverse("storefront:shop", kwargs={"shop_slug": "nowhere"}))

    # then
    assert response.status_code == 404
    assert "Not found" in _html(response), "the site's 404 page is shown"


# --- product page --------------------------------------------------------------------------


def test_product_page_shows_title_description_price_and_struck_compare_at_price(client, shop):
    # given
    product = make_product(shop, title="Runner", price=100000, description="Light\n\nand fast")
    variant_update(variant=product.variants.get(), compare_at_price=125000)

    # when
    response = client.get(_product_url(product))

    # then
    html = _html(response)
    assert response.status_code == 200
    assert ">Runner</h1>" in html
    assert "<p>Light</p>" in html and "<p>and fast</p>" in html, "the description keeps paragraphs"
    assert "₱1,000.00" in html
    assert '<s class="sf-price-was">₱1,250.00</s>' in html, "the compare-at price is struck through"
    assert "-20%" in html, "the saving is shown"
    assert 'href="/s/kicks/"' in html, "the shop is linked"


def test_product_page_in_french_formats_the_price_for_french(client, other_shop):
    # given
    product = make_product(other_shop, title="Crème de jour", price=1250)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    # when
    html = _html(client.get(_product_url(product)))

    # then
    assert f"12,50{NBSP}€" in html, "French puts the euro sign after, with a no-break space"
    assert '<html lang="fr">' in html


def test_product_page_shows_the_translation_of_the_active_language(client, shop):
    # given
    product = make_product(shop, title="Running shoe", description="Light")
    product_set_translation(
        product=product, language="fr", title="Chaussure de course", description="Légère"
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    # when
    html = _html(client.get(_product_url(product)))

    # then
    assert 'lang="fr">Chaussure de course</h1>' in html
    assert "Légère" in html
    assert "Running shoe</h1>" not in html


def test_product_page_falls_back_to_the_shops_own_text(client, shop):
    # given
    product = make_product(shop, title="Running shoe")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"

    # when
    html = _html(client.get(_product_url(product)))

    # then
    assert 'lang="en">Running shoe</h1>' in html, "the shop's text, marked with its language"


def test_product_cards_use_the_active_language(client, shop):
    # given
    product = make_product(shop, title="Running shoe")
    product_set_translation(product=product, language="fr", title="Chaussure de course")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    # when
    html = _html(client.get(reverse("storefront:shop", kwargs={"shop_slug": "kicks"})))

    # then
    assert "Chaussure de course" in html
    assert "Running shoe" not in html


def test_product_page_shows_stock_per_variant_and_disables_sold_out_sizes(client, shop):
    # given
    product = make_product(shop, title="Runner", sizes=("40", "41", "42"))
    v40, v41, v42 = product.variants.all()
    stock_bulk_set(shop=shop, quantities={v40.pk: 20, v41.pk: 3, v42.pk: 0})

    # when
    response = client.get(_product_url(product))

    # then
    html = _html(response)
    assert "In stock" in html
    assert "Only 3 left" in html
    assert "Sold out" in html
    assert '<legend>Size<span class="sf-option-chosen">: <span x-text="chosen[0]">40</span>' in html
    assert _chips(response) == {
        ("option-0", "40"): {"checked"},
        ("option-0", "41"): set(),
        ("option-0", "42"): {"disabled"},
    }, "the first size in stock is picked and the sold-out size cannot be"


def test_product_page_picks_the_first_variant_in_stock(client, shop):
    # given
    product = make_product(shop, title="Runner", sizes=("40", "41"))
    v40, v41 = product.variants.all()
    stock_bulk_set(shop=shop, quantities={v40.pk: 0, v41.pk: 2})

    # when
    response = client.get(_product_url(product))

    # then
    assert f'"selected": {v41.pk}' in _html(response), "the browser starts on the size in stock"
    assert _chips(response)[("option-0", "41")] == {"checked"}


def test_product_page_starts_on_the_variant_of_a_shared_link(client, shop):
    # given
    product = make_product(shop, title="Runner", sizes=("40", "41"), stock=5)
    v41 = product.variants.all()[1]

    # when
    response = client.get(_product_url(product), {"variant": v41.pk})

    # then
    assert f'"selected": {v41.pk}' in _html(response)
    assert _chips(response)[("option-0", "41")] == {"checked"}


def test_product_page_ignores_a_variant_parameter_that_is_not_its_own(client, shop):
    # given
    product = make_product(shop, title="Runner", stock=5)
    stranger = make_product(shop, title="Other", stock=5).variants.get()

    # when
    responses = [
        client.get(_product_url(product), {"variant": value}) for value in (stranger.pk, "x", "")
    ]

    # then
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(f'"selected": {product.variants.get().pk}' in _html(r) for r in responses)


def test_product_page_shows_a_placeholder_without_photos(client, shop):
    # given
    product = make_product(shop, title="Runner")

    # when
    html = _html(client.get(_product_url(product)))

    # then
    assert "sf-placeholder" in html
    assert "No photo yet" in html


def test_product_page_shows_every_photo_with_alt_text(client, shop):
    # given
    product = make_product(shop, title="Runner")
    product_image_add(product=product, upload=image_upload("a.png"), alt="Runner from the side")
    product_image_add(product=product, upload=image_upload("b.png", color="blue"))

    # when
    html = _html(client.get(_product_url(product)))

    # then
    assert html.count('class="sf-slide"') == 2
    assert 'alt="Runner from the side"' in html
    assert 'alt="Runner, photo 2"' in html, "a photo without a description gets one"
    assert "sf-placeholder" not in html
    assert 'property="og:image" content="http://testserver/media/products/' in html


def test_product_page_offers_to_ask_the_shop_when_it_has_a_contact_address(client, shop):
    # given
    shop.contact_email = "hello@kicks.test"
    shop.save(update_fields=["contact_email"])
    product = make_product(shop, title="Runner shoe")

    # when
    html = _html(client.get(_product_url(product)))

    # then
    assert 'href="mailto:hello@kicks.test?subject=Runner%20shoe"' in html


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.ARCHIVED])
def test_product_page_of_a_draft_or_archived_product_is_404(client, shop, status):
    # given
    product = make_product(shop, title="Not for sale", status=status)

    # when
    response = client.get(_product_url(product))

    # then
    assert response.status_code == 404, f"a {status} product is hidden from shoppers"
    assert "Not for sale" not in _html(response)


def test_product_page_under_another_shop_is_404(client, shop, other_shop):
    # given
    product = make_product(other_shop, title="Crème")

    # when
    response = client.get(
        reverse("storefront:product", kwargs={"shop_slug": "kicks", "slug": product.slug})
    )

    # then
    assert response.status_code == 404


def test_a_nul_character_in_a_slug_is_404_not_an_error(client, shop):
    # when
    responses = [
        client.get("/s/kicks/p/runner%00/"),
        client.get("/s/kicks/c/shoes%00/"),
    ]

    # then
    assert [r.status_code for r in responses] == [404, 404]


def test_shopper_pages_refuse_post(client, shop):
    # when
    response = client.post(reverse("storefront:shop", kwargs={"shop_slug": "kicks"}))

    # then
    assert response.status_code == 405


# --- search --------------------------------------------------------------------------------


def test_search_finds_japanese_text_by_two_characters(client, shop, other_shop):
    # given
    latte = make_product(shop, title="Matcha latte")
    product_set_translation(product=latte, language="ja", title="抹茶ラテ")
    make_product(other_shop, title="Crème")

    # when
    html = _html(client.get(reverse("storefront:search"), {"q": "抹茶"}))

    # then
    assert "1 result for “抹茶”" in html
    assert _product_url(latte) in html
    assert "Crème" not in html


def test_search_finds_chinese_text_by_two_characters(client, shop):
    # given
    make_product(shop, title="绿茶饼干礼盒")
    make_product(shop, title="红茶")

    # when
    html = _html(client.get(reverse("storefront:search"), {"q": "饼干"}))

    # then
    assert "绿茶饼干礼盒" in html
    assert "红茶" not in html


def test_search_finds_full_width_and_upper_case_text(client, shop):
    # given
    make_product(shop, title="ＡＩＲ Runner")

    # when
    html = _html(client.get(reverse("storefront:search"), {"q": "air RUN"}))

    # then
    assert "1 result for" in html, "every word must match, whatever its width or case"


def test_search_within_one_shop(client, shop, other_shop):
    # given
    make_product(shop, title="Green tea")
    make_product(other_shop, title="Green clay mask")

    # when
    html = _html(client.get(reverse("storefront:search"), {"q": "green", "shop": "kicks"}))

    # then
    assert "Green tea" in html
    assert "Green clay mask" not in html
    assert "Search in Kicks" in html


def test_search_within_an_unknown_shop_is_404(client, db):
    # when
    responses = [
        client.get(reverse("storefront:search"), {"q": "tea", "shop": shop_slug})
        for shop_slug in ("nowhere", "bad slug", "nul\x00")
    ]

    # then
    assert [r.status_code for r in responses] == [404, 404, 404]


def test_search_hides_drafts(client, shop):
    # given
    make_product(shop, title="Green tea draft", status=ProductStatus.DRAFT)

    # when
    html = _html(client.get(reverse("storefront:search"), {"q": "green"}))

    # then
    assert "Green tea draft" not in html
    assert "Nothing matches “green”" in html


def test_search_without_words_shows_a_prompt(client, shop):
    # given
    make_product(shop, title="Green tea")

    # when
    responses = [client.get(reverse("storefront:search"), params) for params in ({}, {"q": "  "})]

    # then
    for response in responses:
        html = _html(response)
        assert response.status_code == 200
        assert "What are you looking for?" in html
        assert "Green tea" not in html, "no results are listed before a search"


def test_search_with_odd_input_answers_without_an_error(client, shop):
    # given
    make_product(shop, title="100% cotton")

    # when
    responses = [
        client.get(reverse("storefront:search"), {"q": q})
        for q in ("100%", "a\x00b", "_", "x" * 5000, "' OR 1=1 --", "<script>")
    ]

    # then
    assert [r.status_code for r in responses] == [200] * 6
    assert "1 result for “100%”" in _html(responses[0])
    assert "<script>" not in _html(responses[5]).split("</header>", 1)[1]


def test_search_results_are_paginated_and_keep_the_query(client, shop):
    # given
    for n in range(25):
        make_product(shop, title=f"Tea {n:02d}")

    # when
    first = _html(client.get(reverse("storefront:search"), {"q": "tea", "shop": "kicks"}))
    second = _html(
        client.get(reverse("storefront:search"), {"q": "tea", "shop": "kicks", "page": 2})
    )

    # then
    assert "25 results for “tea”" in first
    assert first.count('class="sf-card"') == 24
    assert 'href="?q=tea&amp;shop=kicks&amp;page=2"' in first, "the next page keeps the search"
    assert second.count('class="sf-card"') == 1


# --- query counts --------------------------------------------------------------------------


def _stock_the_shelves(shop, count: int) -> None:
    """``count`` active products in two categories, every third with a photo and a translation,
    plus a draft that must not cost anything."""
    categories = [category_create(shop=shop, name="Tea"), category_create(shop=shop, name="Cups")]
    for n in range(count):
        product = make_product(
            shop, title=f"Tea {n}", sizes=("S", "M"), stock=2, category=categories[n % 2]
        )
        if n % 3 == 0:
            product_image_add(product=product, upload=image_upload(size=(8, 8)))
            product_set_translation(product=product, language="fr", title=f"Thé {n}")
    make_product(shop, title="Tea draft", status=ProductStatus.DRAFT)


# home: shops with counts; newest products, their photos, their translations.
HOME_QUERIES = 4
# shop: shop; category chips; count; products; photos; translations.
SHOP_QUERIES = 6
# category: shop; category; category chips; count; products; photos; translations.
CATEGORY_QUERIES = 7
# search: count; products; photos; translations (one more with ?shop=).
SEARCH_QUERIES = 4
# product: product with shop and category; photos; translations; variants; options; stock;
# whether it is a drop (its countdown and limit).
PRODUCT_QUERIES = 7


@pytest.mark.parametrize("count", [3, 30])
def test_list_pages_cost_the_same_queries_for_3_and_30_products(
    client, shop, django_assert_num_queries, count
):
    # given
    _stock_the_shelves(shop, count)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    pages = [
        (reverse("storefront:home"), HOME_QUERIES),
        (reverse("storefront:shop", kwargs={"shop_slug": "kicks"}), SHOP_QUERIES),
        (
            reverse("storefront:category", kwargs={"shop_slug": "kicks", "category_slug": "tea"}),
            CATEGORY_QUERIES,
        ),
        (reverse("storefront:search") + "?q=tea", SEARCH_QUERIES),
        (reverse("storefront:search") + "?q=tea&shop=kicks", SEARCH_QUERIES + 1),
    ]

    for url, expected in pages:
        # when
        with django_assert_num_queries(expected):
            response = client.get(url)

        # then
        assert response.status_code == 200, url
        html = _html(response)
        assert "Thé " in html, f"{url} shows titles in the active language"
        assert "Tea draft" not in html, url


def test_search_without_words_runs_no_product_query(client, shop, django_assert_num_queries):
    # given
    _stock_the_shelves(shop, 3)

    # when
    with django_assert_num_queries(0):
        response = client.get(reverse("storefront:search"))

    # then
    assert response.status_code == 200


@pytest.mark.parametrize(("sizes", "photos"), [(("S",), 0), (tuple("ABCDEFGHIJ"), 4)])
def test_product_page_costs_the_same_queries_for_1_and_10_variants(
    client, shop, django_assert_num_queries, sizes, photos
):
    # given
    product = make_product(shop, title="Tea", sizes=sizes, stock=4)
    for _n in range(photos):
        product_image_add(product=product, upload=image_upload(size=(8, 8)))
    product_set_translation(product=product, language="fr", title="Thé")

    # when
    with django_assert_num_queries(PRODUCT_QUERIES):
        response = client.get(_product_url(product))

    # then
    assert response.status_code == 200
    assert _html(response).count('class="sf-offer-line"') == len(sizes) + 1


def test_product_page_with_two_options_builds_one_chip_group_per_option(client, shop):
    # given
    product = product_create(
        shop=shop,
        title="Tee",
        status=ProductStatus.ACTIVE,
        options=[OptionInput("Size", ["S", "M"]), OptionInput("Colour", ["Red", "Blue"])],
        variants=[
            VariantInput(sku="T-S-R", price=1000, option_values={"Size": "S", "Colour": "Red"}),
            VariantInput(sku="T-M-B", price=1200, option_values={"Size": "M", "Colour": "Blue"}),
        ],
    )
    stock_bulk_set(shop=shop, quantities={v.pk: 9 for v in product.variants.all()})

    # when
    response = client.get(_product_url(product))

    # then
    html = _html(response)
    assert html.count('<fieldset class="sf-option">') == 2
    assert "<legend>Size" in html and "<legend>Colour" in html
    assert _chips(response) == {
        ("option-0", "S"): {"checked"},
        ("option-0", "M"): set(),
        ("option-1", "Red"): {"checked"},
        ("option-1", "Blue"): {"disabled"},
    }, "Blue is not offered while size S is chosen: there is no S in blue"
    assert "₱10.00" in html and "₱12.00" in html, "each variant's price is ready to show"
