"""The variant picker of the product page, worked out on the server.

Options are chosen in order (first Size, then Colour): a value is offered when some variant in
stock has it together with the values already chosen before it. So every variant in stock can
be reached, and choosing a value never strands the shopper on a combination they cannot buy.
The same rule runs in the browser (storefront/product.js) with the data of ``as_json``.
Pure Python over prefetched rows: no queries.
"""

from dataclasses import dataclass

from plaza.catalog.models import Product, Variant

# "Only 3 left" from this many units down; above it the page says "In stock".
LOW_STOCK_THRESHOLD = 5


@dataclass(frozen=True)
class Offer:
    """A variant with the units that can be sold now."""

    variant: Variant
    values: tuple[str, ...]
    available: int

    @property
    def in_stock(self) -> bool:
        return self.available > 0

    @property
    def stock_state(self) -> str:
        """The stock line to show: "out", "low" (only a few left) or "in"."""
        if self.available <= 0:
            return "out"
        if self.available <= LOW_STOCK_THRESHOLD:
            return "low"
        return "in"


@dataclass(frozen=True)
class ValueChoice:
    value: str
    checked: bool
    enabled: bool


@dataclass(frozen=True)
class OptionChoice:
    index: int
    name: str
    selected: str
    choices: tuple[ValueChoice, ...]


@dataclass(frozen=True)
class VariantPicker:
    offers: tuple[Offer, ...]
    selected: Offer
    options: tuple[OptionChoice, ...]

    def as_json(self) -> dict:
        """What the browser needs to repeat the rule; no stock figures beyond in/out."""
        return {
            "selected": self.selected.variant.pk,
            "variants": [
                {"id": o.variant.pk, "values": list(o.values), "inStock": o.in_stock}
                for o in self.offers
            ],
        }


def _offered(offers: tuple[Offer, ...], chosen: list[str], index: int, value: str) -> bool:
    return any(
        offer.in_stock
        and offer.values[index] == value
        and all(offer.values[j] == chosen[j] for j in range(index))
        for offer in offers
    )


def variant_picker_build(
    *, product: Product, available: dict[int, int], selected_id: int | None = None
) -> VariantPicker | None:
    """The picker for a product fetched with its variants and options (None without variants).

    The variant shown first is ``selected_id`` when it is one of the product's (a shared link),
    else the first one in stock, else the first one.
    """
    names = [option.name for option in product.options.all()]
    offers = tuple(
        Offer(
            variant=variant,
            values=tuple(str(variant.option_values.get(name, "")) for name in names),
            available=available.get(variant.pk, 0),
        )
        for variant in product.variants.all()
    )
    if not offers:
        return None
    selected = (
        next((o for o in offers if o.variant.pk == selected_id), None)
        or next((o for o in offers if o.in_stock), None)
        or offers[0]
    )
    chosen = list(selected.values)
    options = tuple(
        OptionChoice(
            index=index,
            name=option.name,
            selected=chosen[index],
            choices=tuple(
                ValueChoice(
                    value=value,
                    checked=value == chosen[index],
                    enabled=_offered(offers, chosen, index, value),
                )
                for value in option.values
            ),
        )
        for index, option in enumerate(product.options.all())
    )
    return VariantPicker(offers=offers, selected=selected, options=options)
