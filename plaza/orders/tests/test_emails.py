"""The placed-order e-mails: due with the order, in its transaction, and sent by the periodic
sender (``order_send_due_mails``), once, outside the shopper's request."""

from datetime import timedelta

import pytest
from django.utils import timezone

from plaza.accounts.services import membership_add
from plaza.accounts.tests.factories import UserFactory
from plaza.catalog.tests.factories import make_product
from plaza.core.testing import requires_postgres, run_together
from plaza.orders import services
from plaza.orders.models import Order
from plaza.orders.services import order_send_due_mails
from plaza.orders.tests.factories import place_order

pytestmark = pytest.mark.django_db


def test_placing_an_order_makes_one_confirmation_and_one_staff_alert_due(
    shop, owner, shopper, mailoutbox, django_capture_on_commit_callbacks
):
    # given
    manager = UserFactory(email="manager@kicks.test")
    membership_add(shop=shop, user=manager, role="manager")
    membership_add(shop=shop, user=UserFactory(email="agent@kicks.test"), role="agent")
    variant = make_product(shop, title="Runner", price=50_000, stock=5).variants.get()
    # when: the order is placed (and committed)
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(shop, shopper, [(variant, 1)])
    # then: nothing left with the shopper's request; the periodic sender sends both, once
    assert mailoutbox == [], "nothing leaves from the shopper's request"
    assert Order.objects.get(pk=order.pk).mails_due
    assert order_send_due_mails() == 1
    assert order_send_due_mails() == 0, "sent once"
    assert len(mailoutbox) == 2, "one confirmation, one staff alert"
    confirmation, alert = mailoutbox
    assert confirmation.to == ["shopper@plaza.test"]
    assert order.number in confirmation.subject
    assert "₱650.00" in confirmation.body, "the total, formatted with Babel"
    assert confirmation.alternatives and "Runner" in confirmation.alternatives[0][0]
    assert sorted(alert.to) == ["manager@kicks.test", "owner@kicks.test"], "owners and managers"
    assert order.number in alert.subject
    assert not Order.objects.get(pk=order.pk).mails_due


def test_confirmation_is_in_the_shoppers_language(shop, mailoutbox):
    # given
    shopper = UserFactory(email="marie@plaza.test", language="fr")
    variant = make_product(shop, price=50_000, stock=5).variants.get()
    place_order(shop, shopper, [(variant, 1)], shipping_amount=0)
    # when
    order_send_due_mails()
    # then
    confirmation = mailoutbox[0]
    assert "500,00" in confirmation.body, "French number format"


def test_a_retried_placement_sends_no_second_email(shop, shopper, mailoutbox):
    # given
    variant = make_product(shop, price=50_000, stock=5).variants.get()
    place_order(shop, shopper, [(variant, 1)], idempotency_key="k1")
    order_send_due_mails()
    # when
    place_order(shop, shopper, [(variant, 1)], idempotency_key="k1")
    order_send_due_mails()
    # then
    assert len(mailoutbox) == 2


def test_a_mail_server_that_is_down_delays_the_emails_and_loses_none(
    shop, shopper, mailoutbox, monkeypatch
):
    # given: an order placed while the mail server cannot be reached
    variant = make_product(shop, price=50_000, stock=5).variants.get()
    order = place_order(shop, shopper, [(variant, 1)])
    send = services.send_mail

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(services, "send_mail", unreachable)
    # when: the sender runs, then runs again once the server is back
    assert order_send_due_mails() == 0
    still_due = Order.objects.get(pk=order.pk).mails_due
    monkeypatch.setattr(services, "send_mail", send)
    sent = order_send_due_mails()
    # then
    assert still_due, "due again for the next run"
    assert sent == 1 and len(mailoutbox) == 2


def test_a_sender_that_dies_after_its_claim_leaves_the_emails_to_a_run_after_the_lease(
    shop, shopper, mailoutbox, monkeypatch
):
    # given: a sender that claims an order's e-mails and dies before sending them
    variant = make_product(shop, price=50_000, stock=5).variants.get()
    order = place_order(shop, shopper, [(variant, 1)])

    class Killed(BaseException):
        pass

    def killed(**kwargs):
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(services, "order_send_placed_emails", killed)
        with pytest.raises(Killed):
            order_send_due_mails()
    # when: a run within the lease, then one after it
    within = order_send_due_mails()
    after_lease = timezone.now() + services.MAILS_LEASE + timedelta(seconds=1)
    monkeypatch.setattr(services.timezone, "now", lambda: after_lease)
    after = order_send_due_mails()
    # then: the claim held, then lapsed; the e-mails went out once, and are done
    assert within == 0, "claimed: a run that overlaps the dead one does not take it"
    assert after == 1 and len(mailoutbox) == 2
    assert not Order.objects.get(pk=order.pk).mails_due
    assert order_send_due_mails() == 0


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_order_once(shop, shopper, mailoutbox):
    # given: five orders whose e-mails are due
    variant = make_product(shop, price=50_000, stock=10).variants.get()
    for _ in range(5):
        place_order(shop, shopper, [(variant, 1)])
    # when: two senders run at the same time (a beat that overlaps a slow run)
    counts = run_together(2, lambda _i: order_send_due_mails())
    # then: every order's two e-mails went out once
    assert sum(counts) == 5
    assert len(mailoutbox) == 10
    assert not Order.objects.filter(mails_due=True).exists()
