"""Domain errors. Services raise them; the web and API layers turn them into translated
messages and the right status code. Messages are already translated when raised."""


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status_code = 400
    code = "invalid"
    # An answer shoppers meet in normal use (sold out, not open yet, wait in line): the web and
    # API layers answer it without a warning in the log, where a stampede would write thousands.
    expected = False

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict:
        data = {"code": self.code, "detail": self.message}
        if self.field:
            data["field"] = self.field
        return data


class ValidationError(DomainError):
    """The input breaks a rule (422)."""

    status_code = 422
    code = "invalid"


class NotFound(DomainError):
    """Missing, or not yours: the same error for both (404)."""

    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    """Known, but this actor may not do this (403)."""

    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    """The change collides with existing state, e.g. a duplicate SKU (409)."""

    status_code = 409
    code = "conflict"
