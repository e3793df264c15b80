"""Card tokenisation for the test gateway, the test card list, and saved cards."""

import logging
from datetime import date

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from plaza import payments
from plaza.accounts.tests.factories import UserFactory
from plaza.core import personal_data
from plaza.core.exceptions import NotFound, ValidationError
from plaza.payments.gateways.registry import GatewayRegistry
from plaza.payments.gateways.testing import TestGateway, luhn_is_valid, tokenize_card
from plaza.payments.models import PaymentMethod
from plaza.payments.selectors import (
    access_payment_method,
    payment_method_list,
    test_card_list,
)
from plaza.payments.services import (
    card_tokenize,
    payment_authorize,
    payment_capture,
    payment_confirm,
    payment_method_delete,
    payment_method_save,
    payment_refund,
)
from plaza.payments.tests.factories import VISA, card_token

TODAY = date(2026, 5, 14)


def _tokenize(**changes):
    arguments = {
        "number": VISA,
        "exp_month": 12,
        "exp_year": 2030,
        "cvc": "123",
        "today": TODAY,
        **changes,
    }
    return tokenize_card(**arguments)


# --- the test cards ----------------------------------------------------------------------------


def test_every_test_card_passes_the_luhn_check_and_is_documented():
    documented = payments.__doc__
    for card in test_card_list():
        assert luhn_is_valid(card.number.replace(" ", "")), card.number
        assert card.number in documented, f"{card.number} is missing from the package docstring"
        assert card.description


def test_the_documented_cards_include_the_four_the_checkout_help_promises():
    behaviours = {card.number: card.behaviour for card in test_card_list()}
    assert behaviours["4242 4242 4242 4242"] == "ok"
    assert behaviours["4000 0000 0000 0002"] == "declined"
    assert behaviours["4000 0000 0000 9995"] == "insufficient"
    assert behaviours["4000 0025 0000 3155"] == "3ds"


def test_the_test_card_list_is_empty_where_the_test_gateway_is_off(settings):
    settings.PAYMENTS_PROVIDERS = ["stripe"]
    assert test_card_list() == []


# --- tokenisation ------------------------------------------------------------------------------


def test_tokenize_card_keeps_only_behaviour_brand_last4_and_expiry():
    # when
    token = _tokenize(number="4242-4242-4242-4242", exp_month="7", exp_year="31")
    # then
    assert token.startswith("tok_test_ok_visa_4242_0731_")
    assert "424242" not in token
    assert TestGateway().describe_payment_method(token=token).exp_year == 2031


def test_two_tokens_of_one_card_differ():
    assert _tokenize() != _tokenize()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"number": "4242 4242 4242 4241"}, "number", "not valid. Check it"),
        ({"number": "4242 abcd 4242 4242"}, "number", "as printed on the card"),
        ({"number": "4242"}, "number", "as printed on the card"),
        ({"number": ""}, "number", "as printed on the card"),
        ({"number": "4111 1111 1111 1111"}, "number", "test payments only"),
        ({"exp_month": 13}, "exp_month", "from 1 to 12"),
        ({"exp_month": "ab"}, "exp_month", "from 1 to 12"),
        ({"exp_year": "abc"}, "exp_year", "for example 2030"),
        ({"exp_year": 2026, "exp_month": 4}, "exp_year", "has expired"),
        ({"exp_year": 25}, "exp_year", "has expired"),
        ({"cvc": "12"}, "cvc", "security code"),
        ({"cvc": "12a"}, "cvc", "security code"),
    ],
)
def test_tokenize_card_refuses_bad_cards_with_a_clear_message(changes, field, message):
    with pytest.raises(ValidationError, match=message) as caught:
        _tokenize(**changes)
    assert caught.value.field == field


def test_a_card_expiring_this_month_is_still_good():
    assert _tokenize(exp_year=2026, exp_month=5)


def test_card_tokenize_is_refused_where_the_test_gateway_is_off(settings):
    settings.PAYMENTS_PROVIDERS = ["stripe"]
    with pytest.raises(ValidationError, match="not available"):
        card_tokenize(number=VISA, exp_month=12, exp_year=2099, cvc="123")


@pytest.mark.django_db
def test_the_card_number_is_never_stored_nor_logged(caplog, shopper):
    # given
    caplog.set_level(logging.DEBUG)
    number = "4000002500003155"
    token = card_tokenize(number="4000 0025 0000 3155", exp_month=12, exp_year=2099, cvc="737")
    # when the card is saved and used through a whole payment
    method = payment_method_save(user=shopper, token=token)
    payment = payment_authorize(
        provider="test",
        amount=2_000,
        currency="EUR",
        payment_method_token=method.token,
        idempotency_key="never-stored",
    )
    payment = payment_confirm(payment=payment, confirmation_token=payment.next_action["token"])
    payment_refund(payment=payment_capture(payment=payment), amount=500)
    # then no column of any row of any model holds the number, grouped or not
    for model in apps.get_models():
        for row in model.objects.values_list():
            text = " | ".join(str(value) for value in row)
            assert number not in text, f"{model._meta.label} holds the card number"
            assert "4000 0025 0000" not in text, f"{model._meta.label} holds the card number"
    assert PaymentMethod.objects.get().last4 == "3155"
    assert number not in caplog.text and "4000 0025 0000" not in caplog.text


