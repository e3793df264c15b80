from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plaza.core.countries import country_name
from plaza.core.models import TimeStampedModel

HANDLE_MIN_LENGTH = 3
HANDLE_MAX_LENGTH = 30
BIO_MAX_LENGTH = 300


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("The e-mail address must be set")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person: shopper, creator or shop staff. Logs in by e-mail."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    language = models.CharField(_("preferred language"), max_length=10, blank=True)
    # The public name of the person's profile (/@<handle>/): 3-30 of a-z 0-9 _ . stored lowercase,
    # unique whatever the case; null until the person first needs a profile (see
    # accounts.services.user_handle_ensure).
    handle = models.CharField(_("handle"), max_length=HANDLE_MAX_LENGTH, null=True, blank=True)
    bio = models.TextField(_("bio"), max_length=BIO_MAX_LENGTH, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # The format check allows lowercase only, so a plain unique index (which also serves
            # the lookups by handle) is unique whatever the case people type.
            models.UniqueConstraint(fields=["handle"], name="user_handle_unique"),
            models.CheckConstraint(
                condition=Q(handle__isnull=True) | Q(handle__regex=r"^[a-z0-9_.]{3,30}$"),
                name="user_handle_format",
            ),
        ]

    def __str__(self):
        return self.display_name or self.email

    @property
    def public_name(self) -> str:
        return self.display_name or self.email.split("@")[0]


class Shop(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    currency = models.CharField(_("currency"), max_length=3)
    language = models.CharField(_("main language"), max_length=10, default="en")
    description = models.TextField(_("description"), blank=True, max_length=2000)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # The tax included in the shop's prices, in basis points (1200 = 12 %): see the orders app.
    tax_rate_bp = models.PositiveIntegerField(_("tax rate included in prices"), default=0)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="shop_currency_iso4217"
            ),
            models.CheckConstraint(
                condition=Q(tax_rate_bp__lte=10_000), name="shop_tax_rate_at_most_100_percent"
            ),
        ]

    def __str__(self):
        return self.name


class StaffRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    AGENT = "agent", _("Agent")


class Membership(TimeStampedModel):
    """A user working for a shop, with a role."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=StaffRole.choices)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="membership_unique_shop_user"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.shop} ({self.role})"


class Invitation(TimeStampedModel):
    """An e-mailed invitation to join a shop's staff. The token is stored hashed."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=10, choices=StaffRole.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "shop",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self):
        return f"{self.email} -> {self.shop}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class Address(TimeStampedModel):
    """A saved shipping address of a user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses"
    )
    full_name = models.CharField(_("full name"), max_length=120)
    line1 = models.CharField(_("address"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_default = models.BooleanField(_("default address"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="address_one_default_per_user"
            ),
        ]

    def __str__(self):
        return f"{self.full_name}, {self.line1}, {self.city}"

    @property
    def country_name(self) -> str:
        """The country's name in the active language."""
        return country_name(self.country)


class ApiToken(TimeStampedModel):
    """A shop's token for integrations. Only a SHA-256 hash of the secret is stored.

    The token reads ``plz_<prefix>_<secret>``; the prefix finds the row, the hash proves it.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
