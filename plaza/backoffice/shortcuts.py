"""What every back-office page needs: the shop resolved for its staff, domain errors turned into
404, 403 pages and form errors, and the layout's context.

Later apps with back-office pages (orders, inbox) use them too::

    @shop_staff_view(roles=CAN_EDIT_CATALOG)
    def order_list(request, membership):
        ...
        return render_backoffice(request, membership, "orders/order_list.html", {...}, section="orders")
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from plaza.accounts.models import Membership
from plaza.accounts.selectors import (
    CAN_EDIT_CATALOG,
    CAN_MANAGE_STAFF,
    CAN_MANAGE_TOKENS,
    access_shop_membership,
)
from plaza.core.exceptions import DomainError, NotFound, PermissionDenied

# Who may change what the shop says about itself (name, description, language, contact).
CAN_EDIT_SHOP = CAN_MANAGE_STAFF


def shop_staff_view(*, roles: Iterable[str] | None = None) -> Callable:
    """Decorate a view of ``/backoffice/<shop_slug>/...``; it is called as
    ``view(request, membership, **other_kwargs)``.

    Anonymous users go to the login page. A user who is not staff of the shop gets the 404 page,
    exactly as for a shop that does not exist. A member whose role is not in ``roles`` gets the
    403 page. NotFound raised while the view runs (an object of another shop) is a 404 too, and
    PermissionDenied a 403.
    """
    allowed = frozenset(roles) if roles is not None else None

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, shop_slug: str, **kwargs) -> HttpResponse:
            try:
                membership = access_shop_membership(
                    user=request.user, shop_slug=shop_slug, roles=allowed
                )
                return view(request, membership, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from None
            except PermissionDenied as exc:
                return render_forbidden(request, shop_slug=shop_slug, message=exc.message)

        return wrapper

    return decorator


def render_forbidden(request: HttpRequest, *, shop_slug: str, message: str) -> HttpResponse:
    """The 403 page, inside the back-office layout of the shop the user works for."""
    try:
        membership = access_shop_membership(user=request.user, shop_slug=shop_slug)
    except NotFound:
        raise Http404(_("This shop does not exist.")) from None
    return render_backoffice(
        request,
        membership,
        "backoffice/forbidden.html",
        {"title": _("Not allowed"), "message": message},
        status=403,
    )


def render_backoffice(
    request: HttpRequest,
    membership: Membership,
    template: str,
    context: dict | None = None,
    *,
    section: str = "",
    status: int = 200,
) -> HttpResponse:
    """Render a page that extends ``backoffice/layout.html``: adds the shop, the membership, the
    active navigation section and what the user's role may do."""
    role = membership.role
    page = {
        "membership": membership,
        "shop": membership.shop,
        "section": section,
        "can_edit_catalog": role in CAN_EDIT_CATALOG,
        "can_manage_staff": role in CAN_MANAGE_STAFF,
        "can_manage_tokens": role in CAN_MANAGE_TOKENS,
        "can_edit_shop": role in CAN_EDIT_SHOP,
    }
    page.update(context or {})
    return render(request, template, page, status=status)


def form_add_domain_error(
    form: forms.BaseForm, exc: DomainError, *, fields: dict[str, str] | None = None
) -> None:
    """Show a service's error next to the field it names (``fields`` maps service field names to
    form field names), or above the form when the form has no such field."""
    name = (fields or {}).get(exc.field or "", exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
