"""Every read of orders that is more than a ``.get``."""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from plaza.accounts.models import Shop
from plaza.core.exceptions import NotFound
from plaza.orders.models import Order, OrderEvent, OrderStatus


def order_list_for_shop(
    *, shop: Shop, status: str | None = None, q: str | None = None
) -> QuerySet[Order]:
    """The shop's orders, newest first, optionally of one status and matching ``q`` (the
    order number or the shopper's e-mail). Two queries however many orders: orders, lines."""
    qs = Order.objects.filter(shop=shop).prefetch_related("lines")
    if status and status in OrderStatus.values:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number__iexact=q) | Q(number__icontains=q) | Q(email__icontains=q))
    return qs


def _with_detail(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.select_related("shop", "buyer", "payment").prefetch_related(
        "lines",
        "fulfillments",
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
    )


def access_shop_order(*, shop: Shop, order_id: int) -> Order:
    """One order of the shop, or NotFound: the same for a missing order and another shop's."""
    try:
        return _with_detail(Order.objects.filter(shop=shop)).get(pk=order_id)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This order does not exist.")) from None


def order_list_for_buyer(*, buyer: Any) -> QuerySet[Order]:
    """The shopper's orders across shops, newest first (orders, lines, shops: three queries)."""
    if not getattr(buyer, "is_authenticated", False):
        return Order.objects.none()
    return Order.objects.filter(buyer=buyer).select_related("shop").prefetch_related("lines")


def access_buyer_order(*, buyer: Any, number: str) -> Order:
    """The shopper's own order by its number, or NotFound (also for someone else's)."""
    if not getattr(buyer, "is_authenticated", False):
        raise NotFound(_("This order does not exist."))
    try:
        return _with_detail(Order.objects.filter(buyer=buyer)).get(number=number)
    except Order.DoesNotExist:
        raise NotFound(_("This order does not exist.")) from None
