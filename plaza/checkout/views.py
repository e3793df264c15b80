"""Shopper pages of checkout: the cart, "Buy now", the checkout page, the confirmation step and
the receipt. Every page also renders as a partial for htmx, so the feed's product sheet runs
the whole checkout without leaving the feed. Thin: parse, call one service, render."""

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from plaza.accounts.selectors import address_list, session_user_id
from plaza.checkout import selectors, services
from plaza.checkout.exceptions import CheckoutStale, PaymentDeclined
from plaza.checkout.forms import NEW, CheckoutForm
from plaza.checkout.middleware import SESSION_KEY as SESSION_ATTRIBUTION
from plaza.checkout.models import Cart, Checkout, CheckoutStatus
from plaza.core.exceptions import DomainError, NotFound, ValidationError
from plaza.core.shortcuts import expected_answer
from plaza.inventory.exceptions import DropLimitReached, DropNotOpen, DropQueued
from plaza.payments.selectors import payment_method_list, test_card_list
from plaza.payments.services import card_tokenize

SESSION_CART = "plaza_cart"
SESSION_CART_COUNT = "plaza_cart_count"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _int(raw, default: int | None = None) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _cart(request: HttpRequest, *, create: bool = False) -> Cart | None:
    guest_id = request.session.get(SESSION_CART)
    if create or (request.user.is_authenticated and guest_id):
        cart = services.cart_get_or_create(user=request.user, guest_cart_id=guest_id)
    else:
        cart = selectors.cart_get(user=request.user, cart_id=guest_id)
    if request.user.is_authenticated:
        request.session.pop(SESSION_CART, None)
    elif cart is not None:
        request.session[SESSION_CART] = cart.pk
    return cart


def _remember_count(request: HttpRequest, cart: Cart | None) -> int:
    count = selectors.cart_item_count(cart=cart)
    request.session[SESSION_CART_COUNT] = count
    return count


# --- the cart ---------------------------------------------------------------------------------


@require_safe
def cart_detail(request: HttpRequest) -> HttpResponse:
    cart = _cart(request)
    quote = selectors.quote_build(
        lines=list(cart.lines.all()) if cart else [], shipping=cart.shipping if cart else {}
    )
    _remember_count(request, cart)
    return render(request, "checkout/cart_detail.html", {"cart": cart, "quote": quote})


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    cart = _cart(request, create=True)
    try:
        line = services.cart_add(
            cart=cart,
            variant_id=request.POST.get("variant"),
            quantity=_int(request.POST.get("quantity"), 1),
            post_id=_int(request.POST.get("post")),
        )
    except DomainError as exc:
        if _is_htmx(request):
            return render(request, "checkout/_added.html", {"error": exc.message}, status=200)
        messages.error(request, exc.message)
        return redirect(request.POST.get("next") or "checkout:cart-detail")
    count = _remember_count(request, cart)
    if _is_htmx(request):
        return render(request, "checkout/_added.html", {"line": line, "cart_count": count})
    messages.success(request, _("Added to your cart."))
    return redirect("checkout:cart-detail")


def _change_line(request: HttpRequest, change) -> HttpResponse:
    """Apply ``change(cart)`` to the shopper's cart; a refusal becomes a message on the cart."""
    cart = _cart(request)
    try:
        if cart is None:
            raise NotFound(_("This item is not in your cart."))
        change(cart)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("checkout:cart-detail")


@require_POST
def cart_line_update(request: HttpRequest, line_id: int) -> HttpResponse:
    quantity = _int(request.POST.get("quantity"), -1)
    return _change_line(
        request,
        lambda cart: services.cart_line_update(cart=cart, line_id=line_id, quantity=quantity),
    )


@require_POST
def cart_line_remove(request: HttpRequest, line_id: int) -> HttpResponse:
    return _change_line(request, lambda cart: services.cart_line_remove(cart=cart, line_id=line_id))


