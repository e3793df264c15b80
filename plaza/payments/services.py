"""Every write of payments: saved cards, payments (authorise, confirm, capture, void, refund) and
provider notifications.

No provider call ever runs inside a database transaction. Each operation on a payment is three
steps:

1. a short transaction locks the payment, checks that the operation is allowed, marks a provider
   call in flight (``Payment.in_flight_until``) and writes a pending timeline event whose
   ``idempotency_key`` is the key the provider sees;
2. the provider call, outside any transaction;
3. a short transaction records the answer, clears the in-flight mark and publishes domain events
   (``payment.authorized``, ``payment.action_required``, ``payment.failed``,
   ``payment.captured``, ``payment.voided``, ``payment.refunded``), delivered after commit.

The transactions are durable: calling these services inside the caller's own transaction is a
programming error (RuntimeError), since the provider call would then run inside it. Two steps
call no provider and may run in the caller's transaction: ``payment_open`` (step 1, with what the
payment is for) and ``payment_record`` (step 3 of ``payment_call``, with what the answer
changes: checkout records a sale in the transaction that places its order).

Retrying is always safe. The same idempotency key finds the same payment; a retry after a lost
answer sends the provider the same key, so the provider recognises the first attempt; while a
call is in flight, concurrent retries get the payment as it stands instead of calling again.

Failures: a declined authorisation or confirmation fails the payment, which is returned with
``status == "failed"`` and ``failure_text`` for the shopper. A capture, void or refund the provider
refuses raises PaymentRefused. No definitive answer raises PaymentProviderUnavailable: call again
with the same arguments.
"""

import copy
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from plaza.accounts.models import User
from plaza.core import events
from plaza.core.exceptions import ValidationError
from plaza.core.money import MAX_AMOUNT, currency_is_valid, format_money
from plaza.core.sql import row_update, rows_insert
from plaza.payments.exceptions import (
    IdempotencyConflict,
    PaymentChanged,
    PaymentProviderUnavailable,
    PaymentRefused,
    PaymentStateError,
    WebhookRejected,
)
from plaza.payments.gateways import stripe
from plaza.payments.gateways.base import GatewayResult, Outcome, decline_message
from plaza.payments.gateways.registry import enabled_providers, get_gateway
from plaza.payments.gateways.testing import tokenize_card
from plaza.payments.models import (
    Payment,
    PaymentEvent,
    PaymentEventKind,
    PaymentEventStatus,
    PaymentMethod,
    PaymentStatus,
    WebhookEvent,
)

logger = logging.getLogger("plaza.payments")

# How long a provider call may be in flight before a retry may call again. Longer than any
# gateway call takes (a Stripe request times out after STRIPE_TIMEOUT_SECONDS, 20 by default).
IN_FLIGHT = timedelta(seconds=120)
MAX_KEY_LENGTH = 255
MAX_PAYMENT_METHODS = 10
MAX_METADATA_KEYS = 20
# The metadata key that names the Plaza payment towards the provider (webhooks match on it).
PROVIDER_METADATA_KEY = "plaza_payment"

# Where a payment may go from each status. Anything else is ignored (a late or repeated answer).
_NEXT: dict[str, set[str]] = {
    PaymentStatus.PENDING: {
        PaymentStatus.REQUIRES_ACTION,
        PaymentStatus.AUTHORIZED,
        PaymentStatus.CAPTURED,
        PaymentStatus.VOIDED,
        PaymentStatus.FAILED,
    },
    PaymentStatus.REQUIRES_ACTION: {
        PaymentStatus.AUTHORIZED,
        PaymentStatus.CAPTURED,
        PaymentStatus.VOIDED,
        PaymentStatus.FAILED,
    },
    PaymentStatus.AUTHORIZED: {PaymentStatus.CAPTURED, PaymentStatus.VOIDED},
}
_PUBLISHED = {
    PaymentStatus.REQUIRES_ACTION: "payment.action_required",
    PaymentStatus.AUTHORIZED: "payment.authorized",
    PaymentStatus.CAPTURED: "payment.captured",
    PaymentStatus.VOIDED: "payment.voided",
    PaymentStatus.FAILED: "payment.failed",
}
_CAPTURED_STATES = {
    PaymentStatus.CAPTURED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
}
_PAYMENT_FIELDS = [
    "status",
    "amount_captured",
    "amount_refunded",
    "provider_reference",
    "failure_code",
    "failure_message",
    "next_action",
    "in_flight_until",
    "updated_at",
]


# --- validation ------------------------------------------------------------------------------


