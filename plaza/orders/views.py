"""Order pages: the shop staff's (list, order page, fulfil, cancel, refund) and the shopper's
(order history, order page). Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plaza.accounts.models import StaffRole
from plaza.backoffice.shortcuts import form_add_domain_error, render_backoffice, shop_staff_view
from plaza.core.exceptions import DomainError, NotFound
from plaza.orders import selectors, services
from plaza.orders.forms import FulfilForm, OrderFilterForm, RefundForm
from plaza.orders.models import OrderStatus

# Agents may read orders (to answer shoppers); owners and managers act on them.
CAN_MANAGE_ORDERS = frozenset({StaffRole.OWNER, StaffRole.MANAGER})
PAGE_SIZE = 25


# --- shop staff ------------------------------------------------------------------------------


@shop_staff_view()
def order_list_staff(request, membership):
    form = OrderFilterForm(request.GET or None)
    status = q = ""
    if form.is_valid():
        status, q = form.cleaned_data["status"], form.cleaned_data["q"]
    orders = selectors.order_list_for_shop(shop=membership.shop, status=status, q=q)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_backoffice(
        request,
        membership,
        "orders/order_list_staff.html",
        {
            "form": form,
            "page": page,
            "status": status,
            "q": q,
            "statuses": OrderStatus.choices,
            "filtered": bool(status or q),
        },
        section="orders",
    )


def _detail_page(request, membership, order, *, fulfil_form=None, refund_form=None, status=200):
    lines = list(order.lines.all())
    return render_backoffice(
        request,
        membership,
        "orders/order_detail_staff.html",
        {
            "order": order,
            "lines": lines,
            "can_manage_orders": membership.role in CAN_MANAGE_ORDERS,
            "fulfil_form": fulfil_form or FulfilForm(),
            "refund_form": refund_form or RefundForm(lines=lines),
        },
        section="orders",
        status=status,
    )


@shop_staff_view()
def order_detail_staff(request, membership, order_id):
    order = selectors.access_shop_order(shop=membership.shop, order_id=order_id)
    return _detail_page(request, membership, order)


@shop_staff_view(roles=CAN_MANAGE_ORDERS)
@require_POST
def order_fulfil(request, membership, order_id):
    order = selectors.access_shop_order(shop=membership.shop, order_id=order_id)
    form = FulfilForm(request.POST)
    if form.is_valid():
        try:
            services.order_fulfil(order=order, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The order is marked as fulfilled."))
            return redirect("orders:order-detail-staff", membership.shop.slug, order.pk)
    return _detail_page(request, membership, order, fulfil_form=form, status=422)


@shop_staff_view(roles=CAN_MANAGE_ORDERS)
def order_cancel(request, membership, order_id):
    order = selectors.access_shop_order(shop=membership.shop, order_id=order_id)
    if request.method == "POST":
        try:
            services.order_cancel(order=order, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The order is cancelled and its stock is back."))
        return redirect("orders:order-detail-staff", membership.shop.slug, order.pk)
    return render_backoffice(
        request, membership, "orders/order_cancel.html", {"order": order}, section="orders"
    )


@shop_staff_view(roles=CAN_MANAGE_ORDERS)
@require_POST
def order_refund(request, membership, order_id):
    order = selectors.access_shop_order(shop=membership.shop, order_id=order_id)
    form = RefundForm(request.POST, lines=list(order.lines.all()))
    if form.is_valid():
        try:
            services.order_refund_lines(
                order=order,
                by=request.user,
                lines=form.refund_lines(),
                restock=form.cleaned_data["restock"],
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The refund went through."))
            return redirect("orders:order-detail-staff", membership.shop.slug, order.pk)
    return _detail_page(request, membership, order, refund_form=form, status=422)


# --- shoppers --------------------------------------------------------------------------------


@login_required
def order_list(request):
    orders = selectors.order_list_for_buyer(buyer=request.user)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"page": page})


@login_required
def order_detail(request, number):
    try:
        order = selectors.access_buyer_order(buyer=request.user, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return render(
        request, "orders/order_detail.html", {"order": order, "lines": list(order.lines.all())}
    )
