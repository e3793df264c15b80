"""The Stripe webhook endpoint: signatures on the raw body, each event stored and applied once."""

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client
from django.urls import reverse

from plaza.payments.gateways.stripe import signature_is_valid
from plaza.payments.models import Payment, PaymentEvent, WebhookEvent
from plaza.payments.services import (
    payment_authorize,
    payment_capture,
    payment_refund,
    stripe_webhook_receive,
)

pytestmark = pytest.mark.django_db

SECRET = "whsec_plaza_test"


def _sign(body: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _event(event_type: str, obj: dict, *, event_id: str = "evt_1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-04-30.basil",
            "created": int(time.time()),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    ).encode()


def _intent(payment: Payment, status: str, **fields) -> dict:
    return {
        "id": payment.provider_reference,
        "object": "payment_intent",
        "amount": payment.amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": "manual",
        "currency": payment.currency.lower(),
        "last_payment_error": None,
        "metadata": {"plaza_payment": str(payment.uid)},
        "status": status,
        **fields,
    }


def _post(client: Client, body: bytes, signature: str | None = None):
    headers = {} if signature is None else {"Stripe-Signature": signature}
    return client.post(
        reverse("payments:stripe-webhook"),
        data=body,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def pending(stripe_api):
    """A Stripe payment whose authorisation answer Plaza has not recorded yet."""
    payment = payment_authorize(
        provider="stripe",
        amount=8_000,
        currency="EUR",
        payment_method_token="pm_card_visa",
        idempotency_key="order-w",
    )
    Payment.objects.filter(pk=payment.pk).update(status="pending")
    payment.refresh_from_db()
    return payment


@pytest.fixture
def captured(stripe_api):
    payment = payment_authorize(
        provider="stripe",
        amount=10_000,
        currency="EUR",
        payment_method_token="pm_card_visa",
        idempotency_key="order-c",
    )
    return payment_capture(payment=payment)


# --- signatures --------------------------------------------------------------------------------


def test_a_signed_event_is_processed_once_and_a_replay_has_no_second_effect(
    client, pending, published, django_capture_on_commit_callbacks
):
    # given
    body = _event(
        "payment_intent.amount_capturable_updated",
        _intent(pending, "requires_capture", amount_capturable=8_000),
    )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, body, _sign(body))
        replay = _post(client, body, _sign(body))
    # then
    assert (first.status_code, replay.status_code) == (200, 200)
    pending.refresh_from_db()
    assert pending.status == "authorized"
    webhook = WebhookEvent.objects.get()
    assert (webhook.event_id, webhook.event_type) == (
        "evt_1",
        "payment_intent.amount_capturable_updated",
    )
    assert webhook.payload == body.decode()
    assert webhook.processed_at is not None
    assert PaymentEvent.objects.filter(kind="webhook").count() == 1
    assert published == [("payment.authorized", {"payment_id": pending.pk})]


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "t=123",
        "v1=abc",
        "t=notanumber,v1=abc",
        "garbage",
    ],
    ids=["missing", "empty", "no-v1", "no-t", "bad-t", "garbage"],
)
def test_a_missing_or_malformed_signature_is_refused_and_nothing_is_stored(client, signature):
    body = _event("payment_intent.succeeded", {"id": "pi_x"})
    response = _post(client, body, signature)
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_rejected"
    assert not WebhookEvent.objects.exists()


def test_a_wrong_signature_is_refused(client):
    body = _event("payment_intent.succeeded", {"id": "pi_x"})
    assert _post(client, body, _sign(body, secret="whsec_someone_else")).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_signature_over_another_body_is_refused(client):
    body = _event("payment_intent.succeeded", {"id": "pi_x"})
    tampered = body.replace(b"pi_x", b"pi_y")
    assert _post(client, tampered, _sign(body)).status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("offset", [-310, 310], ids=["too-old", "too-far-ahead"])
def test_a_timestamp_more_than_five_minutes_away_is_refused(client, offset):
    body = _event("payment_intent.succeeded", {"id": "pi_x"})
    response = _post(client, body, _sign(body, at=int(time.time()) + offset))
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    ("now", "valid"), [(1_300, True), (700, True), (1_301, False), (699, False)]
)
def test_the_tolerance_is_300_seconds_either_way(now, valid):
    body = b'{"id": "evt_1"}'
    header = _sign(body, at=1_000)
    assert signature_is_valid(payload=body, header=header, secret=SECRET, now=now) is valid


def test_a_timestamp_within_five_minutes_is_accepted(client):
    body = _event("customer.created", {"id": "cus_1"})
    assert _post(client, body, _sign(body, at=int(time.time()) - 290)).status_code == 200


