"""The built-in test gateway ("test"): the embedded default and the demo take payments with it.

No money moves and nothing leaves the machine. It takes only the test cards listed in the
package's docstring (``plaza/payments/__init__.py``) and returned by ``test_card_list()``.

``tokenize_card`` checks the number (Luhn) and the expiry and turns the card into an opaque token
such as ``tok_test_ok_visa_4242_1230_9f86d081884c``: the card's behaviour, brand, last four
digits and expiry, never the number or the security code. The gateway keeps no state: payment
references derive from the idempotency key, and the confirmation token is an HMAC of the
reference, so every process of a scaled installation agrees.
"""

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from plaza.core.exceptions import ValidationError
from plaza.payments.gateways.base import CardDetails, GatewayResult, NextAction, Outcome

# behaviour -> the decline code a declined card answers with
_DECLINES = {
    "declined": "card_declined",
    "insufficient": "insufficient_funds",
    "expired": "expired_card",
}


@dataclass(frozen=True, slots=True)
class TestCard:
    """A card number the test gateway accepts, and what it does (for the checkout's help box)."""

    __test__ = False  # not a pytest test class

    number: str  # grouped by four, as printed
    brand: str
    behaviour: str  # ok | declined | insufficient | expired | 3ds
    description: str  # in the active language


def test_card_list() -> list[TestCard]:
    """The test cards, with what each does described in the active language."""
    return [
        TestCard("4242 4242 4242 4242", "visa", "ok", _("Succeeds.")),
        TestCard("5555 5555 5555 4444", "mastercard", "ok", _("Succeeds.")),
        TestCard("4000 0000 0000 0002", "visa", "declined", _("Declined: the card is refused.")),
        TestCard("4000 0000 0000 9995", "visa", "insufficient", _("Declined: insufficient funds.")),
        TestCard("4000 0000 0000 0069", "visa", "expired", _("Declined: the card has expired.")),
        TestCard(
            "4000 0025 0000 3155",
            "visa",
            "3ds",
            _("Asks for an extra confirmation step, then succeeds."),
        ),
    ]


test_card_list.__test__ = False  # type: ignore[attr-defined]

_TOKEN_RE = re.compile(
    r"^tok_test_(?P<behaviour>ok|declined|insufficient|expired|3ds)_(?P<brand>[a-z]+)_"
    r"(?P<last4>[0-9]{4})_(?P<month>[0-9]{2})(?P<year>[0-9]{2})_[0-9a-f]{12}$"
)


def luhn_is_valid(digits: str) -> bool:
    """True when the digits pass the Luhn check every card number carries."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _whole_number(value: object) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def tokenize_card(
    *, number: str, exp_month: int | str, exp_year: int | str, cvc: str, today: date | None = None
) -> str:
    """Check a test card and return its opaque token, or raise a translated ValidationError.

    The number and the security code are neither stored nor logged, and are not in the token.
    """
    digits = re.sub(r"[\s-]", "", str(number or ""))
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise ValidationError(
            _("Enter the card number as printed on the card (12 to 19 digits)."), field="number"
        )
    if not luhn_is_valid(digits):
        raise ValidationError(
            _("This card number is not valid. Check it and try again."), field="number"
        )
    month = _whole_number(exp_month)
    if month is None or not 1 <= month <= 12:
        raise ValidationError(
            _("Enter the expiry month as a number from 1 to 12."), field="exp_month"
        )
    year = _whole_number(exp_year)
    if year is not None and year < 100:
        year += 2000
    if year is None or not 2000 <= year <= 2099:
        raise ValidationError(_("Enter the expiry year, for example 2030."), field="exp_year")
    today = today or timezone.localdate()
    if (year, month) < (today.year, today.month):
        raise ValidationError(_("This card has expired. Use another card."), field="exp_year")
    if not re.fullmatch(r"[0-9]{3,4}", str(cvc or "").strip()):
        raise ValidationError(
            _("Enter the security code: the 3 or 4 digits on the card."), field="cvc"
        )
    card = next((c for c in test_card_list() if c.number.replace(" ", "") == digits), None)
    if card is None:
        raise ValidationError(
            _("This shop takes test payments only: use one of the test cards shown."),
            field="number",
        )
    # A random nonce (never derived from the number) so that two tokens of one card differ.
    nonce = secrets.token_hex(6)
    return (
        f"tok_test_{card.behaviour}_{card.brand}_{digits[-4:]}_{month:02d}{year % 100:02d}_{nonce}"
    )


def _parse_token(token: str) -> tuple[str, CardDetails] | None:
    match = _TOKEN_RE.match(token or "")
    if match is None:
        return None
    details = CardDetails(
        brand=match["brand"],
        last4=match["last4"],
        exp_month=int(match["month"]),
        exp_year=2000 + int(match["year"]),
    )
    return match["behaviour"], details


def _derived(prefix: str, idempotency_key: str) -> str:
    return prefix + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


def _confirmation_token(reference: str) -> str:
    return salted_hmac("plaza.payments.test-confirmation", reference).hexdigest()[:32]


def _known(reference: str) -> bool:
    return reference.startswith("pi_test_")


_MISSING = GatewayResult(status=Outcome.FAILED, decline_code="payment_state")


class TestGateway:
    """The built-in gateway: behaves like a card processor for the test cards above."""

    __test__ = False  # not a pytest test class

    name = "test"

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
        parsed = _parse_token(payment_method)
        reference = _derived("pi_test_", idempotency_key)
        if parsed is None:
            return GatewayResult(
                status=Outcome.FAILED, reference=reference, decline_code="payment_method_invalid"
            )
        behaviour, _details = parsed
        if behaviour in _DECLINES:
            return GatewayResult(
                status=Outcome.FAILED, reference=reference, decline_code=_DECLINES[behaviour]
            )
        if behaviour == "3ds":
            action = NextAction(kind="confirm", token=_confirmation_token(reference))
            return GatewayResult(
                status=Outcome.REQUIRES_ACTION,
                reference=reference,
                amount=amount,
                next_action=action,
            )
        status = Outcome.CAPTURED if capture else Outcome.AUTHORIZED
        return GatewayResult(status=status, reference=reference, amount=amount)

    def confirm(
        self, *, reference: str, confirmation_token: str, idempotency_key: str, return_url: str = ""
    ) -> GatewayResult:
        if not _known(reference):
            return _MISSING
        if not constant_time_compare(confirmation_token or "", _confirmation_token(reference)):
            return GatewayResult(
                status=Outcome.FAILED, reference=reference, decline_code="authentication_failed"
            )
        return GatewayResult(status=Outcome.AUTHORIZED, reference=reference)

    def capture(
        self, *, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayResult:
        if not _known(reference):
            return _MISSING
        return GatewayResult(status=Outcome.CAPTURED, reference=reference, amount=amount)

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        if not _known(reference):
            return _MISSING
        return GatewayResult(status=Outcome.VOIDED, reference=reference)

    def refund(
        self, *, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> GatewayResult:
        if not _known(reference):
            return _MISSING
        return GatewayResult(
            status=Outcome.REFUNDED, reference=_derived("re_test_", idempotency_key), amount=amount
        )

    def describe_payment_method(self, *, token: str) -> CardDetails | None:
        parsed = _parse_token(token)
        return parsed[1] if parsed else None
