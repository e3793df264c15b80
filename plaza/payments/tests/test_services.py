"""payments.services with the built-in test gateway: authorise, confirm, capture, void, refund,
idempotency, declines, and the database's own guards."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from plaza.core.exceptions import ValidationError
from plaza.payments.exceptions import (
    IdempotencyConflict,
    PaymentProviderUnavailable,
    PaymentRefused,
    PaymentStateError,
)
from plaza.payments.gateways.base import GatewayResult, Outcome
from plaza.payments.gateways.testing import TestGateway
from plaza.payments.models import Payment, PaymentEvent, PaymentStatus
from plaza.payments.services import (
    payment_authorize,
    payment_capture,
    payment_confirm,
    payment_refund,
    payment_void,
)
from plaza.payments.tests.factories import (
    DECLINED,
    EXPIRED,
    INSUFFICIENT,
    THREE_D_SECURE,
    authorize,
    card_token,
)

pytestmark = pytest.mark.django_db


def _names(published):
    return [name for name, _payload in published]


# --- authorise -------------------------------------------------------------------------------


def test_payment_authorize_holds_the_amount_and_publishes_after_commit(
    published, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        payment = authorize(amount=125_000, currency="PHP", description="Kicks order 12")
    # then
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert (payment.amount, payment.currency, payment.amount_captured) == (125_000, "PHP", 0)
    assert payment.provider_reference.startswith("pi_test_")
    assert payment.in_flight_until is None
    assert published == [("payment.authorized", {"payment_id": payment.pk})]
    (event,) = payment.events.all()
    assert (event.kind, event.status, event.amount) == ("authorize", "succeeded", 125_000)


def test_payment_authorize_records_a_declined_card_with_a_clear_message():
    # when
    returned = authorize(number=DECLINED)
    # then
    payment = Payment.objects.get(pk=returned.pk)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "card_declined"
    assert payment.failure_text == "Your card was declined. Try another card."
    assert payment.events.get().status == "failed"


@pytest.mark.parametrize(
    ("number", "code", "text"),
    [
        (INSUFFICIENT, "insufficient_funds", "Your card has insufficient funds. Try another card."),
        (EXPIRED, "expired_card", "Your card has expired. Try another card."),
    ],
)
def test_payment_authorize_names_the_reason_of_a_decline(number, code, text):
    payment = authorize(number=number)
    assert (payment.status, payment.failure_code, payment.failure_text) == ("failed", code, text)


def test_a_declined_payment_publishes_payment_failed(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = authorize(number=DECLINED)
    assert published == [("payment.failed", {"payment_id": payment.pk})]


def test_payment_authorize_with_an_unknown_token_fails_the_payment_without_crashing():
    payment = payment_authorize(
        provider="test",
        amount=500,
        currency="EUR",
        payment_method_token="tok_made_up",
        idempotency_key="k-unknown-token",
    )
    assert payment.status == "failed"
    assert payment.failure_text == "This card cannot be used. Enter your card details again."


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": 0}, "amount", "greater than zero"),
        ({"amount": -100}, "amount", "greater than zero"),
        ({"amount": 12.5}, "amount", "whole number"),
        ({"amount": True}, "amount", "whole number"),
        ({"amount": 10**14}, "amount", "too large"),
        ({"currency": "ZZZ"}, "currency", "Unknown currency"),
        ({"idempotency_key": ""}, "idempotency_key", "1 to 255"),
        ({"idempotency_key": "k" * 256}, "idempotency_key", "1 to 255"),
        ({"payment_method_token": ""}, "payment_method_token", "Choose a card"),
        ({"provider": "paypal"}, "provider", "not available"),
        ({"provider": "stripe"}, "provider", "not available"),
        ({"metadata": {"order": 12}}, "metadata", "Metadata"),
    ],
)
def test_payment_authorize_refuses_bad_input_and_stores_nothing(changes, field, message):
    # given
    arguments = {
        "provider": "test",
        "amount": 1000,
        "currency": "EUR",
        "payment_method_token": card_token(),
        "idempotency_key": "k-bad-input",
        **changes,
    }
    # when
    with pytest.raises(ValidationError, match=message) as caught:
        payment_authorize(**arguments)
    # then
    assert caught.value.field == field
    assert not Payment.objects.exists()


def test_payment_authorize_lowercase_currency_is_normalised():
    assert authorize(currency="eur", amount=990).currency == "EUR"


# --- idempotency -----------------------------------------------------------------------------


def test_the_same_key_returns_the_same_payment_and_calls_the_provider_once(gateway_calls):
    # given
    first = authorize(key="checkout-7", amount=4500, currency="EUR")
    # when
    again = authorize(key="checkout-7", amount=4500, currency="EUR")
    # then
    assert again.pk == first.pk
    assert again.status == "authorized"
    assert gateway_calls["authorize"] == 1
    assert Payment.objects.count() == 1


def test_the_same_key_for_a_failed_payment_returns_it_without_asking_again(gateway_calls):
    first = authorize(key="checkout-8", number=DECLINED)
    again = authorize(key="checkout-8")
    assert (again.pk, again.status) == (first.pk, "failed")
    assert gateway_calls["authorize"] == 1


@pytest.mark.parametrize(
    "changes", [{"amount": 4501}, {"currency": "USD"}], ids=["amount", "currency"]
)
def test_the_same_key_with_another_amount_or_currency_is_a_conflict(changes, gateway_calls):
    # given
    authorize(key="checkout-9", amount=4500, currency="EUR")
    # when
    arguments = {"key": "checkout-9", "amount": 4500, "currency": "EUR", **changes}
    with pytest.raises(IdempotencyConflict, match=r"already used for a payment of €45\.00"):
        authorize(**arguments)
    # then
    assert Payment.objects.count() == 1
    assert gateway_calls["authorize"] == 1


def test_a_retry_while_the_first_call_is_in_flight_does_not_call_the_provider(gateway_calls):
    # given a payment whose provider call is under way in another process
    payment = authorize(key="checkout-10")
    Payment.objects.filter(pk=payment.pk).update(
        status="pending", in_flight_until=timezone.now() + timedelta(seconds=60)
    )
    # when
    again = authorize(key="checkout-10")
    # then
    assert (again.pk, again.status) == (payment.pk, "pending")
    assert gateway_calls["authorize"] == 1


def test_no_answer_raises_unavailable_and_a_retry_with_the_same_key_completes(monkeypatch):
    # given a provider that does not answer the first time
    answers = iter([GatewayResult(status=Outcome.ERROR, decline_code="provider_unavailable")])
    original = TestGateway.authorize

    def flaky(self, **kwargs):
        return next(answers, None) or original(self, **kwargs)

    monkeypatch.setattr(TestGateway, "authorize", flaky)
    # when
    with pytest.raises(PaymentProviderUnavailable, match="not answering"):
        authorize(key="checkout-11")
    # then the payment waits, free for a retry
    payment = Payment.objects.get(idempotency_key="checkout-11")
    assert (payment.status, payment.in_flight_until) == ("pending", None)
    # when retried
    again = authorize(key="checkout-11")
    # then
    assert (again.pk, again.status) == (payment.pk, "authorized")
    assert payment.events.count() == 1, "the retry reuses the same provider idempotency key"


def test_a_gateway_that_crashes_counts_as_no_answer(monkeypatch, caplog):
    def broken(self, **kwargs):
        raise RuntimeError("bug in a gateway")

    monkeypatch.setattr(TestGateway, "authorize", broken)
    with pytest.raises(PaymentProviderUnavailable):
        authorize(key="checkout-12")
    assert Payment.objects.get(idempotency_key="checkout-12").status == "pending"
    assert "gateway crashed" in caplog.text


def test_payment_services_refuse_to_run_inside_the_callers_transaction():
    """A provider call inside a transaction would hold locks over the network."""
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        authorize(key="checkout-13")


# --- 3-D Secure style confirmation ------------------------------------------------------------


def test_a_card_needing_confirmation_waits_for_it_then_is_authorised(
    published, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        payment = authorize(number=THREE_D_SECURE)
    assert payment.status == "requires_action"
    assert payment.next_action["kind"] == "confirm"
    # when
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_confirm(payment=payment, confirmation_token=payment.next_action["token"])
    # then
    assert payment.status == "authorized"
    assert payment.next_action is None
    assert _names(published) == ["payment.action_required", "payment.authorized"]


def test_a_wrong_confirmation_fails_the_payment():
    payment = authorize(number=THREE_D_SECURE)
    payment = payment_confirm(payment=payment, confirmation_token="guess")
    assert payment.status == "failed"
    assert payment.failure_text == (
        "Your bank could not confirm this payment. Try again or use another card."
    )


def test_confirming_a_payment_past_that_step_returns_it_unchanged(gateway_calls):
    payment = authorize()
    assert payment_confirm(payment=payment, confirmation_token="x").status == "authorized"
    assert gateway_calls["confirm"] == 0


def test_a_payment_waiting_for_confirmation_can_be_voided():
    payment = authorize(number=THREE_D_SECURE)
    assert payment_void(payment=payment).status == "voided"


# --- capture ---------------------------------------------------------------------------------


def test_payment_capture_takes_the_whole_amount_by_default(
    published, django_capture_on_commit_callbacks
):
    payment = authorize(amount=125_000)
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_capture(payment=payment)
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == ("captured", 125_000)
    assert published == [("payment.captured", {"payment_id": payment.pk})]


def test_payment_capture_of_part_releases_the_rest():
    payment = payment_capture(payment=authorize(amount=125_000), amount=100_000)
    assert (payment.status, payment.amount, payment.amount_captured) == (
        "captured",
        125_000,
        100_000,
    )


def test_capturing_again_with_the_same_amount_is_a_harmless_retry(gateway_calls):
    payment = authorize(amount=5000)
    payment_capture(payment=payment)
    again = payment_capture(payment=payment)
    assert (again.status, again.amount_captured) == ("captured", 5000)
    assert gateway_calls["capture"] == 1


def test_payment_capture_refuses_more_than_was_authorised():
    payment = authorize(amount=5000)
    with pytest.raises(ValidationError, match=r"at most ₱50\.00"):
        payment_capture(payment=payment, amount=5001)
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured, payment.in_flight_until) == (
        "authorized",
        0,
        None,
    )


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda: authorize(number=DECLINED), "Only an authorised payment can be captured"),
        (lambda: payment_void(payment=authorize()), "Only an authorised payment"),
        (lambda: payment_capture(payment=authorize(), amount=10), "captured already"),
    ],
    ids=["failed", "voided", "captured-other-amount"],
)
def test_payment_capture_refuses_a_payment_that_is_not_authorised(prepare, message):
    payment = prepare()
    with pytest.raises(PaymentStateError, match=message):
        payment_capture(payment=payment, amount=20)


def test_a_capture_the_provider_refuses_raises_and_leaves_the_payment_authorised(monkeypatch):
    # given
    payment = authorize()
    monkeypatch.setattr(
        TestGateway,
        "capture",
        lambda self, **kwargs: GatewayResult(status=Outcome.FAILED, decline_code="expired_card"),
    )
    # when
    with pytest.raises(PaymentRefused, match="Your card has expired"):
        payment_capture(payment=payment)
    # then
    payment.refresh_from_db()
    assert (payment.status, payment.in_flight_until) == ("authorized", None)
    assert payment.events.get(kind="capture").status == "failed"


def test_a_capture_while_another_operation_is_in_flight_is_refused(gateway_calls):
    payment = authorize()
    Payment.objects.filter(pk=payment.pk).update(
        in_flight_until=timezone.now() + timedelta(seconds=60)
    )
    with pytest.raises(PaymentStateError, match="being processed"):
        payment_capture(payment=payment)
    assert gateway_calls["capture"] == 0


# --- void ------------------------------------------------------------------------------------


def test_payment_void_releases_the_authorisation_once(
    gateway_calls, published, django_capture_on_commit_callbacks
):
    payment = authorize()
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_void(payment=payment)
        again = payment_void(payment=payment)
    assert (payment.status, again.status) == ("voided", "voided")
    assert gateway_calls["void"] == 1
    assert published == [("payment.voided", {"payment_id": payment.pk})]


def test_voiding_a_failed_payment_changes_nothing(gateway_calls):
    """A group buy that did not fill voids every member's payment, failed ones included."""
    payment = payment_void(payment=authorize(number=DECLINED))
    assert payment.status == "failed"
    assert gateway_calls["void"] == 0


