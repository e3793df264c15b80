"""Back-office page of checkout: the shop's shipping methods and the tax included in its prices.
Owners and managers only; anybody else gets the 404 page, as for a shop that does not exist."""

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plaza.accounts.models import StaffRole
from plaza.accounts.selectors import CAN_EDIT_CATALOG
from plaza.accounts.services import shop_set_tax_rate
from plaza.backoffice.shortcuts import form_add_domain_error, render_backoffice, shop_staff_view
from plaza.catalog.selectors import access_shop_product
from plaza.checkout import selectors, services
from plaza.checkout.forms import DropForm, ShippingMethodForm, TaxRateForm
from plaza.core.exceptions import DomainError, ValidationError
from plaza.core.money import minor_to_decimal_str, parse_amount
from plaza.inventory.selectors import drop_for_product
from plaza.inventory.services import drop_remove, drop_set

CAN_MANAGE_SHIPPING = frozenset({StaffRole.OWNER, StaffRole.MANAGER})
SECTION = "shipping"


def _method_data(form: ShippingMethodForm, currency: str) -> dict:
    data = dict(form.cleaned_data)
    for field in ("price", "free_above"):
        raw = (data.get(field) or "").strip()
        if field == "free_above" and not raw:
            data[field] = None
            continue
        try:
            data[field] = parse_amount(raw, currency)
        except ValidationError as exc:
            raise ValidationError(exc.message, field=field) from None
    return data


def _page(request, membership, *, method_form=None, tax_form=None, status=200):
    shop = membership.shop
    rate = Decimal(shop.tax_rate_bp) / 100
    return render_backoffice(
        request,
        membership,
        "checkout/staff/shipping_settings.html",
        {
            "methods": list(selectors.shipping_method_list(shop=shop, active_only=False)),
            "method_form": method_form or ShippingMethodForm(),
            "tax_form": tax_form or TaxRateForm(initial={"tax_rate": rate.normalize()}),
        },
        section=SECTION,
        status=status,
    )


@shop_staff_view(roles=CAN_MANAGE_SHIPPING)
def shipping_settings(request, membership):
    shop = membership.shop
    if request.method != "POST":
        return _page(request, membership)
    if "tax_rate" in request.POST:
        form = TaxRateForm(request.POST)
        if form.is_valid():
            try:
                shop_set_tax_rate(shop=shop, tax_rate_bp=int(form.cleaned_data["tax_rate"] * 100))
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _("Tax rate saved."))
                return redirect("checkout:staff-shipping", shop_slug=shop.slug)
        return _page(request, membership, tax_form=form, status=422)
    form = ShippingMethodForm(request.POST)
    if form.is_valid():
        try:
            services.shipping_method_create(shop=shop, data=_method_data(form, shop.currency))
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Shipping method added."))
            return redirect("checkout:staff-shipping", shop_slug=shop.slug)
    return _page(request, membership, method_form=form, status=422)


@shop_staff_view(roles=CAN_MANAGE_SHIPPING)
def shipping_method_edit(request, membership, method_id: int):
    shop = membership.shop
    method = selectors.access_shop_shipping_method(shop=shop, method_id=method_id)
    if request.method == "POST":
        form = ShippingMethodForm(request.POST)
        if form.is_valid():
            try:
                services.shipping_method_update(
                    method=method, data=_method_data(form, shop.currency)
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _("Shipping method saved."))
                return redirect("checkout:staff-shipping", shop_slug=shop.slug)
        status = 422
    else:
        form = ShippingMethodForm(
            initial={
                "name": method.name,
                "price": minor_to_decimal_str(method.price, shop.currency),
                "free_above": minor_to_decimal_str(method.free_above, shop.currency)
                if method.free_above is not None
                else "",
                "delivery_days": method.delivery_days,
                "is_active": method.is_active,
            }
        )
        status = 200
    return render_backoffice(
        request,
        membership,
        "checkout/staff/shipping_method_edit.html",
        {"method": method, "form": form},
        section=SECTION,
        status=status,
    )


@shop_staff_view(roles=CAN_MANAGE_SHIPPING)
@require_POST
def shipping_method_delete(request, membership, method_id: int):
    method = selectors.access_shop_shipping_method(shop=membership.shop, method_id=method_id)
    services.shipping_method_delete(method=method)
    messages.success(request, _("Shipping method removed."))
    return redirect("checkout:staff-shipping", shop_slug=membership.shop.slug)


@shop_staff_view(roles=CAN_EDIT_CATALOG)
def product_drop(request, membership, product_id: int):
    """Make a product a drop, change its drop, or end it (``remove``)."""
    product = access_shop_product(shop=membership.shop, product_id=product_id)
    drop = drop_for_product(product_id=product.pk)
    status = 200
    if request.method == "POST" and "remove" in request.POST:
        drop_remove(product=product)
        messages.success(request, _("The product is no longer a drop."))
        return redirect(
            "checkout:staff-product-drop", shop_slug=membership.shop.slug, product_id=product.pk
        )
    if request.method == "POST":
        form = DropForm(request.POST)
        if form.is_valid():
            try:
                drop_set(product=product, **form.cleaned_data)
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _("The drop is saved."))
                return redirect(
                    "checkout:staff-product-drop",
                    shop_slug=membership.shop.slug,
                    product_id=product.pk,
                )
        status = 422
    else:
        form = DropForm(
            initial={
                "release_at": timezone.localtime(drop.release_at) if drop else None,
                "per_customer_limit": drop.per_customer_limit if drop else None,
                "queue_size": drop.queue_size if drop else None,
            }
        )
    return render_backoffice(
        request,
        membership,
        "checkout/staff/product_drop.html",
        {"product": product, "drop": drop, "form": form},
        section="products",
        status=status,
    )
