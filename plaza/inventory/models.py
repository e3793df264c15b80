from django.db import models
from django.db.models import F, Q
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
    shipped. What can still be sold is quantity - allocated (live reservations come later and are
    subtracted too). The database refuses any row that would sell more than it has.
    """

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stocks")
    location = models.ForeignKey(StockLocation, on_delete=models.CASCADE, related_name="stocks")
    quantity = models.IntegerField(_("quantity"), default=0)
    allocated = models.IntegerField(_("allocated"), default=0)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="stock_unique_variant_location"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_quantity_not_negative"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="stock_allocated_not_negative"),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("quantity")), name="stock_available_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.variant_id}@{self.location_id}: {self.quantity - self.allocated}"

    @property
    def available(self) -> int:
        return self.quantity - self.allocated
