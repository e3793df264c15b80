"""API v1: one NinjaAPI composed of the apps' routers. OpenAPI 3.1 at /api/v1/openapi.json."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from plaza.core.exceptions import DomainError

api = NinjaAPI(
    title="Plaza API",
    version="1.0.0",
    description=(
        "Read shops, products, variants and categories; shop staff write them with a shop API "
        "token (`Authorization: Bearer plz_...`). Money is an integer number of minor units "
        "(cents) plus an ISO-4217 currency code."
    ),
    urls_namespace="api-v1",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError):
    return api.create_response(
        request,
        {"code": "invalid", "detail": _("The request is not valid."), "errors": exc.errors},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(
        request,
        {"code": "unauthorized", "detail": _("A valid shop API token is required.")},
        status=401,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    return api.create_response(
        request, {"code": "error", "detail": str(exc.message)}, status=exc.status_code
    )
