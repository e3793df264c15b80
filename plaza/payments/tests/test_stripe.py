"""The Stripe adapter against a local recorder server: the requests it sends (headers, form
fields), how Stripe's answers and errors map to payments, and timeouts."""

import pytest

from plaza.payments.exceptions import PaymentProviderUnavailable, PaymentRefused
from plaza.payments.gateways.stripe import StripeGateway, form_encode
from plaza.payments.models import Payment, PaymentMethod
from plaza.payments.services import (
    payment_authorize,
    payment_capture,
    payment_confirm,
    payment_method_save,
    payment_refund,
    payment_void,
)

pytestmark = pytest.mark.django_db


def _authorize(key="order-1", method="pm_card_visa", amount=125_000, currency="PHP", **kwargs):
    return payment_authorize(
        provider="stripe",
        amount=amount,
        currency=currency,
        payment_method_token=method,
        idempotency_key=key,
        **kwargs,
    )


def _only(recorder, method, path):
    sent = recorder.made(method, path)
    assert len(sent) == 1, [(r.method, r.path) for r in recorder.requests]
    return sent[0]


# --- requests --------------------------------------------------------------------------------


def test_authorize_creates_and_confirms_a_manual_capture_payment_intent(stripe_api):
    # when
    payment = _authorize(description="Kicks order 1", metadata={"order": "1"})
    # then
    sent = _only(stripe_api, "POST", "/v1/payment_intents")
    assert sent.headers["authorization"] == "Bearer sk_test_plaza"
    assert sent.headers["idempotency-key"] == f"{payment.uid.hex}:authorize"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.form == {
        "amount": "125000",
        "currency": "php",
        "payment_method": "pm_card_visa",
        "capture_method": "manual",
        "confirm": "true",
        "description": "Kicks order 1",
        "metadata[order]": "1",
        "metadata[plaza_payment]": str(payment.uid),
        "automatic_payment_methods[enabled]": "true",
        "automatic_payment_methods[allow_redirects]": "never",
    }
    assert stripe_api.problems == []
    assert payment.status == "authorized"
    assert stripe_api.intents[payment.provider_reference]["status"] == "requires_capture"


def test_authorize_with_a_return_url_allows_redirects(stripe_api):
    _authorize(return_url="https://plaza.test/checkout/return")
    sent = _only(stripe_api, "POST", "/v1/payment_intents")
    assert sent.form["return_url"] == "https://plaza.test/checkout/return"
    assert "automatic_payment_methods[enabled]" not in sent.form
    assert stripe_api.problems == []


def test_stripe_version_is_sent_when_set(stripe_api, settings):
    settings.STRIPE_API_VERSION = "2025-04-30.basil"
    _authorize()
    assert stripe_api.requests[0].headers["stripe-version"] == "2025-04-30.basil"


def test_capture_void_and_refund_reach_the_documented_endpoints(stripe_api):
    # given
    captured = _authorize(key="order-2", amount=10_000)
    voided = _authorize(key="order-3")
    # when
    captured = payment_capture(payment=captured, amount=9_000)
    captured = payment_refund(payment=captured, amount=4_000, idempotency_key="refund-1")
    voided = payment_void(payment=voided)
    # then
    capture = _only(
        stripe_api, "POST", f"/v1/payment_intents/{captured.provider_reference}/capture"
    )
    assert capture.form == {"amount_to_capture": "9000"}
    assert capture.headers["idempotency-key"] == f"{captured.uid.hex}:capture:9000"
    refund = _only(stripe_api, "POST", "/v1/refunds")
    assert refund.form == {"payment_intent": captured.provider_reference, "amount": "4000"}
    cancel = _only(stripe_api, "POST", f"/v1/payment_intents/{voided.provider_reference}/cancel")
    assert cancel.form == {}
    assert (captured.status, captured.amount_captured, captured.amount_refunded) == (
        "partially_refunded",
        9_000,
        4_000,
    )
    assert voided.status == "voided"
    assert stripe_api.problems == []
    assert all(
        len(r.headers["idempotency-key"]) <= 255 for r in stripe_api.requests if r.method == "POST"
    )


def test_form_encode_nests_maps_and_spells_booleans_like_stripe():
    assert form_encode(
        {"a": 1, "b": True, "c": None, "metadata": {"x": "y"}, "o": {"p": {"q": False}}}
    ) == [("a", "1"), ("b", "true"), ("metadata[x]", "y"), ("o[p][q]", "false")]


# --- answers and errors ----------------------------------------------------------------------


def test_a_402_card_declined_fails_the_payment_with_the_shoppers_message(stripe_api):
    # when
    payment = _authorize(method="pm_card_chargeDeclined")
    # then
    assert payment.status == "failed"
    assert payment.failure_code == "generic_decline"
    assert payment.failure_text == "Your card was declined. Try another card."
    assert payment.failure_message == "Your card was declined."
    assert payment.provider_reference.startswith("pi_"), "the declined intent is kept"


def test_a_402_insufficient_funds_is_named(stripe_api):
    payment = _authorize(method="pm_card_chargeDeclinedInsufficientFunds")
    assert payment.failure_text == "Your card has insufficient funds. Try another card."


