import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from plaza.accounts.models import (
    BIO_MAX_LENGTH,
    HANDLE_MAX_LENGTH,
    HANDLE_MIN_LENGTH,
    Address,
    ApiToken,
    Invitation,
    Membership,
    Shop,
    StaffRole,
    User,
)
from plaza.core.countries import country_is_valid
from plaza.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationError
from plaza.core.money import currency_is_valid

logger = logging.getLogger("plaza.accounts")

INVITATION_TTL = timedelta(days=7)
_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _language_is_valid(code: str) -> bool:
    return code in {lang for lang, _name in settings.LANGUAGES}


@transaction.atomic
def shop_create(
    *,
    owner: User,
    name: str,
    slug: str,
    currency: str,
    language: str = "en",
    description: str = "",
    contact_email: str = "",
) -> Shop:
    """Create a shop and make ``owner`` its owner."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the shop a name."), field="name")
    if not _SLUG_RE.match(slug or ""):
        raise ValidationError(
            _("The shop's web address may use lowercase letters, digits and dashes only."),
            field="slug",
        )
    currency = (currency or "").upper()
    if not currency_is_valid(currency):
        raise ValidationError(_("Unknown currency code."), field="currency")
    if not _language_is_valid(language):
        raise ValidationError(_("Unknown language code."), field="language")
    if Shop.objects.filter(slug=slug).exists():
        raise Conflict(_("This web address is taken by another shop."), field="slug")
    shop = Shop.objects.create(
        name=name,
        slug=slug,
        currency=currency,
        language=language,
        description=description,
        contact_email=contact_email,
    )
    Membership.objects.create(shop=shop, user=owner, role=StaffRole.OWNER)
    return shop


@transaction.atomic
def shop_update(
    *, shop: Shop, name: str, description: str, language: str, contact_email: str
) -> Shop:
    """Update what a shop says about itself. The currency never changes once set."""
    if not (name or "").strip():
        raise ValidationError(_("Give the shop a name."), field="name")
    if not _language_is_valid(language):
        raise ValidationError(_("Unknown language code."), field="language")
    shop.name = name.strip()
    shop.description = description
    shop.language = language
    shop.contact_email = contact_email
    shop.save(update_fields=["name", "description", "language", "contact_email", "updated_at"])
    return shop


def staff_invite(
    *, shop: Shop, invited_by: User, email: str, role: str, language: str | None = None
) -> tuple[Invitation, str]:
    """Invite ``email`` to the shop's staff; the e-mail with the link leaves after commit.

    Returns the invitation and the raw token (shown nowhere else, stored only hashed).
    """
    email = (email or "").strip().lower()
    if role not in StaffRole.values:
        raise ValidationError(_("Unknown role."), field="role")
    if role == StaffRole.OWNER:
        raise ValidationError(_("A shop has one owner; invite a manager instead."), field="role")
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise ValidationError(_("Enter a valid e-mail address."), field="email")
    if Membership.objects.filter(shop=shop, user__email__iexact=email).exists():
        raise Conflict(_("This person is already on the staff."), field="email")
    raw = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                shop=shop,
                email=email,
                role=role,
                token_hash=_sha256(raw),
                invited_by=invited_by,
                expires_at=timezone.now() + INVITATION_TTL,
            )
    except IntegrityError:
        raise Conflict(_("This address already has an open invitation."), field="email") from None
    link = settings.SITE_URL + reverse("accounts:invitation-accept", args=[raw])
    lang = language or shop.language

    def send() -> None:
        with override(lang):
            send_mail(
                subject=_("You are invited to join %(shop)s on Plaza") % {"shop": shop.name},
                message=_(
                    "%(inviter)s invited you to join %(shop)s as %(role)s.\n\n"
                    "Accept the invitation within 7 days:\n%(link)s\n"
                )
                % {
                    "inviter": invited_by.public_name,
                    "shop": shop.name,
                    "role": StaffRole(role).label,
                    "link": link,
                },
                from_email=None,
                recipient_list=[email],
            )

    transaction.on_commit(send)
    return invitation, raw


def invitation_get_open(*, token: str) -> Invitation:
    try:
        invitation = Invitation.objects.select_related("shop").get(token_hash=_sha256(token or ""))
    except Invitation.DoesNotExist:
        raise NotFound(_("This invitation does not exist or was withdrawn.")) from None
    if not invitation.is_open:
        raise ValidationError(_("This invitation has expired or was already used."))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the shop of an open invitation addressed to the user's e-mail."""
    invitation = invitation_get_open(token=token)
    if invitation.email.lower() != user.email.lower():
        raise PermissionDenied(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("This invitation has expired or was already used."))
    membership, _created = Membership.objects.get_or_create(
        shop=invitation.shop, user=user, defaults={"role": invitation.role}
    )
    return membership


