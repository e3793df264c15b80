from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plaza.accounts.models import Shop
from plaza.catalog.models import Variant
from plaza.core import events
from plaza.core.exceptions import NotFound, ValidationError
from plaza.inventory.models import Stock, StockLocation

MAX_QUANTITY = 10_000_000


def stock_location_default(*, shop: Shop) -> StockLocation:
    """The shop's default stock location, created on first use."""
    location = StockLocation.objects.filter(shop=shop, is_default=True).first()
    if location is None:
        location, _created = StockLocation.objects.get_or_create(
            shop=shop, is_default=True, defaults={"name": _("Main")}
        )
    return location


def validate_quantity(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("A stock quantity must be a whole number."), field="stock")
    if value < 0:
        raise ValidationError(_("A stock quantity cannot be negative."), field="stock")
    if value > MAX_QUANTITY:
        raise ValidationError(_("That stock quantity is too large."), field="stock")
    return value


@transaction.atomic
def stock_bulk_set(*, shop: Shop, quantities: dict[int, int]) -> None:
    """Set the on-hand quantity of many variants of the shop at its default location.

    All or nothing. Rows are locked in primary-key order. A quantity below what is already
    allocated to orders is refused. A variant that is not the shop's is NotFound.
    """
    if not quantities:
        return
    for value in quantities.values():
        validate_quantity(value)
    ids = sorted(quantities)
    if Variant.objects.filter(shop=shop, pk__in=ids).count() != len(ids):
        raise NotFound(_("This variant does not exist."))
    location = stock_location_default(shop=shop)
    existing = {
        stock.variant_id: stock
        for stock in Stock.objects.select_for_update(of=("self",))
        .filter(location=location, variant_id__in=ids)
        .order_by("pk")
    }
    to_create, to_update = [], []
    for variant_id in ids:
        stock = existing.get(variant_id)
        if stock is None:
            to_create.append(Stock(variant_id=variant_id, location=location, quantity=quantities[variant_id]))
            continue
        if quantities[variant_id] < stock.allocated:
            raise ValidationError(
                ngettext(
                    "%(n)s unit is already promised to orders; stock cannot go below that.",
                    "%(n)s units are already promised to orders; stock cannot go below that.",
                    stock.allocated,
                )
                % {"n": stock.allocated},
                field="stock",
            )
        stock.quantity = quantities[variant_id]
        to_update.append(stock)
    Stock.objects.bulk_create(to_create)
    Stock.objects.bulk_update(to_update, ["quantity"])
    events.publish("stock.changed", shop_id=shop.pk, variant_ids=ids)


def stock_set(*, variant: Variant, quantity: int) -> None:
    """Set one variant's on-hand quantity at the shop's default location."""
    stock_bulk_set(shop=variant.shop, quantities={variant.pk: quantity})
