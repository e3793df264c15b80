"""The shopper's account pages under /me/: profile, saved addresses, and accepting a staff
invitation. Sign-in, e-mail, password and two-factor pages are allauth's (templates/allauth/).

Each view parses, calls one service or selector, and renders. Services raise translated domain
errors; the views show them on the form (or as a page) with the error's status code.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from plaza.accounts import selectors, services
from plaza.accounts.forms import AddressForm, ProfileForm, add_domain_error
from plaza.accounts.models import Address
from plaza.accounts.services import ADDRESS_FIELDS
from plaza.core.exceptions import DomainError, NotFound, ValidationError

FORM_ERROR_STATUS = 422


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST)
        status = FORM_ERROR_STATUS
        if form.is_valid():
            try:
                data = dict(form.cleaned_data)
                # A form without the handle or bio field (an older page) leaves them as they are.
                for field in ("handle", "bio"):
                    if field not in request.POST:
                        data[field] = None
                services.user_profile_update(user=user, **data)
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("Your profile was saved."))
                response = redirect("accounts:profile")
                if user.language:
                    response.set_cookie(
                        settings.LANGUAGE_COOKIE_NAME,
                        user.language,
                        max_age=365 * 24 * 3600,
                        samesite="Lax",
                    )
                return response
    else:
        # Opening the account page is when a person first needs a profile: give them a handle.
        services.user_handle_ensure(user=user)
        form = ProfileForm(
            initial={
                "display_name": user.display_name,
                "handle": user.handle,
                "bio": user.bio,
                "language": user.language,
            }
        )
    return render(request, "accounts/profile_update.html", {"form": form}, status=status)


def _access_address(request, address_id: int) -> Address:
    try:
        return selectors.access_address(user=request.user, address_id=address_id)
    except NotFound as error:
        raise Http404(error.message) from None


@login_required
@require_http_methods(["GET"])
def address_list(request):
    addresses = selectors.address_list(user=request.user)
    return render(request, "accounts/address_list.html", {"addresses": addresses})


@login_required
@require_http_methods(["GET", "POST"])
def address_create(request):
    status = 200
    if request.method == "POST":
        form = AddressForm(request.POST, with_default=True)
        status = FORM_ERROR_STATUS
        if form.is_valid():
            data = dict(form.cleaned_data)
            make_default = data.pop("make_default")
            try:
                services.address_create(user=request.user, data=data, make_default=make_default)
            except ValidationError as error:
                add_domain_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("The address was saved."))
                return redirect("accounts:address-list")
    else:
        form = AddressForm(with_default=True)
    return render(
        request, "accounts/address_form.html", {"form": form, "address": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def address_update(request, address_id: int):
    address = _access_address(request, address_id)
    status = 200
    if request.method == "POST":
        form = AddressForm(request.POST)
        status = FORM_ERROR_STATUS
        if form.is_valid():
            try:
                services.address_update(address=address, data=form.cleaned_data)
            except ValidationError as error:
                add_domain_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("The address was saved."))
                return redirect("accounts:address-list")
    else:
        form = AddressForm(initial={field: getattr(address, field) for field in ADDRESS_FIELDS})
    return render(
        request, "accounts/address_form.html", {"form": form, "address": address}, status=status
    )


@login_required
@require_POST
def address_default(request, address_id: int):
    address = _access_address(request, address_id)
    services.address_set_default(address=address)
    messages.success(request, _("This is now your default address."))
    return redirect("accounts:address-list")


@login_required
@require_http_methods(["GET", "POST"])
def address_delete(request, address_id: int):
    address = _access_address(request, address_id)
    if request.method == "POST":
        services.address_delete(address=address)
        messages.success(request, _("The address was deleted."))
        return redirect("accounts:address-list")
    return render(request, "accounts/address_delete.html", {"address": address})


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    """Show a staff invitation and accept it. Visitors log in or sign up first and come back."""
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except DomainError as error:
            return _invitation_error(request, error)
        messages.success(
            request,
            _("Welcome to %(shop)s! You joined the team as %(role)s.")
            % {"shop": membership.shop.name, "role": membership.get_role_display()},
        )
        return redirect("backoffice:index")
    try:
        invitation = services.invitation_get_open(token=token)
    except DomainError as error:
        return _invitation_error(request, error)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})


def _invitation_error(request, error: DomainError):
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": None, "error": error},
        status=error.status_code,
    )
