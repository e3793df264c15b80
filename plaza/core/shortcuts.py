"""Small helpers shared by every app's pages."""

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse

from plaza.core.exceptions import NotFound


def expected_answer(response: HttpResponse) -> HttpResponse:
    """Mark an error answer shoppers meet in normal use (``DomainError.expected``) as logged:
    ``django.request`` writes a warning for every 4xx, but not for a response whose
    ``_has_been_logged`` is set (``django.utils.log.log_response``)."""
    response._has_been_logged = True
    return response


def not_found_as_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn the selectors' and services' NotFound into the 404 page. A NUL in a URL part is
    never a real slug (and PostgreSQL refuses it in a query), so it is a 404 too."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if any("\x00" in str(value) for value in kwargs.values()):
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from None

    return wrapper
