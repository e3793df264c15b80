"""API v1: the logged-in shopper's own orders.

Authentication is the shopper's session (``ShopperSession``): without a login 401. Another
buyer's order answers 404, exactly like a missing one. Every amount is an integer number of
minor units of the order's ``currency``, as computed and stored when the order was placed.
"""

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.pagination import paginate

from plaza.accounts.api_auth import Page, errors, shopper_session
from plaza.orders.models import Order, OrderStatus
from plaza.orders.selectors import access_buyer_order, order_list_for_buyer

router = Router(tags=["orders"])

OrderNumber = Annotated[
    str,
    Field(
        min_length=1,
        max_length=16,
        pattern=r"^[-A-Za-z0-9]+$",
        description='The number shown to the shopper, e.g. "K7QX-3MPA".',
    ),
]

MINOR_UNITS = "Whole minor units of `currency` (cents)."


class OrderShopOut(Schema):
    id: int
    slug: str
    name: str


class OrderLineOut(Schema):
    id: int
    product_title: str
    variant_title: str
    sku: str
    unit_price: int = Field(..., description=MINOR_UNITS)
    quantity: int
    line_total: int = Field(..., description=MINOR_UNITS)
    quantity_refunded: int


class OrderOut(Schema):
    number: str
    shop: OrderShopOut
    status: OrderStatus
    currency: str = Field(..., description="ISO-4217 code of every amount of the order.")
    subtotal: int = Field(..., description=MINOR_UNITS)
    shipping: int = Field(..., description=MINOR_UNITS)
    discount: int = Field(..., description=MINOR_UNITS)
    tax: int = Field(..., description=f"The tax included in `total`. {MINOR_UNITS}")
    total: int = Field(..., description=MINOR_UNITS)
    item_count: int = Field(..., description="Units ordered, over every line.")
    lines: list[OrderLineOut]
    placed_at: datetime
    paid_at: datetime | None
    fulfilled_at: datetime | None
    cancelled_at: datetime | None

    @staticmethod
    def resolve_item_count(obj: Order) -> int:
        return sum(line.quantity for line in obj.lines.all())


class AddressOut(Schema):
    full_name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str = Field(..., description="ISO 3166-1 alpha-2 code.")
    phone: str


class FulfillmentOut(Schema):
    carrier: str
    tracking_number: str
    tracking_url: str
    created_at: datetime


class OrderEventOut(Schema):
    kind: str = Field(..., examples=["placed"])
    message: str
    created_at: datetime


class OrderDetailOut(OrderOut):
    email: str
    shipping_address: AddressOut
    fulfillments: list[FulfillmentOut]
    timeline: list[OrderEventOut] = Field(..., description="Oldest first.")

    @staticmethod
    def resolve_shipping_address(obj: Order) -> Order:
        return obj

    @staticmethod
    def resolve_timeline(obj: Order) -> list:
        return list(obj.events.all())


@router.get(
    "/orders",
    operation_id="orders_list",
    response={200: list[OrderOut], **errors(401, 422)},
    auth=shopper_session,
    summary="The shopper's orders",
    description="Every shop's, newest first.",
)
@paginate(Page)
def orders_list(request: HttpRequest):
    return order_list_for_buyer(buyer=request.auth)


@router.get(
    "/orders/{number}",
    operation_id="order_get",
    response={200: OrderDetailOut, **errors(401, 404, 422)},
    auth=shopper_session,
    summary="One of the shopper's orders",
    description="With its delivery address, shipments and timeline. Another buyer's order is 404.",
)
def order_get(request: HttpRequest, number: Path[OrderNumber]) -> Order:
    return access_buyer_order(buyer=request.auth, number=number)
