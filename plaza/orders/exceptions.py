from plaza.core.exceptions import Conflict


class OrderStateError(Conflict):
    """The order's status does not allow this (e.g. cancelling a fulfilled order)."""

    code = "order_state"
