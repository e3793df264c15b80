"""Reads of checkout: the cart, shipping methods, and the quote a checkout page shows.

A quote prices lines from the variants' current prices, the shipping each shop's chosen method
costs for that subtotal, and the tax included at the shop's inclusive rate. ``quote_seal`` signs
what the shopper was shown; ``quote_changes`` compares it with a fresh quote and says, in a
sentence per change, what is no longer true, so a checkout never charges an amount the shopper
did not see.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core import signing
from django.db import connection
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _

from plaza.accounts.models import Address, Shop, User
from plaza.catalog.models import (
    Product,
    ProductImage,
    ProductStatus,
    ProductTranslation,
    Variant,
)
from plaza.catalog.selectors import LocalizedText, product_text
from plaza.checkout.models import Cart, CartLine, Checkout, ShippingMethod
from plaza.core.exceptions import NotFound
from plaza.core.money import format_money
from plaza.core.sql import model_columns, rows_read, rows_read_joined
from plaza.inventory.models import Drop
from plaza.inventory.selectors import stock_available_and_held
from plaza.orders.services import inclusive_tax
from plaza.payments.models import PaymentMethod

SEAL_SALT = "plaza.checkout.quote"
MAX_LINES = 100


@dataclass
class QuoteLine:
    variant: Variant | None  # None: no longer for sale
    variant_id: int
    quantity: int
    available: int
    post_id: int | None = None
    line_id: int | None = None  # the cart line, for cart pages
    held: int = 0  # units of it the quote's holder holds (live), included in ``available``

    @property
    def drop(self):
        """The drop the item is part of, or None (loaded with the variant)."""
        return getattr(self.variant.product, "drop", None) if self.variant else None

    @property
    def unit_price(self) -> int:
        return self.variant.price if self.variant else 0

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def text(self) -> LocalizedText | None:
        return product_text(self.variant.product) if self.variant else None

    @property
    def image(self) -> ProductImage | None:
        if self.variant is None:
            return None
        images = list(self.variant.product.images.all())
        return images[0] if images else None

    @property
    def problem(self) -> str:
        """Why this line cannot be bought as it is, or ''."""
        if self.variant is None:
            return _("This item is no longer for sale.")
        if self.available <= 0:
            return _("Sold out.")
        if self.available < self.quantity:
            return _("Only %(n)s left.") % {"n": self.available}
        return ""


@dataclass
class ShopQuote:
    shop: Shop
    lines: list[QuoteLine]
    methods: list[ShippingMethod]
    method: ShippingMethod | None

    @property
    def currency(self) -> str:
        return self.shop.currency

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def shipping(self) -> int:
        return self.method.price_for(self.subtotal) if self.method else 0

    @property
    def total(self) -> int:
        return self.subtotal + self.shipping

    @property
    def tax(self) -> int:
        return inclusive_tax(self.total, self.shop.tax_rate_bp)

    @property
    def quantities(self) -> dict[int, int]:
        return {line.variant_id: line.quantity for line in self.lines}


@dataclass
class Quote:
    shops: list[ShopQuote] = field(default_factory=list)
    # Lines whose item is no longer for sale: shown so the page can say so, never bought.
    unavailable: list[QuoteLine] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.shops

    @property
    def problems(self) -> list[str]:
        """A sentence per line that cannot be bought as it is."""
        problems = [
            f"{line.text.title}: {line.problem}"
            for part in self.shops
            for line in part.lines
            if line.problem
        ]
        if self.unavailable:
            problems.append(_("Some items are no longer for sale."))
        return problems

    @property
    def totals(self) -> list[tuple[str, int]]:
        """(currency, total) per currency, in the order the shops come."""
        totals: dict[str, int] = {}
        for part in self.shops:
            totals[part.currency] = totals.get(part.currency, 0) + part.total
        return list(totals.items())

    @property
    def item_count(self) -> int:
        return sum(line.quantity for part in self.shops for line in part.lines)


def reservation_owner(user: User) -> str:
    """The name a shopper's stock holds go by: one set of holds per shopper at a time."""
    return f"user:{user.pk}"