def test_payment_void_refuses_a_captured_payment():
    payment = payment_capture(payment=authorize())
    with pytest.raises(PaymentStateError, match="refund it instead"):
        payment_void(payment=payment)


# --- refund ----------------------------------------------------------------------------------


def test_partial_refunds_add_up_to_the_captured_amount(
    published, django_capture_on_commit_callbacks
):
    # given
    payment = payment_capture(payment=authorize(amount=10_000), amount=9_000)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = payment_refund(payment=payment, amount=4_000)
        first_status = first.status
        second = payment_refund(payment=payment, amount=5_000)
    # then
    assert (first_status, second.status, second.amount_refunded) == (
        "partially_refunded",
        "refunded",
        9_000,
    )
    assert published == [
        ("payment.refunded", {"payment_id": payment.pk, "amount_refunded": 4_000}),
        ("payment.refunded", {"payment_id": payment.pk, "amount_refunded": 9_000}),
    ]
    assert list(payment.events.filter(kind="refund").values_list("amount", "status")) == [
        (4_000, "succeeded"),
        (5_000, "succeeded"),
    ]


def test_payment_refund_refuses_more_than_is_left_and_changes_nothing(gateway_calls):
    payment = payment_capture(payment=authorize(amount=10_000))
    payment_refund(payment=payment, amount=7_500)
    with pytest.raises(ValidationError, match=r"at most ₱25\.00"):
        payment_refund(payment=payment, amount=2_501)
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 7_500)
    assert gateway_calls["refund"] == 1


