"""Checkout errors. Messages are translated when raised and safe to show to the shopper."""

from plaza.core.exceptions import Conflict, DomainError


class CheckoutStale(Conflict):
    """What the shopper saw is no longer true (a price, a shipping cost or stock changed).
    ``changes`` lists each difference in a sentence; nothing was charged (409)."""

    code = "checkout_stale"
    expected = True

    def __init__(self, message: str, *, changes: list[str]):
        super().__init__(message)
        self.changes = list(changes)

    def as_dict(self) -> dict:
        return {**super().as_dict(), "changes": self.changes}


class PaymentDeclined(DomainError):
    """The card was declined: no order was placed and the cart is as it was (402)."""

    status_code = 402
    code = "payment_declined"


class CheckoutConflict(Conflict):
    """The idempotency key was used before for a different checkout (409)."""

    code = "idempotency_conflict"
