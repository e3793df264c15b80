from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds PLAZA_MAX_REQUEST_BYTES with 413.

    Django's own limits cover form fields; this one also covers uploads, before any byte of
    the body is read. The message is translated and the request changes nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.PLAZA_MAX_REQUEST_BYTES:
            # This runs before LocaleMiddleware: answer in the reader's language ourselves.
            with translation.override(translation.get_language_from_request(request)):
                return self._too_large(request)
        return self.get_response(request)

    def _too_large(self, request):
        limit_mb = settings.PLAZA_MAX_REQUEST_BYTES // (1024 * 1024)
        message = _("The request is too large (the limit is %(mb)s MB).") % {"mb": limit_mb}
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "too_large", "detail": message}, status=413)
        return render(
            request, "web/error.html", {"title": _("Too large"), "message": message}, status=413
        )
