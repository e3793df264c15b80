import pytest
from django.urls import reverse

from plaza.accounts.services import membership_add
from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.tests.factories import make_product
from plaza.inventory.selectors import stock_level_for_variant
from plaza.orders.models import OrderStatus
from plaza.orders.tests.factories import pay, place_order
from plaza.orders.urls import STAFF_URLS
from plaza.payments.models import PaymentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(shop):
    return make_product(shop, title="Runner", price=50_000, stock=10).variants.get()


@pytest.fixture
def order(shop, shopper, variant):
    return pay(place_order(shop, shopper, [(variant, 2)]))


def _staff_url(name, shop, order):
    if name == "order-list-staff":
        return reverse(f"orders:{name}", args=[shop.slug])
    return reverse(f"orders:{name}", args=[shop.slug, order.pk])


def test_staff_order_list_shows_the_shops_orders(client, owner, shop, order):
    # given
    client.force_login(owner)
    # when
    response = client.get(reverse("orders:order-list-staff", args=[shop.slug]))
    # then
    assert response.status_code == 200
    assert order.number in response.content.decode(), "the order is listed"


def test_staff_order_list_filters_by_status_and_searches_by_email(
    client, owner, shop, order, variant
):
    # given
    other = place_order(shop, None, [(variant, 1)], email="guest@example.test")
    client.force_login(owner)
    url = reverse("orders:order-list-staff", args=[shop.slug])
    # when
    paid = client.get(url, {"status": OrderStatus.PAID}).content.decode()
    found = client.get(url, {"q": "guest@example"}).content.decode()
    # then
    assert order.number in paid and other.number not in paid, "status filter"
    assert other.number in found and order.number not in found, "search by e-mail"


def test_staff_order_page_shows_lines_totals_address_and_timeline(client, owner, shop, order):
    # given
    client.force_login(owner)
    # when
    response = client.get(reverse("orders:order-detail-staff", args=[shop.slug, order.pk]))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Runner" in html and "Maria Santos" in html
    assert "₱1,150.00" in html, "the total, money-formatted"
    assert "Placed" in html and "Paid" in html, "the timeline"


def test_fulfil_form_ships_the_order(client, owner, shop, order, variant):
    # given
    client.force_login(owner)
    url = reverse("orders:order-fulfil", args=[shop.slug, order.pk])
    # when
    response = client.post(url, {"carrier": "LBC", "tracking_number": "LBC-77"})
    # then
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert stock_level_for_variant(variant_id=variant.pk).quantity == 8


def test_fulfil_without_a_carrier_shows_the_error(client, owner, shop, order):
    client.force_login(owner)
    url = reverse("orders:order-fulfil", args=[shop.slug, order.pk])
    response = client.post(url, {"carrier": ""})
    assert response.status_code == 422
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_cancel_asks_for_confirmation_then_returns_stock(
    client, owner, shop, shopper, variant, django_capture_on_commit_callbacks
):
    # given
    order = pay(place_order(shop, shopper, [(variant, 2)]), capture=False)
    client.force_login(owner)
    url = reverse("orders:order-cancel", args=[shop.slug, order.pk])
    # when
    confirm = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    # then
    assert confirm.status_code == 200 and "Cancel order" in confirm.content.decode()
    assert response.status_code == 302
    order.refresh_from_db()
    order.payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.payment.status == PaymentStatus.VOIDED
    assert stock_level_for_variant(variant_id=variant.pk).allocated == 0


def test_refund_form_refunds_one_line_with_restock(client, owner, shop, order, variant):
    # given
    client.force_login(owner)
    line = order.lines.get()
    url = reverse("orders:order-refund", args=[shop.slug, order.pk])
    # when
    response = client.post(url, {f"line_{line.pk}": "1", "restock": "on"})
    # then
    assert response.status_code == 302
    line.refresh_from_db()
    order.refresh_from_db()
    assert line.quantity_refunded == 1
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    assert stock_level_for_variant(variant_id=variant.pk).allocated == 1