@require_POST
def cart_shipping(request: HttpRequest) -> HttpResponse:
    cart = _cart(request, create=True)
    try:
        services.cart_choose_shipping(
            cart=cart, shop_id=request.POST.get("shop"), method_id=request.POST.get("method")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(request.POST.get("next") or "checkout:cart-detail")


# --- checkout ---------------------------------------------------------------------------------


def _login_first(request: HttpRequest) -> HttpResponse:
    if _is_htmx(request):
        # From the product sheet: log in, then come back to the page the sheet was over.
        back = request.headers.get("HX-Current-URL") or request.get_full_path()
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{reverse('account_login')}?{urlencode({'next': back})}"
        return response
    return redirect_to_login(request.get_full_path())


def _buy_now_lines(request: HttpRequest) -> list[tuple[int, int, int | None]]:
    data = request.POST if request.method == "POST" else request.GET
    variant = _int(data.get("variant"))
    if variant is None:
        raise ValidationError(_("Choose a size or colour first."), field="variant")
    return [(variant, _int(data.get("quantity"), 1) or 1, _int(data.get("post")))]


def _render_checkout(
    request: HttpRequest,
    *,
    quote: selectors.Quote,
    form: CheckoutForm,
    buy_now: dict | None,
    changes: list[str] | None = None,
    error: str = "",
    status: int = 200,
    held_until=None,
) -> HttpResponse:
    user = request.user
    addresses = list(address_list(user=user))
    cards = list(payment_method_list(user=user))
    context = {
        "quote": quote,
        "form": form,
        "buy_now": buy_now,
        "addresses": addresses,
        "cards": cards,
        "chosen_address": form["address"].value() or (str(addresses[0].pk) if addresses else NEW),
        "chosen_card": form["card"].value() or (str(cards[0].pk) if cards else NEW),
        "test_cards": test_card_list(),
        "changes": changes or [],
        "error": error,
        "action": request.get_full_path(),
        "in_sheet": _is_htmx(request),
    }
    template = (
        "checkout/_checkout_form.html" if _is_htmx(request) else "checkout/checkout_page.html"
    )
    return render(request, template, context, status=status)


def _fresh_form(request: HttpRequest, quote: selectors.Quote, data=None) -> CheckoutForm:
    """The form for this quote: a new idempotency key and seal, the shopper's input kept
    (but never the card number or security code)."""
    if data is not None:
        data = data.copy()
        for name in CheckoutForm.SECRET_FIELDS:
            data.pop(name, None)
        data["idempotency_key"] = uuid.uuid4().hex
        data["seal"] = selectors.quote_seal(quote)
        return CheckoutForm(data)
    return CheckoutForm(
        initial={"idempotency_key": uuid.uuid4().hex, "seal": selectors.quote_seal(quote)}
    )


def _payment_choice(form: CheckoutForm) -> services.PaymentChoice:
    data = form.cleaned_data
    if data.get("card") and data["card"] != NEW:
        return services.PaymentChoice(method_id=_int(data["card"], -1))
    expiry = data.get("card_expiry")
    if not data.get("card_number") or not expiry:
        raise ValidationError(_("Enter your card number and expiry date."), field="card_number")
    token = card_tokenize(
        number=data["card_number"],
        exp_month=expiry[0],
        exp_year=expiry[1],
        cvc=data.get("card_cvc") or "",
    )
    return services.PaymentChoice(token=token, save=bool(data.get("save_card")))


def _address_choice(form: CheckoutForm) -> services.AddressChoice:
    data = form.cleaned_data
    if data.get("address") and data["address"] != NEW:
        return services.AddressChoice(address_id=_int(data["address"], -1))
    return services.AddressChoice(data=form.address_data(), save=bool(data.get("save_address")))


def _sold_out_known(request: HttpRequest) -> bool:
    """The item of this "Buy now" is known to be sold out for the shopper the session names
    (``services.sold_out_known``). Neither their row nor the stock is read: the stampede after
    a drop's last unit is answered from the session and the cache, as the API's quote is (the
    session is not checked against the password here: "sold out" tells nothing of theirs).
    Without a login or with a wrong item, False: the checkout says why, as before."""
    shopper_id = session_user_id(request=request)
    if shopper_id is None:
        return False
    try:
        lines = _buy_now_lines(request)
    except ValidationError:
        return False
    return services.sold_out_known(variant_ids=[lines[0][0]], buyer=shopper_id)


def _checkout_view(request: HttpRequest, *, buy_now: bool) -> HttpResponse:
    """The checkout of the cart, or of one item ("Buy now"). GET starts it: the units are held
    and priced. POST pays. Drops: before the release or over the limit the shopper is told why;
    when the drop's line is full they wait in it and come back here on their turn."""
    if buy_now and _sold_out_known(request):
        return _render_sold_out(request)
    if not request.user.is_authenticated:
        return _login_first(request)
    try:
        lines = _buy_now_lines(request) if buy_now else None
    except ValidationError as exc:
        messages.error(request, exc.message)
        return redirect(request.headers.get("Referer") or "checkout:cart-detail")
    cart = None if buy_now else _cart(request)
    data = request.POST if request.method == "POST" else request.GET
    shipping = (
        {str(k[9:]): _int(v) for k, v in data.items() if k.startswith("shipping_")}
        if buy_now
        else (cart.shipping if cart else {})
    )
    page = _CheckoutPage(request, buy_now=buy_now, cart=cart, lines=lines, shipping=shipping)
    try:
        return page.pay() if request.method == "POST" else page.start()
    except DropQueued as exc:
        return _to_the_line(request, exc)
    except (DropNotOpen, DropLimitReached) as exc:
        if _is_htmx(request):
            return render(request, "checkout/_drop_refused.html", {"error": exc.message})
        messages.error(request, exc.message)
        return redirect(request.headers.get("Referer") or "checkout:cart-detail")


class _CheckoutPage:
    """One request of the checkout page: its lines, and how to start, pay and show errors."""

    def __init__(self, request: HttpRequest, *, buy_now: bool, cart, lines, shipping):
        self.request, self.buy_now, self.cart, self.lines = request, buy_now, cart, lines
        self.shipping = shipping
        self.source = lines if buy_now else (list(cart.lines.all()) if cart else [])
        self.holder = selectors.reservation_owner(request.user)
        self.params = (
            {"variant": lines[0][0], "quantity": lines[0][1], "post": lines[0][2] or ""}
            if buy_now
            else None
        )

    def quote(self) -> selectors.Quote:
        return selectors.quote_build(lines=self.source, shipping=self.shipping, holder=self.holder)

    def held_quote(self) -> tuple[selectors.Quote, object]:
        """Checkout starts (or starts again after an error): hold the units, then price them."""
        held_until = services.checkout_hold(buyer=self.request.user, lines=self.source)
        return self.quote(), held_until

    def render(self, quote, form, **extra) -> HttpResponse:
        return _render_checkout(self.request, quote=quote, form=form, buy_now=self.params, **extra)

    def start(self) -> HttpResponse:
        if not self.source:
            return redirect("checkout:cart-detail")
        quote, held_until = self.held_quote()
        if quote.is_empty and not quote.unavailable:
            if self.buy_now:
                messages.error(self.request, _("This item is not for sale."))
            return redirect("checkout:cart-detail")
        return self.render(quote, _fresh_form(self.request, quote), held_until=held_until)

    def pay(self) -> HttpResponse:
        request = self.request
        form = CheckoutForm(request.POST)
        if not form.is_valid():
            return self.render(self.quote(), form, status=422)
        try:
            checkout = services.checkout_complete(
                buyer=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                seal=form.cleaned_data["seal"],
                address=_address_choice(form),
                payment=_payment_choice(form),
                cart=self.cart,
                lines=self.lines,
                shipping=self.shipping if self.buy_now else None,
                attribution=request.session.get(SESSION_ATTRIBUTION),
                return_url=request.build_absolute_uri(
                    reverse("checkout:checkout-return")
                    + "?"
                    + urlencode({"key": form.cleaned_data["idempotency_key"]})
                ),
            )
        except (DropNotOpen, DropLimitReached, DropQueued):
            raise
        except CheckoutStale as exc:
            quote, held_until = self.held_quote()
            fresh = _fresh_form(request, quote, request.POST)
            page = self.render(
                quote,
                fresh,
                held_until=held_until,
                changes=exc.changes,
                error=exc.message,
                status=409,
            )
            return expected_answer(page)
        except DomainError as exc:
            quote, held_until = self.held_quote()
            fresh = _fresh_form(request, quote, request.POST)
            if isinstance(exc, ValidationError) and exc.field in fresh.fields:
                fresh.is_valid()
                fresh.add_error(exc.field, exc.message)
            status = 402 if isinstance(exc, PaymentDeclined) else exc.status_code
            return self.render(
                quote, fresh, held_until=held_until, error=exc.message, status=status
            )
        if not self.buy_now:
            _remember_count(request, _cart(request))
        return _after_checkout(request, checkout)


def _after_checkout(request: HttpRequest, checkout: Checkout) -> HttpResponse:
    """The next page: in the feed's sheet it is rendered in place, elsewhere redirected to."""
    if checkout.status == CheckoutStatus.REQUIRES_ACTION:
        if _is_htmx(request):
            return _render_confirm(request, checkout)
        return redirect("checkout:checkout-confirm", uid=checkout.uid)
    if _is_htmx(request):
        return _render_done(request, checkout)
    return redirect("checkout:checkout-detail", uid=checkout.uid)


def _render_confirm(request: HttpRequest, checkout: Checkout, error: str = "") -> HttpResponse:
    waiting = services.checkout_next_action(checkout=checkout)
    context = {
        "checkout": checkout,
        "part": waiting[0] if waiting else None,
        "payment": waiting[1] if waiting else None,
        "error": error,
        "in_sheet": _is_htmx(request),
    }
    template = "checkout/_confirm.html" if _is_htmx(request) else "checkout/checkout_confirm.html"
    return render(request, template, context, status=402 if error else 200)


def _render_done(request: HttpRequest, checkout: Checkout) -> HttpResponse:
    parts = list(checkout.parts.select_related("shop", "order").order_by("pk"))
    template = "checkout/_done.html" if _is_htmx(request) else "checkout/checkout_detail.html"
    return render(request, template, {"checkout": checkout, "parts": parts})


def checkout_page(request: HttpRequest) -> HttpResponse:
    """Check out the whole cart."""
    return _checkout_view(request, buy_now=False)


def buy_now(request: HttpRequest) -> HttpResponse:
    """Check out one item straight away ("Buy now"), without touching the cart."""
    return _checkout_view(request, buy_now=True)


def _own_checkout(request: HttpRequest, uid) -> Checkout:
    return selectors.access_buyer_checkout(buyer=request.user, uid=uid)


def checkout_confirm(request: HttpRequest, uid) -> HttpResponse:
    """The extra step a card asked for (like 3-D Secure with a real bank)."""
    if not request.user.is_authenticated:
        return _login_first(request)
    try:
        checkout = _own_checkout(request, uid)
    except NotFound as exc:
        return render(request, "web/error.html", {"message": exc.message}, status=404)
    error = ""
    if request.method == "POST" and request.POST.get("confirm") is not None:
        try:
            checkout = services.checkout_confirm(
                checkout=checkout, confirmation_token=request.POST.get("token", "")
            )
            return _after_checkout(request, checkout)
        except DomainError as exc:
            error = exc.message
            checkout.refresh_from_db()
    elif request.method == "POST":
        services.checkout_abandon(checkout=checkout)  # voids the payment, gives the units back
        messages.info(request, _("Payment cancelled. You have not been charged."))
        return redirect("checkout:cart-detail")
    if checkout.status != CheckoutStatus.REQUIRES_ACTION and not error:
        return redirect("checkout:checkout-detail", uid=checkout.uid)
    return _render_confirm(request, checkout, error)


@require_safe
def checkout_detail(request: HttpRequest, uid) -> HttpResponse:
    """The receipt of a checkout: its orders, one per shop."""
    if not request.user.is_authenticated:
        return _login_first(request)
    try:
        checkout = _own_checkout(request, uid)
    except NotFound as exc:
        return render(request, "web/error.html", {"message": exc.message}, status=404)
    if checkout.status == CheckoutStatus.REQUIRES_ACTION:
        return redirect("checkout:checkout-confirm", uid=checkout.uid)
    return _render_done(request, checkout)


@require_safe
def checkout_return(request: HttpRequest) -> HttpResponse:
    """Where a card provider sends the shopper back after its own confirmation page."""
    if not request.user.is_authenticated:
        return _login_first(request)
    checkout = selectors.checkout_get_by_key(buyer=request.user, key=request.GET.get("key", ""))
    if checkout is None:
        return redirect("checkout:cart-detail")
    if checkout.status == CheckoutStatus.REQUIRES_ACTION:
        try:
            checkout = services.checkout_confirm(checkout=checkout, confirmation_token="")
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("checkout:cart-detail")
    return _after_checkout(request, checkout)


def _render_sold_out(request: HttpRequest) -> HttpResponse:
    """The sold-out answer: in the product sheet the partial alone, rendered without the
    context processors (they read the shopper's row for the top bar, which the partial has
    not); as a page, the page with its top bar."""
    if _is_htmx(request):
        response = HttpResponse(render_to_string("checkout/_sold_out.html"), status=409)
    else:
        response = render(request, "checkout/sold_out.html", {}, status=409)
    return expected_answer(response)


def _to_the_line(request: HttpRequest, queued: DropQueued) -> HttpResponse:
    """Send the shopper to the drop's line; they come back to this checkout when it is their
    turn."""
    back = (
        request.get_full_path()
        if request.method == "GET"
        else request.headers.get("HX-Current-URL", "")
    )
    url = reverse("checkout:drop-line", args=[queued.drop_id]) + "?" + urlencode({"next": back})
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def drop_line(request: HttpRequest, drop_id: int) -> HttpResponse:
    """The drop's line: where the shopper is, refreshed every few seconds; when their turn
    comes they go on to the checkout they came from."""
    if not request.user.is_authenticated:
        return _login_first(request)
    next_url = request.GET.get("next") or reverse("checkout:cart-detail")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("checkout:cart-detail")
    try:
        services.checkout_line_turn(buyer=request.user, drop_id=drop_id)
    except DropQueued as exc:
        template = "checkout/_drop_line.html" if _is_htmx(request) else "checkout/drop_line.html"
        return render(request, template, {"queued": exc, "next_url": next_url})
    except NotFound as exc:
        return render(request, "web/error.html", {"message": exc.message}, status=404)
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = next_url
        return response
    return redirect(next_url)