def test_a_refund_retried_with_its_key_refunds_once(gateway_calls):
    payment = payment_capture(payment=authorize(amount=10_000))
    payment_refund(payment=payment, amount=3_000, idempotency_key="order-5-refund-1")
    again = payment_refund(payment=payment, amount=3_000, idempotency_key="order-5-refund-1")
    assert again.amount_refunded == 3_000
    assert gateway_calls["refund"] == 1


def test_a_refund_key_reused_for_another_amount_is_a_conflict():
    payment = payment_capture(payment=authorize(amount=10_000))
    payment_refund(payment=payment, amount=3_000, idempotency_key="order-5-refund-1")
    with pytest.raises(IdempotencyConflict, match=r"refund of ₱30\.00"):
        payment_refund(payment=payment, amount=2_000, idempotency_key="order-5-refund-1")


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda: authorize(), "void it instead"),
        (lambda: authorize(number=DECLINED), "Only a captured payment"),
    ],
    ids=["authorised", "failed"],
)
def test_payment_refund_refuses_a_payment_that_was_not_captured(prepare, message):
    with pytest.raises(PaymentStateError, match=message):
        payment_refund(payment=prepare(), amount=100)


def test_payment_refund_refuses_a_fully_refunded_payment():
    payment = payment_capture(payment=authorize(amount=1_000))
    payment_refund(payment=payment, amount=1_000)
    with pytest.raises(PaymentStateError, match="refunded in full"):
        payment_refund(payment=payment, amount=1)


