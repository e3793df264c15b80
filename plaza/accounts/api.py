"""API v1: shops, and the token that calls. Reads are public."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Path, Router, Schema
from ninja.pagination import paginate

from plaza.accounts.api_auth import (
    OPTIONAL_AUTH_OPENAPI,
    Page,
    Slug,
    errors,
    shop_token,
    shop_token_optional,
)
from plaza.accounts.models import ApiToken, Shop
from plaza.accounts.selectors import shop_get, shop_list

router = Router(tags=["shops"])


class ShopOut(Schema):
    slug: str
    name: str
    currency: str
    language: str
    description: str


class TokenOut(Schema):
    name: str
    prefix: str
    shop: ShopOut
    expires_at: datetime | None


@router.get(
    "/shops",
    operation_id="shops_list",
    response={200: list[ShopOut], **errors(401, 422)},
    auth=shop_token_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="List shops",
)
@paginate(Page)
def shops_list(request: HttpRequest):
    return shop_list()


@router.get(
    "/shops/{slug}",
    operation_id="shop_get",
    response={200: ShopOut, **errors(401, 404, 422)},
    auth=shop_token_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="Get a shop",
)
def shop_detail(request: HttpRequest, slug: Path[Slug]) -> Shop:
    return shop_get(slug=slug)


@router.get(
    "/token",
    operation_id="token_get",
    response={200: TokenOut, **errors(401)},
    auth=shop_token,
    tags=["auth"],
    summary="The calling token and its shop",
    description="Check a token: answers its name, prefix, expiry and shop, or 401.",
)
def token_detail(request: HttpRequest) -> ApiToken:
    return request.auth
