"""What every payment gateway speaks: one protocol, small result dataclasses, shopper messages.

A gateway talks to one provider. It never touches the database and never raises for a provider's
answer: a decline, a refusal, a timeout or a 5xx all come back as a ``GatewayResult``. Amounts are
integer minor units with an ISO-4217 code; every call that changes money carries an idempotency
key the provider can use to recognise a retry.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from django.utils.translation import gettext as _


class Outcome(StrEnum):
    """What the provider said about an operation."""

    PENDING = "pending"  # accepted, not final yet (Stripe: processing)
    REQUIRES_ACTION = "requires_action"  # the shopper must confirm (3-D Secure)
    AUTHORIZED = "authorized"  # funds held, not captured
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    FAILED = "failed"  # a definitive no: declined, or the operation was refused
    ERROR = "error"  # no definitive answer (timeout, 5xx): retry with the same idempotency key


@dataclass(frozen=True, slots=True)
class NextAction:
    """What the shopper must do before the payment can go on.

    ``kind`` is "redirect" (send the shopper to ``url``, they come back to the return URL) or
    "confirm" (show a confirmation step, then call ``payment_confirm`` with ``token``)."""

    kind: str
    url: str = ""
    token: str = ""


@dataclass(frozen=True, slots=True)
class CardDetails:
    """What Plaza may know about a card: never the number or the security code."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True, slots=True)
class GatewayResult:
    """The answer to one gateway call.

    ``reference`` is the provider's id of what the call created or changed (a PaymentIntent for
    authorize/confirm/capture/void, a refund for refund). ``amount`` is the amount the provider
    reports for the operation, when it reports one. ``decline_code`` says why a FAILED or ERROR
    happened; ``provider_message`` is the provider's own wording, kept for operators.
    """

    status: Outcome
    reference: str = ""
    amount: int | None = None
    next_action: NextAction | None = None
    decline_code: str = ""
    provider_message: str = ""

    @property
    def message(self) -> str:
        """What to tell the shopper, in the active language ("" when all went well)."""
        if self.status in (Outcome.FAILED, Outcome.ERROR):
            return decline_message(self.decline_code or "processing_error")
        return ""


@runtime_checkable
class Gateway(Protocol):
    """A payment provider. Implementations are registered by name in ``PaymentsConfig.ready()``."""

    name: str

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
        """Hold ``amount`` on the payment method without capturing it (manual capture), or, with
        ``capture``, take it at once (a one-step sale: CAPTURED when no extra step is needed)."""
        ...

    def confirm(
        self, *, reference: str, confirmation_token: str, idempotency_key: str, return_url: str = ""
    ) -> GatewayResult:
        """Finish a payment that needed the shopper's extra step (REQUIRES_ACTION)."""
        ...

    def capture(
        self, *, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayResult:
        """Capture ``amount`` (at most what was authorised) of an authorised payment."""
        ...

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        """Release an authorisation: no money moves."""
        ...

    def refund(
        self, *, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayResult:
        """Give back ``amount`` of a captured payment."""
        ...

    def describe_payment_method(self, *, token: str) -> CardDetails | None:
        """Brand, last four digits and expiry of a payment method token, or None if unknown."""
        ...


def decline_message(code: str) -> str:
    """The shopper's message for a decline or error code, in the active language."""
    messages = {
        "card_declined": _("Your card was declined. Try another card."),
        "insufficient_funds": _("Your card has insufficient funds. Try another card."),
        "expired_card": _("Your card has expired. Try another card."),
        "incorrect_cvc": _("The security code is incorrect. Check it and try again."),
        "incorrect_number": _("The card number is incorrect. Check it and try again."),
        "authentication_required": _(
            "Your bank needs you to confirm this payment. Try again and follow your bank's steps."
        ),
        "authentication_failed": _(
            "Your bank could not confirm this payment. Try again or use another card."
        ),
        "payment_method_invalid": _("This card cannot be used. Enter your card details again."),
        "processing_error": _(
            "Something went wrong while processing your card. Try again in a moment."
        ),
        "provider_unavailable": _("The payment service is not answering. Try again in a moment."),
        "provider_error": _("Payments are not available right now. Try again later."),
        "payment_state": _("This payment cannot be changed that way any more."),
    }
    return messages.get(code, messages["card_declined"])
