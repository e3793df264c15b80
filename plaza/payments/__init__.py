"""Payments: the gateway protocol, the built-in test gateway, the Stripe adapter, payment
records and provider webhooks.

What it offers the layers above (orders, checkout, group buys)
================================================================

``services``: ``payment_authorize`` (hold an amount; the same idempotency key always means the
same payment), ``payment_confirm`` (after a 3-D Secure style step), ``payment_capture``,
``payment_void``, ``payment_refund`` (partial refunds add up to at most what was captured),
``payment_method_save`` / ``payment_method_delete`` (saved cards), ``card_tokenize`` (test cards
only) and ``stripe_webhook_receive``. Group buys authorise when a member joins, capture when
the team fills and void when it fails: no money moves for a failed team.

``selectors``: ``payment_method_list``, ``access_payment_method``, ``payment_get``,
``payment_event_list``, ``payment_provider_default`` and ``test_card_list`` (for the checkout's
help box).

Domain events, delivered after commit with ``payment_id``: ``payment.authorized``,
``payment.action_required``, ``payment.failed``, ``payment.captured``, ``payment.voided`` and
``payment.refunded`` (also ``amount_refunded``, the running total).

Amounts are integer minor units with an ISO-4217 code. No provider call runs inside a database
transaction (see ``services``). Card numbers never reach the database or the logs.

Settings
========

``PAYMENTS_PROVIDERS`` (the default first: ``test`` unless ``STRIPE_SECRET_KEY`` is set),
``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET``, ``STRIPE_API_BASE``, ``STRIPE_API_VERSION``,
``STRIPE_TIMEOUT_SECONDS``. Stripe sends its events to ``/payments/webhooks/stripe/``.

Test cards
==========

The built-in ``test`` gateway (the embedded default and the demo) takes only these numbers, with
any future expiry date and any 3- or 4-digit security code. No money moves.

==========================  ==========  ====================================================
number                      brand       what happens
==========================  ==========  ====================================================
4242 4242 4242 4242         Visa        succeeds
5555 5555 5555 4444         Mastercard  succeeds
4000 0000 0000 0002         Visa        declined: card_declined
4000 0000 0000 9995         Visa        declined: insufficient_funds
4000 0000 0000 0069         Visa        declined: expired_card
4000 0025 0000 3155         Visa        needs an extra confirmation step (3-D Secure style):
                                        authorize answers requires_action with a token;
                                        payment_confirm with that token completes it
==========================  ==========  ====================================================
"""
