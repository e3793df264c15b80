import pytest

from plaza.accounts.services import membership_add
from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.tests.factories import make_product
from plaza.orders.tests.factories import place_order

pytestmark = pytest.mark.django_db


def test_placing_an_order_sends_one_confirmation_and_one_staff_alert_after_commit(
    shop, owner, shopper, mailoutbox, django_capture_on_commit_callbacks
):
    # given
    manager = UserFactory(email="manager@kicks.test")
    membership_add(shop=shop, user=manager, role="manager")
    membership_add(shop=shop, user=UserFactory(email="agent@kicks.test"), role="agent")
    variant = make_product(shop, title="Runner", price=50_000, stock=5).variants.get()
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = place_order(shop, shopper, [(variant, 1)])
    assert mailoutbox == [], "nothing leaves before commit"
    for callback in callbacks:
        callback()
    # then
    assert len(mailoutbox) == 2, "one confirmation, one staff alert"
    confirmation, alert = mailoutbox
    assert confirmation.to == ["shopper@plaza.test"]
    assert order.number in confirmation.subject
    assert "₱650.00" in confirmation.body, "the total, formatted with Babel"
    assert confirmation.alternatives and "Runner" in confirmation.alternatives[0][0]
    assert sorted(alert.to) == ["manager@kicks.test", "owner@kicks.test"], "owners and managers"
    assert order.number in alert.subject


def test_confirmation_is_in_the_shoppers_language(
    shop, mailoutbox, django_capture_on_commit_callbacks
):
    # given
    shopper = UserFactory(email="marie@plaza.test", language="fr")
    variant = make_product(shop, price=50_000, stock=5).variants.get()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        place_order(shop, shopper, [(variant, 1)], shipping_amount=0)
    # then
    confirmation = mailoutbox[0]
    assert "500,00" in confirmation.body, "French number format"


def test_a_retried_placement_sends_no_second_email(
    shop, shopper, mailoutbox, django_capture_on_commit_callbacks
):
    # given
    variant = make_product(shop, price=50_000, stock=5).variants.get()
    with django_capture_on_commit_callbacks(execute=True):
        place_order(shop, shopper, [(variant, 1)], idempotency_key="k1")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        place_order(shop, shopper, [(variant, 1)], idempotency_key="k1")
    # then
    assert len(mailoutbox) == 2
