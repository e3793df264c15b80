"""The variant picker's rule: options are chosen in order, and a value is offered when a
variant in stock has it together with the values chosen before it."""

import pytest

from plaza.catalog.models import ProductStatus
from plaza.catalog.selectors import product_get_public
from plaza.catalog.services import OptionInput, VariantInput, product_create
from plaza.storefront.picker import variant_picker_build

pytestmark = pytest.mark.django_db

SIZES = ["S", "M"]
COLOURS = ["Red", "Blue"]


def _tee(shop):
    """A tee in S/M x Red/Blue, fetched as the product page fetches it."""
    product = product_create(
        shop=shop,
        title="Tee",
        status=ProductStatus.ACTIVE,
        options=[OptionInput("Size", SIZES), OptionInput("Colour", COLOURS)],
        variants=[
            VariantInput(sku=f"T-{s}-{c}", price=1000, option_values={"Size": s, "Colour": c})
            for s in SIZES
            for c in COLOURS
        ],
    )
    product = product_get_public(shop_slug=shop.slug, slug=product.slug)
    return product, {v.sku: v.pk for v in product.variants.all()}


def _offered(picker) -> dict[str, bool]:
    return {c.value: c.enabled for option in picker.options for c in option.choices}


def test_picker_never_strands_the_shopper_on_a_sold_out_combination(shop):
    # given: only S/Red and M/Blue are in stock
    product, ids = _tee(shop)
    available = {ids["T-S-Red"]: 4, ids["T-S-Blue"]: 0, ids["T-M-Red"]: 0, ids["T-M-Blue"]: 7}

    # when
    picker = variant_picker_build(product=product, available=available)

    # then
    assert picker.selected.variant.pk == ids["T-S-Red"], "the first variant in stock is shown"
    assert _offered(picker) == {"S": True, "M": True, "Red": True, "Blue": False}, (
        "every size with stock stays offered; colours follow the chosen size"
    )


def test_picker_shows_a_sold_out_variant_of_a_shared_link_with_its_values_chosen(shop):
    # given
    product, ids = _tee(shop)
    available = {ids["T-S-Red"]: 4}

    # when
    picker = variant_picker_build(product=product, available=available, selected_id=ids["T-M-Blue"])

    # then
    assert picker.selected.variant.pk == ids["T-M-Blue"]
    assert picker.selected.stock_state == "out"
    assert [option.selected for option in picker.options] == ["M", "Blue"]
    assert _offered(picker) == {"S": True, "M": False, "Red": False, "Blue": False}


def test_picker_when_everything_is_sold_out_shows_the_first_variant(shop):
    # given
    product, ids = _tee(shop)

    # when
    picker = variant_picker_build(product=product, available={})

    # then
    assert picker.selected.variant.pk == ids["T-S-Red"]
    assert not any(_offered(picker).values()), "nothing can be picked"
    assert picker.as_json()["variants"][0] == {
        "id": ids["T-S-Red"],
        "values": ["S", "Red"],
        "inStock": False,
    }, "the browser gets in or out of stock, never the shop's stock figures"


@pytest.mark.parametrize(
    ("units", "state"), [(0, "out"), (1, "low"), (5, "low"), (6, "in"), (500, "in")]
)
def test_stock_state_says_only_a_few_left_from_five_units_down(shop, units, state):
    # given
    product, ids = _tee(shop)

    # when
    picker = variant_picker_build(product=product, available={ids["T-S-Red"]: units})

    # then
    assert picker.offers[0].stock_state == state
