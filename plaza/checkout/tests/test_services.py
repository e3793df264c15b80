"""Carts across shops and checkouts that make one paid order per shop."""

import pytest
from django.core import mail
from django.db import connection

from plaza.accounts.models import Address
from plaza.catalog.services import variant_update
from plaza.catalog.tests.factories import make_product
from plaza.checkout.exceptions import CheckoutConflict, CheckoutStale, PaymentDeclined
from plaza.checkout.models import Cart, Checkout, CheckoutStatus
from plaza.checkout.selectors import quote_build, quote_changes, quote_seal, reservation_owner
from plaza.checkout.services import (
    AddressChoice,
    PaymentChoice,
    cart_add,
    cart_choose_shipping,
    cart_get_or_create,
    cart_line_update,
    checkout_abandon,
    checkout_complete,
    checkout_confirm,
    checkout_hold,
    checkout_next_action,
    shipping_method_create,
)
from plaza.checkout.tests.factories import buy_now, pay_cart, seal_for
from plaza.core.exceptions import NotFound, ValidationError
from plaza.inventory.selectors import stock_level_for_variant
from plaza.orders.models import Order, OrderStatus
from plaza.orders.services import order_send_due_mails
from plaza.orders.tests.factories import ADDRESS
from plaza.payments.models import Payment, PaymentMethod, PaymentStatus
from plaza.payments.tests.factories import DECLINED, THREE_D_SECURE

pytestmark = pytest.mark.django_db


@pytest.fixture
def kicks(shop):
    shop.tax_rate_bp = 1_200
    shop.save(update_fields=["tax_rate_bp"])
    shipping_method_create(
        shop=shop, data={"name": "Standard", "price": 15_000, "free_above": 1_000_000}
    )
    shipping_method_create(shop=shop, data={"name": "Express", "price": 35_000})
    return shop


@pytest.fixture
def sneaker(kicks):
    return make_product(kicks, title="Court Runner", price=499_900, sizes=("41", "42"), stock=3)


@pytest.fixture
def serum(other_shop):
    shipping_method_create(shop=other_shop, data={"name": "Colissimo", "price": 590})
    return make_product(other_shop, title="Sérum", price=2_900, stock=10)


def first_variant(product):
    return product.variants.order_by("pk").first()


# --- carts ----------------------------------------------------------------------------------


def test_cart_add_adds_up_quantities_of_the_same_variant(shopper, sneaker):
    # given
    cart = cart_get_or_create(user=shopper)
    variant = first_variant(sneaker)
    # when
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    line = cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    # then
    assert line.quantity == 3
    assert cart.lines.count() == 1


def test_cart_add_refuses_more_than_the_stock_and_changes_nothing(shopper, sneaker):
    # given
    cart = cart_get_or_create(user=shopper)
    variant = first_variant(sneaker)
    cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    # when / then
    with pytest.raises(ValidationError, match="Only 3 of Court Runner left"):
        cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    assert cart.lines.get().quantity == 2


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", True, 100])
def test_cart_add_refuses_a_quantity_that_is_not_a_whole_number_from_1_to_99(
    shopper, sneaker, quantity
):
    cart = cart_get_or_create(user=shopper)
    with pytest.raises(ValidationError):
        cart_add(cart=cart, variant_id=first_variant(sneaker).pk, quantity=quantity)
    assert not cart.lines.exists()


def test_cart_add_refuses_a_draft_product_as_not_for_sale(shopper, kicks):
    draft = make_product(kicks, status="draft", stock=5)
    cart = cart_get_or_create(user=shopper)
    with pytest.raises(NotFound, match="not for sale"):
        cart_add(cart=cart, variant_id=first_variant(draft).pk)


