from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from plaza.accounts.models import Shop
from plaza.core.models import TimeStampedModel


class Category(TimeStampedModel):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, allow_unicode=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "slug"], name="category_unique_shop_slug"),
        ]

    def __str__(self):
        return self.name


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class Product(TimeStampedModel):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="products")
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, allow_unicode=True)
    description = models.TextField(_("description"), blank=True, max_length=9999)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    # Lowest and highest variant price, kept by the services for lists and sorting.
    price_min = models.BigIntegerField(default=0)
    price_max = models.BigIntegerField(default=0)
    # NFKC-normalised, case-folded text of titles, descriptions, translations and SKUs.
    # Substring search on it finds CJK words by two characters on SQLite and PostgreSQL.
    search_text = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "slug"], name="product_unique_shop_slug"),
        ]
        indexes = [models.Index(fields=["shop", "status", "-created_at"])]

    def __str__(self):
        return self.title

    @property
    def currency(self) -> str:
        return self.shop.currency


class ProductTranslation(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=9999)

    class Meta:
        verbose_name = _("product translation")
        verbose_name_plural = _("product translations")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "language"], name="product_translation_unique_language"
            ),
        ]

    def __str__(self):
        return f"{self.product_id} [{self.language}] {self.title}"


class ProductOption(models.Model):
    """An option such as Size with its values, in display order: ["40", "41", "42"]."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="options")
    name = models.CharField(_("name"), max_length=40)
    values = models.JSONField(_("values"), default=list)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("product option")
        verbose_name_plural = _("product options")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="option_unique_product_name"),
        ]

    def __str__(self):
        return f"{self.name}: {', '.join(self.values)}"


class Variant(TimeStampedModel):
    """A sellable item: one combination of option values, with its own SKU and price.

    ``shop`` repeats the product's shop so that the database keeps SKUs unique per shop.
    Prices are integer minor units of the shop's currency.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="variants")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64)
    title = models.CharField(_("title"), max_length=200, blank=True)
    option_values = models.JSONField(_("option values"), default=dict, blank=True)
    price = models.BigIntegerField(_("price"))
    compare_at_price = models.BigIntegerField(_("compare-at price"), null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "sku"], name="variant_unique_shop_sku"),
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gt=F("price")),
                name="variant_compare_at_above_price",
            ),
        ]

    def __str__(self):
        return f"{self.sku} {self.title}".strip()


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product.shop_id}/{instance.product_id}/{filename}"


class ProductImage(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to=product_image_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("thumbnail"), upload_to=product_image_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt = models.CharField(_("description for screen readers"), max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["position", "id"]

    def __str__(self):
        return self.image.name

    @property
    def thumb_url(self) -> str:
        return (self.thumbnail or self.image).url
