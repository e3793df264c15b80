"""Reads of stock. What can be sold is quantity - allocated - live reservations: every read here
adds expired reservations back (they are still counted in ``Stock.reserved`` until reclaimed),
so an expired hold is available at once without waiting for any sweep."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from plaza.catalog.models import Variant
from plaza.core.exceptions import NotFound
from plaza.inventory.models import Drop, Reservation, Stock


def _held(
    *,
    expired_before: datetime | None = None,
    live_after: datetime | None = None,
    owner: str | None = None,
) -> Coalesce:
    """Units of each stock row's reservations: the expired ones, or one owner's live ones."""
    qs = Reservation.objects.filter(stock=OuterRef("pk"))
    if expired_before is not None:
        qs = qs.filter(expires_at__lte=expired_before)
    if live_after is not None:
        qs = qs.filter(expires_at__gt=live_after)
    if owner is not None:
        qs = qs.filter(owner=owner)
    units = qs.values("stock").annotate(units=Sum("quantity")).values("units")
    return Coalesce(Subquery(units, output_field=IntegerField()), Value(0))


def stock_available_for_variants(
    *, variant_ids: Iterable[int], owner: str | None = None, now: datetime | None = None
) -> dict[int, int]:
    """Units that can be sold now, per variant id (0 for a variant without stock). One query.

    With ``owner``, that holder's own live reservations count as available to them (a shopper's
    checkout page must not show their own hold as "sold out")."""
    levels = stock_available_and_held(variant_ids=variant_ids, owner=owner, now=now)
    return {variant_id: available for variant_id, (available, _held) in levels.items()}


# Every stock row of the variants, with the units of its expired holds and of one owner's live
# holds. Written out: it is the hottest read of a sale (every quote, checkout and live-stock
# broadcast), and the ORM took ten times longer to build it than the database to answer it.
_LEVELS_SQL = """
SELECT s.variant_id, s.quantity - s.allocated - s.reserved, COALESCE((
    SELECT SUM(r.quantity) FROM inventory_reservation r
    WHERE r.stock_id = s.id AND r.expires_at <= %s
), 0), {own}
FROM inventory_stock s
WHERE s.variant_id IN ({ids})
"""
_OWN_SQL = """COALESCE((
    SELECT SUM(r.quantity) FROM inventory_reservation r
    WHERE r.stock_id = s.id AND r.owner = %s AND r.expires_at > %s
), 0)"""


def stock_available_and_held(
    *, variant_ids: Iterable[int], owner: str | None = None, now: datetime | None = None
) -> dict[int, tuple[int, int]]:
    """Per variant id: (units that can be sold now to ``owner``, units of them ``owner`` holds
    live). As ``stock_available_for_variants``, in the same one query."""
    ids = [int(pk) for pk in variant_ids]
    levels = dict.fromkeys(ids, (0, 0))
    if not ids:
        return levels
    when = connection.ops.adapt_datetimefield_value(now or timezone.now())
    sql = _LEVELS_SQL.format(own=_OWN_SQL if owner else "0", ids=", ".join(["%s"] * len(ids)))
    params = [when, *([owner, when] if owner else []), *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for variant_id, free, expired, own in rows:
        available, held = levels[variant_id]
        levels[variant_id] = (available + max(free + expired + own, 0), held + own)
    return levels


def stock_quantities_for_variants(*, variant_ids: Iterable[int]) -> dict[int, int]:
    """Units on the shelf (quantity, all locations) per variant id. One query."""
    ids = list(variant_ids)
    quantities = dict.fromkeys(ids, 0)
    for row in (
        Stock.objects.filter(variant_id__in=ids)
        .values("variant_id")
        .annotate(units=Sum("quantity"))
    ):
        quantities[row["variant_id"]] = row["units"] or 0
    return quantities


@dataclass(frozen=True)
class StockLevel:
    """Units of one variant over all locations: on the shelf, promised to orders, held by live
    checkouts, sellable."""

    variant_id: int
    quantity: int
    allocated: int
    reserved: int = 0  # live holds only

    @property
    def available(self) -> int:
        return max(self.quantity - self.allocated - self.reserved, 0)


def stock_level_for_variant(*, variant_id: int, now: datetime | None = None) -> StockLevel:
    """Quantity, allocated, live reserved and available units of one variant. One query."""
    now = now or timezone.now()
    rows = Stock.objects.filter(variant_id=variant_id).annotate(expired=_held(expired_before=now))
    quantity = allocated = reserved = 0
    for row in rows.values("quantity", "allocated", "reserved", "expired"):
        quantity += row["quantity"]
        allocated += row["allocated"]
        reserved += row["reserved"] - row["expired"]
    return StockLevel(
        variant_id=variant_id, quantity=quantity, allocated=allocated, reserved=max(reserved, 0)
    )


def drop_for_variants(*, variant_ids: Iterable[int]) -> dict[int, Drop]:
    """variant id -> its product's drop, for the variants that are part of one. One query."""
    ids = list(variant_ids)
    drops = {}
    for variant in Variant.objects.filter(pk__in=ids, product__drop__isnull=False).select_related(
        "product__drop"
    ):
        drops[variant.pk] = variant.product.drop
    return drops


def drop_for_product(*, product_id: int) -> Drop | None:
    return Drop.objects.filter(product_id=product_id).first()


def drop_get(*, drop_id) -> Drop:
    try:
        return Drop.objects.get(pk=int(drop_id))
    except (Drop.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("This drop does not exist.")) from None
