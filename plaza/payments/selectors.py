"""Reads of payments: saved cards, payments and their timeline, what the checkout may offer."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from plaza.accounts.models import User
from plaza.core.exceptions import NotFound
from plaza.payments.gateways.registry import enabled_providers
from plaza.payments.gateways.testing import TestCard
from plaza.payments.gateways.testing import test_card_list as _test_card_list
from plaza.payments.models import Payment, PaymentEvent, PaymentMethod


def payment_method_list(*, user: User) -> QuerySet[PaymentMethod]:
    """The user's saved cards, the default first."""
    if not user.is_authenticated:
        return PaymentMethod.objects.none()
    return PaymentMethod.objects.filter(user=user)


def access_payment_method(*, user: User, payment_method_id: int) -> PaymentMethod:
    """The user's saved card, or NotFound (the same for missing and not theirs)."""
    try:
        return PaymentMethod.objects.get(pk=payment_method_id, user_id=user.pk)
    except (PaymentMethod.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This card does not exist.")) from None


def payment_get(*, payment_id: int) -> Payment:
    try:
        return Payment.objects.get(pk=payment_id)
    except (Payment.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This payment does not exist.")) from None


def payment_event_list(*, payment: Payment) -> QuerySet[PaymentEvent]:
    """The payment's timeline, oldest first."""
    return PaymentEvent.objects.filter(payment=payment).order_by("created_at", "id")


def payment_provider_default() -> str:
    """The provider the checkout charges through ("test" in the embedded default)."""
    return enabled_providers()[0]


def test_card_list() -> list[TestCard]:
    """The test gateway's card numbers and what each does, for the checkout's help box; empty
    when this installation does not use the test gateway."""
    return _test_card_list() if "test" in enabled_providers() else []


test_card_list.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