# --- carts -----------------------------------------------------------------------------------


def cart_get(*, user: User | None = None, cart_id: int | None = None) -> Cart | None:
    """The user's cart, or a guest's cart by id (only while it has no user)."""
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    if cart_id:
        return Cart.objects.filter(pk=cart_id, user__isnull=True).first()
    return None


def cart_item_count(*, cart: Cart | None) -> int:
    if cart is None:
        return 0
    return sum(cart.lines.values_list("quantity", flat=True))


def _variants(
    ids: Iterable[int], *, for_display: bool = True, images: bool = True
) -> dict[int, Variant]:
    """The variants on sale among ``ids`` with their product, the product's drop and the shop,
    in one statement written out: built by the ORM (``select_related`` of three relations) it
    cost about 1 ms of CPU, and a bought unit reads it twice (the quote, then the payment)."""
    ids = list(dict.fromkeys(int(pk) for pk in ids))
    if not ids:
        return {}
    table = {m: connection.ops.quote_name(m._meta.db_table) for m in (Variant, Product, Drop, Shop)}
    sql = (
        # Names from the models' metadata, quoted; every value is a parameter.
        f"SELECT {model_columns(Variant)}, {model_columns(Product)}, {model_columns(Drop)}, "  # noqa: S608
        f"{model_columns(Shop)} FROM {table[Variant]} "
        f"INNER JOIN {table[Product]} ON {table[Product]}.id = {table[Variant]}.product_id "
        f"LEFT OUTER JOIN {table[Drop]} ON {table[Drop]}.product_id = {table[Product]}.id "
        f"INNER JOIN {table[Shop]} ON {table[Shop]}.id = {table[Variant]}.shop_id "
        f"WHERE {table[Variant]}.id IN ({', '.join(['%s'] * len(ids))}) "
        f"AND {table[Product]}.status = %s"
    )
    variants: dict[int, Variant] = {}
    products: dict[int, Product] = {}
    shops: dict[int, Shop] = {}
    for variant, product, drop, shop in rows_read_joined(
        (Variant, Product, Drop, Shop), sql, [*ids, ProductStatus.ACTIVE.value]
    ):
        # One instance per product and per shop, however many of their variants are read.
        shop = shops.setdefault(shop.pk, shop)
        if product.pk in products:
            product = products[product.pk]
        else:
            products[product.pk] = product
            if drop is not None:
                Drop.product.field.set_cached_value(drop, product)
            Product.drop.related.set_cached_value(product, drop)  # None: no drop to read
            if product.shop_id == shop.pk:
                Product.shop.field.set_cached_value(product, shop)  # the same shop: read once
        Variant.product.field.set_cached_value(variant, product)
        Variant.shop.field.set_cached_value(variant, shop)
        variants[variant.pk] = variant
    if for_display:
        prefetch_related_objects(
            list(products.values()),
            Prefetch("translations", queryset=ProductTranslation.objects.all()),
        )
    if for_display and images:
        prefetch_related_objects(
            list(products.values()),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        )
    return variants


def _shipping_methods(shop_ids: list[int]) -> list[ShippingMethod]:
    """The active shipping methods of these shops, written out (the ORM took 0.5 ms of CPU to
    build this one-table read, made by every quote and every payment)."""
    if not shop_ids:
        return []
    table = connection.ops.quote_name(ShippingMethod._meta.db_table)
    sql = (
        f"SELECT {model_columns(ShippingMethod)} FROM {table} "  # noqa: S608
        f"WHERE {table}.shop_id IN ({', '.join(['%s'] * len(shop_ids))}) "
        f"AND {table}.is_active = %s ORDER BY {table}.position, {table}.price, {table}.id"
    )
    return rows_read(ShippingMethod, sql, [*shop_ids, True])


def quote_variants(
    *, variant_ids: Iterable[int], for_display: bool = True, images: bool = True
) -> dict[int, Variant]:
    """The variants on sale among these, for ``quote_build`` (id -> variant with its product,
    the product's drop and shop): one query, plus translations and images as asked."""
    return _variants(variant_ids, for_display=for_display, images=images)