# --- the database guards the amounts ----------------------------------------------------------


@pytest.mark.parametrize(
    "update",
    [
        {"amount": -1},
        {"amount_captured": F("amount") + 1},
        {"amount_refunded": F("amount_captured") + 1},
        {"amount_captured": -1},
        {"currency": "eur"},
        {"status": "paid"},
    ],
    ids=["negative", "captured>amount", "refunded>captured", "captured<0", "currency", "status"],
)
def test_the_database_refuses_impossible_amounts(update):
    payment = payment_capture(payment=authorize(amount=1_000))
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(**update)


def test_the_database_refuses_a_second_payment_with_the_same_key():
    authorize(key="checkout-dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            provider="test", amount=1, currency="EUR", idempotency_key="checkout-dup"
        )


def test_the_services_never_break_the_constraints_whatever_the_order_of_calls():
    """Every sequence of operations either works or raises a domain error."""
    payment = authorize(amount=3_000)
    operations = [
        lambda: payment_refund(payment=payment, amount=100),
        lambda: payment_capture(payment=payment, amount=2_000),
        lambda: payment_capture(payment=payment, amount=3_000),
        lambda: payment_refund(payment=payment, amount=2_500),
        lambda: payment_refund(payment=payment, amount=1_500),
        lambda: payment_void(payment=payment),
        lambda: payment_refund(payment=payment, amount=500),
        lambda: payment_refund(payment=payment, amount=1),
    ]
    outcomes = []
    for operation in operations:
        try:
            operation()
            outcomes.append("ok")
        except (ValidationError, PaymentStateError) as exc:
            outcomes.append(type(exc).__name__)
    payment.refresh_from_db()
    assert outcomes == [
        "PaymentStateError",
        "ok",
        "PaymentStateError",
        "ValidationError",
        "ok",
        "PaymentStateError",
        "ok",
        "PaymentStateError",
    ]
    assert (payment.status, payment.amount_captured, payment.amount_refunded) == (
        "refunded",
        2_000,
        2_000,
    )
    assert not PaymentEvent.objects.filter(status="pending").exists()