def test_guest_cart_is_merged_into_the_users_cart_when_they_sign_in(shopper, sneaker, serum):
    # given
    mine = cart_get_or_create(user=shopper)
    cart_add(cart=mine, variant_id=first_variant(sneaker).pk, quantity=1)
    guest = cart_get_or_create(user=None)
    cart_add(cart=guest, variant_id=first_variant(sneaker).pk, quantity=1)
    cart_add(cart=guest, variant_id=first_variant(serum).pk, quantity=2)
    # when
    cart = cart_get_or_create(user=shopper, guest_cart_id=guest.pk)
    # then
    assert cart.pk == mine.pk
    assert {line.variant_id: line.quantity for line in cart.lines.all()} == {
        first_variant(sneaker).pk: 2,
        first_variant(serum).pk: 2,
    }
    assert not Cart.objects.filter(pk=guest.pk).exists()


def test_cart_line_update_to_zero_removes_the_line(shopper, sneaker):
    cart = cart_get_or_create(user=shopper)
    line = cart_add(cart=cart, variant_id=first_variant(sneaker).pk)
    assert cart_line_update(cart=cart, line_id=line.pk, quantity=0) is None
    assert not cart.lines.exists()


def test_cart_line_update_refuses_another_carts_line(shopper, other_owner, sneaker):
    theirs = cart_get_or_create(user=other_owner)
    line = cart_add(cart=theirs, variant_id=first_variant(sneaker).pk)
    mine = cart_get_or_create(user=shopper)
    with pytest.raises(NotFound):
        cart_line_update(cart=mine, line_id=line.pk, quantity=2)
    line.refresh_from_db()
    assert line.quantity == 1


# --- quotes ---------------------------------------------------------------------------------


def test_quote_groups_lines_by_shop_and_prices_shipping_and_inclusive_tax(shopper, sneaker, serum):
    # given
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=first_variant(sneaker).pk, quantity=1)
    cart_add(cart=cart, variant_id=first_variant(serum).pk, quantity=2)
    # when
    quote = quote_build(lines=list(cart.lines.all()))
    # then
    kicks, belle = quote.shops
    assert (kicks.subtotal, kicks.shipping, kicks.total) == (499_900, 15_000, 514_900)
    assert kicks.method.name == "Standard"
    assert kicks.tax == round(514_900 * 1_200 / 11_200)
    assert (belle.subtotal, belle.shipping, belle.total, belle.tax) == (5_800, 590, 6_390, 0)
    assert quote.totals == [("PHP", 514_900), ("EUR", 6_390)]


def test_quote_ships_free_above_the_threshold(shopper, kicks, sneaker):
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=first_variant(sneaker).pk, quantity=3)  # 1,499,700
    assert quote_build(lines=list(cart.lines.all())).shops[0].shipping == 0


def test_quote_uses_the_chosen_shipping_method(shopper, kicks, sneaker):
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=first_variant(sneaker).pk)
    express = kicks.shipping_methods.get(name="Express")
    cart = cart_choose_shipping(cart=cart, shop_id=kicks.pk, method_id=express.pk)
    assert (
        quote_build(lines=list(cart.lines.all()), shipping=cart.shipping).shops[0].shipping
        == 35_000
    )


def test_quote_changes_names_the_item_whose_price_changed(shopper, sneaker):
    # given
    variant = first_variant(sneaker)
    lines = [(variant.pk, 1, None)]
    seal = quote_seal(quote_build(lines=lines))
    variant_update(variant=variant, price=459_900)
    # when
    changes = quote_changes(quote=quote_build(lines=lines), seal=seal)
    # then
    assert len(changes) == 1
    assert "Court Runner" in changes[0] and "4,999.00" in changes[0] and "4,599.00" in changes[0]


def test_quote_changes_refuses_a_forged_seal(shopper, sneaker):
    quote = quote_build(lines=[(first_variant(sneaker).pk, 1, None)])
    assert quote_changes(quote=quote, seal="forged") != []
    assert quote_changes(quote=quote, seal=quote_seal(quote)) == []


# --- checkout -------------------------------------------------------------------------------


