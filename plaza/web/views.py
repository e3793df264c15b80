import os
import re

from django.conf import settings
from django.db import connection
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
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
    """Uploaded files in the embedded default (MEDIA_ROOT read per request, not at import), with
    byte ranges: Safari plays a video (a post's, a customer's in the inbox) only from a server
    that answers them, and every browser seeks in one by asking for a range."""
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    if not isinstance(response, FileResponse):
        return response  # 304 Not Modified
    response.headers["Accept-Ranges"] = "bytes"
    wanted = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if not wanted or (if_range and if_range != response.headers.get("Last-Modified")):
        return response  # the whole file (If-Range: the file changed since the part they have)
    file = response.file_to_stream
    size = os.fstat(file.fileno()).st_size
    found = byte_range(wanted, size)
    if found is None:
        return response  # a header we do not take (several ranges): the whole file, as allowed
    if found == ():
        file.close()
        refused = HttpResponse(status=416)
        refused.headers["Content-Range"] = f"bytes */{size}"
        return refused
    start, end = found
    file.seek(start)
    part = StreamingHttpResponse(
        _file_part(file, end - start + 1), status=206, content_type=response["Content-Type"]
    )
    part.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    part.headers["Content-Length"] = str(end - start + 1)
    for name in ("Last-Modified", "Accept-Ranges", "Content-Encoding"):
        if name in response.headers:
            part.headers[name] = response.headers[name]
    return part


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_PART_CHUNK = 64 * 1024


def byte_range(header: str, size: int) -> tuple[int, int] | tuple[()] | None:
    """The first and last byte a ``Range`` header asks of a file of ``size`` bytes (RFC 9110,
    14.1.2): ``bytes=0-99``, ``bytes=100-`` (to the end), ``bytes=-50`` (the last 50). ``()``
    when nothing of the file is in it (416); None for a header Plaza does not take (several
    ranges, another unit, a malformed one), which is then ignored."""
    match = _RANGE.fullmatch(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # a suffix: the last N bytes
        length = int(last)
        return (max(size - length, 0), size - 1) if length and size else ()
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        return ()
    return start, end


def _file_part(file, length: int):
    """``length`` bytes of ``file`` from where it stands, in chunks; closes it at the end (or when
    the client leaves and the response is closed)."""
    try:
        while length > 0:
            chunk = file.read(min(_PART_CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        file.close()


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

        user_profile_update(
            user=request.user, display_name=request.user.display_name, language=code
        )
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