def shipping_method_list(*, shop: Shop, active_only: bool = True) -> QuerySet[ShippingMethod]:
    qs = ShippingMethod.objects.filter(shop=shop)
    return qs.filter(is_active=True) if active_only else qs


def access_shop_shipping_method(*, shop: Shop, method_id: int) -> ShippingMethod:
    try:
        return ShippingMethod.objects.get(pk=method_id, shop=shop)
    except (ShippingMethod.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("This shipping method does not exist.")) from None


def quote_build(
    *,
    lines: list[tuple[int, int, int | None]] | list[CartLine],
    shipping: dict[str, int] | None = None,
    holder: str | None = None,
    for_display: bool = True,
    images: bool = True,
    variants: dict[int, Variant] | None = None,
) -> Quote:
    """Price ``lines`` — (variant id, quantity, post id) or cart lines — grouped by shop.

    A fixed number of queries whatever the number of lines: variants with products, images and
    translations; stock; shipping methods. A shop's method is the one in ``shipping`` (shop id
    as a string -> method id) when it still offers it, else its first (cheapest) one.
    ``holder``'s own reservations count as available to it (see ``reservation_owner``).
    Without ``for_display`` the images and translations are not loaded (titles then come in the
    shop's own language); without ``images``, only the images are not (an answer with no
    pictures, such as the API's). ``variants``: those of ``quote_variants`` for these lines, when
    the caller read them already in this request.
    """
    shipping = shipping or {}
    rows: list[tuple[int, int, int | None, int | None]] = []
    for line in lines[:MAX_LINES]:
        if isinstance(line, CartLine):
            rows.append((line.variant_id, line.quantity, line.post_id, line.pk))
        else:
            rows.append((int(line[0]), int(line[1]), line[2] if len(line) > 2 else None, None))
    if variants is None:
        variants = _variants((row[0] for row in rows), for_display=for_display, images=images)
    levels = stock_available_and_held(variant_ids=[row[0] for row in rows], owner=holder)
    by_shop: dict[int, ShopQuote] = {}
    quote = Quote()
    for variant_id, quantity, post_id, line_id in rows:
        variant = variants.get(variant_id)
        line = QuoteLine(
            variant=variant,
            variant_id=variant_id,
            quantity=quantity,
            available=levels.get(variant_id, (0, 0))[0],
            post_id=post_id,
            line_id=line_id,
            held=levels.get(variant_id, (0, 0))[1],
        )
        if variant is None:
            quote.unavailable.append(line)
            continue
        part = by_shop.get(variant.shop_id)
        if part is None:
            part = by_shop[variant.shop_id] = ShopQuote(
                shop=variant.shop, lines=[], methods=[], method=None
            )
        part.lines.append(line)
    for method in _shipping_methods(list(by_shop)):
        by_shop[method.shop_id].methods.append(method)
    for shop_id, part in by_shop.items():
        chosen = shipping.get(str(shop_id))
        part.method = next((m for m in part.methods if m.pk == chosen), None) or (
            min(part.methods, key=lambda m: (m.price_for(part.subtotal), m.position, m.pk))
            if part.methods
            else None
        )
    quote.shops = list(by_shop.values())
    return quote


# --- what the shopper saw ---------------------------------------------------------------------


def _summary(quote: Quote) -> dict:
    return {
        "p": {str(line.variant_id): line.unit_price for part in quote.shops for line in part.lines},
        "s": {
            str(part.shop.pk): [part.method.pk if part.method else None, part.shipping]
            for part in quote.shops
        },
        "t": {str(part.shop.pk): part.total for part in quote.shops},
    }


def quote_seal(quote: Quote) -> str:
    """A signed summary of the prices, shipping and totals shown (for a hidden form field)."""
    return signing.dumps(_summary(quote), salt=SEAL_SALT, compress=True)


