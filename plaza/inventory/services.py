from collections.abc import Mapping

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plaza.accounts.models import Shop
from plaza.catalog.models import Variant
from plaza.core import events
from plaza.core.exceptions import NotFound, ValidationError
from plaza.inventory.exceptions import InsufficientStock
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


# --- allocation: stock promised to placed orders ---------------------------------------


def _clean_lines(lines: Mapping[int, int]) -> dict[int, int]:
    clean: dict[int, int] = {}
    for variant_id, quantity in lines.items():
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ValidationError(_("A quantity must be a whole number above zero."), field="quantity")
        clean[int(variant_id)] = clean.get(int(variant_id), 0) + quantity
    return clean


def _stock_rows_in_pk_order(variant_ids) -> dict[int, int]:
    """variant id -> id of its stock row at its shop's default location."""
    rows = Stock.objects.filter(variant_id__in=list(variant_ids), location__is_default=True)
    return dict(rows.order_by("pk").values_list("variant_id", "pk"))


@transaction.atomic
def stock_allocate(*, lines: Mapping[int, int]) -> None:
    """Promise units of each variant to an order, or change nothing.

    Each row changes with one conditional UPDATE (``... WHERE quantity - allocated >= n``),
    never read-then-write, in primary-key order of the stock rows so that concurrent orders
    over the same variants cannot deadlock. Lines of several shops may be mixed. Raises
    InsufficientStock naming every short line. Call inside the transaction that places the
    order; no network call may happen in it.
    """
    lines = _clean_lines(lines)
    stock_ids = _stock_rows_in_pk_order(lines)
    short: list[int] = [variant_id for variant_id in lines if variant_id not in stock_ids]
    for variant_id, stock_id in sorted(stock_ids.items(), key=lambda item: item[1]):
        quantity = lines[variant_id]
        updated = Stock.objects.filter(
            pk=stock_id, quantity__gte=F("allocated") + quantity
        ).update(allocated=F("allocated") + quantity)
        if not updated:
            short.append(variant_id)
    if short:
        available = {variant_id: 0 for variant_id in short}
        for row in Stock.objects.filter(variant_id__in=short).values("variant_id", "quantity", "allocated"):
            available[row["variant_id"]] += max(row["quantity"] - row["allocated"], 0)
        labels = dict(Variant.objects.filter(pk__in=short).values_list("pk", "sku"))
        # Leaving the atomic block with the error undoes what this call allocated.
        raise InsufficientStock(available, labels)
    events.publish("stock.changed", shop_id=None, variant_ids=sorted(lines))


def _apply(lines: Mapping[int, int], **changes) -> None:
    lines = _clean_lines(lines)
    stock_ids = _stock_rows_in_pk_order(lines)
    for variant_id, stock_id in sorted(stock_ids.items(), key=lambda item: item[1]):
        n = lines[variant_id]
        Stock.objects.filter(pk=stock_id).update(
            **{field: F(field) + sign * n for field, sign in changes.items()}
        )
    events.publish("stock.changed", shop_id=None, variant_ids=sorted(lines))


@transaction.atomic
def stock_deallocate(*, lines: Mapping[int, int]) -> None:
    """Give back units promised to an order that will not ship (cancelled before fulfilment).
    The database refuses to make ``allocated`` negative."""
    _apply(lines, allocated=-1)


@transaction.atomic
def stock_ship(*, lines: Mapping[int, int]) -> None:
    """Units promised to an order leave the shelf: quantity and allocated both go down."""
    _apply(lines, quantity=-1, allocated=-1)


@transaction.atomic
def stock_restock(*, lines: Mapping[int, int]) -> None:
    """Units come back to the shelf (a refund with restock after shipping)."""
    _apply(lines, quantity=1)