def test_checkout_of_a_cart_with_two_shops_makes_two_paid_orders_and_empties_the_cart(
    shopper, sneaker, serum, django_capture_on_commit_callbacks
):
    # given
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=first_variant(sneaker).pk, quantity=1, post_id=77)
    cart_add(cart=cart, variant_id=first_variant(serum).pk, quantity=2)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        checkout = pay_cart(shopper, cart, attribution={"utm_source": "ig", "fbclid": "AbC"})
    # then
    assert checkout.status == CheckoutStatus.COMPLETED
    orders = {o.shop.slug: o for o in Order.objects.filter(buyer=shopper)}
    assert set(orders) == {"kicks", "belle"}
    assert (orders["kicks"].total, orders["kicks"].currency) == (514_900, "PHP")
    assert (orders["belle"].total, orders["belle"].currency) == (6_390, "EUR")
    assert all(o.status == OrderStatus.PAID for o in orders.values())
    assert orders["kicks"].tax_rate_bp == 1_200
    assert orders["kicks"].post_id == 77
    assert orders["kicks"].utm_source == "ig" and orders["kicks"].click_ids == {"fbclid": "AbC"}
    assert not cart.lines.exists()
    assert stock_level_for_variant(variant_id=first_variant(sneaker).pk).allocated == 1
    order_send_due_mails()  # the periodic sender
    to_shopper = [m for m in mail.outbox if m.to == [shopper.email]]
    assert (
        sorted(o.number in m.subject for o in orders.values() for m in to_shopper).count(True) == 2
    )


def test_checkout_with_a_declined_card_places_no_order_and_keeps_the_cart(shopper, sneaker, serum):
    # given
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=first_variant(sneaker).pk)
    cart_add(cart=cart, variant_id=first_variant(serum).pk)
    # when
    with pytest.raises(PaymentDeclined, match="declined"):
        pay_cart(shopper, cart, number=DECLINED)
    # then
    assert not Order.objects.exists()
    assert cart.lines.count() == 2
    assert stock_level_for_variant(variant_id=first_variant(sneaker).pk).allocated == 0
    assert Checkout.objects.get().status == CheckoutStatus.FAILED


def test_checkout_repeated_with_the_same_key_returns_the_same_orders(shopper, sneaker):
    # given
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=first_variant(sneaker).pk)
    seal = seal_for(cart=cart)
    first = pay_cart(shopper, cart, key="double-click", seal=seal)
    # when
    again = pay_cart(shopper, cart, key="double-click", seal=seal)
    # then
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


def test_checkout_with_the_same_key_and_another_request_is_refused(shopper, sneaker, serum):
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=first_variant(sneaker).pk)
    pay_cart(shopper, cart, key="k1")
    with pytest.raises(CheckoutConflict):
        buy_now(shopper, first_variant(serum), key="k1")
    assert Order.objects.count() == 1


def test_checkout_explains_a_price_change_before_charging(shopper, sneaker):
    # given
    cart = cart_get_or_create(user=shopper)
    variant = first_variant(sneaker)
    cart_add(cart=cart, variant_id=variant.pk)
    seal = seal_for(cart=cart)
    variant_update(variant=variant, price=529_900)
    # when
    with pytest.raises(CheckoutStale) as caught:
        pay_cart(shopper, cart, seal=seal)
    # then
    assert "5,299.00" in caught.value.changes[0]
    assert not Payment.objects.exists() and not Order.objects.exists()
    assert cart.lines.count() == 1


def test_checkout_explains_a_line_that_sold_out_before_charging(shopper, other_owner, sneaker):
    # given
    variant = first_variant(sneaker)
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=variant.pk, quantity=3)
    seal = seal_for(cart=cart)
    buy_now(other_owner, variant, quantity=2)
    # when
    with pytest.raises(CheckoutStale) as caught:
        pay_cart(shopper, cart, seal=seal)
    # then
    assert "Only 1 left" in caught.value.changes[0]
    assert not Order.objects.filter(buyer=shopper).exists()


