"""Orders: one per shop, placed by checkout through ``services.order_place``.

``services``: ``order_place``, ``order_attach_payment``, ``order_mark_paid``,
``order_payment_failed``, ``order_cancel``, ``order_fulfil``, ``order_refund_lines``.
``selectors``: ``order_list_for_shop``, ``access_shop_order``, ``order_list_for_buyer``,
``access_buyer_order``.

Orders follow their payment through the domain events ``payment.captured`` (the order becomes
paid) and ``payment.failed`` (a timeline entry; the order keeps awaiting payment), subscribed
in ``OrdersConfig.ready()``. Orders never call the payment provider inside a transaction.
"""
