"""API v1: the logged-in shopper's cart and checkout.

Authentication is the shopper's session (``ShopperSession``): 401 without a login, 403 on a
write without the CSRF token. Money is integer minor units of each shop's ``currency``.

A checkout is priced twice: ``GET /cart`` (or ``POST /checkout/quote`` for "Buy now" lines)
answers the quote with a ``seal``; ``POST /checkout`` sends the seal back with an
``Idempotency-Key`` header. If anything changed in between (a price, shipping, stock) the
answer is 409 ``checkout_stale`` listing each change, and nothing is charged. The same key with
the same body answers the same checkout; with another body 409 ``idempotency_conflict``.
The answers shoppers meet in normal use (``checkout_stale``, ``drop_not_open``, ``drop_queued``,
``insufficient_stock``: ``DomainError.expected``) are not logged as warnings (after a drop's
last unit, thousands of shoppers get one); every other error is.
"""

from operator import attrgetter
from typing import Annotated, Literal
from uuid import UUID

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Router, Schema, Status

from plaza.accounts.api_auth import (
    BODY_ERRORS,
    ErrorOut,
    Id,
    Text,
    errors,
    shopper_session,
    shopper_session_unread,
)
from plaza.checkout import selectors, services
from plaza.checkout.exceptions import CheckoutStale
from plaza.checkout.models import Cart, Checkout, CheckoutStatus
from plaza.checkout.selectors import Quote, QuoteLine, ShopQuote
from plaza.core.exceptions import ValidationError

router = Router(tags=["checkout"])

MINOR_UNITS = "Whole minor units of `currency` (cents)."
Quantity = Annotated[int, Field(ge=0, le=services.MAX_QUANTITY)]


class StaleOut(ErrorOut):
    changes: list[str] | None = Field(None, description="What changed, a sentence each.")


class DropOut(ErrorOut):
    drop_id: int | None = Field(None, description="The drop whose line the shopper is in.")
    position: int | None = Field(None, description="1 when the shopper is next.")
    ticket: str | None = Field(None, description="Signed: the drop, the place, the shopper.")


class ShopRefOut(Schema):
    id: int
    slug: str
    name: str


class QuoteLineOut(Schema):
    line_id: int | None = Field(None, description="The cart line (cart quotes only).")
    variant_id: int
    sku: str
    title: str
    variant_title: str
    quantity: int
    unit_price: int = Field(..., description=MINOR_UNITS)
    line_total: int = Field(..., description=MINOR_UNITS)
    available: int = Field(..., description="Units that can be bought now.")
    problem: str = Field(..., description="Why the line cannot be bought as it is, or empty.")

    @staticmethod
    def resolve_sku(obj: QuoteLine) -> str:
        return obj.variant.sku

    @staticmethod
    def resolve_title(obj: QuoteLine) -> str:
        return obj.text.title

    @staticmethod
    def resolve_variant_title(obj: QuoteLine) -> str:
        return obj.variant.title


class ShippingOptionOut(Schema):
    id: int
    name: str
    delivery_days: str
    price: int = Field(..., description=f"For this shop's subtotal. {MINOR_UNITS}")


class ShopQuoteOut(Schema):
    shop: ShopRefOut
    currency: str
    lines: list[QuoteLineOut]
    shipping_methods: list[ShippingOptionOut]
    shipping_method_id: int | None
    subtotal: int = Field(..., description=MINOR_UNITS)
    shipping: int = Field(..., description=MINOR_UNITS)
    tax: int = Field(..., description=f"The tax included in `total`. {MINOR_UNITS}")
    total: int = Field(..., description=MINOR_UNITS)

    @staticmethod
    def resolve_shipping_methods(obj: ShopQuote) -> list[dict]:
        return [
            {
                "id": m.pk,
                "name": m.name,
                "delivery_days": m.delivery_days,
                "price": m.price_for(obj.subtotal),
            }
            for m in obj.methods
        ]

    @staticmethod
    def resolve_shipping_method_id(obj: ShopQuote) -> int | None:
        return obj.method.pk if obj.method else None


class TotalOut(Schema):
    currency: str
    total: int = Field(..., description=MINOR_UNITS)


class QuoteOut(Schema):
    shops: list[ShopQuoteOut] = Field(..., description="One future order per shop.")
    totals: list[TotalOut] = Field(..., description="What will be charged, per currency.")
    problems: list[str] = Field(..., description="Lines that cannot be bought as they are.")
    unavailable_variant_ids: list[int] = Field(..., description="Items no longer for sale.")
    item_count: int
    seal: str = Field(..., description="Send it back with POST /checkout.")

    @staticmethod
    def resolve_totals(obj: Quote) -> list[dict]:
        return [{"currency": c, "total": t} for c, t in obj.totals]

    @staticmethod
    def resolve_unavailable_variant_ids(obj: Quote) -> list[int]:
        return [line.variant_id for line in obj.unavailable]

    @staticmethod
    def resolve_seal(obj: Quote) -> str:
        return selectors.quote_seal(obj)


class CartLineIn(Schema):
    variant_id: Id
    quantity: Annotated[int, Field(ge=1, le=services.MAX_QUANTITY)] = 1
    post_id: Id | None = Field(None, description="The post the item was found in.")


