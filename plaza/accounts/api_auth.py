"""What every API v1 router shares: shop-token authentication, the error shape, pagination and
the constrained input types.

A shop token reads ``Authorization: Bearer plz_<prefix>_<secret>``. Write endpoints require one
(``auth=shop_token``); read endpoints accept one (``auth=shop_token_optional``) and then also show
the token's own shop's drafts. A token that is sent but wrong, revoked or expired is refused with
401 everywhere, so an integration learns at once that its token no longer works.
"""

import re
from dataclasses import dataclass
from typing import Annotated

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from plaza.accounts.models import ApiToken, Shop, User
from plaza.accounts.selectors import session_user_id
from plaza.accounts.services import api_token_authenticate
from plaza.core.exceptions import DomainError

# A token is plz_<hex prefix>_<url-safe secret>. Anything else is refused before any query.
_TOKEN_RE = re.compile(r"^plz_[0-9a-f]{1,12}_[A-Za-z0-9_-]{1,128}$")


class InvalidApiToken(AuthenticationError):
    """A token was sent, but it is wrong, revoked or expired (401)."""

    code = "invalid_token"

    def __init__(self) -> None:
        super().__init__(401, _("This API token is not valid: it is wrong, revoked or expired."))


class ShopToken(HttpBearer):
    """Bearer authentication with a shop API token; ``request.auth`` is the ApiToken."""

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        header = request.headers.get(self.header)
        if header is not None and header.split(" ", 1)[0].lower() == self.openapi_scheme:
            # "Bearer" with nothing after it is a wrong token, not a missing one.
            return self.authenticate(request, header.partition(" ")[2].strip())
        return None

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        if not _TOKEN_RE.match(token):
            raise InvalidApiToken()
        api_token = api_token_authenticate(raw=token)
        if api_token is None:
            raise InvalidApiToken()
        return api_token


class Anonymous:
    """``request.auth`` of a read without a token: it belongs to no shop."""

    shop: Shop | None = None

    def __bool__(self) -> bool:
        return True


def _anonymous(request: HttpRequest) -> Anonymous:
    return Anonymous()


shop_token = ShopToken()
# Reads: a valid token, or none at all (a wrong token still gets 401).
shop_token_optional = [shop_token, _anonymous]
# OpenAPI: the token is optional on reads.
OPTIONAL_AUTH_OPENAPI = {"security": [{}]}


def token_shop(request: HttpRequest) -> Shop | None:
    """The shop whose token made the request, or None for a request without a token."""
    return getattr(request.auth, "shop", None)


def auth_shop(request: HttpRequest) -> Shop:
    """The shop of the (required) token."""
    return request.auth.shop


# --- errors ------------------------------------------------------------------


class FieldErrorOut(Schema):
    field: str | None = None
    code: str
    detail: str


class ErrorOut(Schema):
    """Every error: a stable code, a translated message, and the field it is about, if any."""

    code: str = Field(..., examples=["not_found"])
    detail: str = Field(..., examples=["This product does not exist."])
    field: str | None = None
    errors: list[FieldErrorOut] | None = None


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``{status: ErrorOut}`` for the error statuses an operation can answer with."""
    return dict.fromkeys(statuses, ErrorOut)


# Statuses of any operation that reads a JSON body: malformed (400), too large (413), invalid (422).
BODY_ERRORS = (400, 413, 422)


# --- pagination and input types ----------------------------------------------


class Page(LimitOffsetPagination):
    """``?limit=&offset=``; answers ``{"items": [...], "count": n}``."""

    class Input(Schema):
        limit: int = Field(20, ge=1, le=100, description="How many items (1 to 100).")
        offset: int = Field(0, ge=0, le=1_000_000, description="How many items to skip.")


# Text without NUL characters (no database stores them) and that is valid Unicode.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Field(pattern=NO_NUL)]
Slug = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[-\w]+$")]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


# --- shopper session -----------------------------------------------------------


class LoginRequired(DomainError):
    """The endpoint is for logged-in shoppers and the request has no session (401)."""

    status_code = 401
    code = "login_required"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Log in to do this."))


class CsrfFailed(DomainError):
    """A logged-in shopper's unsafe request without the right CSRF token (403)."""

    status_code = 403
    code = "csrf_failed"

    def __init__(self) -> None:
        super().__init__(
            _(
                "The CSRF token is missing or wrong: send the value of the csrftoken cookie in "
                "the X-CSRFToken header."
            )
        )


@dataclass(frozen=True)
class SessionShopper:
    """A logged-in shopper known by their session only: ``request.auth`` of the endpoints that
    may answer from the cache before reading anyone's row (``ShopperSession(read_user=False)``).
    ``user()`` reads and checks them as Django's login does."""

    request: HttpRequest
    user_id: int

    def user(self) -> User:
        user = self.request.user
        if not user.is_authenticated:  # the session no longer holds (a changed password)
            raise LoginRequired()
        return user


class ShopperSession(SessionAuth):
    """Django's session cookie of a logged-in shopper (the web login); ``request.auth`` is the
    User. As Ninja's own SessionAuth, unsafe methods (POST, DELETE...) must carry the CSRF token.

    Unlike SessionAuth, the login is checked before the CSRF token, so a request without a
    session gets 401 (``LoginRequired``) and only a logged-in one can get 403 (``CsrfFailed``):
    both translated, in the API's error shape. With ``required=False`` a request without a login
    is passed on to the next authentication callback instead.
    """

    def __init__(self, *, required: bool = True, read_user: bool = True) -> None:
        self.required = required
        self.read_user = read_user
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> User | SessionShopper | None:
        if not self.read_user:
            user_id = session_user_id(request=request)
            if user_id is None:
                raise LoginRequired()
            self._check_csrf(request)
            return SessionShopper(request=request, user_id=user_id)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            if self.required:
                raise LoginRequired()
            return None
        self._check_csrf(request)
        return user

    def _check_csrf(self, request: HttpRequest) -> None:
        checks_csrf = self.csrf and not getattr(request, "_ninja_csrf_exempt", False)
        if checks_csrf and check_csrf(request) is not None:
            raise CsrfFailed()


def _anonymous_shopper(request: HttpRequest) -> AnonymousUser:
    # Ninja accepts an authentication only when its callback returns something truthy, so a
    # visitor without a login is Django's AnonymousUser (``is_authenticated`` is False).
    return AnonymousUser()


# Endpoints for logged-in shoppers: 401 without a session, 403 on a write without CSRF token.
shopper_session = ShopperSession()
# The same, with ``request.auth`` a SessionShopper: the shopper's row is read only when needed.
shopper_session_unread = ShopperSession(read_user=False)
# Endpoints anyone may read, that show more to a logged-in shopper. ``request.auth`` is the User,
# or an AnonymousUser without a login (``session_shopper(request)`` is then None). Declare it
# with ``openapi_extra=OPTIONAL_AUTH_OPENAPI``.
shopper_session_optional = [ShopperSession(required=False), _anonymous_shopper]


def session_shopper(request: HttpRequest) -> User | None:
    """The logged-in shopper of the request, or None for an anonymous visitor."""
    user = getattr(request, "auth", None)
    return user if getattr(user, "is_authenticated", False) else None
