from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Sum

from plaza.inventory.models import Stock


def stock_available_for_variants(*, variant_ids: Iterable[int]) -> dict[int, int]:
    """Units that can be sold now, per variant id (0 for a variant without stock). One query."""
    ids = list(variant_ids)
    available = {variant_id: 0 for variant_id in ids}
    rows = (
        Stock.objects.filter(variant_id__in=ids)
        .values("variant_id")
        .annotate(units=Sum(F("quantity") - F("allocated")))
    )
    for row in rows:
        available[row["variant_id"]] = max(row["units"] or 0, 0)
    return available


def stock_quantities_for_variants(*, variant_ids: Iterable[int]) -> dict[int, int]:
    """Units on the shelf (quantity, all locations) per variant id. One query."""
    ids = list(variant_ids)
    quantities = {variant_id: 0 for variant_id in ids}
    for row in Stock.objects.filter(variant_id__in=ids).values("variant_id").annotate(units=Sum("quantity")):
        quantities[row["variant_id"]] = row["units"] or 0
    return quantities


@dataclass(frozen=True)
class StockLevel:
    """Units of one variant over all locations: on the shelf, promised to orders, sellable."""

    variant_id: int
    quantity: int
    allocated: int

    @property
    def available(self) -> int:
        return max(self.quantity - self.allocated, 0)


def stock_level_for_variant(*, variant_id: int) -> StockLevel:
    """Quantity, allocated and available units of one variant (zeros without stock). One query."""
    totals = Stock.objects.filter(variant_id=variant_id).aggregate(
        quantity=Sum("quantity"), allocated=Sum("allocated")
    )
    return StockLevel(
        variant_id=variant_id,
        quantity=totals["quantity"] or 0,
        allocated=totals["allocated"] or 0,
    )