class QuantityIn(Schema):
    quantity: Quantity = Field(..., description="0 removes the line.")


class ShippingIn(Schema):
    shop_id: Id
    method_id: Id


class QuoteIn(Schema):
    lines: list[CartLineIn] = Field(..., min_length=1, max_length=selectors.MAX_LINES)
    shipping: dict[str, Id] = Field(default_factory=dict, description="Shop id -> method id.")


class AddressIn(Schema):
    full_name: Annotated[str, Field(max_length=120, pattern=r"^[^\x00]*$")]
    line1: Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]
    line2: Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")] = ""
    city: Annotated[str, Field(max_length=100, pattern=r"^[^\x00]*$")]
    region: Annotated[str, Field(max_length=100, pattern=r"^[^\x00]*$")] = ""
    postal_code: Annotated[str, Field(max_length=20, pattern=r"^[^\x00]*$")] = ""
    country: Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")]
    phone: Annotated[str, Field(max_length=32, pattern=r"^[^\x00]*$")] = ""


class CheckoutIn(Schema):
    source: Literal["cart", "buy_now"] = "cart"
    lines: list[CartLineIn] | None = Field(
        None, max_length=selectors.MAX_LINES, description='The items, for "buy_now".'
    )
    shipping: dict[str, Id] = Field(default_factory=dict, description="Shop id -> method id.")
    seal: Annotated[str, Field(max_length=4000)] = Field(..., description="From the quote.")
    address_id: Id | None = Field(None, description="A saved address; or send `address`.")
    address: AddressIn | None = None
    save_address: bool = False
    payment_method_id: Id | None = Field(None, description="A saved card; or `payment_token`.")
    payment_token: Annotated[Text, Field(max_length=255)] | None = Field(
        None, description="A provider token for a new card (never a card number)."
    )
    save_card: bool = False

    model_config = {"extra": "forbid"}


class ConfirmIn(Schema):
    confirmation_token: Annotated[Text, Field(max_length=255)] = ""


class CheckoutPartOut(Schema):
    shop: ShopRefOut
    currency: str
    total: int = Field(..., description=MINOR_UNITS)
    order_number: str | None

    @staticmethod
    def resolve_order_number(obj) -> str | None:
        return obj.order.number if obj.order_id else None


class NextActionOut(Schema):
    kind: str = Field(..., description='"confirm" (send the token back) or "redirect" (to url).')
    url: str = ""
    token: str = ""


class CheckoutOut(Schema):
    uid: UUID
    status: CheckoutStatus
    parts: list[CheckoutPartOut]
    next_action: NextActionOut | None = None
    failure_message: str

    @staticmethod
    def resolve_parts(obj: Checkout) -> list:
        prefetch_related_objects([obj], "parts__shop", "parts__order")  # no query when loaded
        return sorted(obj.parts.all(), key=attrgetter("pk"))

    @staticmethod
    def resolve_next_action(obj: Checkout) -> dict | None:
        if obj.status != CheckoutStatus.REQUIRES_ACTION:
            return None
        waiting = services.checkout_next_action(checkout=obj)
        return waiting[1].next_action if waiting else None


def _cart_quote(cart: Cart) -> Quote:
    return selectors.quote_build(lines=list(cart.lines.all()), shipping=cart.shipping, images=False)


def _cart(request: HttpRequest) -> Cart:
    return services.cart_get_or_create(user=request.auth)


@router.get(
    "/cart",
    operation_id="cart_get",
    response={200: QuoteOut, **errors(401)},
    auth=shopper_session,
    summary="The shopper's cart, priced",
)
def cart_get(request: HttpRequest) -> Quote:
    cart = selectors.cart_get(user=request.auth)
    return _cart_quote(cart) if cart else Quote()


@router.post(
    "/cart/lines",
    operation_id="cart_line_add",
    response={201: QuoteOut, **errors(401, 403, 404, 409, *BODY_ERRORS)},
    auth=shopper_session,
    summary="Add an item to the cart",
    description="Adds to the quantity already in the cart; refuses more than the stock (422).",
)
def cart_line_add(request: HttpRequest, payload: CartLineIn):
    cart = _cart(request)
    services.cart_add(
        cart=cart, variant_id=payload.variant_id, quantity=payload.quantity, post_id=payload.post_id
    )
    return Status(201, _cart_quote(cart))


@router.patch(
    "/cart/lines/{line_id}",
    operation_id="cart_line_update",
    response={200: QuoteOut, **errors(401, 403, 404, *BODY_ERRORS)},
    auth=shopper_session,
    summary="Change a line's quantity (0 removes it)",
)
def cart_line_update(request: HttpRequest, line_id: Path[Id], payload: QuantityIn) -> Quote:
    cart = _cart(request)
    services.cart_line_update(cart=cart, line_id=line_id, quantity=payload.quantity)
    return _cart_quote(cart)


