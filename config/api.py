"""API v1: one NinjaAPI composed of the apps' routers. OpenAPI 3.1 at /api/v1/openapi.json.

Every error answers JSON ``{"code", "detail", "field"?, "errors"?}`` with a translated
``detail``: malformed JSON 400, missing or wrong token 401, missing or another shop's object
404, too large 413, conflicts (a duplicate SKU) 409, invalid input 422. No input answers 500.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from plaza.accounts.api import router as accounts_router
from plaza.accounts.api_auth import InvalidApiToken
from plaza.catalog.api import router as catalog_router
from plaza.checkout.api import router as checkout_router
from plaza.core.exceptions import DomainError
from plaza.core.shortcuts import expected_answer
from plaza.inventory.api import router as inventory_router
from plaza.messaging.api import router as chat_router
from plaza.orders.api import router as orders_router
from plaza.social.api import router as social_router

api = NinjaAPI(
    title="Plaza API",
    version="1.0.0",
    description=(
        "Read shops, products, variants and categories; shop staff write them with a shop API "
        "token (`Authorization: Bearer plz_...`). Reads need no token; with the shop's own token "
        "they also show its drafts. Money is an integer number of minor units (cents) plus an "
        "ISO-4217 currency code. Request bodies are JSON; unknown fields are refused with 422. "
        "Errors are JSON `{code, detail, field}` with a translated `detail` "
        "(send `Accept-Language`)."
    ),
    urls_namespace="api-v1",
)

api.add_router("", accounts_router)
api.add_router("", catalog_router)
api.add_router("", inventory_router)
api.add_router("", orders_router)
api.add_router("", social_router)
api.add_router("", checkout_router)
api.add_router("", chat_router)


# --- error handlers ----------------------------------------------------------


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):
    response = api.create_response(request, exc.as_dict(), status=exc.status_code)
    return expected_answer(response) if exc.expected else response


_PARAM_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
# Names of the schema-typed parameters of the endpoints (body ``payload``, query ``filters``,
# the paginator's input): not part of the field name the client sent.
_PARAM_NAMES = {"payload", "filters", "ninja_pagination"}


def _field_name(loc: list | tuple) -> str | None:
    """("body", "payload", "variants", 0, "price") -> "variants.0.price"."""
    parts = list(loc)
    if parts and parts[0] in _PARAM_SOURCES:
        parts.pop(0)
        if parts and parts[0] in _PARAM_NAMES:
            parts.pop(0)
    return ".".join(str(p) for p in parts) or None


def _error_message(error: dict, field: str | None) -> str:
    """A translated sentence for one pydantic error."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    is_price = bool(field) and field.rsplit(".", 1)[-1] in {"price", "compare_at_price"}
    if is_price:
        if kind in {"int_type", "int_parsing", "int_from_float"}:
            return _("A price must be a whole number of minor units (cents).")
        if kind == "greater_than_equal":
            return _("A price cannot be negative.")
        if kind == "less_than_equal":
            return _("That price is too large.")
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not allowed.")
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return _("Enter a whole number.")
    if kind == "greater_than_equal":
        return _("The value must be at least %(limit)s.") % {"limit": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("The value must be at most %(limit)s.") % {"limit": ctx.get("le")}
    if kind == "string_too_short":
        n = ctx.get("min_length") or 0
        return ngettext(
            "This text is too short (at least %(n)s character).",
            "This text is too short (at least %(n)s characters).",
            n,
        ) % {"n": n}
    if kind == "string_too_long":
        return _("This text is too long (at most %(n)s characters).") % {"n": ctx.get("max_length")}
    if kind == "too_short":
        n = ctx.get("min_length") or 0
        return ngettext(
            "This list needs at least %(n)s item.", "This list needs at least %(n)s items.", n
        ) % {"n": n}
    if kind == "too_long":
        return _("This list has too many items (at most %(n)s).") % {"n": ctx.get("max_length")}
    if kind == "string_pattern_mismatch":
        return _("This text has characters or a form that are not allowed.")
    if kind in {"string_type", "string_unicode"}:
        return _("Enter text.")
    if kind in {"enum", "literal_error"}:
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return _("Send an object here.")
    if kind == "list_type":
        return _("Send a list here.")
    if kind == "bool_type":
        return _("Enter true or false.")
    return _("This value is not valid.")


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError):
    details = []
    for error in exc.errors:
        field = _field_name(error.get("loc", ()))
        details.append(
            {
                "field": field,
                "code": error.get("type", "invalid"),
                "detail": _error_message(error, field),
            }
        )
    first = details[0] if details else {"field": None, "detail": _("The request is not valid.")}
    return api.create_response(
        request,
        {"code": "invalid", "detail": first["detail"], "field": first["field"], "errors": details},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError):
    if isinstance(exc, InvalidApiToken):
        body = {"code": exc.code, "detail": exc.message}
    else:
        body = {"code": "unauthorized", "detail": _("A valid shop API token is required.")}
    response = api.create_response(request, body, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    if exc.status_code == 400:
        # Ninja raises HttpError(400) only when the body cannot be parsed as JSON.
        body = {"code": "malformed", "detail": _("The request body is not valid JSON.")}
    else:
        body = {"code": "error", "detail": str(exc.message)}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Http404)
def http_404(request: HttpRequest, exc: Http404):
    return api.create_response(
        request, {"code": "not_found", "detail": _("This does not exist.")}, status=404
    )


@api.exception_handler(RequestDataTooBig)
def request_too_big(request: HttpRequest, exc: RequestDataTooBig):
    # Django refuses to read a body above DATA_UPLOAD_MAX_MEMORY_SIZE; a declared
    # Content-Length above PLAZA_MAX_REQUEST_BYTES is refused earlier by the middleware.
    return api.create_response(
        request,
        {"code": "too_large", "detail": _("The request body is too large.")},
        status=413,
    )


# --- anything else under /api/v1/ answers a JSON 404, never an HTML page ------

_fallback = Router()


@_fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
)
def not_found(request: HttpRequest, rest: str):
    return api.create_response(
        request,
        {"code": "not_found", "detail": _("This API endpoint does not exist.")},
        status=404,
    )


# Added last, so it only answers paths no other router has.
api.add_router("", _fallback)
