"""API v1: stock per variant, for the shop's own token only.

Another shop's variant answers 404, exactly like a missing one.
"""

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from pydantic import ConfigDict

from plaza.accounts.api_auth import BODY_ERRORS, Id, auth_shop, errors, shop_token
from plaza.catalog.selectors import access_shop_variant
from plaza.inventory.selectors import StockLevel, stock_level_for_variant
from plaza.inventory.services import MAX_QUANTITY, stock_set

router = Router(tags=["stock"], auth=shop_token)


class StockOut(Schema):
    variant_id: int
    quantity: int = Field(..., description="Units on the shelf, over all locations.")
    allocated: int = Field(..., description="Units promised to placed orders, not yet shipped.")
    available: int = Field(..., description="Units that can still be sold.")


class StockIn(Schema):
    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(
        ..., strict=True, ge=0, le=MAX_QUANTITY, description="Units on the shelf (whole number)."
    )


@router.get(
    "/variants/{variant_id}/stock",
    operation_id="stock_get",
    response={200: StockOut, **errors(401, 404, 422)},
    summary="A variant's stock",
)
def stock_detail(request: HttpRequest, variant_id: Path[Id]) -> StockLevel:
    variant = access_shop_variant(shop=auth_shop(request), variant_id=variant_id)
    return stock_level_for_variant(variant_id=variant.pk)


@router.put(
    "/variants/{variant_id}/stock",
    operation_id="stock_set",
    response={200: StockOut, **errors(401, 404, *BODY_ERRORS)},
    summary="Set a variant's on-hand quantity",
    description=(
        "Sets the quantity at the shop's default location. A quantity below what is already "
        "promised to orders answers 422 and changes nothing."
    ),
)
def stock_put(request: HttpRequest, variant_id: Path[Id], payload: StockIn) -> StockLevel:
    variant = access_shop_variant(shop=auth_shop(request), variant_id=variant_id)
    stock_set(variant=variant, quantity=payload.quantity)
    return stock_level_for_variant(variant_id=variant.pk)