def test_buy_now_pays_one_item_without_touching_the_cart(shopper, sneaker, serum):
    # given
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=first_variant(serum).pk)
    # when
    checkout = buy_now(shopper, first_variant(sneaker), post_id=5)
    # then
    order = checkout.parts.get().order
    assert order.status == OrderStatus.PAID and order.post_id == 5
    assert cart.lines.count() == 1


def test_checkout_saves_the_card_and_address_when_asked_and_buys_again_with_them(shopper, sneaker):
    # given
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant_id=first_variant(sneaker).pk)
    pay_cart(shopper, cart, save_card=True, save_address=True)
    card = PaymentMethod.objects.get(user=shopper)
    address = Address.objects.get(user=shopper)
    # when
    lines = [(first_variant(sneaker).pk, 1, None)]
    checkout = checkout_complete(
        buyer=shopper,
        idempotency_key="again",
        seal=seal_for(lines=lines),
        lines=lines,
        address=AddressChoice(address_id=address.pk),
        payment=PaymentChoice(method_id=card.pk),
    )
    # then
    assert checkout.status == CheckoutStatus.COMPLETED
    assert card.is_default and address.is_default
    assert Order.objects.filter(buyer=shopper, status=OrderStatus.PAID).count() == 2


def test_checkout_refuses_another_users_saved_card(shopper, other_owner, sneaker):
    cart = cart_get_or_create(user=other_owner)
    cart_add(cart=cart, variant_id=first_variant(sneaker).pk)
    pay_cart(other_owner, cart, save_card=True)
    theirs = PaymentMethod.objects.get(user=other_owner)
    with pytest.raises(NotFound):
        buy_now(shopper, first_variant(sneaker), payment=PaymentChoice(method_id=theirs.pk))
    assert not Order.objects.filter(buyer=shopper).exists()


@pytest.mark.parametrize("theirs", ["address", "card"])
def test_checkout_refuses_another_users_saved_address_or_card_with_a_saved_address(
    shopper, other_owner, sneaker, theirs
):
    """The saved address and card are read with the key in one query: what is not the
    shopper's is still refused as missing, and nothing is charged."""
    # given: each shopper has a saved address and card
    from plaza.accounts.services import address_create
    from plaza.payments.services import payment_method_save
    from plaza.payments.tests.factories import card_token

    mine = (
        address_create(user=shopper, data=ADDRESS),
        payment_method_save(user=shopper, token=card_token()),
    )
    other = (
        address_create(user=other_owner, data=ADDRESS),
        payment_method_save(user=other_owner, token=card_token()),
    )
    address, card = (other[0], mine[1]) if theirs == "address" else (mine[0], other[1])
    # when / then
    with pytest.raises(NotFound, match=theirs):
        buy_now(
            shopper,
            first_variant(sneaker),
            address=AddressChoice(address_id=address.pk),
            payment=PaymentChoice(method_id=card.pk),
        )
    assert not Payment.objects.exists()


def test_a_returning_shopper_repeating_a_checkout_gets_the_same_one(shopper, sneaker):
    # given: a checkout paid with the saved address and card
    from plaza.accounts.services import address_create
    from plaza.payments.services import payment_method_save
    from plaza.payments.tests.factories import card_token

    saved = {
        "address": AddressChoice(address_id=address_create(user=shopper, data=ADDRESS).pk),
        "payment": PaymentChoice(
            method_id=payment_method_save(user=shopper, token=card_token()).pk
        ),
    }
    variant = first_variant(sneaker)
    checkout_hold(buyer=shopper, lines=[(variant.pk, 1)])
    first = buy_now(shopper, variant, key="again", **saved)
    # when: the same request again (its hold is gone: it became the order)
    again = buy_now(shopper, variant, key="again", **saved)
    # then
    assert again.pk == first.pk
    assert Order.objects.filter(buyer=shopper).count() == 1


