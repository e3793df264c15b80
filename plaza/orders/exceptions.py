from django.db import IntegrityError

from plaza.core.exceptions import Conflict


class OrderStateError(Conflict):
    """The order's status does not allow this (e.g. cancelling a fulfilled order)."""

    code = "order_state"


class OrderNumberTaken(IntegrityError):
    """The number drawn for an order placed in the caller's transaction (without a savepoint) is
    taken: that transaction is broken, and running it again draws another number."""
