"""The Stripe gateway ("stripe"): PaymentIntents with manual capture, refunds, webhook signatures.

Speaks Stripe's HTTP API with the standard library: form-encoded request bodies, JSON answers,
``Authorization: Bearer <secret key>``, an ``Idempotency-Key`` header (at most 255 characters)
on every POST, and a timeout on every request. Settings are read at call time:

- ``STRIPE_API_BASE`` (default ``https://api.stripe.com``; tests point it at a local recorder),
- ``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET``,
- ``STRIPE_API_VERSION`` (sent as ``Stripe-Version`` when set), ``STRIPE_TIMEOUT_SECONDS``.

Authorising creates and confirms a PaymentIntent in one call (``capture_method=manual``,
``confirm=true``). PaymentIntent statuses map to Plaza's: ``requires_capture`` -> authorized,
``succeeded`` -> captured, ``canceled`` -> voided, ``requires_action`` -> requires_action,
``processing``/``requires_confirmation`` -> pending, ``requires_payment_method`` -> failed.
A 402 (card error) or another 4xx is a definitive FAILED; no answer, a 409, 429 or 5xx is an
ERROR to retry with the same idempotency key.
"""

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

from django.conf import settings

from plaza.payments.gateways.base import CardDetails, GatewayResult, NextAction, Outcome

logger = logging.getLogger("plaza.payments")

MAX_IDEMPOTENCY_KEY_LENGTH = 255
# Stripe's recommended tolerance between the signed timestamp and now.
SIGNATURE_TOLERANCE_SECONDS = 300

_RETRYABLE_STATUSES = {409, 429}


