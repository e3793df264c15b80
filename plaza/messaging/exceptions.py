"""Errors of the messaging layer (see plaza.core.exceptions for the base classes)."""

from plaza.core.exceptions import Conflict, DomainError


class WindowClosed(Conflict):
    """The channel's messaging window is closed: the message may not be sent now (409)."""

    code = "window_closed"


class TooManyMessages(DomainError):
    """Someone is flooding the chat (429)."""

    status_code = 429
    code = "rate_limited"
