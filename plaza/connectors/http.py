"""JSON over HTTPS to the networks' APIs, and the files they keep (customers' photos), with the
standard library (as the Stripe adapter).

A 2xx answer returns its JSON. Anything else raises DeliveryFailed: retryable for timeouts,
connection errors, 429 and 5xx (the network may answer later), final for other 4xx (the
request itself is wrong: retrying cannot help)."""

import json
import logging
import urllib.error
import urllib.request

from django.utils.translation import gettext as _

from plaza.connectors.exceptions import DeliveryFailed, FileTooLarge

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
RETRYABLE = {408, 409, 425, 429}


def _error_text(body: bytes) -> str:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return body[:200].decode(errors="replace")
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)[:200]
    if isinstance(data, dict) and "description" in data:  # Telegram
        return str(data["description"])[:200]
    return str(data)[:200]


def post_json(url: str, body: dict, *, headers: dict[str, str] | None = None) -> dict:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in _open
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    return _open(request)


def get_json(url: str, *, headers: dict[str, str] | None = None) -> dict:
    request = urllib.request.Request(url, headers=headers or {}, method="GET")  # noqa: S310
    return _open(request)


def get_file(
    url: str, *, max_bytes: int, headers: dict[str, str] | None = None
) -> tuple[bytes, str]:
    """A file a network keeps (a customer's photo, video, voice note): its bytes and content
    type. DeliveryFailed when it cannot be had; FileTooLarge (not retryable: it will not shrink)
    when it is larger than ``max_bytes``."""
    request = urllib.request.Request(url, headers=headers or {}, method="GET")  # noqa: S310
    raw, content_type = _fetch(request, max_bytes=max_bytes)
    if len(raw) > max_bytes:
        raise FileTooLarge(
            _("The file is larger than %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}
        )
    return raw, content_type


def _open(request: urllib.request.Request) -> dict:
    raw, _content_type = _fetch(request)
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        raise DeliveryFailed(_("The network's answer was not JSON."), retryable=True) from None


def _fetch(request: urllib.request.Request, *, max_bytes: int | None = None) -> tuple[bytes, str]:
    """The answer's body (at most ``max_bytes`` + 1 bytes read) and its content type."""
    if request.type not in ("http", "https"):
        raise DeliveryFailed(_("A network's address must be http or https."), retryable=False)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            raw = answer.read() if max_bytes is None else answer.read(max_bytes + 1)
            content_type = answer.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        body = exc.read()
        retryable = exc.code >= 500 or exc.code in RETRYABLE
        raise DeliveryFailed(
            _("The network answered %(status)s: %(detail)s")
            % {"status": exc.code, "detail": _error_text(body)},
            retryable=retryable,
            status=exc.code,
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise DeliveryFailed(
            _("The network did not answer (%(reason)s).") % {"reason": getattr(exc, "reason", exc)},
            retryable=True,
        ) from None
    return raw, content_type
