import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from plaza.core.models import TimeStampedModel
from plaza.payments.gateways.base import decline_message


class PaymentMethod(models.Model):
    """A card a user saved with a provider. Plaza keeps the provider's token and what may be shown
    (brand, last four digits, expiry), never the card number or the security code."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_methods"
    )
    provider = models.CharField(_("provider"), max_length=20)
    token = models.CharField(_("provider token"), max_length=255)
    brand = models.CharField(_("brand"), max_length=20)
    last4 = models.CharField(_("last four digits"), max_length=4)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"))
    exp_year = models.PositiveSmallIntegerField(_("expiry year"))
    is_default = models.BooleanField(_("default card"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        ordering = ["-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True),
                name="payment_method_one_default_per_user",
            ),
            models.UniqueConstraint(
                fields=["user", "provider", "token"], name="payment_method_unique_token"
            ),
            models.CheckConstraint(
                condition=Q(exp_month__gte=1, exp_month__lte=12),
                name="payment_method_exp_month_1_12",
            ),
            models.CheckConstraint(
                condition=Q(last4__regex=r"^[0-9]{4}$"), name="payment_method_last4_digits"
            ),
        ]

    def __str__(self):
        return f"{self.brand.title()} •••• {self.last4}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    REQUIRES_ACTION = "requires_action", _("Needs confirmation")
    AUTHORIZED = "authorized", _("Authorised")
    CAPTURED = "captured", _("Captured")
    VOIDED = "voided", _("Voided")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    FAILED = "failed", _("Failed")


class Payment(TimeStampedModel):
    """One attempt to take a payment: authorised first, then captured, voided or refunded.

    Amounts are integer minor units of ``currency``. ``idempotency_key`` is the caller's: the same
    key always means this payment. ``uid`` names the payment towards providers (their idempotency
    keys and metadata). ``in_flight_until`` is set while a provider call is under way, so that
    concurrent retries wait for it instead of calling the provider again.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.CharField(_("provider"), max_length=20)
    amount = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    amount_captured = models.BigIntegerField(_("amount captured"), default=0)
    amount_refunded = models.BigIntegerField(_("amount refunded"), default=0)
    provider_reference = models.CharField(
        _("provider reference"), max_length=255, blank=True, db_index=True
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    # The provider's own wording, for operators. Shoppers see ``failure_text``.
    failure_message = models.CharField(_("failure message"), max_length=500, blank=True)
    # While the status is requires_action: what the shopper must do ({"kind", "url", "token"}).
    next_action = models.JSONField(_("next action"), null=True, blank=True)
    in_flight_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(amount_captured__gte=0), name="payment_captured_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0), name="payment_refunded_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(amount_captured__lte=F("amount")),
                name="payment_captured_lte_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount_captured")),
                name="payment_refunded_lte_captured",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="payment_currency_iso4217"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_known"
            ),
        ]
        indexes = [models.Index(fields=["provider", "provider_reference"])]

    def __str__(self):
        return f"{self.amount} {self.currency} ({self.status})"

    @property
    def failure_text(self) -> str:
        """Why the payment failed, for the shopper, in the active language."""
        return decline_message(self.failure_code) if self.failure_code else ""


class PaymentEventKind(models.TextChoices):
    AUTHORIZE = "authorize", _("Authorise")
    CONFIRM = "confirm", _("Confirm")
    CAPTURE = "capture", _("Capture")
    VOID = "void", _("Void")
    REFUND = "refund", _("Refund")
    WEBHOOK = "webhook", _("Provider notification")


class PaymentEventStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # sent; no definitive answer yet
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class PaymentEvent(TimeStampedModel):
    """The timeline of a payment: every operation sent to the provider, and every provider
    notification that changed it. ``idempotency_key`` is the key the provider saw; a retry of the
    same operation finds its row by it."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=PaymentEventKind.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PaymentEventStatus.choices,
        default=PaymentEventStatus.PENDING,
    )
    amount = models.BigIntegerField(_("amount"), default=0)
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=255, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    failure_message = models.CharField(_("failure message"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_event_amount_gte_0"),
        ]

    def __str__(self):
        return f"{self.kind} {self.status}"


class WebhookEvent(models.Model):
    """A notification a provider sent us, stored once by its event id with the raw body.

    ``processed_at`` is set once its effect is recorded; a replay of the same event id changes
    nothing."""

    provider = models.CharField(_("provider"), max_length=20)
    event_id = models.CharField(_("event id"), max_length=255)
    event_type = models.CharField(_("event type"), max_length=100, blank=True)
    payload = models.TextField(_("raw payload"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="webhook_event_unique_provider_event"
            ),
        ]

    def __str__(self):
        return f"{self.provider} {self.event_id} {self.event_type}"
