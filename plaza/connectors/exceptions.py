"""Errors of the connectors (see plaza.core.exceptions for the base classes)."""

from plaza.core.exceptions import DomainError, PermissionDenied


class SignatureInvalid(PermissionDenied):
    """A webhook's signature or secret token is missing or wrong (403): nothing is stored."""

    code = "signature_invalid"


class DeliveryFailed(DomainError):
    """A network refused or did not answer a send. ``retryable``: try again later."""

    status_code = 502
    code = "delivery_failed"

    def __init__(self, message: str, *, retryable: bool, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class FileTooLarge(DeliveryFailed):
    """A file the network keeps is larger than Plaza takes (never retried: it will not shrink)."""

    code = "file_too_large"

    def __init__(self, message: str):
        super().__init__(message, retryable=False)
