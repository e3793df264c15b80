"""Orders: one per shop, with snapshot lines, a timeline, fulfilments and refunds.

Every amount is a BigIntegerField of minor units in ``Order.currency``, computed once by
``services.order_place`` from the variants' current prices and stored; the database checks
that the totals add up.

``tax`` is the tax *included* in the total at the shop's inclusive rate ``tax_rate_bp`` (basis
points): ``tax = round(total * rate / (1 + rate))`` in minor units, half up. It is informative:
it never changes ``total``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from plaza.accounts.models import Shop
from plaza.catalog.models import Variant
from plaza.core.countries import country_name
from plaza.core.models import TimeStampedModel
from plaza.payments.models import Payment


class OrderStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


class Order(TimeStampedModel):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    number = models.CharField(_("number"), max_length=16, unique=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.AWAITING_PAYMENT,
    )
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.BigIntegerField(_("subtotal"))
    shipping = models.BigIntegerField(_("shipping"), default=0)
    discount = models.BigIntegerField(_("discount"), default=0)
    tax = models.BigIntegerField(_("tax included"), default=0)
    tax_rate_bp = models.PositiveIntegerField(_("tax rate (basis points)"), default=0)
    total = models.BigIntegerField(_("total"))
    # The shipping address as it was when the order was placed.
    full_name = models.CharField(_("full name"), max_length=120)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail address"))
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    # Where the order came from. ``post_id``: a social post (a higher layer, so no foreign key).
    post_id = models.BigIntegerField(_("post"), null=True, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    utm_id = models.CharField(max_length=200, blank=True)
    click_ids = models.JSONField(_("click ids"), default=dict, blank=True)
    landing_url = models.URLField(_("landing page"), max_length=2000, blank=True)
    placed_at = models.DateTimeField(_("placed at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    # The placed-order e-mails are still to send: set with the order, in its transaction, and
    # cleared by the periodic sender (``order_send_due_mails``) once they are out; a sender
    # claims them until ``mails_claimed_until`` (a lease, so a sender that dies loses none).
    mails_due = models.BooleanField(default=False)
    mails_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subtotal__gte=0)
                & Q(shipping__gte=0)
                & Q(discount__gte=0)
                & Q(tax__gte=0)
                & Q(total__gte=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("shipping") - F("discount")),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(condition=Q(tax__lte=F("total")), name="order_tax_within_total"),
            models.UniqueConstraint(
                fields=["buyer", "idempotency_key"],
                condition=Q(buyer__isnull=False, idempotency_key__isnull=False),
                name="order_unique_buyer_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "status", "-placed_at"]),
            models.Index(fields=["buyer", "-placed_at"]),
            models.Index(fields=["id"], condition=Q(mails_due=True), name="order_mails_due"),
        ]

    def __str__(self):
        return self.number

    @property
    def country_name(self) -> str:
        """The shipping country's name in the active language."""
        return country_name(self.country)

    @property
    def can_cancel(self) -> bool:
        """Until it ships. A refunded order that has not shipped can be cancelled too: that
        releases the units its refunds did not restock."""
        return self.fulfilled_at is None and self.status in (
            OrderStatus.AWAITING_PAYMENT,
            OrderStatus.PAID,
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
        )

    @property
    def can_fulfil(self) -> bool:
        return self.fulfilled_at is None and self.status in (
            OrderStatus.PAID,
            OrderStatus.PARTIALLY_REFUNDED,
        )

    @property
    def can_refund(self) -> bool:
        return self.paid_at is not None and self.status in (
            OrderStatus.PAID,
            OrderStatus.FULFILLED,
            OrderStatus.PARTIALLY_REFUNDED,
        )


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        Variant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    product_title = models.CharField(_("product"), max_length=200)
    variant_title = models.CharField(_("variant"), max_length=200, blank=True)
    sku = models.CharField(_("SKU"), max_length=64)
    unit_price = models.BigIntegerField(_("unit price"))
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = models.BigIntegerField(_("line total"))
    quantity_refunded = models.PositiveIntegerField(_("quantity refunded"), default=0)
    # Units given back to stock by refunds (allocation released before fulfilment, or put
    # back on the shelf after it).
    quantity_restocked = models.PositiveIntegerField(_("quantity restocked"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="orderline_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")),
                name="orderline_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(quantity_refunded__lte=F("quantity")),
                name="orderline_refunded_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_restocked__lte=F("quantity_refunded")),
                name="orderline_restocked_within_refunded",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"

    @property
    def quantity_refundable(self) -> int:
        return self.quantity - self.quantity_refunded


class OrderEventKind(models.TextChoices):
    PLACED = "placed", _("Placed")
    PAID = "paid", _("Paid")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")
    NOTE = "note", _("Note")


class ActorType(models.TextChoices):
    SHOPPER = "shopper", _("Shopper")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


class OrderEvent(models.Model):
    """One entry of an order's timeline: who did what, and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=OrderEventKind.choices)
    actor_type = models.CharField(_("actor"), max_length=10, choices=ActorType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    message = models.CharField(_("message"), max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.order_id}: {self.kind}"


class Fulfillment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfillments")
    carrier = models.CharField(_("carrier"), max_length=100)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_url = models.URLField(_("tracking link"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.carrier} {self.tracking_number}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")


class Refund(models.Model):
    """A refund of some lines. Written before the provider is asked (its id makes the payment
    refund's idempotency key), applied to the lines once the provider said yes, deleted when it
    said no."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    amount = models.BigIntegerField(_("amount"))
    lines = models.JSONField(default=dict)  # {"<line id>": quantity}
    restock = models.BooleanField(_("restock"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self):
        return f"{self.order_id}: {self.amount}"