def _validate_amount(amount: object, *, field: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError(
            _("An amount must be a whole number of minor units (cents)."), field=field
        )
    if amount <= 0:
        raise ValidationError(_("An amount must be greater than zero."), field=field)
    if amount > MAX_AMOUNT:
        raise ValidationError(_("That amount is too large."), field=field)
    return amount


def _validate_currency(currency: object) -> str:
    code = currency.strip().upper() if isinstance(currency, str) else ""
    if not currency_is_valid(code):
        raise ValidationError(_("Unknown currency code."), field="currency")
    return code


def _validate_key(key: object, *, field: str = "idempotency_key") -> str:
    key = key.strip() if isinstance(key, str) else ""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationError(_("Give an idempotency key of 1 to 255 characters."), field=field)
    return key


def _validate_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    metadata = dict(metadata or {})
    valid = len(metadata) <= MAX_METADATA_KEYS and all(
        isinstance(key, str)
        and isinstance(value, str)
        and 1 <= len(key) <= 40
        and len(value) <= 500
        and key != PROVIDER_METADATA_KEY
        for key, value in metadata.items()
    )
    if not valid:
        raise ValidationError(
            _("Metadata holds at most 20 short text keys with text values."), field="metadata"
        )
    return metadata


def _validate_token(token: object, *, field: str) -> str:
    token = token.strip() if isinstance(token, str) else ""
    if not 1 <= len(token) <= 255:
        raise ValidationError(_("Choose a card to pay with."), field=field)
    return token


# --- saved cards -----------------------------------------------------------------------------


def card_tokenize(*, number: str, exp_month: int | str, exp_year: int | str, cvc: str) -> str:
    """Turn a test card into a token for the test gateway (see plaza.payments.gateways.testing).

    Only the test gateway takes card numbers: with Stripe, the shopper's browser sends the card to
    Stripe and Plaza receives a payment method id. The number is neither stored nor logged.
    """
    get_gateway("test")  # refuses when this installation does not use the test gateway
    return tokenize_card(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)


def payment_method_save(
    *, user: User, token: str, make_default: bool = False, provider: str | None = None
) -> PaymentMethod:
    """Save a card token for the user, or return it if already saved.

    The user's first card becomes the default; ``make_default`` moves the default to this one.
    The provider is asked what the card is (brand, last four, expiry) outside any transaction.
    """
    provider = provider or (enabled_providers() or [""])[0]
    gateway = get_gateway(provider)
    token = _validate_token(token, field="token")
    known = PaymentMethod.objects.filter(user=user, provider=provider, token=token).exists()
    details = None if known else gateway.describe_payment_method(token=token)
    if not known:
        if details is None:
            raise ValidationError(
                _("This card cannot be saved. Enter your card details again."), field="token"
            )
        today = timezone.localdate()
        if (details.exp_year, details.exp_month) < (today.year, today.month):
            raise ValidationError(_("This card has expired. Use another card."), field="token")
    with transaction.atomic(durable=True):
        # One writer per user at a time keeps "one default card" simple.
        User.objects.select_for_update().filter(pk=user.pk).first()
        mine = PaymentMethod.objects.filter(user=user)
        method = mine.filter(provider=provider, token=token).first()
        if method is None:
            if details is None:  # deleted meanwhile
                raise ValidationError(
                    _("This card cannot be saved. Enter your card details again."), field="token"
                )
            count = mine.count()
            if count >= MAX_PAYMENT_METHODS:
                raise ValidationError(
                    _("You can save up to %(count)s cards. Remove one first.")
                    % {"count": MAX_PAYMENT_METHODS},
                    field="token",
                )
            is_default = make_default or count == 0
            if is_default:
                mine.filter(is_default=True).update(is_default=False)
            method = PaymentMethod.objects.create(
                user=user,
                provider=provider,
                token=token,
                brand=details.brand[:20],
                last4=details.last4,
                exp_month=details.exp_month,
                exp_year=details.exp_year,
                is_default=is_default,
            )
        elif make_default and not method.is_default:
            mine.filter(is_default=True).update(is_default=False)
            method.is_default = True
            method.save(update_fields=["is_default"])
    return method


def payment_method_delete(*, payment_method: PaymentMethod) -> None:
    """Forget a saved card. If it was the default, the most recent other card becomes default."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=payment_method.user_id).first()
        deleted, _counts = PaymentMethod.objects.filter(pk=payment_method.pk).delete()
        if deleted and payment_method.is_default:
            successor = (
                PaymentMethod.objects.filter(user_id=payment_method.user_id)
                .order_by("-created_at", "-id")
                .first()
            )
            if successor:
                successor.is_default = True
                successor.save(update_fields=["is_default"])


# --- payments --------------------------------------------------------------------------------


def payment_authorize(
    *,
    provider: str,
    amount: int,
    currency: str,
    payment_method_token: str,
    idempotency_key: str,
    description: str = "",
    metadata: Mapping[str, str] | None = None,
    return_url: str = "",
    capture: bool = False,
) -> Payment:
    """Hold ``amount`` (minor units of ``currency``) on a card without capturing it, or, with
    ``capture``, take it at once when the card needs no extra step (a one-step sale: the payment
    is then captured, not authorised).

    ``payment_method_token`` is a saved card's token or a fresh one (``card_tokenize`` for the
    test gateway, a Stripe payment method id). The same ``idempotency_key`` always returns the same
    payment and never calls the provider twice for it; reusing it for another amount, currency
    or provider raises IdempotencyConflict. Returns the payment: authorized (or captured),
    requires_action (see ``next_action``, then ``payment_confirm``), failed (see
    ``failure_text``), or pending while another call with the same key is under way. Raises
    PaymentProviderUnavailable when the provider gave no answer: retry with the same key.
    """
    get_gateway(provider)
    token = _validate_token(payment_method_token, field="payment_method_token")
    clean = _clean_authorisation(provider, amount, currency, idempotency_key, description, metadata)
    payment, event = _authorize_begin(**clean, capture=capture)
    if event is None:
        return payment
    return _authorize_send(payment, event, token=token, return_url=return_url)


def payment_open(
    *,
    provider: str,
    amount: int,
    currency: str,
    idempotency_key: str,
    description: str = "",
    metadata: Mapping[str, str] | None = None,
    capture: bool = False,
) -> tuple[Payment, PaymentEvent]:
    """Step 1 of a new authorisation, in the caller's transaction: the pending payment (its
    provider call marked in flight) and the pending event whose key the provider will see. With
    ``capture`` the call will be a one-step sale; the event records it, so that a retry sends
    the provider the same request under the same key.

    It calls no provider, so it may run inside a transaction, e.g. the one that records what the
    payment is for; ``payment_send`` then does the rest after that transaction commits. The key
    must be new: a used one raises IntegrityError (the caller's transaction rolls back; retries
    go through ``payment_authorize``, which finds the payment by its key)."""
    get_gateway(provider)
    clean = _clean_authorisation(provider, amount, currency, idempotency_key, description, metadata)
    payment = Payment(
        provider=provider,
        amount=clean["amount"],
        currency=clean["currency"],
        idempotency_key=clean["key"],
        description=clean["description"],
        metadata=clean["metadata"],
        in_flight_until=timezone.now() + IN_FLIGHT,
    )
    rows_insert([payment])  # written out: a checkout opens one per shop, in its transaction
    event = PaymentEvent(
        payment=payment,
        kind=PaymentEventKind.AUTHORIZE,
        amount=payment.amount,
        idempotency_key=f"{payment.uid.hex}:authorize",
        detail=_SALE if capture else "",
    )
    rows_insert([event])
    return payment, event


def payment_send(
    *,
    payment: Payment,
    event: PaymentEvent,
    payment_method_token: str,
    return_url: str = "",
) -> Payment:
    """Steps 2 and 3 of an authorisation opened by ``payment_open``, outside any transaction:
    the provider call (a sale when it was opened as one) and its answer. Returns and raises as
    ``payment_authorize`` does."""
    token = _validate_token(payment_method_token, field="payment_method_token")
    return _authorize_send(payment, event, token=token, return_url=return_url)


@dataclass(frozen=True)
class ProviderAnswer:
    """The provider's answer to an authorisation opened by ``payment_open``, not recorded yet
    (see ``payment_call`` and ``payment_record``)."""

    payment: Payment
    event: PaymentEvent
    result: GatewayResult

    @property
    def succeeded(self) -> bool:
        """The money is held or taken: nothing more is asked of the shopper."""
        return self.result.status in (Outcome.AUTHORIZED, Outcome.CAPTURED)


def payment_call(
    *,
    payment: Payment,
    event: PaymentEvent,
    payment_method_token: str,
    return_url: str = "",
) -> ProviderAnswer:
    """Step 2 alone of an authorisation opened by ``payment_open``: the provider call (a sale
    when it was opened as one), outside any transaction. The payment stays marked in flight
    until ``payment_record`` records the answer, which the caller must do whatever happens next:
    in the transaction that acts on a successful answer (checkout places the order in it), or in
    a transaction of its own."""
    token = _validate_token(payment_method_token, field="payment_method_token")
    result = _authorize_call(payment, event, token=token, return_url=return_url)
    return ProviderAnswer(payment=payment, event=event, result=result)


def payment_record(*, answer: ProviderAnswer, lock: bool = False) -> Payment:
    """Step 3 of ``payment_call``: record the answer on the payment and publish what it became
    (``payment.captured``, ...), delivered after the commit. Runs in the caller's transaction
    when there is one (no savepoint), else in one of its own; it calls no provider. Returns the
    payment; raises PaymentProviderUnavailable, once the answer is recorded, when the provider
    gave none (retry with the same key).

    A successful answer is written with one conditional UPDATE of the payment as it was opened
    (no read, no lock first). Should the payment have changed meanwhile (a provider's
    notification came first), this raises PaymentChanged in the caller's transaction, which is
    then broken: run it again with ``lock=True``, which locks the payment and reads it first
    (as every other answer is recorded). Outside a transaction that retry happens here."""
    if answer.succeeded and not lock:
        try:
            return _finish_unlocked(answer)
        except PaymentChanged:
            if transaction.get_connection().in_atomic_block:
                raise
    payment = _finish(answer.payment, answer.event, answer.result, fails_payment=True, nested=True)
    if answer.result.status == Outcome.ERROR:
        raise PaymentProviderUnavailable(answer.result.message, code=answer.result.decline_code)
    return payment


def _clean_authorisation(
    provider: str,
    amount: object,
    currency: object,
    key: object,
    description: str,
    metadata: Mapping[str, str] | None,
) -> dict:
    return {
        "provider": provider,
        "amount": _validate_amount(amount),
        "currency": _validate_currency(currency),
        "key": _validate_key(key),
        "description": (description or "").strip()[:255],
        "metadata": _validate_metadata(metadata),
    }


# The detail of an authorisation event opened as a one-step sale.
_SALE = "sale"


def _authorize_call(
    payment: Payment, event: PaymentEvent, *, token: str, return_url: str
) -> GatewayResult:
    return _call(
        get_gateway(payment.provider).authorize,
        amount=payment.amount,
        currency=payment.currency,
        payment_method=token,
        idempotency_key=event.idempotency_key,
        description=payment.description,
        metadata={**payment.metadata, PROVIDER_METADATA_KEY: str(payment.uid)},
        return_url=return_url,
        capture=event.detail == _SALE,
    )


def _authorize_send(
    payment: Payment, event: PaymentEvent, *, token: str, return_url: str
) -> Payment:
    result = _authorize_call(payment, event, token=token, return_url=return_url)
    payment = _finish(payment, event, result, fails_payment=True)
    if result.status == Outcome.ERROR:
        raise PaymentProviderUnavailable(result.message, code=result.decline_code)
    return payment


def _authorize_begin(
    *,
    provider: str,
    amount: int,
    currency: str,
    key: str,
    description: str,
    metadata: dict,
    capture: bool = False,
) -> tuple[Payment, PaymentEvent | None]:
    """Create the pending payment, or find the one with this key. Returns the event to send when
    this caller must call the provider, None when it must not (done, or in flight elsewhere).
    A retry sends what the first call opened (a sale or not), whatever ``capture`` says."""
    now = timezone.now()
    try:
        # A new key (the usual case): the payment and its event in one short transaction.
        with transaction.atomic(durable=True):
            return payment_open(
                provider=provider,
                amount=amount,
                currency=currency,
                idempotency_key=key,
                description=description,
                metadata=metadata,
                capture=capture,
            )
    except IntegrityError:
        pass
    # Another request with this key got there first (it may still be committing: the unique
    # index made us wait for it). Lock its row and decide.
    with transaction.atomic(durable=True):
        payment = Payment.objects.select_for_update().get(idempotency_key=key)
        if (payment.provider, payment.amount, payment.currency) != (provider, amount, currency):
            raise IdempotencyConflict(
                _(
                    "This idempotency key was already used for a payment of %(amount)s. "
                    "Use a new key for a different payment."
                )
                % {"amount": format_money(payment.amount, payment.currency)},
                field="idempotency_key",
            )
        if payment.status != PaymentStatus.PENDING or _in_flight(payment, now):
            return payment, None
        payment.in_flight_until = now + IN_FLIGHT
        payment.save(update_fields=["in_flight_until", "updated_at"])
        event, _created = PaymentEvent.objects.get_or_create(
            idempotency_key=f"{payment.uid.hex}:authorize",
            defaults={
                "payment": payment,
                "kind": PaymentEventKind.AUTHORIZE,
                "amount": amount,
                "detail": _SALE if capture else "",
            },
        )
    return payment, event


def payment_confirm(
    *, payment: Payment, confirmation_token: str = "", return_url: str = ""
) -> Payment:
    """Finish a payment that needed the shopper's extra step (status requires_action).

    ``confirmation_token`` is the token of the payment's ``next_action`` (the test gateway checks
    it; with Stripe the shopper's browser did the step and Plaza reads the outcome). Returns the
    payment, authorized or failed; a payment past that step is returned as it is.
    """
    with transaction.atomic(durable=True):
        payment = _lock(payment)
        if payment.status != PaymentStatus.REQUIRES_ACTION:
            return payment
        _claim(payment)
        attempt = payment.events.filter(kind=PaymentEventKind.CONFIRM).count() + 1
        event = PaymentEvent.objects.create(
            payment=payment,
            kind=PaymentEventKind.CONFIRM,
            amount=payment.amount,
            idempotency_key=f"{payment.uid.hex}:confirm:{attempt}",
        )
    result = _call(
        get_gateway(payment.provider).confirm,
        reference=payment.provider_reference,
        confirmation_token=confirmation_token or "",
        idempotency_key=event.idempotency_key,
        return_url=return_url,
    )
    payment = _finish(payment, event, result, fails_payment=True)
    if result.status == Outcome.ERROR:
        raise PaymentProviderUnavailable(result.message, code=result.decline_code)
    return payment


def payment_capture(*, payment: Payment, amount: int | None = None) -> Payment:
    """Capture ``amount`` (the whole authorised amount by default) of an authorised payment.

    The rest of the authorisation, if any, is released. Capturing again with the same amount
    returns the payment as it is. Raises PaymentStateError when the payment is not authorised,
    PaymentRefused when the provider refuses, PaymentProviderUnavailable without an answer.
    """
    amount = payment.amount if amount is None else _validate_amount(amount)
    key = f"{payment.uid.hex}:capture:{amount}"
    with transaction.atomic(durable=True):
        payment = _lock(payment)
        event = PaymentEvent.objects.filter(idempotency_key=key).first()
        if event is not None and event.status != PaymentEventStatus.PENDING:
            return _replay(payment, event)
        if event is not None and payment.status in _CAPTURED_STATES:
            return payment  # the answer to an earlier attempt was lost; a notification told us
        if payment.status != PaymentStatus.AUTHORIZED:
            raise PaymentStateError(_state_message(payment, "capture"))
        if amount > payment.amount:
            raise ValidationError(
                _("You can capture at most %(amount)s.")
                % {"amount": format_money(payment.amount, payment.currency)},
                field="amount",
            )
        _claim(payment)
        event = event or PaymentEvent.objects.create(
            payment=payment, kind=PaymentEventKind.CAPTURE, amount=amount, idempotency_key=key
        )
    result = _call(
        get_gateway(payment.provider).capture,
        reference=payment.provider_reference,
        amount=amount,
        currency=payment.currency,
        idempotency_key=key,
    )
    payment = _finish(payment, event, result, fails_payment=False)
    _raise_unless(result, Outcome.CAPTURED)
    return payment


def payment_void(*, payment: Payment) -> Payment:
    """Release an authorisation: no money moves (a group buy that did not fill, a cancelled order).

    A payment that is voided already or failed (it holds nothing) is returned as it is. Raises
    PaymentStateError for a captured payment (refund it instead) or one still being processed.
    """
    key = f"{payment.uid.hex}:void"
    with transaction.atomic(durable=True):
        payment = _lock(payment)
        event = PaymentEvent.objects.filter(idempotency_key=key).first()
        if event is not None and event.status != PaymentEventStatus.PENDING:
            return _replay(payment, event)
        if payment.status in (PaymentStatus.VOIDED, PaymentStatus.FAILED):
            return payment
        voidable = payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.REQUIRES_ACTION)
        if not voidable or not payment.provider_reference:
            raise PaymentStateError(_state_message(payment, "void"))
        _claim(payment)
        event = event or PaymentEvent.objects.create(
            payment=payment, kind=PaymentEventKind.VOID, idempotency_key=key
        )
    result = _call(
        get_gateway(payment.provider).void,
        reference=payment.provider_reference,
        idempotency_key=key,
    )
    payment = _finish(payment, event, result, fails_payment=False)
    _raise_unless(result, Outcome.VOIDED)
    return payment


def payment_refund(*, payment: Payment, amount: int, idempotency_key: str = "") -> Payment:
    """Give back ``amount`` of a captured payment. Partial refunds add up; together they may not
    exceed what was captured.

    Pass the caller's ``idempotency_key`` (e.g. the order refund's id) when the call may be
    retried: the same key never refunds twice. Without one, every call is a new refund.
    Raises PaymentStateError when nothing was captured, ValidationError above the refundable
    amount, PaymentRefused when the provider refuses, PaymentProviderUnavailable without answer.
    """
    amount = _validate_amount(amount)
    caller_key = _validate_key(idempotency_key) if idempotency_key else ""
    with transaction.atomic(durable=True):
        payment = _lock(payment)
        refunds = PaymentEvent.objects.filter(payment=payment, kind=PaymentEventKind.REFUND)
        if caller_key:
            digest = hashlib.sha256(caller_key.encode()).hexdigest()[:32]
            key = f"{payment.uid.hex}:refund:{digest}"
        else:
            key = f"{payment.uid.hex}:refund:{refunds.count() + 1}"
        event = refunds.filter(idempotency_key=key).first()
        if event is not None and event.amount != amount:
            raise IdempotencyConflict(
                _("This refund key was already used for a refund of %(amount)s.")
                % {"amount": format_money(event.amount, payment.currency)},
                field="idempotency_key",
            )
        if event is not None and event.status != PaymentEventStatus.PENDING:
            return _replay(payment, event)
        if payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
            raise PaymentStateError(_state_message(payment, "refund"))
        in_doubt = (
            refunds.filter(status=PaymentEventStatus.PENDING)
            .exclude(idempotency_key=key)
            .aggregate(total=Sum("amount"))["total"]
            or 0
        )
        refundable = payment.amount_captured - payment.amount_refunded - in_doubt
        if amount > refundable:
            raise ValidationError(
                _("You can refund at most %(amount)s.")
                % {"amount": format_money(max(refundable, 0), payment.currency)},
                field="amount",
            )
        _claim(payment)
        event = event or PaymentEvent.objects.create(
            payment=payment, kind=PaymentEventKind.REFUND, amount=amount, idempotency_key=key
        )
    result = _call(
        get_gateway(payment.provider).refund,
        reference=payment.provider_reference,
        amount=amount,
        currency=payment.currency,
        idempotency_key=key,
    )
    payment = _finish(payment, event, result, fails_payment=False)
    if result.status != Outcome.PENDING:
        _raise_unless(result, Outcome.REFUNDED)
    return payment


# --- the steps every operation shares -----------------------------------------------------


def _lock(payment: Payment) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment.pk)


def _in_flight(payment: Payment, now: datetime | None = None) -> bool:
    return payment.in_flight_until is not None and payment.in_flight_until > (now or timezone.now())


def _claim(payment: Payment) -> None:
    """Mark a provider call in flight on the locked payment, or refuse if one already is."""
    now = timezone.now()
    if _in_flight(payment, now):
        raise PaymentStateError(_("This payment is being processed. Try again in a moment."))
    payment.in_flight_until = now + IN_FLIGHT
    payment.save(update_fields=["in_flight_until", "updated_at"])


def _call(operation: Callable[..., GatewayResult], **kwargs) -> GatewayResult:
    """Call the gateway; a gateway that crashes counts as no answer (logged, never raised)."""
    try:
        return operation(**kwargs)
    except Exception:
        logger.exception("The payment gateway crashed in %s", operation.__qualname__)
        return GatewayResult(status=Outcome.ERROR, decline_code="processing_error")


def _finish(
    payment: Payment,
    event: PaymentEvent,
    result: GatewayResult,
    *,
    fails_payment: bool,
    nested: bool = False,
) -> Payment:
    """Record the provider's answer to ``event`` on the payment (step 3), the payment locked. In
    a transaction of its own; with ``nested``, in the caller's when one is open (without a
    savepoint)."""
    with transaction.atomic(savepoint=False) if nested else transaction.atomic(durable=True):
        payment = _lock(payment)
        _record_answer(payment, event, result, fails_payment=fails_payment)
        payment.save(update_fields=_PAYMENT_FIELDS)
    return payment


def _finish_unlocked(answer: ProviderAnswer) -> Payment:
    """``_finish`` for the payment as ``payment_open`` left it, without reading it again: one
    UPDATE on the condition that it is unchanged (its ``updated_at``). Raises PaymentChanged,
    and the transaction rolls back, when it was changed meanwhile (a provider's notification)."""
    payment = copy.copy(answer.payment)
    version = payment.updated_at
    with transaction.atomic(savepoint=False):
        _record_answer(payment, answer.event, answer.result, fails_payment=True)
        payment.updated_at = timezone.now()
        fields = {name: getattr(payment, name) for name in _PAYMENT_FIELDS}
        if not row_update(Payment, payment.pk, fields, unchanged={"updated_at": version}):
            raise PaymentChanged(_("This payment is being processed. Try again in a moment."))
    return payment


def _record_answer(
    payment: Payment, event: PaymentEvent, result: GatewayResult, *, fails_payment: bool
) -> None:
    """Write the answer on its event and move the payment (to be saved by the caller)."""
    payment.in_flight_until = None
    if result.status == Outcome.FAILED:
        event.status = PaymentEventStatus.FAILED
    elif result.status in (Outcome.ERROR, Outcome.PENDING):
        event.status = PaymentEventStatus.PENDING
    else:
        event.status = PaymentEventStatus.SUCCEEDED
    if event.kind == PaymentEventKind.REFUND and result.amount is not None:
        event.amount = min(result.amount, event.amount)
    event.provider_reference = result.reference[:255]
    event.failure_code = result.decline_code[:64]
    event.failure_message = result.provider_message[:500]
    event.updated_at = timezone.now()
    row_update(  # written out: every sale's answer is recorded so, while its order is placed
        PaymentEvent,
        event.pk,
        {
            name: getattr(event, name)
            for name in (
                "status",
                "amount",
                "provider_reference",
                "failure_code",
                "failure_message",
                "updated_at",
            )
        },
    )
    names_intent = event.kind in (PaymentEventKind.AUTHORIZE, PaymentEventKind.CONFIRM)
    if names_intent and result.reference and not payment.provider_reference:
        payment.provider_reference = result.reference[:255]
    _apply(payment, result, fails_payment=fails_payment, amount=event.amount)


def _apply(payment: Payment, result: GatewayResult, *, fails_payment: bool, amount: int) -> None:
    """Move the locked payment as the provider's answer says (forward only, idempotent)."""
    if result.status == Outcome.AUTHORIZED:
        _move(payment, PaymentStatus.AUTHORIZED)
    elif result.status == Outcome.REQUIRES_ACTION:
        if _move(payment, PaymentStatus.REQUIRES_ACTION) and result.next_action:
            payment.next_action = asdict(result.next_action)
    elif result.status == Outcome.CAPTURED:
        _record_captured(payment, result.amount if result.amount is not None else amount)
    elif result.status == Outcome.VOIDED:
        _move(payment, PaymentStatus.VOIDED)
    elif result.status == Outcome.REFUNDED:
        _record_refunded(payment, _refunds_succeeded(payment))
    elif result.status == Outcome.FAILED and fails_payment:
        _move(payment, PaymentStatus.FAILED, result=result)


def _move(payment: Payment, status: str, *, result: GatewayResult | None = None) -> bool:
    """Move the locked payment to ``status`` if that is a step forward, and publish it."""
    if status not in _NEXT.get(payment.status, ()):
        return False
    payment.status = status
    payment.next_action = None
    if status == PaymentStatus.FAILED and result is not None:
        code = result.decline_code or "card_declined"
        payment.failure_code = code[:64]
        with translation.override("en"):
            payment.failure_message = (result.provider_message or decline_message(code))[:500]
    events.publish(_PUBLISHED[status], payment_id=payment.pk)
    return True


def _record_captured(payment: Payment, amount: int) -> None:
    """The provider captured ``amount``: never less than known, never more than authorised."""
    _move(payment, PaymentStatus.CAPTURED)
    if payment.status in _CAPTURED_STATES:
        payment.amount_captured = min(payment.amount, max(payment.amount_captured, amount))


def _refunds_succeeded(payment: Payment) -> int:
    return (
        PaymentEvent.objects.filter(
            payment=payment, kind=PaymentEventKind.REFUND, status=PaymentEventStatus.SUCCEEDED
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def _record_refunded(payment: Payment, total: int) -> None:
    """The provider's running total of refunds is ``total``: never less than known, never more
    than captured (so a notification and our own record of one refund never count it twice)."""
    total = min(payment.amount_captured, total)
    if payment.status not in _CAPTURED_STATES or total <= payment.amount_refunded:
        return
    payment.amount_refunded = total
    payment.status = (
        PaymentStatus.REFUNDED
        if total == payment.amount_captured
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    events.publish("payment.refunded", payment_id=payment.pk, amount_refunded=total)


def _replay(payment: Payment, event: PaymentEvent) -> Payment:
    """The same operation was answered before: give the same answer again."""
    if event.status == PaymentEventStatus.FAILED:
        raise PaymentRefused(decline_message(event.failure_code), code=event.failure_code)
    return payment


def _raise_unless(result: GatewayResult, expected: Outcome) -> None:
    if result.status == expected:
        return
    if result.status == Outcome.FAILED:
        raise PaymentRefused(result.message, code=result.decline_code or None)
    raise PaymentProviderUnavailable(
        decline_message(result.decline_code or "provider_unavailable"),
        code=result.decline_code or None,
    )


def _state_message(payment: Payment, operation: str) -> str:
    if _in_flight(payment) or payment.status == PaymentStatus.PENDING:
        return _("This payment is being processed. Try again in a moment.")
    if operation == "capture":
        if payment.status in _CAPTURED_STATES:
            return _("This payment was captured already.")
        return _("Only an authorised payment can be captured.")
    if operation == "void":
        if payment.status in _CAPTURED_STATES:
            return _("This payment was captured: refund it instead.")
        return _("Only an authorised payment can be voided.")
    if payment.status == PaymentStatus.REFUNDED:
        return _("This payment was refunded in full already.")
    if payment.status == PaymentStatus.AUTHORIZED:
        return _("This payment was not captured: void it instead.")
    return _("Only a captured payment can be refunded.")


# --- provider notifications ------------------------------------------------------------------


def stripe_webhook_receive(*, payload: bytes, signature_header: str) -> WebhookEvent:
    """Verify, store once and apply a Stripe event.

    The signature is checked on the raw body; a bad one raises WebhookRejected and stores
    nothing. The event is stored keyed by its id: a replay finds it and changes nothing more.
    Events about payments move them forward (authorised, captured, failed, voided, refunded);
    other event types are stored and ignored.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        logger.error("A Stripe notification arrived but STRIPE_WEBHOOK_SECRET is not set")
    if not stripe.signature_is_valid(payload=payload, header=signature_header, secret=secret):
        logger.warning("Refused a Stripe notification with a missing or wrong signature")
        raise WebhookRejected(_("The signature of this notification is not valid."))
    text, data = _stripe_event(payload)
    try:
        with transaction.atomic(durable=True):
            webhook = WebhookEvent.objects.create(
                provider="stripe", event_id=data["id"], event_type=data["type"][:100], payload=text
            )
    except IntegrityError:
        webhook = WebhookEvent.objects.get(provider="stripe", event_id=data["id"])
    return _stripe_webhook_process(webhook)


def _stripe_event(payload: bytes) -> tuple[str, dict]:
    """The body as text and as the event it holds, or WebhookRejected."""
    try:
        text = payload.decode("utf-8")
        data = json.loads(text)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise WebhookRejected(_("This notification is not valid JSON.")) from None
    valid = (
        isinstance(data, dict)
        and isinstance(data.get("id"), str)
        and 1 <= len(data["id"]) <= 255
        and isinstance(data.get("type"), str)
        and isinstance(data.get("data"), dict)
        and isinstance(data["data"].get("object"), dict)
    )
    if not valid:
        raise WebhookRejected(_("This notification is not a Stripe event."))
    return text, data


def _stripe_webhook_process(webhook: WebhookEvent) -> WebhookEvent:
    """Apply a stored event once. Safe to call again: a processed event is left alone."""
    with transaction.atomic(durable=True):
        webhook = WebhookEvent.objects.select_for_update().get(pk=webhook.pk)
        if webhook.processed_at is not None:
            return webhook
        data = json.loads(webhook.payload)
        handler = _STRIPE_HANDLERS.get(data["type"])
        if handler is not None:
            handler(data["data"]["object"], webhook)
        webhook.processed_at = timezone.now()
        webhook.save(update_fields=["processed_at"])
    return webhook


def _stripe_payment(*, reference: object, metadata: object) -> Payment | None:
    """The locked Stripe payment a notification is about: by PaymentIntent id, else by the uid
    Plaza put in the intent's metadata (the notification may beat our own record of the id)."""
    payments = Payment.objects.select_for_update().filter(provider="stripe")
    payment = None
    if isinstance(reference, str) and reference:
        payment = payments.filter(provider_reference=reference).first()
    if payment is None and isinstance(metadata, dict):
        try:
            uid = uuid.UUID(str(metadata.get(PROVIDER_METADATA_KEY)))
        except ValueError:
            return None
        payment = payments.filter(uid=uid).first()
        if payment is not None and isinstance(reference, str) and not payment.provider_reference:
            payment.provider_reference = reference[:255]
    return payment


def _stripe_timeline(payment: Payment, webhook: WebhookEvent) -> None:
    payment.save(update_fields=_PAYMENT_FIELDS)
    PaymentEvent.objects.create(
        payment=payment,
        kind=PaymentEventKind.WEBHOOK,
        status=PaymentEventStatus.SUCCEEDED,
        provider_reference=webhook.event_id,
        detail=webhook.event_type,
    )


def _stripe_intent_changed(intent: dict, webhook: WebhookEvent) -> None:
    payment = _stripe_payment(reference=intent.get("id"), metadata=intent.get("metadata"))
    if payment is None:
        logger.info("Stripe event %s is about no Plaza payment", webhook.event_id)
        return
    result = stripe.intent_result(intent)
    _apply(payment, result, fails_payment=True, amount=payment.amount)
    _stripe_timeline(payment, webhook)


def _stripe_charge_refunded(charge: dict, webhook: WebhookEvent) -> None:
    payment = _stripe_payment(
        reference=charge.get("payment_intent"), metadata=charge.get("metadata")
    )
    if payment is None:
        logger.info("Stripe event %s is about no Plaza payment", webhook.event_id)
        return
    captured, refunded = charge.get("amount_captured"), charge.get("amount_refunded")
    if isinstance(captured, int) and not isinstance(captured, bool) and captured > 0:
        _record_captured(payment, captured)
    if isinstance(refunded, int) and not isinstance(refunded, bool):
        _record_refunded(payment, max(refunded, _refunds_succeeded(payment)))
    _stripe_timeline(payment, webhook)


_STRIPE_HANDLERS: dict[str, Callable[[dict, WebhookEvent], None]] = {
    "payment_intent.amount_capturable_updated": _stripe_intent_changed,
    "payment_intent.succeeded": _stripe_intent_changed,
    "payment_intent.payment_failed": _stripe_intent_changed,
    "payment_intent.canceled": _stripe_intent_changed,
    "charge.refunded": _stripe_charge_refunded,
}


def payment_record_external(
    *,
    provider: str,
    amount: int,
    currency: str,
    reference: str,
    idempotency_key: str,
    description: str = "",
    metadata: Mapping[str, str] | None = None,
) -> Payment:
    """Record money a channel took itself (Telegram Payments: the shopper paid inside the app,
    through the provider the shop set up there), as a captured payment. Nothing is asked of a
    gateway. The same ``idempotency_key`` returns the payment recorded with it. A refund of
    such a payment is made where it was taken; ``payment_refund`` refuses it (no gateway)."""
    amount = _validate_amount(amount)
    currency = _validate_currency(currency)
    key = _validate_key(idempotency_key)
    existing = Payment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                provider=str(provider)[:20],
                amount=amount,
                currency=currency,
                status=PaymentStatus.CAPTURED,
                amount_captured=amount,
                provider_reference=str(reference)[:255],
                idempotency_key=key,
                description=str(description)[:255],
                metadata=_validate_metadata(metadata),
            )
    except IntegrityError:
        return Payment.objects.get(idempotency_key=key)
    events.publish("payment.captured", payment_id=payment.pk)
    return payment
