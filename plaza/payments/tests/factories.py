"""Helpers that build payments by calling the services."""

import itertools

from plaza.payments.services import card_tokenize, payment_authorize

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
INSUFFICIENT = "4000 0000 0000 9995"
EXPIRED = "4000 0000 0000 0069"
THREE_D_SECURE = "4000 0025 0000 3155"

_keys = itertools.count(1)


def card_token(number: str = VISA) -> str:
    return card_tokenize(number=number, exp_month=12, exp_year=2099, cvc="123")


def authorize(
    *,
    number: str = VISA,
    amount: int = 125_000,
    currency: str = "PHP",
    key: str | None = None,
    **kwargs,
):
    return payment_authorize(
        provider="test",
        amount=amount,
        currency=currency,
        payment_method_token=card_token(number),
        idempotency_key=key or f"checkout-{next(_keys)}",
        **kwargs,
    )