def form_encode(params: Mapping[str, object], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten params the way Stripe reads forms: ``metadata[order]=12``, booleans as true/false;
    None is left out."""
    items: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            items.extend(form_encode(value, name))
        elif isinstance(value, bool):
            items.append((name, "true" if value else "false"))
        else:
            items.append((name, str(value)))
    return items


def signature_is_valid(
    *, payload: bytes, header: str, secret: str, now: float | None = None
) -> bool:
    """Check a ``Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...]`` header on the raw body.

    Valid when any v1 equals HMAC-SHA256(secret, "<t>.<body>") (compared in constant time) and t
    is within SIGNATURE_TOLERANCE_SECONDS of now. Other schemes (v0, ...) are ignored.
    """
    if not secret or not header:
        return False
    timestamp = ""
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamp = value
        elif key == "v1":
            candidates.append(value)
    if not timestamp.isdigit() or not candidates:
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    signed = timestamp.encode() + b"." + payload
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode()
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in candidates]
    return any(matches)


def _error_result(status: int | None, body: dict) -> GatewayResult:
    """Turn a Stripe error (or no answer at all) into a result; never raises."""
    if status is None:
        return GatewayResult(status=Outcome.ERROR, decline_code="provider_unavailable")
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    message = str(error.get("message") or "")[:500]
    intent = error.get("payment_intent") if isinstance(error.get("payment_intent"), dict) else {}
    reference = str(intent.get("id") or "")
    if status in _RETRYABLE_STATUSES or status >= 500:
        logger.warning("Stripe answered %s: %s", status, message or error.get("type", ""))
        return GatewayResult(
            status=Outcome.ERROR,
            reference=reference,
            decline_code="provider_unavailable",
            provider_message=message,
        )
    if status == 402 or error.get("type") == "card_error":
        code = str(error.get("decline_code") or error.get("code") or "card_declined")
        return GatewayResult(
            status=Outcome.FAILED, reference=reference, decline_code=code, provider_message=message
        )
    # Any other 4xx: the request itself was refused (bad key, unknown intent, wrong state).
    logger.error("Stripe refused a request (%s %s): %s", status, error.get("code", ""), message)
    code = "payment_state" if error.get("code") == "payment_intent_unexpected_state" else ""
    return GatewayResult(
        status=Outcome.FAILED,
        reference=reference,
        decline_code=code or "provider_error",
        provider_message=message,
    )


def _next_action(intent: dict) -> NextAction | None:
    action = intent.get("next_action") if isinstance(intent.get("next_action"), dict) else {}
    redirect = action.get("redirect_to_url")
    if action.get("type") == "redirect_to_url" and isinstance(redirect, dict):
        return NextAction(kind="redirect", url=str(redirect.get("url") or ""))
    # use_stripe_sdk and the rest: the shopper's browser finishes it with Stripe.js.
    return NextAction(kind="confirm", token=str(intent.get("client_secret") or ""))


def intent_result(intent: dict) -> GatewayResult:
    """Map a PaymentIntent object to a result."""
    status = intent.get("status")
    reference = str(intent.get("id") or "")
    if status == "requires_capture":
        amount = intent.get("amount_capturable") or intent.get("amount")
        return GatewayResult(status=Outcome.AUTHORIZED, reference=reference, amount=amount)
    if status == "succeeded":
        return GatewayResult(
            status=Outcome.CAPTURED, reference=reference, amount=intent.get("amount_received")
        )
    if status == "canceled":
        return GatewayResult(status=Outcome.VOIDED, reference=reference)
    if status == "requires_action":
        return GatewayResult(
            status=Outcome.REQUIRES_ACTION,
            reference=reference,
            amount=intent.get("amount"),
            next_action=_next_action(intent),
        )
    if status in ("processing", "requires_confirmation"):
        return GatewayResult(status=Outcome.PENDING, reference=reference)
    if status == "requires_payment_method":
        error = intent.get("last_payment_error") or {}
        code = str(error.get("decline_code") or error.get("code") or "card_declined")
        return GatewayResult(
            status=Outcome.FAILED,
            reference=reference,
            decline_code=code,
            provider_message=str(error.get("message") or "")[:500],
        )
    logger.error("Stripe PaymentIntent %s has an unknown status %r", reference, status)
    return GatewayResult(status=Outcome.ERROR, reference=reference, decline_code="provider_error")


class StripeGateway:
    """Stripe's PaymentIntents API, manual capture."""

    name = "stripe"

    # --- the gateway protocol --------------------------------------------------------------

    def authorize(
        self,
        *,
        amount: int,
        currency: str,
        payment_method: str,
        idempotency_key: str,
        description: str = "",
        metadata: Mapping[str, str] | None = None,
        return_url: str = "",
        capture: bool = False,
    ) -> GatewayResult:
        params: dict[str, object] = {
            "amount": amount,
            "currency": currency.lower(),
            "payment_method": payment_method,
            "capture_method": "automatic" if capture else "manual",
            "confirm": True,
            "description": description or None,
            "metadata": dict(metadata or {}),
        }
        if return_url:
            params["return_url"] = return_url
        else:
            # Without a page to come back to, refuse redirect-based methods; cards that need
            # 3-D Secure answer requires_action for Stripe.js to handle.
            params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
        status, body = self._request("POST", "/v1/payment_intents", params, idempotency_key)
        return intent_result(body) if status == 200 else _error_result(status, body)

    def confirm(
        self, *, reference: str, confirmation_token: str, idempotency_key: str, return_url: str = ""
    ) -> GatewayResult:
        # After the shopper's step (done in their browser), Stripe moves the intent on by itself;
        # read where it stands and confirm it only if it still waits for confirmation.
        path = f"/v1/payment_intents/{_quote(reference)}"
        status, body = self._request("GET", path)
        if status != 200:
            return _error_result(status, body)
        if body.get("status") == "requires_confirmation":
            params = {"return_url": return_url or None}
            status, body = self._request("POST", f"{path}/confirm", params, idempotency_key)
            if status != 200:
                return _error_result(status, body)
        return intent_result(body)

    def capture(
        self, *, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayResult:
        path = f"/v1/payment_intents/{_quote(reference)}/capture"
        status, body = self._request("POST", path, {"amount_to_capture": amount}, idempotency_key)
        return intent_result(body) if status == 200 else _error_result(status, body)

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        path = f"/v1/payment_intents/{_quote(reference)}/cancel"
        status, body = self._request("POST", path, {}, idempotency_key)
        return intent_result(body) if status == 200 else _error_result(status, body)

    def refund(
        self, *, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayResult:
        params = {"payment_intent": reference, "amount": amount}
        status, body = self._request("POST", "/v1/refunds", params, idempotency_key)
        if status != 200:
            return _error_result(status, body)
        refund_id = str(body.get("id") or "")
        if body.get("status") in ("succeeded", "pending"):
            return GatewayResult(
                status=Outcome.REFUNDED, reference=refund_id, amount=body.get("amount", amount)
            )
        if body.get("status") == "requires_action":
            return GatewayResult(status=Outcome.PENDING, reference=refund_id)
        return GatewayResult(
            status=Outcome.FAILED,
            reference=refund_id,
            decline_code=str(body.get("failure_reason") or "processing_error"),
        )

    def describe_payment_method(self, *, token: str) -> CardDetails | None:
        status, body = self._request("GET", f"/v1/payment_methods/{_quote(token)}")
        card = body.get("card") if status == 200 else None
        if not isinstance(card, dict):
            return None
        try:
            return CardDetails(
                brand=str(card["brand"]),
                last4=str(card["last4"]),
                exp_month=int(card["exp_month"]),
                exp_year=int(card["exp_year"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    # --- HTTP ------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, object] | None = None,
        idempotency_key: str = "",
    ) -> tuple[int | None, dict]:
        """Send one request. Returns (HTTP status, JSON body); (None, {}) when nothing came back
        (timeout, refused connection, broken answer) or Stripe is not configured."""
        secret = settings.STRIPE_SECRET_KEY
        base = settings.STRIPE_API_BASE.rstrip("/")
        if not secret or not base.startswith(("https://", "http://")):
            logger.error("Stripe is not configured: set STRIPE_SECRET_KEY and STRIPE_API_BASE")
            return 401, {"error": {"type": "invalid_request_error", "code": "not_configured"}}
        headers = {
            "Authorization": f"Bearer {secret}",
            "Accept": "application/json",
            "User-Agent": "Plaza",
        }
        if settings.STRIPE_API_VERSION:
            headers["Stripe-Version"] = settings.STRIPE_API_VERSION
        data = None
        if method == "POST":
            if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
                raise ValueError("A Stripe POST needs an idempotency key of 1 to 255 characters")
            headers["Idempotency-Key"] = idempotency_key
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = urllib.parse.urlencode(form_encode(params or {})).encode()
        # The scheme is checked above: only http(s), to the configured Stripe base.
        request = urllib.request.Request(  # noqa: S310
            base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.STRIPE_TIMEOUT_SECONDS
            ) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as exc:
            try:
                raw = exc.read()
            except OSError:
                raw = b""
            finally:
                exc.close()
            return exc.code, _json(raw)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            logger.warning("Stripe %s %s got no answer: %s", method, path, exc)
            return None, {}


def _quote(value: str) -> str:
    return urllib.parse.quote(value or "", safe="")


def _json(raw: bytes) -> dict:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
