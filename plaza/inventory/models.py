from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plaza.accounts.models import Shop
from plaza.catalog.models import Variant
from plaza.core.models import TimeStampedModel


class StockLocation(TimeStampedModel):
    """Where a shop keeps stock. Every shop has one default location; more can be added."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="stock_locations")
    name = models.CharField(_("name"), max_length=80)
    is_default = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        constraints = [
            models.UniqueConstraint(
                fields=["shop"], condition=Q(is_default=True), name="stock_location_one_default"
            ),
        ]

    def __str__(self):
        return self.name


class Stock(TimeStampedModel):
    """Units of one variant at one location.

    ``quantity`` is what is on the shelf; ``allocated`` is promised to placed orders and not yet
    shipped; ``reserved`` is held by shoppers' checkouts (the sum of this row's Reservation rows,
    expired ones included until they are reclaimed). What can be sold now is
    quantity - allocated - reserved + the expired reservations: reads add those back, so an
    expired hold is available at once, whether or not anything has tidied it up. The database
    refuses any row that would promise more than it has.
    """

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stocks")
    location = models.ForeignKey(StockLocation, on_delete=models.CASCADE, related_name="stocks")
    quantity = models.IntegerField(_("quantity"), default=0)
    allocated = models.IntegerField(_("allocated"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "location"], name="stock_unique_variant_location"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="stock_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(allocated__gte=0), name="stock_allocated_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="stock_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("quantity") - F("reserved")),
                name="stock_available_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.variant_id}@{self.location_id}: {self.quantity - self.allocated}"

    @property
    def available(self) -> int:
        """Units not allocated nor held (expired holds not added back: see the selectors)."""
        return self.quantity - self.allocated - self.reserved


class Reservation(models.Model):
    """Units of one stock row held for a shopper while they check out, until ``expires_at``.

    ``owner`` names the holder (``"user:<id>"``): one holder has one set of holds at a time, a
    new checkout replaces the old one. The row's units are counted in ``Stock.reserved``; an
    expired row still is, until it is reclaimed (by a reservation that needs the units, or the
    sweep), but reads already treat its units as available.
    """

    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="reservations")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    owner = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="reservation_quantity_gte_1"),
            models.UniqueConstraint(
                fields=["owner", "stock"], name="reservation_unique_owner_stock"
            ),
        ]
        indexes = [
            models.Index(fields=["stock", "expires_at"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self):
        return f"{self.owner}: {self.quantity} of {self.variant_id} until {self.expires_at}"


class Drop(TimeStampedModel):
    """A limited release of a product: nothing can be bought before ``release_at``; each
    shopper buys at most ``per_customer_limit`` units; with ``queue_size`` set, at most that many
    shoppers check out at once and the others wait in line, admitted first come, first served.
    """

    product = models.OneToOneField("catalog.Product", on_delete=models.CASCADE, related_name="drop")
    release_at = models.DateTimeField(_("release time"))
    per_customer_limit = models.PositiveIntegerField(_("limit per customer"), null=True, blank=True)
    queue_size = models.PositiveIntegerField(
        _("shoppers checking out at once"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("drop")
        verbose_name_plural = _("drops")
        constraints = [
            models.CheckConstraint(
                condition=Q(per_customer_limit__isnull=True) | Q(per_customer_limit__gte=1),
                name="drop_limit_gte_1",
            ),
            models.CheckConstraint(
                condition=Q(queue_size__isnull=True) | Q(queue_size__gte=1),
                name="drop_queue_size_gte_1",
            ),
        ]

    def __str__(self):
        return f"drop of {self.product_id} at {self.release_at}"

    @property
    def is_open(self) -> bool:
        return timezone.now() >= self.release_at


class DropClaim(models.Model):
    """Units of a drop one shopper has bought: the per-customer limit is a database check on a
    conditional UPDATE of this row, so concurrent checkouts of one shopper cannot pass it."""

    drop = models.ForeignKey(Drop, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    units = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["drop", "user"], name="drop_claim_unique_user"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.units} of drop {self.drop_id}"


class DropTicket(models.Model):
    """A shopper's place in a drop's line. The order of ``id`` is the order of arrival.
    ``admitted_at``: when the shopper was let through to check out (they then have the
    reservation time to finish); ``done_at``: when their checkout ended (paid, failed or left)."""

    drop = models.ForeignKey(Drop, on_delete=models.CASCADE, related_name="tickets")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    admitted_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["drop", "user"], name="drop_ticket_unique_user"),
        ]
        indexes = [models.Index(fields=["drop", "admitted_at", "done_at"])]

    def __str__(self):
        return f"ticket {self.pk} of drop {self.drop_id}"
