from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "plaza.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        register_personal_data()
        subscribe_to_payments()


def subscribe_to_payments() -> None:
    from plaza.core import events
    from plaza.orders import services

    events.subscribe("payment.captured", services.on_payment_captured)
    events.subscribe("payment.failed", services.on_payment_failed)


def register_personal_data() -> None:
    """Invariant 6: an order names its buyer and where to ship."""
    from plaza.core.personal_data import Erasure, register

    register(
        "orders.Order",
        fields=[
            "full_name",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "phone",
            "email",
            "landing_url",
            "click_ids",
        ],
        user_lookup="buyer",
        email_lookup="email__iexact",
        erasure=Erasure.RETAIN,
        note="Orders are accounting records: kept for the legal period, then the address "
        "and contact fields are blanked.",
    )
