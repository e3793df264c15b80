import contextlib
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plaza.accounts.models import Shop
from plaza.catalog.models import Variant
from plaza.core import events
from plaza.core.exceptions import NotFound, ValidationError
from plaza.inventory.exceptions import DropLimitReached, DropNotOpen, DropQueued, InsufficientStock
from plaza.inventory.models import Drop, DropClaim, DropTicket, Reservation, Stock, StockLocation
from plaza.inventory.selectors import drop_for_variants

MAX_QUANTITY = 10_000_000
# Signs the ticket a shopper waiting in a drop's line is given (see DropQueued).
TICKET_SALT = "plaza.inventory.drop-ticket"


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
            to_create.append(
                Stock(variant_id=variant_id, location=location, quantity=quantities[variant_id])
            )
            continue
        if quantities[variant_id] < stock.allocated + stock.reserved:
            stock.reserved -= _reclaim_expired(stock.pk, timezone.now())
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
        if quantities[variant_id] < stock.allocated + stock.reserved:
            promised = stock.allocated + stock.reserved
            raise ValidationError(
                ngettext(
                    "%(n)s unit is promised to orders or held in shoppers' checkouts; stock "
                    "cannot go below that until the checkouts end.",
                    "%(n)s units are promised to orders or held in shoppers' checkouts; stock "
                    "cannot go below that until the checkouts end.",
                    promised,
                )
                % {"n": promised},
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


# --- reservations and allocation ----------------------------------------------------------
#
# Lock order, everywhere: stock rows first, in primary-key order, then reservation rows. Holding
# a stock row's lock serialises everything that changes its ``reserved`` and ``allocated``.


def _clean_lines(lines: Mapping[int, int]) -> dict[int, int]:
    clean: dict[int, int] = {}
    for variant_id, quantity in lines.items():
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ValidationError(
                _("A quantity must be a whole number above zero."), field="quantity"
            )
        clean[int(variant_id)] = clean.get(int(variant_id), 0) + quantity
    return clean


def _stock_rows_in_pk_order(variant_ids) -> dict[int, int]:
    """variant id -> id of its stock row at its shop's default location."""
    rows = Stock.objects.filter(variant_id__in=list(variant_ids), location__is_default=True)
    return dict(rows.order_by("pk").values_list("variant_id", "pk"))


def _reclaim_expired(stock_id: int, now: datetime) -> int:
    """Free the units of a stock row's expired reservations. The caller holds the row's lock.
    Returns the units freed."""
    expired = Reservation.objects.filter(stock_id=stock_id, expires_at__lte=now)
    units = expired.aggregate(units=Sum("quantity"))["units"] or 0
    if units:
        expired.delete()
        Stock.objects.filter(pk=stock_id).update(reserved=F("reserved") - units)
    return units


def _short_error(short: list[int], now: datetime, owner: str | None = None) -> InsufficientStock:
    from plaza.inventory.selectors import stock_available_for_variants

    available = stock_available_for_variants(variant_ids=short, owner=owner, now=now)
    labels = dict(Variant.objects.filter(pk__in=short).values_list("pk", "sku"))
    return InsufficientStock(available, labels)


def _take_holds(owner: str, stock_ids: list[int]) -> dict[int, int]:
    """Delete the owner's reservations on these (locked) stock rows, leaving ``Stock.reserved``
    for the caller to lower. Returns stock id -> units held."""
    held = dict(
        Reservation.objects.filter(owner=owner, stock_id__in=stock_ids).values_list(
            "stock_id", "quantity"
        )
    )
    if held:
        Reservation.objects.filter(owner=owner, stock_id__in=list(held)).delete()
    return held


def _release_owner(owner: str, stock_ids: list[int]) -> dict[int, int]:
    """Delete the owner's reservations on these (locked) stock rows and give their units back.
    Returns stock id -> units released."""
    held = _take_holds(owner, stock_ids)
    for stock_id in sorted(held):
        Stock.objects.filter(pk=stock_id).update(reserved=F("reserved") - held[stock_id])
    return held


def stock_reserve(
    *, owner: str, lines: Mapping[int, int], ttl: timedelta | None = None, now=None
) -> datetime:
    """Hold units of each variant for ``owner`` (e.g. ``"user:7"``) until the returned time,
    replacing whatever the owner held before. All or nothing. Raises InsufficientStock naming
    every short line.

    On PostgreSQL, when the owner holds nothing yet (a checkout that starts), each stock row is
    changed by one statement that also writes the reservation (and, for one line, checks that
    the owner holds nothing): a conditional UPDATE (``... WHERE
    quantity - allocated - reserved >= n``) whose RETURNING feeds the reservation's INSERT. A
    single line is that one statement in autocommit, so the row's lock lasts that statement and
    nothing else; several lines are one such statement per row, in primary-key order, in one
    transaction. When a row is short (or the owner holds something to replace, or on SQLite)
    the locked path below runs: it reclaims the row's expired reservations before giving up.
    """
    lines = _clean_lines(lines)
    now = now or timezone.now()
    ttl = ttl if ttl is not None else timedelta(seconds=settings.PLAZA_RESERVATION_SECONDS)
    expires_at = now + ttl
    if connection.vendor == "postgresql":
        if _reserve_in_one_statement_per_row(owner, lines, now, expires_at):
            events.publish("stock.changed", shop_id=None, variant_ids=sorted(lines))
            return expires_at
        if len(lines) == 1 and not _anything_to_reclaim(owner, lines, now):
            # Short, and no hold (expired or the owner's) could make room: refused without
            # taking the row's lock (after a sell-out, most buyers end here).
            raise _short_error(list(lines), now)
    return _reserve_locked(owner, lines, now, expires_at)


def _anything_to_reclaim(owner: str, lines: Mapping[int, int], now: datetime) -> bool:
    """Does the owner hold something, or has one of these variants an expired hold?"""
    return Reservation.objects.filter(
        Q(owner=owner) | Q(variant_id__in=list(lines), expires_at__lte=now)
    ).exists()


class _Short(Exception):
    """A row could not be changed by its one statement: undo the others, take the locked path."""


# One statement per stock row, PostgreSQL only. ``{row}`` is the stock row: its id, or the
# default location's row of a variant. The UPDATE takes the row's lock; the reservation is
# written by the same statement (no unit is ever counted in ``reserved`` without its row).
_HOLD_SQL = """
WITH held AS (
    UPDATE inventory_stock SET reserved = reserved + %(n)s
    WHERE id = {row} AND quantity - allocated - reserved >= %(n)s {first}
    RETURNING id
)
INSERT INTO inventory_reservation (stock_id, variant_id, owner, quantity, expires_at, created_at)
SELECT held.id, %(variant)s, %(owner)s, %(n)s, %(until)s, %(now)s FROM held
"""
# Only for an owner who holds nothing yet (a hold to replace takes the locked path).
_HOLDS_NOTHING = "AND NOT EXISTS (SELECT 1 FROM inventory_reservation WHERE owner = %(owner)s)"
_DEFAULT_ROW = """(
    SELECT s.id FROM inventory_stock s
    JOIN inventory_stocklocation l ON l.id = s.location_id AND l.is_default
    WHERE s.variant_id = %(variant)s
)"""


def _reserve_in_one_statement_per_row(
    owner: str, lines: dict[int, int], now: datetime, expires_at: datetime
) -> bool:
    """Hold every line with one statement per stock row; False (nothing held) when a row is
    short, has no stock, or the owner holds something already (to be replaced)."""
    params = {"owner": owner, "until": expires_at, "now": now}
    try:
        if len(lines) == 1:
            # Outside any transaction this is autocommit: the lock lasts the statement.
            [(variant_id, n)] = lines.items()
            sql = _HOLD_SQL.format(row=_DEFAULT_ROW, first=_HOLDS_NOTHING)
            with _savepoint_if_nested(), connection.cursor() as cursor:
                cursor.execute(sql, {**params, "variant": variant_id, "n": n})
                return cursor.rowcount == 1
        if Reservation.objects.filter(owner=owner).exists():
            return False
        stock_ids = _stock_rows_in_pk_order(lines)
        if len(stock_ids) != len(lines):
            return False
        with transaction.atomic(), connection.cursor() as cursor:
            for variant_id, stock_id in sorted(stock_ids.items(), key=lambda item: item[1]):
                cursor.execute(
                    _HOLD_SQL.format(row="%(stock)s", first=""),
                    {**params, "variant": variant_id, "stock": stock_id, "n": lines[variant_id]},
                )
                if cursor.rowcount != 1:
                    raise _Short
    except (_Short, IntegrityError):
        return False
    return True


def _savepoint_if_nested():
    """A savepoint when a caller's transaction is open (a failed statement must not break it),
    nothing in autocommit."""
    return transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()


@transaction.atomic
def _reserve_locked(
    owner: str, lines: dict[int, int], now: datetime, expires_at: datetime
) -> datetime:
    """Rows are locked in primary-key order (the owner's old holds included) before any
    reservation row is touched; each row is then one conditional UPDATE, and only when it fails
    are the row's expired reservations reclaimed and the UPDATE tried once more."""
    stock_ids = _stock_rows_in_pk_order(lines)
    old = list(Reservation.objects.filter(owner=owner).values_list("stock_id", flat=True))
    locked = sorted(set(stock_ids.values()) | set(old))
    list(Stock.objects.select_for_update().filter(pk__in=locked).order_by("pk").values_list("pk"))
    _release_owner(owner, old)
    short = [variant_id for variant_id in lines if variant_id not in stock_ids]
    holds = []
    for variant_id, stock_id in sorted(stock_ids.items(), key=lambda item: item[1]):
        n = lines[variant_id]
        for attempt in range(2):
            updated = Stock.objects.filter(
                pk=stock_id, quantity__gte=F("allocated") + F("reserved") + n
            ).update(reserved=F("reserved") + n)
            if updated or attempt or not _reclaim_expired(stock_id, now):
                break
        if updated:
            holds.append(
                Reservation(
                    stock_id=stock_id,
                    variant_id=variant_id,
                    owner=owner,
                    quantity=n,
                    expires_at=expires_at,
                )
            )
        else:
            short.append(variant_id)
    if short:
        raise _short_error(short, now)  # leaving the atomic block undoes every hold made here
    Reservation.objects.bulk_create(holds)
    events.publish("stock.changed", shop_id=None, variant_ids=sorted(lines))
    return expires_at


@transaction.atomic
def stock_release(*, owner: str) -> int:
    """Give back everything ``owner`` holds (checkout failed or abandoned). Returns the units."""
    stock_ids = list(Reservation.objects.filter(owner=owner).values_list("stock_id", flat=True))
    if not stock_ids:
        return 0
    list(
        Stock.objects.select_for_update().filter(pk__in=stock_ids).order_by("pk").values_list("pk")
    )
    released = _release_owner(owner, stock_ids)
    variant_ids = list(
        Stock.objects.filter(pk__in=list(released)).values_list("variant_id", flat=True)
    )
    events.publish("stock.changed", shop_id=None, variant_ids=sorted(variant_ids))
    return sum(released.values())


def stock_reservations_sweep(*, now=None, limit: int = 1000) -> int:
    """Tidy up: reclaim expired reservations, a bounded batch of stock rows at a time, each in its
    own short transaction. Nothing depends on it running: reads ignore expired holds and
    reservations reclaim them when they need the units. Returns the units freed."""
    now = now or timezone.now()
    stock_ids = sorted(
        set(
            Reservation.objects.filter(expires_at__lte=now)
            .order_by("stock_id")
            .values_list("stock_id", flat=True)[:limit]
        )
    )
    freed = 0
    for stock_id in stock_ids:
        with transaction.atomic():
            if Stock.objects.select_for_update().filter(pk=stock_id).exists():
                freed += _reclaim_expired(stock_id, now)
    return freed


def stock_allocate(
    *, lines: Mapping[int, int], owner: str | None = None, savepoint: bool = True
) -> None:
    """Promise units of each variant to an order, or change nothing.

    Each row changes with one conditional UPDATE (``... WHERE quantity - allocated - reserved
    >= n``), never read-then-write, in primary-key order of the stock rows so that concurrent
    orders over the same variants cannot deadlock. With ``owner``, the owner's reservations of
    these rows are turned into the allocation (released in the same transaction), whether or not
    they have expired. When a row is short, its expired reservations are reclaimed and the
    UPDATE tried once more. Lines of several shops may be mixed. Raises InsufficientStock naming
    every short line. Call inside the transaction that places the order, last, just before its
    commit (the rows stay locked until then); no network call may happen in it.

    On PostgreSQL, with ``owner``, each row is one statement: the UPDATE and the DELETE of the
    owner's reservation of that row (after the UPDATE, so stock before reservations). The
    ``stock.changed`` event is published only when what others can buy changed (a hold that
    becomes the allocation changes nothing for them). ``savepoint=False`` is for a caller whose
    own transaction commits right after and rolls back on any error (checkout's placement): no
    savepoint to release while the rows are locked.
    """
    lines = _clean_lines(lines)
    now = timezone.now()
    with transaction.atomic(savepoint=savepoint):
        if owner and connection.vendor == "postgresql":
            short, changed = _allocate_held(lines, owner, now)
        else:
            short, changed = _allocate_locked(lines, owner, now)
        if short:
            # Leaving the atomic block with the error undoes what this call allocated.
            raise _short_error(short, now)
        if changed:
            events.publish("stock.changed", shop_id=None, variant_ids=sorted(changed))


# One statement per stock row, PostgreSQL only: the owner's hold of the row (read from the
# statement's snapshot) becomes part of the allocation; the UPDATE locks the row, then the
# DELETE (which reads the UPDATE's result, so runs after it) removes the hold. ``taken`` differs
# from ``own`` only if another transaction reclaimed the (expired) hold while this one waited
# for the row's lock: the caller then puts the difference back.
_ALLOCATE_SQL = """
WITH own AS (
    SELECT COALESCE(SUM(quantity), 0) AS units FROM inventory_reservation
    WHERE owner = %(owner)s AND stock_id = {row}
), moved AS (
    UPDATE inventory_stock SET allocated = allocated + %(n)s, reserved = reserved - own.units
    FROM own
    WHERE id = {row} AND quantity - allocated - reserved + own.units >= %(n)s
    RETURNING inventory_stock.id
), taken AS (
    DELETE FROM inventory_reservation
    WHERE owner = %(owner)s AND stock_id IN (SELECT id FROM moved)
    RETURNING quantity
)
SELECT moved.id, (SELECT units FROM own), (SELECT COALESCE(SUM(quantity), 0) FROM taken)
FROM moved
"""


def _allocate_held(lines: dict[int, int], owner: str, now: datetime) -> tuple[list, list]:
    """(short variant ids, variant ids whose availability changed)."""
    if len(lines) == 1:
        rows = [(next(iter(lines)), None)]
    else:
        rows = sorted(_stock_rows_in_pk_order(lines).items(), key=lambda item: item[1])
    short = [variant_id for variant_id in lines if len(lines) > 1 and variant_id not in dict(rows)]
    changed = []
    with connection.cursor() as cursor:
        for variant_id, stock_id in rows:
            n = lines[variant_id]
            row = _DEFAULT_ROW if stock_id is None else "%(stock)s"
            params = {"owner": owner, "variant": variant_id, "stock": stock_id, "n": n}
            cursor.execute(_ALLOCATE_SQL.format(row=row), params)
            answer = cursor.fetchone()
            if answer is None:
                # Short (or no stock row): reclaim the row's expired holds and try once more.
                stock_id = stock_id or _stock_rows_in_pk_order([variant_id]).get(variant_id)
                if stock_id is None or not _allocate_row_after_reclaim(stock_id, n, owner, now):
                    short.append(variant_id)
                    continue
                changed.append(variant_id)
                continue
            _row_id, own, taken = answer
            if taken != own:
                # The hold was reclaimed meanwhile: ``reserved`` went down by it twice. Put it
                # back; the database's check refuses the allocation if it no longer fits.
                try:
                    with transaction.atomic():
                        Stock.objects.filter(pk=_row_id).update(
                            reserved=F("reserved") + (own - taken)
                        )
                except IntegrityError:
                    short.append(variant_id)
                    continue
            if n != taken:
                changed.append(variant_id)
    return short, changed


def _allocate_row_after_reclaim(stock_id: int, n: int, owner: str, now: datetime) -> bool:
    if not _reclaim_expired_locked(stock_id, now):
        return False
    held = _take_holds(owner, [stock_id]).get(stock_id, 0)
    return bool(
        Stock.objects.filter(
            pk=stock_id, quantity__gte=F("allocated") + F("reserved") - held + n
        ).update(allocated=F("allocated") + n, reserved=F("reserved") - held)
    )


def _allocate_locked(lines: dict[int, int], owner: str | None, now: datetime) -> tuple[list, list]:
    """(short variant ids, variant ids whose availability changed)."""
    held: dict[int, int] = {}
    if owner:
        # Lock the rows first (stock before reservations), then take the owner's holds off them.
        rows = Stock.objects.select_for_update(of=("self",)).filter(
            variant_id__in=list(lines), location__is_default=True
        )
        stock_ids = dict(rows.order_by("pk").values_list("variant_id", "pk"))
        held = _take_holds(owner, list(stock_ids.values()))
    else:
        stock_ids = _stock_rows_in_pk_order(lines)
    short: list[int] = [variant_id for variant_id in lines if variant_id not in stock_ids]
    changed: list[int] = []
    for variant_id, stock_id in sorted(stock_ids.items(), key=lambda item: item[1]):
        n, own = lines[variant_id], held.get(stock_id, 0)
        for attempt in range(2):
            # The owner's hold on this row becomes part of the allocation: one UPDATE for both.
            updated = Stock.objects.filter(
                pk=stock_id, quantity__gte=F("allocated") + F("reserved") - own + n
            ).update(allocated=F("allocated") + n, reserved=F("reserved") - own)
            if updated or attempt or not _reclaim_expired_locked(stock_id, now):
                break
        if not updated:
            short.append(variant_id)
        elif n != own:
            changed.append(variant_id)
    return short, changed


def _reclaim_expired_locked(stock_id: int, now: datetime) -> int:
    """Lock the row (if this transaction does not hold it yet), then reclaim its expired holds."""
    list(Stock.objects.select_for_update().filter(pk=stock_id).values_list("pk"))
    return _reclaim_expired(stock_id, now)


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


# --- drops -----------------------------------------------------------------------------------


def drop_set(
    *,
    product,
    release_at: datetime,
    per_customer_limit: int | None = None,
    queue_size: int | None = None,
) -> Drop:
    """Make a product a drop (or change its drop): released at ``release_at``, at most
    ``per_customer_limit`` units per shopper, at most ``queue_size`` shoppers checking out at
    once (the others wait in line)."""
    if release_at is None or timezone.is_naive(release_at):
        raise ValidationError(_("Enter the release date and time."), field="release_at")
    for name, value in (("per_customer_limit", per_customer_limit), ("queue_size", queue_size)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
            raise ValidationError(_("Enter a whole number of 1 or more."), field=name)
    drop, _created = Drop.objects.update_or_create(
        product=product,
        defaults={
            "release_at": release_at,
            "per_customer_limit": per_customer_limit,
            "queue_size": queue_size,
        },
    )
    return drop


def drop_remove(*, product) -> None:
    Drop.objects.filter(product=product).delete()


def _drop_time(drop: Drop) -> str:
    from django.utils import formats

    return formats.date_format(timezone.localtime(drop.release_at), "DATETIME_FORMAT")


def drop_check(*, drop: Drop, user, units: int, now: datetime | None = None) -> None:
    """Refuse (before anything is held or charged) a purchase the drop does not allow yet:
    before the release (DropNotOpen) or over the per-customer limit (DropLimitReached)."""
    now = now or timezone.now()
    if now < drop.release_at:
        raise DropNotOpen(_("This drop opens on %(time)s.") % {"time": _drop_time(drop)})
    if drop.per_customer_limit is not None:
        bought = _claimed(drop, user)
        if bought + units > drop.per_customer_limit:
            raise _limit_error(drop, bought)


def _limit_error(drop: Drop, bought: int) -> DropLimitReached:
    left = max(drop.per_customer_limit - bought, 0)
    if left == 0:
        return DropLimitReached(
            ngettext(
                "This drop is limited to %(limit)s unit per customer, and you have it already.",
                "This drop is limited to %(limit)s units per customer, and you have them already.",
                drop.per_customer_limit,
            )
            % {"limit": drop.per_customer_limit},
            field="quantity",
        )
    return DropLimitReached(
        ngettext(
            "This drop is limited to %(limit)s units per customer: you can buy %(left)s more.",
            "This drop is limited to %(limit)s units per customer: you can buy %(left)s more.",
            left,
        )
        % {"limit": drop.per_customer_limit, "left": left},
        field="quantity",
    )


def drop_claim(*, drop: Drop, user, units: int) -> None:
    """Count ``units`` against the shopper's limit, in the transaction that places the order.

    One statement: an upsert whose update is conditional, so two checkouts of one shopper at
    once cannot both pass, and a shopper's first purchase needs no savepoint. Units are counted
    for every drop, limited or not: a limit the shop sets later counts what the shopper bought
    of the drop already."""
    limit = drop.per_customer_limit
    if limit is not None and units > limit:
        raise _limit_error(drop, _claimed(drop, user))
    table = connection.ops.quote_name(DropClaim._meta.db_table)
    sql = (
        f"INSERT INTO {table} (drop_id, user_id, units) VALUES (%s, %s, %s) "  # noqa: S608
        f"ON CONFLICT (drop_id, user_id) DO UPDATE SET units = {table}.units + excluded.units"
    )
    params = [drop.pk, user.pk, units]
    if limit is not None:
        sql += f" WHERE {table}.units + excluded.units <= %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql + " RETURNING units", params)
        counted = cursor.fetchone()
    if counted is None:  # the condition refused the update: over the limit
        raise _limit_error(drop, _claimed(drop, user))


def _claimed(drop: Drop, user) -> int:
    return (
        DropClaim.objects.filter(drop=drop, user=user).values_list("units", flat=True).first() or 0
    )


def drop_claims_return(*, user_id: int, lines: dict[int, int]) -> None:
    """A cancelled order, or a refund that restocks, gives its units of drops back to the
    shopper's limit: they may buy them again. ``lines``: variant id -> units cancelled or
    restocked. In the transaction that cancels or refunds."""
    units: dict[int, int] = {}
    for variant_id, drop in drop_for_variants(variant_ids=list(lines)).items():
        units[drop.pk] = units.get(drop.pk, 0) + lines[variant_id]
    for drop_id in sorted(units):
        DropClaim.objects.filter(drop_id=drop_id, user_id=user_id).update(
            units=Greatest(F("units") - units[drop_id], 0)
        )


def drop_admit(*, drop: Drop, user, now: datetime | None = None) -> DropTicket | None:
    """The shopper's turn in the drop's line: returns their ticket once admitted (they may then
    check out within the reservation time), or raises DropQueued with their position.

    Without ``queue_size`` there is no line (returns None). Tickets are served in arrival order:
    a waiting ticket is admitted when fewer than ``queue_size`` admitted shoppers are still
    checking out and no earlier ticket is waiting. Admissions are serialised on the drop's row;
    a shopper who is clearly not next is answered without taking the lock.
    """
    if not drop.queue_size:
        return None
    now = now or timezone.now()
    ticket, _created = DropTicket.objects.get_or_create(drop=drop, user=user)
    if ticket.admitted_at is not None and ticket.done_at is None:
        return ticket
    if ticket.done_at is not None:
        # A shopper whose turn ended goes to the back of the line.
        ticket.delete()
        ticket = DropTicket.objects.create(drop=drop, user=user)
    active_since = now - timedelta(seconds=settings.PLAZA_RESERVATION_SECONDS)

    def standing() -> tuple[int, int]:
        tickets = DropTicket.objects.filter(drop=drop)
        active = tickets.filter(admitted_at__gt=active_since, done_at__isnull=True).count()
        ahead = tickets.filter(admitted_at__isnull=True, pk__lt=ticket.pk).count()
        return active, ahead

    active, ahead = standing()
    if active + ahead < drop.queue_size:
        with transaction.atomic():
            Drop.objects.select_for_update().filter(pk=drop.pk).first()
            active, ahead = standing()
            if active + ahead < drop.queue_size:
                DropTicket.objects.filter(pk=ticket.pk, admitted_at__isnull=True).update(
                    admitted_at=now
                )
                ticket.refresh_from_db()
                return ticket
    raise DropQueued(
        ngettext(
            "You are in line for this drop: %(n)s shopper is ahead of you.",
            "You are in line for this drop: %(n)s shoppers are ahead of you.",
            ahead + max(active - drop.queue_size + 1, 0),
        )
        % {"n": ahead + max(active - drop.queue_size + 1, 0)},
        drop_id=drop.pk,
        position=ahead + 1,
        ticket=signing.dumps(
            {"drop": drop.pk, "number": ticket.pk, "user": user.pk}, salt=TICKET_SALT
        ),
    )


def drop_ticket_done(*, drop_ids, user, now: datetime | None = None) -> None:
    """The shopper's checkout ended (paid, failed or given up): their place goes to the next."""
    DropTicket.objects.filter(drop_id__in=list(drop_ids), user=user, done_at__isnull=True).update(
        done_at=now or timezone.now()
    )