def test_checkout_refuses_an_incomplete_address_and_charges_nothing(shopper, sneaker):
    with pytest.raises(ValidationError, match="city"):
        buy_now(
            shopper,
            first_variant(sneaker),
            address=AddressChoice(data={"full_name": "A", "line1": "B", "country": "PH"}),
        )
    assert not Payment.objects.exists()


def test_buy_now_of_held_units_is_charged_in_one_step_and_the_order_is_paid(shopper, sneaker):
    """Held units cannot run out before the order is placed: one sale, no capture afterwards."""
    # given: the shopper holds the unit
    from plaza.payments.models import PaymentEvent, PaymentEventKind

    variant = first_variant(sneaker)
    checkout_hold(buyer=shopper, lines=[(variant.pk, 1)])
    # when
    checkout = buy_now(shopper, variant)
    # then
    assert checkout.status == CheckoutStatus.COMPLETED
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, payment.amount)
    kinds = list(PaymentEvent.objects.values_list("kind", flat=True))
    assert kinds == [PaymentEventKind.AUTHORIZE], "one call to the provider: the sale"
    order = Order.objects.get()
    assert (order.status, order.payment_id) == (OrderStatus.PAID, payment.pk)
    assert list(order.events.values_list("kind", flat=True)) == ["placed", "paid"]
    level = stock_level_for_variant(variant_id=variant.pk)
    assert (level.allocated, level.reserved) == (1, 0)


def test_those_who_hear_of_a_captured_sale_find_its_order_paid(
    shopper, sneaker, monkeypatch, django_capture_on_commit_callbacks
):
    """A sale is captured before its order exists: ``payment.captured`` comes again after."""
    # given: a subscriber that looks for the orders of each captured payment
    from plaza.core import events

    seen = []

    def heard(*, payment_id, **_payload):
        seen.append(list(Order.objects.filter(payment_id=payment_id).values_list("status")))

    monkeypatch.setitem(events._handlers, "payment.captured", [heard])
    variant = first_variant(sneaker)
    checkout_hold(buyer=shopper, lines=[(variant.pk, 1)])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        buy_now(shopper, variant)
    # then: heard once, after the order was placed with the sale
    assert seen == [[(OrderStatus.PAID,)]]


def test_a_sale_is_recorded_even_when_placing_its_order_breaks(shopper, sneaker, monkeypatch):
    """The provider's answer waits for the placement's transaction; if that transaction fails
    for any reason the answer is still recorded, so the payment is neither lost nor in flight."""
    # given: the shopper holds the unit, and placing the order breaks unexpectedly
    from plaza.checkout import services
    from plaza.payments.models import PaymentEventStatus

    variant = first_variant(sneaker)
    checkout_hold(buyer=shopper, lines=[(variant.pk, 1)])

    def broken(**_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "order_place", broken)
    # when
    with pytest.raises(RuntimeError):
        buy_now(shopper, variant)
    # then: the sale is recorded, nothing was placed
    payment = Payment.objects.get()
    assert (payment.status, payment.in_flight_until) == (PaymentStatus.CAPTURED, None)
    assert payment.events.get().status == PaymentEventStatus.SUCCEEDED
    assert not Order.objects.exists()


def test_a_sale_whose_order_cannot_be_placed_is_refunded(shopper, sneaker, monkeypatch):
    # given: the shopper holds the unit, but the stock is gone when the order is placed
    from plaza.checkout import services
    from plaza.inventory.exceptions import InsufficientStock

    variant = first_variant(sneaker)
    checkout_hold(buyer=shopper, lines=[(variant.pk, 1)])

    def sold_out(**_kwargs):
        raise InsufficientStock({variant.pk: 0})

    monkeypatch.setattr(services, "stock_allocate", sold_out)
    # when
    with pytest.raises(CheckoutStale, match="You have not been charged"):
        buy_now(shopper, variant)
    # then: the money went back, nothing was placed, nothing is held
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, payment.amount)
    assert Checkout.objects.get().status == CheckoutStatus.FAILED
    assert not Order.objects.exists()
    assert stock_level_for_variant(variant_id=variant.pk).reserved == 0