# --- the registry ------------------------------------------------------------------------------


def test_the_registry_holds_the_test_and_stripe_gateways_which_speak_the_protocol(settings):
    from plaza.payments.gateways.base import Gateway
    from plaza.payments.gateways.registry import registry

    settings.PAYMENTS_PROVIDERS = ["stripe", "test"]
    assert registry.names() == ["stripe", "test"]
    assert all(isinstance(registry.get(name), Gateway) for name in registry.names())


def test_the_registry_refuses_a_gateway_this_installation_does_not_use(settings):
    from plaza.payments.gateways.registry import registry

    settings.PAYMENTS_PROVIDERS = ["test"]
    with pytest.raises(ValidationError, match="not available"):
        registry.get("stripe")


def test_the_registry_refuses_two_gateways_under_one_name():
    from django.core.exceptions import ImproperlyConfigured

    registry = GatewayRegistry()
    registry.register(TestGateway())
    registry.register(TestGateway())  # the same class again: ready() running twice

    class Impostor:
        name = "test"

    with pytest.raises(ImproperlyConfigured, match="test"):
        registry.register(Impostor())


# --- saved cards -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_first_saved_card_becomes_the_default_and_a_later_one_can_take_over(shopper):
    # given
    first = payment_method_save(user=shopper, token=card_token())
    # when
    second = payment_method_save(
        user=shopper, token=card_token("5555 5555 5555 4444"), make_default=True
    )
    # then
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    assert [str(m) for m in payment_method_list(user=shopper)] == [
        "Mastercard •••• 4444",
        "Visa •••• 4242",
    ]


@pytest.mark.django_db
def test_saving_the_same_token_twice_keeps_one_card(shopper):
    token = card_token()
    assert payment_method_save(user=shopper, token=token) == payment_method_save(
        user=shopper, token=token
    )
    assert PaymentMethod.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("tok_test_ok_visa_4242_0120_abcdefabcdef", "has expired"),
        ("tok_something_else", "cannot be saved"),
        ("", "Choose a card"),
    ],
)
def test_payment_method_save_refuses_expired_or_unknown_tokens(shopper, token, message):
    with pytest.raises(ValidationError, match=message):
        payment_method_save(user=shopper, token=token)
    assert not PaymentMethod.objects.exists()


@pytest.mark.django_db
def test_deleting_the_default_card_makes_the_newest_other_card_default(shopper):
    older = payment_method_save(user=shopper, token=card_token())
    newer = payment_method_save(user=shopper, token=card_token("5555 5555 5555 4444"))
    default = payment_method_save(user=shopper, token=card_token(), make_default=True)
    payment_method_delete(payment_method=default)
    assert list(payment_method_list(user=shopper).values_list("pk", "is_default")) == [
        (newer.pk, True),
        (older.pk, False),
    ]


@pytest.mark.django_db
def test_another_users_card_is_not_found(shopper):
    method = payment_method_save(user=shopper, token=card_token())
    stranger = UserFactory()
    with pytest.raises(NotFound, match="does not exist"):
        access_payment_method(user=stranger, payment_method_id=method.pk)
    with pytest.raises(NotFound, match="does not exist"):
        access_payment_method(user=shopper, payment_method_id="x")
    assert access_payment_method(user=shopper, payment_method_id=method.pk) == method


@pytest.mark.django_db
def test_the_database_keeps_one_default_card_per_user(shopper):
    payment_method_save(user=shopper, token=card_token())
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentMethod.objects.create(
            user=shopper,
            provider="test",
            token="tok_other",
            brand="visa",
            last4="4242",
            exp_month=1,
            exp_year=2030,
            is_default=True,
        )


@pytest.mark.django_db
def test_a_user_saves_at_most_ten_cards(shopper):
    for _ in range(10):
        payment_method_save(user=shopper, token=card_token())
    with pytest.raises(ValidationError, match="up to 10 cards"):
        payment_method_save(user=shopper, token=card_token())


def test_saved_cards_are_registered_as_personal_data():
    entry = personal_data.registry.get("payments.PaymentMethod")
    assert {"brand", "last4", "exp_month", "exp_year"} <= set(entry.fields)
    assert "token" not in entry.fields, "the provider token is never exported"
    assert entry.user_lookup == "user"
    assert entry.erasure == personal_data.Erasure.DELETE
