import pytest
from django.utils import translation

from plaza.core.exceptions import ValidationError
from plaza.core.money import Money, format_money, parse_amount


def test_format_money_follows_the_locale_and_the_currencys_decimals():
    assert format_money(125000, "PHP", "en") == "₱1,250.00"
    assert format_money(1250, "EUR", "fr") == "12,50\xa0€"
    assert format_money(1200, "JPY", "ja") == "￥1,200"


def test_format_money_uses_the_active_language():
    with translation.override("fr"):
        assert format_money(199900, "EUR") == "1\u202f999,00\xa0€"


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12,5", "EUR", 1250),
        ("1,250.00", "PHP", 125000),
        ("980", "JPY", 980),
    ],
)
def test_parse_amount_reads_decimal_text_into_minor_units(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "message"),
    [("-1", "negative"), ("abc", "number"), ("1.234", "decimal"), ("nan", "number")],
)
def test_parse_amount_refuses_bad_input_with_a_clear_message(text, message):
    with pytest.raises(ValidationError, match=message):
        parse_amount(text, "EUR")


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(12.5, "EUR")
    with pytest.raises(ValueError, match="combine"):
        Money(1, "EUR") + Money(1, "USD")
