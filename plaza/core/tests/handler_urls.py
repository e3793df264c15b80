"""Views for the tests of Plaza's HTTP handler (plaza/core/tests/test_handler.py)."""

import asyncio
import contextvars
import threading

from django.db import connection
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path

seen: dict = {}
mark: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="unset")


def where(request):
    before = mark.get()
    mark.set(request.GET.get("mark", ""))
    seen.setdefault("view threads", []).append(threading.get_ident())
    return JsonResponse({"mark before": before})


def query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return HttpResponse(str(one))


def cookie(request):
    response = HttpResponse("with a cookie", headers={"X-Plaza": "yes"})
    response.set_cookie("flavour", "ube")
    return response


def boom(request):
    raise ValueError("a broken view")


async def _ticks():
    try:
        while True:
            yield b"tick\n"
            await asyncio.sleep(0.01)
    finally:
        seen["stream closed"] = True


def stream(request):
    return StreamingHttpResponse(_ticks(), content_type="text/plain")


def _lines():
    try:
        for n in range(3):
            seen.setdefault("read on", set()).add(threading.get_ident())
            yield f"line {n}\n".encode()
    finally:
        seen["lines closed"] = True


def lines(request):
    return StreamingHttpResponse(_lines(), content_type="text/plain")


urlpatterns = [
    path("where", where),
    path("query", query),
    path("cookie", cookie),
    path("boom", boom),
    path("stream", stream),
    path("lines", lines),
]