def test_refund_of_nothing_shows_an_error(client, owner, shop, order):
    client.force_login(owner)
    url = reverse("orders:order-refund", args=[shop.slug, order.pk])
    response = client.post(url, {})
    assert response.status_code == 422
    assert "Choose at least one item" in response.content.decode()


def test_agent_can_view_orders_but_not_act(client, shop, order):
    # given
    agent = UserFactory(email="agent@kicks.test")
    membership_add(shop=shop, user=agent, role="agent")
    client.force_login(agent)
    # when
    page = client.get(reverse("orders:order-detail-staff", args=[shop.slug, order.pk]))
    fulfil = client.post(
        reverse("orders:order-fulfil", args=[shop.slug, order.pk]), {"carrier": "LBC"}
    )
    # then
    assert page.status_code == 200
    assert fulfil.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.parametrize("name", [p.name for p in STAFF_URLS])
def test_staff_of_another_shop_get_404_on_every_staff_order_url(
    client, other_owner, other_shop, shop, order, name
):
    # given
    client.force_login(other_owner)
    # when
    as_url_of_their_shop = client.post(
        reverse(f"orders:{name}", args=[other_shop.slug, order.pk])
        if name != "order-list-staff"
        else reverse(f"orders:{name}", args=[other_shop.slug])
    )
    as_url_of_the_shop = client.get(_staff_url(name, shop, order))
    # then
    if name != "order-list-staff":
        assert as_url_of_their_shop.status_code == 404, "another shop's order is not found"
    assert as_url_of_the_shop.status_code == 404, "a shop they do not work for is not found"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_shopper_sees_their_order_history_and_order(client, shopper, order):
    # given
    client.force_login(shopper)
    # when
    history = client.get(reverse("orders:order-list"))
    page = client.get(reverse("orders:order-detail", args=[order.number]))
    # then
    assert order.number in history.content.decode()
    assert page.status_code == 200 and "Runner" in page.content.decode()


def test_another_shopper_gets_404_for_someone_elses_order(client, order):
    client.force_login(UserFactory(email="nosy@plaza.test"))
    response = client.get(reverse("orders:order-detail", args=[order.number]))
    assert response.status_code == 404


def test_order_history_needs_a_login(client):
    response = client.get(reverse("orders:order-list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_shopper_order_page_shows_tracking(client, owner, shopper, order):
    # given
    from plaza.orders.services import order_fulfil

    order_fulfil(order=order, by=owner, carrier="LBC", tracking_number="LBC-123")
    client.force_login(shopper)
    # when
    html = client.get(reverse("orders:order-detail", args=[order.number])).content.decode()
    # then
    assert "LBC-123" in html and "Fulfilled" in html


def _page_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _place_many(shop, buyer, variant, n):
    for _ in range(n):
        place_order(shop, buyer, [(variant, 1)])


def test_staff_order_list_query_count_is_the_same_for_3_and_30_orders(client, owner, shop, shopper):
    # given
    variant = make_product(shop, stock=100).variants.get()
    client.force_login(owner)
    url = reverse("orders:order-list-staff", args=[shop.slug])
    _place_many(shop, shopper, variant, 3)
    # when
    few = _page_queries(client, url)
    _place_many(shop, shopper, variant, 27)
    many = _page_queries(client, url)
    # then
    # session, user, membership + shop, count, the top bar's shops, orders, lines
    assert few == many == 7, f"no query per order ({few} vs {many})"


def test_shopper_order_list_query_count_is_the_same_for_3_and_30_orders(client, shop, shopper):
    # given
    variant = make_product(shop, stock=100).variants.get()
    client.force_login(shopper)
    url = reverse("orders:order-list")
    _place_many(shop, shopper, variant, 3)
    # when
    few = _page_queries(client, url)
    _place_many(shop, shopper, variant, 27)
    many = _page_queries(client, url)
    # then
    # session, user, the top bar's shops, count, orders with shops, lines
    assert few == many == 6, f"no query per order ({few} vs {many})"