def test_an_order_number_drawn_twice_is_drawn_again_and_the_sale_goes_through(
    shopper, other_owner, sneaker, monkeypatch
):
    """The order is written without a savepoint of its own: a number that is taken breaks the
    placement's transaction, which runs again with another number."""
    # given: an order exists; the next number drawn is its number, then a fresh one
    from plaza.orders import services as order_services

    variant = first_variant(sneaker)
    taken = buy_now(other_owner, variant).parts.get().order.number
    numbers = iter([taken, "FRSH-0001"])
    monkeypatch.setattr(order_services, "_new_number", lambda: next(numbers))
    checkout_hold(buyer=shopper, lines=[(variant.pk, 1)])
    # when
    checkout = buy_now(shopper, variant)
    # then: one order under the fresh number, paid once
    assert checkout.status == CheckoutStatus.COMPLETED
    order = Order.objects.get(buyer=shopper)
    assert (order.number, order.status) == ("FRSH-0001", OrderStatus.PAID)
    assert Payment.objects.get(pk=order.payment_id).amount_captured == order.total
    assert stock_level_for_variant(variant_id=variant.pk).allocated == 2


def test_a_sale_whose_payment_changed_meanwhile_is_placed_under_the_payments_lock(
    shopper, sneaker, monkeypatch
):
    """A provider's notification may change the payment while the sale's answer is on the
    way: the placement then runs again, reading the payment under its lock."""
    # given: the shopper holds the unit; a notification touches the payment after the call
    from django.utils import timezone

    from plaza.checkout import services

    real_call = services.payment_call

    def call_then_notified(**kwargs):
        answer = real_call(**kwargs)
        Payment.objects.filter(pk=answer.payment.pk).update(updated_at=timezone.now())
        return answer

    real_record, locks = services.payment_record, []

    def record(*, answer, lock=False):
        locks.append(lock)
        return real_record(answer=answer, lock=lock)

    monkeypatch.setattr(services, "payment_call", call_then_notified)
    monkeypatch.setattr(services, "payment_record", record)
    variant = first_variant(sneaker)
    checkout_hold(buyer=shopper, lines=[(variant.pk, 1)])
    # when
    checkout = buy_now(shopper, variant)
    # then: recorded again under the lock; one paid order, the sale captured once
    assert locks == [False, True]
    assert checkout.status == CheckoutStatus.COMPLETED
    order = Order.objects.get()
    payment = Payment.objects.get()
    assert (order.status, order.payment_id) == (OrderStatus.PAID, payment.pk)
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, order.total)
    assert stock_level_for_variant(variant_id=variant.pk).allocated == 1


def test_checkout_with_a_card_that_asks_for_confirmation_waits_then_completes(shopper, sneaker):
    # given
    checkout = buy_now(shopper, first_variant(sneaker), number=THREE_D_SECURE)
    assert checkout.status == CheckoutStatus.REQUIRES_ACTION
    assert not Order.objects.exists()
    _part, payment = checkout_next_action(checkout=checkout)
    # when
    checkout = checkout_confirm(checkout=checkout, confirmation_token=payment.next_action["token"])
    # then
    assert checkout.status == CheckoutStatus.COMPLETED
    assert Order.objects.get().status == OrderStatus.PAID


def test_checkout_abandoned_at_the_confirmation_step_voids_the_payment(shopper, sneaker):
    checkout = buy_now(shopper, first_variant(sneaker), number=THREE_D_SECURE)
    checkout_abandon(checkout=checkout)
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.FAILED
    assert Payment.objects.get().status == PaymentStatus.VOIDED
    assert not Order.objects.exists()


