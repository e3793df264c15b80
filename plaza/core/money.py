"""Money: integer minor units plus an ISO-4217 code. Never floats.

Formatting and parsing follow the currency's own number of decimals (JPY 0, EUR 2, ...)
as Babel knows them, and the active locale's conventions.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import to_locale

from plaza.core.exceptions import ValidationError

_CURRENCIES = frozenset(list_currencies())


def currency_is_valid(code: str) -> bool:
    return code in _CURRENCIES


def currency_exponent(currency: str) -> int:
    return get_currency_precision(currency)


def babel_locale(language: str | None = None) -> Locale:
    """The Babel locale for a Django language code (the active one by default)."""
    code = to_locale(language or translation.get_language() or "en")
    if code.startswith("tl"):
        code = "fil"
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError("Money.amount must be an int of minor units")
        if not currency_is_valid(self.currency):
            raise ValueError(f"Unknown currency {self.currency!r}")

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> "Money":
        if not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an int")
        return Money(self.amount * factor, self.currency)

    def _same_currency(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"Cannot combine {self.currency} and {other.currency}")

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-currency_exponent(self.currency))

    def format(self, language: str | None = None) -> str:
        return format_money(self.amount, self.currency, language)

    def __str__(self) -> str:
        return f"{self.decimal:.{currency_exponent(self.currency)}f} {self.currency}"


def format_money(amount: int, currency: str, language: str | None = None) -> str:
    """Format minor units for people, in the given (or active) language: "₱1,250.00", "12,50 €"."""
    language = language or translation.get_language() or "en"
    if isinstance(amount, int):
        return _formatted(amount, currency, language)
    return _formatted.__wrapped__(amount, currency, language)


@lru_cache(maxsize=8192)
def _formatted(amount, currency: str, language: str) -> str:
    # Kept: a page or a chat answer formats the same few prices again and again, and Babel
    # takes some 30 µs each time.
    value = Decimal(amount).scaleb(-currency_exponent(currency))
    return format_currency(value, currency, locale=babel_locale(language))


def parse_amount(text: str, currency: str) -> int:
    """Turn "12.50" into 1250 minor units for the currency, or raise a translated ValidationError.

    Accepts a plain decimal with "." as the separator; refuses negatives, more decimals than the
    currency has, and anything that is not a number.
    """
    raw = str(text or "").strip().replace(" ", "")
    # "1,250.00" -> "1250.00"; "12,50" -> "12.50"
    raw = raw.replace(",", "") if "." in raw else raw.replace(",", ".")
    exponent = currency_exponent(currency)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(_("Enter a price as a number, for example 12.50.")) from None
    if not value.is_finite():
        raise ValidationError(_("Enter a price as a number, for example 12.50."))
    if value < 0:
        raise ValidationError(_("A price cannot be negative."))
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValidationError(
            _("%(currency)s prices have at most %(digits)s decimal places.")
            % {"currency": currency, "digits": exponent}
        )
    if minor > MAX_AMOUNT:
        raise ValidationError(_("That price is too large."))
    return int(minor)


def minor_to_decimal_str(amount: int, currency: str) -> str:
    """1250, "EUR" -> "12.50" (for form fields and feeds)."""
    exponent = currency_exponent(currency)
    return f"{Decimal(amount).scaleb(-exponent):.{exponent}f}"


# Largest amount Plaza stores (fits a signed 64-bit column with room for sums).
MAX_AMOUNT = 10**13