@router.delete(
    "/cart/lines/{line_id}",
    operation_id="cart_line_remove",
    response={200: QuoteOut, **errors(401, 403, 404, 422)},
    auth=shopper_session,
    summary="Remove a line from the cart",
)
def cart_line_remove(request: HttpRequest, line_id: Path[Id]) -> Quote:
    cart = _cart(request)
    services.cart_line_remove(cart=cart, line_id=line_id)
    return _cart_quote(cart)


@router.put(
    "/cart/shipping",
    operation_id="cart_shipping_choose",
    response={200: QuoteOut, **errors(401, 403, *BODY_ERRORS)},
    auth=shopper_session,
    summary="Choose a shop's shipping method",
)
def cart_shipping_choose(request: HttpRequest, payload: ShippingIn) -> Quote:
    cart = services.cart_choose_shipping(
        cart=_cart(request), shop_id=payload.shop_id, method_id=payload.method_id
    )
    return _cart_quote(cart)


@router.post(
    "/checkout/quote",
    operation_id="checkout_quote",
    response={200: QuoteOut, 409: StaleOut | DropOut, **errors(401, 403, *BODY_ERRORS)},
    auth=shopper_session_unread,
    summary='Start a "Buy now" checkout: hold the units and price them',
    description=(
        "Holds the units for the shopper (10 minutes by default; a new quote or checkout "
        "replaces the hold) and answers the quote with its seal for POST /checkout. A drop "
        "answers 409 `drop_not_open` before its release, and 409 `drop_queued` while the "
        "shopper waits in its line (`position`, a signed `ticket`): ask again in a few seconds. "
        "Over the drop's per-customer limit: 422 `drop_limit`."
    ),
)
def checkout_quote(request: HttpRequest, payload: QuoteIn) -> Quote:
    lines = [(line.variant_id, line.quantity, line.post_id) for line in payload.lines]
    # After a drop's last unit, the stampede is answered from the cache and the session alone:
    # nobody's row is read (request.auth is the session's shopper until then).
    shopper = request.auth
    if services.sold_out_known(variant_ids=[line[0] for line in lines], buyer=shopper.user_id):
        raise CheckoutStale(_("Sold out."), changes=[_("Every unit has found a buyer.")])
    return services.checkout_start(buyer=shopper.user(), lines=lines, shipping=payload.shipping)


@router.post(
    "/checkout",
    operation_id="checkout_complete",
    response={
        201: CheckoutOut,
        402: ErrorOut,
        409: StaleOut | DropOut,
        **errors(401, 403, 404, 503, *BODY_ERRORS),
    },
    auth=shopper_session,
    summary="Pay: one order per shop",
    description=(
        "Answers 201 with the checkout: `completed` (its parts name the orders) or "
        "`requires_action` (see `next_action`, then POST /checkout/{uid}/confirm). A declined "
        "card answers 402 and changes nothing; a changed quote 409 `checkout_stale`."
    ),
)
def checkout_complete(
    request: HttpRequest,
    payload: CheckoutIn,
    idempotency_key: Header[Annotated[str, Field(min_length=1, max_length=200)]],
):
    buy_now = payload.source == "buy_now"
    if buy_now and not payload.lines:
        raise ValidationError(
            _('Send the items in "lines" for a "buy_now" checkout.'), field="lines"
        )
    if payload.address_id is None and payload.address is None:
        raise ValidationError(_("Send address_id or address."), field="address")
    if payload.payment_method_id is None and not payload.payment_token:
        raise ValidationError(_("Send payment_method_id or payment_token."), field="payment_token")
    checkout = services.checkout_complete(
        buyer=request.auth,
        idempotency_key=idempotency_key,
        seal=payload.seal,
        address=services.AddressChoice(
            address_id=payload.address_id,
            data=payload.address.dict() if payload.address else None,
            save=payload.save_address,
        ),
        payment=services.PaymentChoice(
            method_id=payload.payment_method_id,
            token=payload.payment_token or "",
            save=payload.save_card,
        ),
        cart=None if buy_now else selectors.cart_get(user=request.auth),
        lines=[(line.variant_id, line.quantity, line.post_id) for line in payload.lines]
        if buy_now
        else None,
        shipping=payload.shipping if buy_now else None,
    )
    return Status(201, checkout)


@router.get(
    "/checkout/{uid}",
    operation_id="checkout_get",
    response={200: CheckoutOut, **errors(401, 404, 422)},
    auth=shopper_session,
    summary="One of the shopper's checkouts",
)
def checkout_get(request: HttpRequest, uid: Path[UUID]) -> Checkout:
    return selectors.access_buyer_checkout(buyer=request.auth, uid=uid)


@router.post(
    "/checkout/{uid}/confirm",
    operation_id="checkout_confirm",
    response={
        200: CheckoutOut,
        402: ErrorOut,
        409: StaleOut,
        **errors(401, 403, 404, 503, *BODY_ERRORS),
    },
    auth=shopper_session,
    summary="Finish the extra step a card asked for",
)
def checkout_confirm(request: HttpRequest, uid: Path[UUID], payload: ConfirmIn) -> Checkout:
    checkout = selectors.access_buyer_checkout(buyer=request.auth, uid=uid)
    return services.checkout_confirm(
        checkout=checkout, confirmation_token=payload.confirmation_token
    )
