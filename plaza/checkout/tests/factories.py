"""Checkout state built through the services, as the pages build it."""

import itertools

from plaza.checkout.selectors import quote_build, quote_seal
from plaza.checkout.services import AddressChoice, PaymentChoice, checkout_complete
from plaza.orders.tests.factories import ADDRESS
from plaza.payments.tests.factories import VISA, card_token

_keys = itertools.count(1)


def seal_for(*, cart=None, lines=None, shipping=None):
    """The seal a checkout page would carry for these lines as they are priced now."""
    source = list(cart.lines.all()) if cart is not None else lines
    if shipping is None:
        shipping = cart.shipping if cart is not None else {}
    return quote_seal(quote_build(lines=source, shipping=shipping))


def pay_cart(buyer, cart, *, number=VISA, key=None, save_card=False, save_address=False, **kwargs):
    """Check out ``cart`` with a fresh test card and a new address."""
    kwargs.setdefault("seal", seal_for(cart=cart))
    kwargs.setdefault("address", AddressChoice(data=ADDRESS, save=save_address))
    return checkout_complete(
        buyer=buyer,
        idempotency_key=key or f"key-{next(_keys)}",
        payment=PaymentChoice(token=card_token(number), save=save_card),
        cart=cart,
        **kwargs,
    )


def buy_now(buyer, variant, quantity=1, *, number=VISA, key=None, post_id=None, **kwargs):
    lines = [(variant.pk, quantity, post_id)]
    kwargs.setdefault("seal", seal_for(lines=lines))
    kwargs.setdefault("address", AddressChoice(data=ADDRESS))
    kwargs.setdefault("payment", PaymentChoice(token=card_token(number)))
    return checkout_complete(
        buyer=buyer, idempotency_key=key or f"key-{next(_keys)}", lines=lines, **kwargs
    )