def test_checkout_of_an_empty_cart_is_refused(shopper):
    cart = cart_get_or_create(user=shopper)
    with pytest.raises(ValidationError, match="empty"):
        pay_cart(shopper, cart)


# --- holds while checking out ------------------------------------------------------------------


def test_starting_a_checkout_holds_the_units_so_another_shopper_cannot_take_them(
    shopper, other_owner, sneaker
):
    # given: the shopper opens the checkout for all 3 units
    variant = first_variant(sneaker)
    until = checkout_hold(buyer=shopper, lines=[(variant.pk, 3)])
    # when
    theirs = quote_build(lines=[(variant.pk, 1, None)], holder=reservation_owner(other_owner))
    mine = quote_build(lines=[(variant.pk, 3, None)], holder=reservation_owner(shopper))
    # then
    assert until is not None
    assert theirs.problems == ["Court Runner: Sold out."]
    assert mine.problems == []
    with pytest.raises(CheckoutStale):
        buy_now(other_owner, variant)


def test_a_completed_checkout_turns_the_hold_into_the_order(shopper, sneaker):
    variant = first_variant(sneaker)
    checkout_hold(buyer=shopper, lines=[(variant.pk, 2)])
    buy_now(shopper, variant, quantity=2)
    level = stock_level_for_variant(variant_id=variant.pk)
    assert (level.allocated, level.reserved, level.available) == (2, 0, 1)


def test_a_declined_checkout_gives_the_held_units_back(shopper, sneaker):
    variant = first_variant(sneaker)
    checkout_hold(buyer=shopper, lines=[(variant.pk, 3)])
    with pytest.raises(PaymentDeclined):
        buy_now(shopper, variant, quantity=3, number=DECLINED)
    level = stock_level_for_variant(variant_id=variant.pk)
    assert (level.allocated, level.reserved, level.available) == (0, 0, 3)


def test_a_hold_that_cannot_be_made_holds_nothing(shopper, other_owner, sneaker):
    variant = first_variant(sneaker)
    checkout_hold(buyer=other_owner, lines=[(variant.pk, 2)])
    assert checkout_hold(buyer=shopper, lines=[(variant.pk, 2)]) is None
    assert stock_level_for_variant(variant_id=variant.pk).reserved == 2


# Statements of one returning shopper's "Buy now" after the hold, as the test database sees them
# (each short transaction of the services shows as a SAVEPOINT pair here, BEGIN/COMMIT in
# production): is the key used, with the saved address and card, 1; pricing with the buyer's
# holds and drops 3; the checkout, its part and its payment opened in one transaction 6;
# placing the order, paid, with its lines and timeline, the provider's answer (the units are
# held, so a one-step sale) recorded with it without reading the payment again, and allocating
# the stock last 10. SQLite has no data-modifying WITH: its allocation takes the locked path
# (3 statements more).
ONE_CHECKOUT_QUERIES = {"postgresql": 20, "sqlite": 23}


def test_one_checkout_costs_a_pinned_number_of_queries(shopper, sneaker, django_assert_num_queries):
    # given: a returning shopper with a saved address and card, the units held
    from plaza.accounts.services import address_create
    from plaza.payments.services import payment_method_save
    from plaza.payments.tests.factories import card_token

    address = address_create(user=shopper, data=ADDRESS)
    card = payment_method_save(user=shopper, token=card_token())
    lines = [(first_variant(sneaker).pk, 1, None)]
    checkout_hold(buyer=shopper, lines=lines)
    seal = seal_for(lines=lines)
    # when / then
    with django_assert_num_queries(ONE_CHECKOUT_QUERIES[connection.vendor]):
        checkout = checkout_complete(
            buyer=shopper,
            idempotency_key="pinned",
            seal=seal,
            lines=lines,
            address=AddressChoice(address_id=address.pk),
            payment=PaymentChoice(method_id=card.pk),
        )
    assert checkout.status == CheckoutStatus.COMPLETED