def test_any_matching_v1_is_enough_when_several_are_sent(client):
    """Stripe sends one v1 per active secret while a secret is being rolled."""
    body = _event("customer.created", {"id": "cus_1"})
    at = int(time.time())
    good = _sign(body, at=at).split("v1=")[1]
    response = _post(client, body, f"t={at},v1={'0' * 64},v0=ignored,v1={good}")
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_without_a_configured_secret_every_event_is_refused(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = _event("customer.created", {"id": "cus_1"})
    assert _post(client, body, _sign(body, secret="")).status_code == 400


def test_the_endpoint_needs_no_csrf_token_and_takes_only_post():
    client = Client(enforce_csrf_checks=True)
    body = _event("customer.created", {"id": "cus_1"})
    assert _post(client, body, _sign(body)).status_code == 200
    assert client.get(reverse("payments:stripe-webhook")).status_code == 405


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": "evt_1"}',
        b"\xff\xfe",
        json.dumps({"id": "evt_1", "type": "x", "data": {}}).encode(),
    ],
    ids=["text", "list", "no-type", "not-utf8", "no-object"],
)
def test_a_signed_body_that_is_not_a_stripe_event_is_refused(client, body):
    response = _post(client, body, _sign(body))
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


# --- effects -----------------------------------------------------------------------------------


def test_an_unknown_event_type_is_stored_and_ignored(client, captured):
    body = _event("customer.subscription.created", {"id": "sub_1", "object": "subscription"})
    assert _post(client, body, _sign(body)).status_code == 200
    webhook = WebhookEvent.objects.get()
    assert webhook.processed_at is not None
    captured.refresh_from_db()
    assert captured.status == "captured"
    assert not PaymentEvent.objects.filter(kind="webhook").exists()


def test_an_event_about_no_plaza_payment_is_stored_and_ignored(client):
    body = _event("payment_intent.succeeded", {"id": "pi_elsewhere", "status": "succeeded"})
    assert _post(client, body, _sign(body)).status_code == 200
    assert WebhookEvent.objects.get().processed_at is not None


def test_payment_intent_succeeded_captures(client, pending):
    body = _event("payment_intent.succeeded", _intent(pending, "succeeded", amount_received=7_000))
    _post(client, body, _sign(body))
    pending.refresh_from_db()
    assert (pending.status, pending.amount_captured) == ("captured", 7_000)


def test_payment_intent_payment_failed_fails_with_the_decline_reason(client, pending):
    error = {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"}
    body = _event(
        "payment_intent.payment_failed",
        _intent(pending, "requires_payment_method", last_payment_error=error),
    )
    _post(client, body, _sign(body))
    pending.refresh_from_db()
    assert (pending.status, pending.failure_code) == ("failed", "insufficient_funds")


def test_payment_intent_canceled_voids(client, pending):
    body = _event("payment_intent.canceled", _intent(pending, "canceled"))
    _post(client, body, _sign(body))
    pending.refresh_from_db()
    assert pending.status == "voided"


def test_a_late_notification_never_moves_a_payment_back(client, captured):
    body = _event("payment_intent.amount_capturable_updated", _intent(captured, "requires_capture"))
    _post(client, body, _sign(body))
    captured.refresh_from_db()
    assert (captured.status, captured.amount_captured) == ("captured", 10_000)


def test_a_notification_that_beats_our_own_record_finds_the_payment_by_its_uid(client, pending):
    # given the intent id is not recorded yet
    reference = pending.provider_reference
    Payment.objects.filter(pk=pending.pk).update(provider_reference="")
    body = _event("payment_intent.amount_capturable_updated", _intent(pending, "requires_capture"))
    # when
    _post(client, body, _sign(body))
    # then
    pending.refresh_from_db()
    assert (pending.status, pending.provider_reference) == ("authorized", reference)


def test_charge_refunded_counts_each_refund_once(client, captured):
    # given a refund Plaza made and recorded itself
    payment = payment_refund(payment=captured, amount=4_000, idempotency_key="r-1")
    charge = {
        "id": "ch_1",
        "object": "charge",
        "amount": 10_000,
        "amount_captured": 10_000,
        "payment_intent": payment.provider_reference,
        "refunded": False,
    }
    # when Stripe tells about the same refund
    body = _event("charge.refunded", {**charge, "amount_refunded": 4_000}, event_id="evt_r1")
    _post(client, body, _sign(body))
    # then it is not counted twice
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 4_000)
    # when the rest is refunded from Stripe's dashboard
    body = _event(
        "charge.refunded",
        {**charge, "amount_refunded": 10_000, "refunded": True},
        event_id="evt_r2",
    )
    _post(client, body, _sign(body))
    # then
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", 10_000)


def test_our_refund_recorded_after_stripes_notification_is_not_counted_twice(
    client, captured, monkeypatch
):
    """The notification may arrive while Plaza still waits for the refund call's answer."""
    from plaza.payments.gateways.stripe import StripeGateway

    original = StripeGateway.refund

    def refund_then_notify(self, **kwargs):
        result = original(self, **kwargs)
        charge = {
            "id": "ch_1",
            "object": "charge",
            "amount_captured": 10_000,
            "amount_refunded": 3_000,
            "payment_intent": kwargs["reference"],
        }
        body = _event("charge.refunded", charge, event_id="evt_early")
        stripe_webhook_receive(payload=body, signature_header=_sign(body))
        return result

    monkeypatch.setattr(StripeGateway, "refund", refund_then_notify)
    payment = payment_refund(payment=captured, amount=3_000)
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 3_000)