# --- an answer recorded in the caller's transaction -------------------------------------------


def _opened_sale(key: str):
    from plaza.payments.services import payment_open

    with transaction.atomic():
        return payment_open(
            provider="test", amount=2_500, currency="EUR", idempotency_key=key, capture=True
        )


def test_a_sale_answer_is_recorded_in_the_callers_transaction_and_announced_after_it(
    django_capture_on_commit_callbacks,
):
    # given: an opened sale whose provider call came back
    from plaza.payments.services import payment_call, payment_record

    payment, event = _opened_sale("rec-1")
    answer = payment_call(payment=payment, event=event, payment_method_token=card_token())
    # when: recorded inside the caller's own transaction
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        recorded = payment_record(answer=answer)
    # then: captured, no call in flight, the event succeeded; one announcement, after commit
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, 2_500)
    assert payment.in_flight_until is None
    assert recorded.status == PaymentStatus.CAPTURED
    assert PaymentEvent.objects.get(payment=payment).status == "succeeded"
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_an_answer_for_a_payment_that_changed_meanwhile_is_recorded_under_the_lock():
    """The answer is written without reading the payment again only if nothing changed it
    since it was opened; a notification that came first is kept, not overwritten."""
    # given: an opened sale, called; a provider's notification changed it meanwhile
    from plaza.payments.exceptions import PaymentChanged
    from plaza.payments.services import payment_call, payment_record

    payment, event = _opened_sale("rec-2")
    answer = payment_call(payment=payment, event=event, payment_method_token=card_token())
    Payment.objects.filter(pk=payment.pk).update(
        provider_reference="pi_from_notification", updated_at=timezone.now()
    )
    # when: inside a transaction, the caller is told to run it again with the lock
    with pytest.raises(PaymentChanged), transaction.atomic():
        payment_record(answer=answer)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    # when: on its own (or with lock=True), it is recorded under the lock
    recorded = payment_record(answer=answer)
    # then
    payment.refresh_from_db()
    assert (recorded.status, payment.status) == (PaymentStatus.CAPTURED, PaymentStatus.CAPTURED)
    assert payment.provider_reference == "pi_from_notification"
    assert payment.in_flight_until is None
