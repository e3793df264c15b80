from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "plaza.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        register_gateways()
        register_personal_data()


def register_gateways() -> None:
    """The gateways Plaza can speak, as explicit classes. ``settings.PAYMENTS_PROVIDERS`` says
    which of them an installation uses."""
    from plaza.payments.gateways.registry import registry
    from plaza.payments.gateways.stripe import StripeGateway
    from plaza.payments.gateways.testing import TestGateway

    registry.register(TestGateway())
    registry.register(StripeGateway())


def register_personal_data() -> None:
    """Invariant 6: a saved card tells who holds which card. Payments themselves name no person
    (orders link them to one)."""
    from plaza.core.personal_data import Erasure, register

    register(
        "payments.PaymentMethod",
        fields=["provider", "brand", "last4", "exp_month", "exp_year", "is_default", "created_at"],
        user_lookup="user",
        erasure=Erasure.DELETE,
        note="`token` (the provider's reference to the card) is deleted with the row, never "
        "exported. Plaza never holds the card number or the security code.",
    )