@transaction.atomic
def invitation_revoke(*, shop: Shop, invitation_id: int) -> None:
    updated = Invitation.objects.filter(
        pk=invitation_id, shop=shop, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise NotFound(_("This invitation does not exist or was withdrawn."))


@transaction.atomic
def membership_remove(*, shop: Shop, membership_id: int, by: User) -> None:
    try:
        membership = Membership.objects.get(pk=membership_id, shop=shop)
    except Membership.DoesNotExist:
        raise NotFound(_("This staff member does not exist.")) from None
    if membership.role == StaffRole.OWNER:
        raise PermissionDenied(_("The owner cannot be removed."))
    membership.delete()


@transaction.atomic
def membership_add(*, shop: Shop, user: User, role: str) -> Membership:
    """Put an existing user on the shop's staff as manager or agent, without an invitation.

    For operators and the demo data; people join through ``staff_invite`` instead.
    """
    if role not in StaffRole.values:
        raise ValidationError(_("Unknown role."), field="role")
    if role == StaffRole.OWNER:
        raise ValidationError(_("A shop has one owner; invite a manager instead."), field="role")
    try:
        with transaction.atomic():
            return Membership.objects.create(shop=shop, user=user, role=role)
    except IntegrityError:
        raise Conflict(_("This person is already on the staff."), field="email") from None


def api_token_create(
    *, shop: Shop, name: str, created_by: User | None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the token a name."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(_("The expiry date must be in the future."), field="expires_at")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        shop=shop,
        name=name[:80],
        prefix=prefix,
        secret_hash=_sha256(secret),
        created_by=created_by,
        expires_at=expires_at,
    )
    return token, f"plz_{prefix}_{secret}"


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token for a raw ``plz_<prefix>_<secret>`` value, or None.

    Compares in constant time; wrong, revoked and expired tokens all give None.
    """
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "plz":
        return None
    _plz, prefix, secret = parts
    token = ApiToken.objects.select_related("shop").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _sha256(secret)):
        return None
    if not token.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_token_revoke(*, shop: Shop, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, shop=shop, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        raise NotFound(_("This token does not exist."))


def shop_set_tax_rate(*, shop: Shop, tax_rate_bp: int) -> Shop:
    """Set the tax rate included in the shop's prices, in basis points (0 to 10,000)."""
    if isinstance(tax_rate_bp, bool) or not isinstance(tax_rate_bp, int):
        raise ValidationError(_("Enter a tax rate."), field="tax_rate_bp")
    if not 0 <= tax_rate_bp <= 10_000:
        raise ValidationError(_("The tax rate must be between 0 and 100 %."), field="tax_rate_bp")
    shop.tax_rate_bp = tax_rate_bp
    shop.save(update_fields=["tax_rate_bp", "updated_at"])
    return shop


def user_profile_update(
    *,
    user: User,
    display_name: str,
    language: str,
    handle: str | None = None,
    bio: str | None = None,
) -> User:
    """Save what the person says about themself. ``handle`` and ``bio`` change only when given
    (None leaves them as they are); every field is checked before anything is saved."""
    if language and not _language_is_valid(language):
        raise ValidationError(_("Unknown language code."), field="language")
    clean_bio = _bio_clean(bio) if bio is not None else None
    new_handle = handle_validate(handle=handle) if handle is not None else None
    if new_handle is not None and new_handle != user.handle:
        _handle_check_free(new_handle, user=user)
    changes = {"display_name": (display_name or "").strip()[:80], "language": language or ""}
    if clean_bio is not None:
        changes["bio"] = clean_bio
    if new_handle is not None and new_handle != user.handle:
        changes["handle"] = new_handle
    try:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(**changes)
    except IntegrityError:
        # Another person took the handle between the check and the save.
        raise _handle_taken(new_handle) from None
    for field, value in changes.items():
        setattr(user, field, value)
    return user


# --- handles and bios ------------------------------------------------------------------

_HANDLE_RE = re.compile(r"^[a-z0-9_.]+$")
_HANDLE_STRIP_RE = re.compile(r"[^a-z0-9_.]+")


def _handle_taken(handle: str | None) -> Conflict:
    return Conflict(
        _("@%(handle)s is taken. Try another one.") % {"handle": handle}, field="handle"
    )


def _handle_check_free(handle: str, *, user: User) -> None:
    if User.objects.filter(handle=handle).exclude(pk=user.pk).exists():
        raise _handle_taken(handle)


def handle_validate(*, handle: str) -> str:
    """The handle as stored (lowercase, without a leading "@"), or a translated ValidationError:
    3 to 30 characters of a-z, 0-9, "_" and "."."""
    value = (handle or "").strip().lstrip("@").lower()
    if len(value) < HANDLE_MIN_LENGTH:
        raise ValidationError(
            _("A handle has at least %(min)s characters.") % {"min": HANDLE_MIN_LENGTH},
            field="handle",
        )
    if len(value) > HANDLE_MAX_LENGTH:
        raise ValidationError(
            _("A handle has at most %(max)s characters.") % {"max": HANDLE_MAX_LENGTH},
            field="handle",
        )
    if not _HANDLE_RE.match(value):
        raise ValidationError(
            _('A handle may use only the letters a to z, digits, "_" and ".".'), field="handle"
        )
    return value


@transaction.atomic
def user_handle_set(*, user: User, handle: str) -> User:
    """Give the person the handle, or a translated error: ValidationError for its form,
    Conflict when somebody else has it (in any case)."""
    value = handle_validate(handle=handle)
    if value == user.handle:
        return user
    _handle_check_free(value, user=user)
    try:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(handle=value)
    except IntegrityError:
        raise _handle_taken(value) from None
    user.handle = value
    return user


def _handle_base(user: User) -> str:
    """A handle made from the display name, else the e-mail's local part: accents dropped,
    lowercase, other characters removed; "user" when nothing is left."""
    for source in (user.display_name, (user.email or "").split("@")[0]):
        ascii_text = (
            unicodedata.normalize("NFKD", source or "").encode("ascii", "ignore").decode().lower()
        )
        base = _HANDLE_STRIP_RE.sub("", ascii_text.replace(" ", "_")).strip("._")
        if len(base) >= HANDLE_MIN_LENGTH:
            return base[: HANDLE_MAX_LENGTH - 4]
    return "user"


def _handle_first_free(base: str, *, attempt: int = 0) -> str:
    """``base``, else ``base`` followed by the smallest number that makes it free. After a lost
    race (``attempt`` > 0), a random number instead, in a wider range each time, so that people
    racing for the same name stop picking the same next number."""
    taken = set(User.objects.filter(handle__startswith=base).values_list("handle", flat=True))
    if attempt == 0:
        if base not in taken:
            return base
        number = 2
        while f"{base}{number}" in taken:
            number += 1
        return f"{base}{number}"[:HANDLE_MAX_LENGTH]
    for _try in range(50):
        candidate = f"{base}{secrets.randbelow(10 ** (attempt + 1)) + 2}"[:HANDLE_MAX_LENGTH]
        if candidate not in taken:
            return candidate
    return f"{base}{secrets.randbelow(10**4)}"[:HANDLE_MAX_LENGTH]


HANDLE_ATTEMPTS = 8


def user_handle_ensure(*, user: User) -> User:
    """Give the person a handle the first time they need a profile (they post, follow, comment,
    or open their account page): from their display name or e-mail, made unique with a number.
    A person who has one keeps it; no query then.

    Safe under concurrency: the handle is set with one conditional UPDATE (``handle IS NULL``),
    so two requests of the same person set it once; the unique index decides between two people
    who would get the same handle, and the loser tries again with a random number.
    """
    if user.handle:
        return user
    base = _handle_base(user)
    for attempt in range(HANDLE_ATTEMPTS):
        candidate = _handle_first_free(base, attempt=attempt)
        try:
            with transaction.atomic():
                updated = User.objects.filter(pk=user.pk, handle__isnull=True).update(
                    handle=candidate
                )
        except IntegrityError:
            continue
        if updated:
            user.handle = candidate
        else:
            user.refresh_from_db(fields=["handle"])
        return user
    raise Conflict(_("Choose a handle on your account page first."), field="handle")


def _bio_clean(bio: str) -> str:
    """Plain text as typed, without control characters other than line breaks."""
    text = (bio or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
    if len(text) > BIO_MAX_LENGTH:
        raise ValidationError(
            _("A bio has at most %(max)s characters (this one has %(n)s).")
            % {"max": BIO_MAX_LENGTH, "n": len(text)},
            field="bio",
        )
    return text


ADDRESS_FIELDS = (
    "full_name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)


def _address_clean(data: dict) -> dict:
    clean = {field: str(data.get(field) or "").strip() for field in ADDRESS_FIELDS}
    for required, message in (
        ("full_name", _("Enter the recipient's name.")),
        ("line1", _("Enter the street address.")),
        ("city", _("Enter the city.")),
    ):
        if not clean[required]:
            raise ValidationError(message, field=required)
    clean["country"] = clean["country"].upper()
    if not country_is_valid(clean["country"]):
        raise ValidationError(_("Choose a country."), field="country")
    limits = {f.name: f.max_length for f in Address._meta.fields if f.name in ADDRESS_FIELDS}
    for field, value in clean.items():
        if len(value) > limits[field]:
            raise ValidationError(_("This field is too long."), field=field)
    return clean


def address_validate(*, data: dict) -> dict:
    """The address fields cleaned (stripped, country upper-cased) or ValidationError naming the
    first field that is wrong. Writes nothing: for an address used once, without saving it."""
    return _address_clean(data)


@transaction.atomic
def address_create(*, user: User, data: dict, make_default: bool = False) -> Address:
    clean = _address_clean(data)
    first = not Address.objects.filter(user=user).exists()
    if make_default and not first:
        Address.objects.filter(user=user, is_default=True).update(is_default=False)
    return Address.objects.create(user=user, is_default=make_default or first, **clean)


@transaction.atomic
def address_update(*, address: Address, data: dict) -> Address:
    clean = _address_clean(data)
    for field, value in clean.items():
        setattr(address, field, value)
    address.save(update_fields=[*clean, "updated_at"])
    return address


@transaction.atomic
def address_set_default(*, address: Address) -> Address:
    Address.objects.filter(user_id=address.user_id, is_default=True).exclude(pk=address.pk).update(
        is_default=False
    )
    address.is_default = True
    address.save(update_fields=["is_default", "updated_at"])
    return address


@transaction.atomic
def address_delete(*, address: Address) -> None:
    was_default = address.is_default
    user_id = address.user_id
    address.delete()
    if was_default:
        successor = Address.objects.filter(user_id=user_id).order_by("-created_at").first()
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])
