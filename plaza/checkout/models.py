"""Carts across shops, shipping methods, and checkouts.

A cart belongs to a signed-in user, or to a guest's session until they sign in (then it is
merged into theirs). It holds lines of any number of shops; checkout turns it into one order
per shop.

A ``Checkout`` is one press of "Pay": the lines, the address and the card chosen, and per shop
(``CheckoutPart``) the amounts quoted, the payment taken and the order placed. Its
``idempotency_key`` (unique per buyer) makes a double click or a client's retry find the same
checkout instead of charging twice.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plaza.accounts.models import Shop
from plaza.catalog.models import Variant
from plaza.core.models import TimeStampedModel
from plaza.orders.models import Order
from plaza.payments.models import Payment


class Cart(TimeStampedModel):
    """One shopper's cart across shops. ``user`` is empty for a guest (found by its id in the
    guest's session). ``shipping`` maps a shop id (as a string) to the chosen shipping method."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="cart",
    )
    shipping = models.JSONField(_("chosen shipping methods"), default=dict, blank=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self):
        return f"cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    # The social post the item was added from (a higher layer: no foreign key).
    post_id = models.BigIntegerField(_("post"), null=True, blank=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_line_quantity_gte_1"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant_id}"


class ShippingMethod(TimeStampedModel):
    """A way a shop ships: a flat price, free from ``free_above`` (order subtotal, minor units)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="shipping_methods")
    name = models.CharField(_("name"), max_length=80)
    price = models.BigIntegerField(_("price"))
    free_above = models.BigIntegerField(_("free from a subtotal of"), null=True, blank=True)
    delivery_days = models.CharField(_("delivery time"), max_length=40, blank=True)
    is_active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")
        ordering = ["position", "price", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="shipping_price_not_negative"),
            models.CheckConstraint(
                condition=Q(free_above__isnull=True) | Q(free_above__gte=0),
                name="shipping_free_above_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    def price_for(self, subtotal: int) -> int:
        """What shipping costs for an order of ``subtotal`` minor units."""
        if self.free_above is not None and subtotal >= self.free_above:
            return 0
        return self.price


class CheckoutSource(models.TextChoices):
    CART = "cart", _("Cart")
    BUY_NOW = "buy_now", _("Buy now")


class CheckoutStatus(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    REQUIRES_ACTION = "requires_action", _("Needs confirmation")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class Checkout(TimeStampedModel):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkouts"
    )
    idempotency_key = models.CharField(max_length=200)
    # SHA-256 of what was asked (lines, shipping, address, card): the same key with another
    # request is refused.
    request_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=10, choices=CheckoutSource.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CheckoutStatus.choices,
        default=CheckoutStatus.PROCESSING,
    )
    address = models.JSONField(_("shipping address"))
    email = models.EmailField(_("e-mail address"))
    provider = models.CharField(max_length=20)
    # A provider token (never a card number), kept until the checkout ends.
    payment_token = models.CharField(max_length=255, blank=True)
    save_card = models.BooleanField(default=False)
    attribution = models.JSONField(default=dict, blank=True)
    post_id = models.BigIntegerField(null=True, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("checkout")
        verbose_name_plural = _("checkouts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "idempotency_key"], name="checkout_unique_buyer_key"
            ),
        ]

    def __str__(self):
        return str(self.uid)


class CheckoutPart(models.Model):
    """One shop's share of a checkout: its lines as quoted, its payment and its order."""

    checkout = models.ForeignKey(Checkout, on_delete=models.CASCADE, related_name="parts")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    lines = models.JSONField()  # {"<variant id>": quantity}
    shipping_method = models.ForeignKey(
        ShippingMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(max_length=3)
    subtotal = models.BigIntegerField()
    shipping = models.BigIntegerField()
    total = models.BigIntegerField()
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["checkout", "shop"], name="checkout_part_unique_shop"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(shipping__gte=0) & Q(total__gte=0),
                name="checkout_part_amounts_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.checkout_id}/{self.shop_id}"