def test_a_500_leaves_the_payment_pending_and_a_retry_sends_the_same_key(stripe_api):
    # given Stripe fails once
    stripe_api.script(
        "POST",
        "/v1/payment_intents",
        status=500,
        body={"error": {"type": "api_error", "message": "An unknown error occurred"}},
    )
    # when
    with pytest.raises(PaymentProviderUnavailable, match="not answering"):
        _authorize(key="order-4")
    # then
    payment = Payment.objects.get(idempotency_key="order-4")
    assert (payment.status, payment.in_flight_until) == ("pending", None)
    # when retried
    payment = _authorize(key="order-4")
    # then
    first, second = stripe_api.made("POST", "/v1/payment_intents")
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert payment.status == "authorized"
    assert Payment.objects.count() == 1


def test_a_timeout_is_no_answer_and_does_not_crash(stripe_api, settings):
    # given Stripe answers slower than the timeout
    settings.STRIPE_TIMEOUT_SECONDS = 0.2
    stripe_api.script("POST", "/v1/payment_intents", status=200, body={}, delay=1.0)
    # when
    with pytest.raises(PaymentProviderUnavailable) as caught:
        _authorize(key="order-5")
    # then
    assert caught.value.code == "provider_unavailable"
    assert caught.value.status_code == 503
    assert Payment.objects.get(idempotency_key="order-5").status == "pending"


def test_no_stripe_listening_is_no_answer(stripe_api, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(PaymentProviderUnavailable):
        _authorize(key="order-6")


def test_a_refused_api_key_fails_the_payment_without_crashing(stripe_api):
    stripe_api.script(
        "POST",
        "/v1/payment_intents",
        status=401,
        body={"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
    )
    payment = _authorize(key="order-7")
    assert (payment.status, payment.failure_code) == ("failed", "provider_error")
    assert payment.failure_text == "Payments are not available right now. Try again later."


def test_without_a_secret_key_nothing_is_sent(stripe_api, settings):
    settings.STRIPE_SECRET_KEY = ""
    payment = _authorize(key="order-8")
    assert (payment.status, payment.failure_code) == ("failed", "provider_error")
    assert stripe_api.requests == []


def test_a_capture_stripe_refuses_raises_and_keeps_the_payment_authorised(stripe_api):
    # given an intent that Stripe no longer holds for capture
    payment = _authorize(key="order-9")
    stripe_api.intents[payment.provider_reference]["status"] = "canceled"
    # when
    with pytest.raises(PaymentRefused, match="cannot be changed that way"):
        payment_capture(payment=payment)
    # then
    payment.refresh_from_db()
    assert payment.status == "authorized"


def test_a_capture_without_answer_can_be_retried_with_the_same_key(stripe_api):
    payment = _authorize(key="order-10", amount=5_000)
    stripe_api.script("POST", "/v1/payment_intents/", status=503, body={})
    with pytest.raises(PaymentProviderUnavailable):
        payment_capture(payment=payment)
    payment = payment_capture(payment=payment)
    assert (payment.status, payment.amount_captured) == ("captured", 5_000)
    keys = [r.headers["idempotency-key"] for r in stripe_api.requests if r.path.endswith("capture")]
    assert keys == [f"{payment.uid.hex}:capture:5000"] * 2


def test_an_unknown_payment_intent_status_is_no_answer(stripe_api):
    stripe_api.script(
        "POST", "/v1/payment_intents", status=200, body={"id": "pi_odd", "status": "mystery"}
    )
    with pytest.raises(PaymentProviderUnavailable):
        _authorize(key="order-11")


# --- 3-D Secure ------------------------------------------------------------------------------


def test_a_card_needing_3d_secure_redirects_then_confirm_reads_the_outcome(stripe_api):
    # given
    payment = _authorize(
        key="order-12",
        method="pm_card_authenticationRequired",
        return_url="https://plaza.test/checkout/return",
    )
    assert payment.status == "requires_action"
    assert payment.next_action["kind"] == "redirect"
    assert payment.next_action["url"].startswith("https://hooks.stripe.com/")
    # when the shopper completes the step at their bank, and comes back
    stripe_api.complete_action(payment.provider_reference)
    payment = payment_confirm(payment=payment)
    # then
    assert payment.status == "authorized"
    assert stripe_api.made("GET", f"/v1/payment_intents/{payment.provider_reference}")


def test_without_a_return_url_3d_secure_is_left_to_stripe_js(stripe_api):
    payment = _authorize(key="order-13", method="pm_card_authenticationRequired")
    assert payment.next_action == {"kind": "confirm", "url": "", "token": "pi_secret_recorder"}


# --- saved cards -----------------------------------------------------------------------------


def test_saving_a_stripe_payment_method_reads_its_card_details(stripe_api, shopper):
    method = payment_method_save(user=shopper, token="pm_card_visa", provider="stripe")
    assert (method.brand, method.last4, method.exp_month, method.exp_year) == (
        "visa",
        "4242",
        12,
        2034,
    )
    assert _only(stripe_api, "GET", "/v1/payment_methods/pm_card_visa")
    assert PaymentMethod.objects.get().provider == "stripe"


def test_describe_payment_method_of_an_unknown_method_is_none(stripe_api):
    stripe_api.script("GET", "/v1/payment_methods/", status=404, body={})
    assert StripeGateway().describe_payment_method(token="pm_nope") is None
