from django.contrib.auth import SESSION_KEY
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from plaza.accounts.models import Address, ApiToken, Invitation, Membership, Shop, StaffRole, User
from plaza.core.cache import near_memo
from plaza.core.exceptions import NotFound, PermissionDenied

# What each role may do in the back office.
CAN_EDIT_CATALOG = frozenset({StaffRole.OWNER, StaffRole.MANAGER})
CAN_MANAGE_STAFF = frozenset({StaffRole.OWNER, StaffRole.MANAGER})
CAN_MANAGE_TOKENS = frozenset({StaffRole.OWNER, StaffRole.MANAGER})


def session_user_id(*, request: HttpRequest) -> int | None:
    """The id of the user the request's session is logged in as, read from the session alone
    (the user's row is not read, nor the session's hash checked against it); None without a
    login. For answers that may be given before anyone's row is read (a drop sold out)."""
    session = getattr(request, "session", None)
    raw = session.get(SESSION_KEY) if session is not None else None
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def shop_list() -> QuerySet[Shop]:
    return Shop.objects.order_by("name")


def shop_get(*, slug: str) -> Shop:
    try:
        return Shop.objects.get(slug=slug)
    except Shop.DoesNotExist:
        raise NotFound(_("This shop does not exist.")) from None


def shop_get_recent(*, slug: str) -> Shop:
    """The shop as this process read it at most a couple of seconds ago (``near_memo``), for
    paths that run many times a second and only read it (the web chat's messages). The row
    is shared: read it, never change it."""
    return near_memo(f"accounts:shop:{slug}", lambda: shop_get(slug=slug))


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("shop").order_by("shop__name")


def access_shop_membership(*, user: User, shop_slug: str, roles=None) -> Membership:
    """The user's membership of the shop, or NotFound (same as a missing shop).

    With ``roles``, a member whose role is not among them gets PermissionDenied: they know
    the shop exists, but may not do this.
    """
    if not user.is_authenticated:
        raise NotFound(_("This shop does not exist."))
    try:
        membership = Membership.objects.select_related("shop").get(user=user, shop__slug=shop_slug)
    except Membership.DoesNotExist:
        raise NotFound(_("This shop does not exist.")) from None
    if roles is not None and membership.role not in roles:
        raise PermissionDenied(_("Your role in this shop does not allow this."))
    return membership


def staff_list(*, shop: Shop) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(shop=shop).select_related("user").order_by("role", "user__email")
    )


def invitation_list_open(*, shop: Shop) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        shop=shop, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")


def api_token_list(*, shop: Shop) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(shop=shop).select_related("created_by")


def address_list(*, user: User) -> QuerySet[Address]:
    return Address.objects.filter(user=user)


def access_address(*, user: User, address_id: int) -> Address:
    try:
        return Address.objects.get(pk=address_id, user=user)
    except Address.DoesNotExist:
        raise NotFound(_("This address does not exist.")) from None
