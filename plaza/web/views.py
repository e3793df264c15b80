from django.conf import settings
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.static import serve


@never_cache
@require_GET
def livez(request):
    """200 while the process serves requests; touches nothing else (the benchmarks' baseline)."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_GET
def healthz(request):
    """200 when the process is up and the database answers; 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def media(request, path):
    """Uploaded files in the embedded default (MEDIA_ROOT read per request, not at import)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


@require_POST
def language_set(request):
    """Switch the interface language (kept in a cookie, and on the user when logged in)."""
    code = request.POST.get("language", "")
    next_url = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    if code not in dict(settings.LANGUAGES):
        return render(
            request,
            "web/error.html",
            {"title": _("Unknown language"), "message": _("Plaza does not have that language.")},
            status=400,
        )
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
    )
    if request.user.is_authenticated and request.user.language != code:
        from plaza.accounts.services import user_profile_update

        user_profile_update(user=request.user, display_name=request.user.display_name, language=code)
    return response


def error_404(request, exception=None):
    return render(
        request,
        "web/error.html",
        {"title": _("Not found"), "message": _("This page does not exist.")},
        status=404,
    )


def error_400(request, exception=None):
    return render(
        request,
        "web/error.html",
        {"title": _("Bad request"), "message": _("The request could not be understood.")},
        status=400,
    )


def error_403(request, exception=None):
    return render(
        request,
        "web/error.html",
        {"title": _("Not allowed"), "message": _("You may not do this.")},
        status=403,
    )


def error_500(request):
    return render(
        request,
        "web/error.html",
        {"title": _("Something went wrong"), "message": _("Please try again in a moment.")},
        status=500,
    )
