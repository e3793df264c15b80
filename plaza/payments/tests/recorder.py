"""A local stand-in for Stripe's HTTP API, so that tests run the real client code.

It listens on 127.0.0.1 on an ephemeral port, records every request (method, path, headers,
form body), checks its shape against what Stripe documents (bearer key, form encoding, an
Idempotency-Key of at most 255 characters on every POST, the PaymentIntent fields Plaza must send)
and answers with Stripe's documented JSON shapes. Like Stripe, it replays the first answer to a
repeated Idempotency-Key and refuses the key with other parameters.

Behaviour follows Stripe's test payment methods: ``pm_card_visa`` is authorised,
``pm_card_chargeDeclined`` and ``pm_card_chargeDeclinedInsufficientFunds`` are declined (402),
``pm_card_authenticationRequired`` needs 3-D Secure. ``script()`` queues other answers (a 500,
a slow answer that times out) for the next matching request.
"""

import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from plaza.core.testing import LoopbackServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    form: dict[str, str]
    body: str


@dataclass
class _Script:
    method: str
    path: str
    status: int
    body: dict
    delay: float = 0.0


@dataclass
class StripeRecorder:
    requests: list[Recorded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    intents: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: list[_Script] = []
        self._replies: dict[str, tuple[tuple, int, dict]] = {}
        self._counter = 0
        self.http = LoopbackServer(self._handle)

    @property
    def url(self) -> str:
        return self.http.url

    def start(self) -> "StripeRecorder":
        self.http.start()
        return self

    def stop(self) -> None:
        self.http.stop()

    def script(
        self, method: str, path: str, *, status: int, body: dict | None = None, delay: float = 0.0
    ) -> None:
        """Answer the next ``method`` request whose path starts with ``path`` like this."""
        self._scripts.append(_Script(method, path, status, body or {}, delay))

    def complete_action(self, intent_id: str) -> None:
        """The shopper finished 3-D Secure in their browser: the intent waits for capture."""
        intent = self.intents[intent_id]
        intent.update(status="requires_capture", next_action=None)
        intent["amount_capturable"] = intent["amount"]

    def made(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # --- serving --------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        path = urlsplit(handler.path).path
        request = Recorded(
            method=handler.command,
            path=path,
            headers={name.lower(): value for name, value in handler.headers.items()},
            form=dict(parse_qsl(body, keep_blank_values=True)),
            body=body,
        )
        with self._lock:
            self.requests.append(request)
            self._check_shape(request)
            script = next(
                (
                    s
                    for s in self._scripts
                    if s.method == request.method and request.path.startswith(s.path)
                ),
                None,
            )
            if script is not None:
                self._scripts.remove(script)
        if script is not None:
            time.sleep(script.delay)
            self._send(handler, script.status, script.body)
            return
        with self._lock:
            status, answer = self._answer_idempotently(request)
        self._send(handler, status, answer)

    @staticmethod
    def _send(handler, status: int, body: dict) -> None:
        LoopbackServer.send_json(handler, status, body, {"Request-Id": "req_recorder"})

    def _answer_idempotently(self, request: Recorded) -> tuple[int, dict]:
        key = request.headers.get("idempotency-key", "")
        if request.method != "POST" or not key:
            return self._answer(request)
        params = (request.path, tuple(sorted(request.form.items())))
        if key in self._replies:
            first_params, status, body = self._replies[key]
            if first_params != params:
                return 400, _error(
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            return status, body
        status, body = self._answer(request)
        self._replies[key] = (params, status, body)
        return status, body

    def _check_shape(self, request: Recorded) -> None:
        def problem(text: str) -> None:
            self.problems.append(f"{request.method} {request.path}: {text}")

        if not re.fullmatch(r"Bearer sk_\w+", request.headers.get("authorization", "")):
            problem("no 'Authorization: Bearer sk_...' header")
        if request.method != "POST":
            return
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            problem("the body is not form-encoded")
        key = request.headers.get("idempotency-key", "")
        if not 1 <= len(key) <= 255:
            problem("no Idempotency-Key of 1 to 255 characters")
        form = request.form
        if request.path == "/v1/payment_intents":
            if not form.get("amount", "").isdigit() or int(form["amount"]) <= 0:
                problem("amount is not a positive integer of minor units")
            if not re.fullmatch(r"[a-z]{3}", form.get("currency", "")):
                problem("currency is not a lower-case ISO-4217 code")
            for name, value in (("capture_method", "manual"), ("confirm", "true")):
                if form.get(name) != value:
                    problem(f"{name} is not {value}")
            if not form.get("payment_method"):
                problem("no payment_method")
            if (
                not form.get("return_url")
                and form.get("automatic_payment_methods[allow_redirects]") != "never"
            ):
                problem("confirm=true needs a return_url or allow_redirects=never")
        if request.path.endswith("/capture") and not form.get("amount_to_capture", "1").isdigit():
            problem("amount_to_capture is not an integer")
        if request.path == "/v1/refunds" and (
            not form.get("payment_intent") or not form.get("amount", "").isdigit()
        ):
            problem("a refund needs payment_intent and an integer amount")

    # --- Stripe's behaviour ---------------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_Rec{self._counter:010d}"

    def _answer(self, request: Recorded) -> tuple[int, dict]:
        form, path = request.form, request.path
        if request.method == "POST" and path == "/v1/payment_intents":
            return self._create_intent(form)
        match = re.fullmatch(r"/v1/payment_intents/([^/]+)(/capture|/cancel|/confirm)?", path)
        if match:
            intent = self.intents.get(match[1])
            if intent is None:
                return 404, _error("resource_missing", f"No such payment_intent: '{match[1]}'")
            action = match[2]
            if request.method == "GET" and action is None:
                return 200, intent
            if request.method == "POST" and action == "/capture":
                return self._capture(intent, form)
            if request.method == "POST" and action == "/cancel":
                return self._cancel(intent)
            if request.method == "POST" and action == "/confirm":
                intent.update(status="requires_capture", amount_capturable=intent["amount"])
                return 200, intent
        if request.method == "POST" and path == "/v1/refunds":
            return self._refund(form)
        match = re.fullmatch(r"/v1/payment_methods/([^/]+)", path)
        if request.method == "GET" and match:
            return 200, {
                "id": match[1],
                "object": "payment_method",
                "type": "card",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034},
            }
        return 404, _error("resource_missing", "Unrecognized request URL")

    def _create_intent(self, form: dict[str, str]) -> tuple[int, dict]:
        amount = int(form.get("amount") or 0)
        intent = {
            "id": self._next_id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "capture_method": form.get("capture_method", "automatic"),
            "client_secret": "pi_secret_recorder",
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "currency": form.get("currency", ""),
            "description": form.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": {
                key[len("metadata[") : -1]: value
                for key, value in form.items()
                if key.startswith("metadata[")
            },
            "next_action": None,
            "payment_method": form.get("payment_method"),
            "status": "requires_capture",
        }
        self.intents[intent["id"]] = intent
        method = form.get("payment_method")
        declines = {
            "pm_card_chargeDeclined": "generic_decline",
            "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
        }
        if method in declines:
            message = "Your card was declined."
            if declines[method] == "insufficient_funds":
                message = "Your card has insufficient funds."
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": declines[method],
                "message": message,
            }
            intent.update(status="requires_payment_method", last_payment_error=error)
            return 402, {"error": {**error, "payment_intent": intent}}
        if method == "pm_card_authenticationRequired":
            if form.get("return_url"):
                next_action = {
                    "type": "redirect_to_url",
                    "redirect_to_url": {
                        "url": f"https://hooks.stripe.com/3d_secure_2/hosted/{intent['id']}",
                        "return_url": form["return_url"],
                    },
                }
            else:
                next_action = {"type": "use_stripe_sdk", "use_stripe_sdk": {}}
            intent.update(status="requires_action", next_action=next_action)
            return 200, intent
        intent["amount_capturable"] = amount
        return 200, intent

    def _capture(self, intent: dict, form: dict[str, str]) -> tuple[int, dict]:
        if intent["status"] != "requires_capture":
            return 400, _error(
                "payment_intent_unexpected_state",
                "This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}.",
            )
        amount = int(form.get("amount_to_capture") or intent["amount_capturable"])
        intent.update(
            status="succeeded",
            amount_received=amount,
            amount_capturable=0,
            latest_charge=self._next_id("ch"),
        )
        intent["amount_refunded"] = 0
        return 200, intent

    def _cancel(self, intent: dict) -> tuple[int, dict]:
        if intent["status"] in ("succeeded", "canceled"):
            return 400, _error(
                "payment_intent_unexpected_state",
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
            )
        intent.update(status="canceled", amount_capturable=0, cancellation_reason=None)
        return 200, intent

    def _refund(self, form: dict[str, str]) -> tuple[int, dict]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return 400, _error("resource_missing", "No such payment_intent")
        amount = int(form.get("amount") or 0)
        left = intent["amount_received"] - intent.get("amount_refunded", 0)
        if amount > left:
            return 400, _error(
                "amount_too_large", f"Refund amount ({amount}) is greater than unrefunded amount"
            )
        intent["amount_refunded"] = intent.get("amount_refunded", 0) + amount
        return 200, {
            "id": self._next_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": intent["latest_charge"],
            "created": int(time.time()),
            "currency": intent["currency"],
            "metadata": {},
            "payment_intent": intent["id"],
            "reason": None,
            "status": "succeeded",
        }


def _error(code: str, message: str) -> dict:
    return {"error": {"type": "invalid_request_error", "code": code, "message": message}}
