import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.tests.factories import make_product
from plaza.core.exceptions import NotFound
from plaza.orders.models import OrderStatus
from plaza.orders.selectors import (
    access_buyer_order,
    access_shop_order,
    order_list_for_buyer,
    order_list_for_shop,
)
from plaza.orders.tests.factories import pay, place_order

pytestmark = pytest.mark.django_db


def _orders(shop, buyer, n):
    variants = [make_product(shop, stock=100).variants.get() for _ in range(2)]
    return [place_order(shop, buyer, [(variants[0], 1), (variants[1], 2)]) for _ in range(n)]


def _queries_to_read_shop_list(shop) -> int:
    with CaptureQueriesContext(connection) as queries:
        orders = list(order_list_for_shop(shop=shop))
        for order in orders:
            assert len(order.lines.all()) == 2
    return len(queries)


def test_order_list_for_shop_takes_two_queries_for_3_or_30_orders(shop, shopper):
    # given
    _orders(shop, shopper, 3)
    # when
    few = _queries_to_read_shop_list(shop)
    _orders(shop, shopper, 27)
    many = _queries_to_read_shop_list(shop)
    # then
    assert few == many == 2, f"orders + lines, whatever the count ({few} vs {many})"


def test_order_list_for_buyer_takes_two_queries_for_3_or_30_orders(shop, shopper):
    # given
    def count():
        with CaptureQueriesContext(connection) as queries:
            for order in order_list_for_buyer(buyer=shopper):
                assert order.shop.name and len(order.lines.all()) == 2
        return len(queries)

    _orders(shop, shopper, 3)
    # when
    few = count()
    _orders(shop, shopper, 27)
    many = count()
    # then
    assert few == many == 2, f"orders with shops + lines ({few} vs {many})"


def test_order_list_for_shop_filters_by_status_and_searches(shop, shopper):
    # given
    first, second = _orders(shop, shopper, 2)
    pay(first)
    # when
    paid = list(order_list_for_shop(shop=shop, status=OrderStatus.PAID))
    by_number = list(order_list_for_shop(shop=shop, q=second.number.lower()))
    # then
    assert paid == [first]
    assert by_number == [second]


def test_access_shop_order_refuses_another_shops_order(shop, other_shop, shopper):
    # given
    order = _orders(shop, shopper, 1)[0]
    # when / then
    assert access_shop_order(shop=shop, order_id=order.pk) == order
    with pytest.raises(NotFound, match="does not exist"):
        access_shop_order(shop=other_shop, order_id=order.pk)
    with pytest.raises(NotFound, match="does not exist"):
        access_shop_order(shop=shop, order_id=order.pk + 1000)


def test_access_buyer_order_refuses_someone_elses_order(shop, shopper):
    # given
    order = _orders(shop, shopper, 1)[0]
    stranger = UserFactory(email="stranger@plaza.test")
    # when / then
    assert access_buyer_order(buyer=shopper, number=order.number) == order
    with pytest.raises(NotFound, match="does not exist"):
        access_buyer_order(buyer=stranger, number=order.number)