def quote_changes(*, quote: Quote, seal: str) -> list[str]:
    """Each way ``quote`` differs from what ``seal`` says was shown, in a sentence; [] when
    nothing changed. A seal that is missing or forged counts as a change."""
    try:
        seen = signing.loads(seal or "", salt=SEAL_SALT)
    except signing.BadSignature:
        return [_("The prices have not been confirmed yet. Check them and pay again.")]
    changes: list[str] = []
    now = _summary(quote)
    for part in quote.shops:
        for line in part.lines:
            before = seen.get("p", {}).get(str(line.variant_id))
            if before == line.unit_price:
                continue
            text = line.text
            title = text.title if text else str(line.variant_id)
            if before is None:
                changes.append(_("%(item)s was added.") % {"item": title})
            elif before != line.unit_price:
                changes.append(
                    _("The price of %(item)s changed from %(before)s to %(after)s.")
                    % {
                        "item": title,
                        "before": format_money(before, part.currency),
                        "after": format_money(line.unit_price, part.currency),
                    }
                )
        before_shipping = seen.get("s", {}).get(str(part.shop.pk))
        if before_shipping is not None and before_shipping[1] != part.shipping:
            changes.append(
                _("Shipping from %(shop)s changed from %(before)s to %(after)s.")
                % {
                    "shop": part.shop.name,
                    "before": format_money(before_shipping[1], part.currency),
                    "after": format_money(part.shipping, part.currency),
                }
            )
    if not changes and now["t"] != seen.get("t"):
        changes.append(_("Your order changed. Check the new total and pay again."))
    return changes


# --- checkouts ---------------------------------------------------------------------------------


def access_buyer_checkout(*, buyer: User, uid) -> Checkout:
    """A checkout of this buyer; NotFound for a missing one or another buyer's."""
    try:
        uid = uuid.UUID(str(uid))
        return Checkout.objects.prefetch_related(
            "parts__order", "parts__payment", "parts__shop"
        ).get(uid=uid, buyer=buyer)
    except (Checkout.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This checkout does not exist.")) from None


@dataclass(frozen=True)
class SavedChoices:
    """What ``checkout_saved_choices`` found in one query."""

    used_key: bool  # the buyer sent a checkout with this key already
    address: Address | None  # the saved address asked for, None when not asked or not found
    card: tuple[str, str] | None  # (provider, token) of the saved card asked for, likewise


# One statement for a returning shopper's checkout: their saved address, whether they sent a
# checkout with this key already, and their saved card. Written out: the ORM took longer to
# build its subqueries than to ask the three questions one by one.
_SAVED_CHOICES_SQL = """
SELECT a.*, (
    SELECT c.id FROM {checkout} c WHERE c.buyer_id = %s AND c.idempotency_key = %s
) AS used_checkout, (
    SELECT m.provider FROM {card} m WHERE m.id = %s AND m.user_id = %s
) AS card_provider, (
    SELECT m.token FROM {card} m WHERE m.id = %s AND m.user_id = %s
) AS card_token
FROM {address} a
WHERE a.id = %s AND a.user_id = %s
"""


def checkout_saved_choices(
    *, buyer: User, key: str, address_id: int | None, payment_method_id: int | None
) -> SavedChoices | None:
    """A returning shopper's checkout in one query: is ``key`` used, and their saved address and
    card. None when no saved address was asked for or it is not theirs: the caller then asks
    each question on its own (and says what is missing)."""
    if address_id is None:
        return None
    sql = _SAVED_CHOICES_SQL.format(
        checkout=Checkout._meta.db_table,
        card=PaymentMethod._meta.db_table,
        address=Address._meta.db_table,
    )
    card_id = payment_method_id if payment_method_id is not None else 0
    params = [buyer.pk, str(key)[:200], card_id, buyer.pk, card_id, buyer.pk, address_id, buyer.pk]
    address = next(iter(Address.objects.raw(sql, params)), None)
    if address is None:
        return None
    card_found = payment_method_id is not None and address.card_provider is not None
    return SavedChoices(
        used_key=address.used_checkout is not None,
        address=address,
        card=(address.card_provider, address.card_token) if card_found else None,
    )


def checkout_get_by_key(*, buyer: User, key: str) -> Checkout | None:
    return Checkout.objects.filter(buyer=buyer, idempotency_key=str(key)[:200]).first()
