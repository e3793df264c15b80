from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutConfig(AppConfig):
    name = "plaza.checkout"
    label = "checkout"
    verbose_name = _("Checkout")

    def ready(self) -> None:
        register_personal_data()
        register_live_stock()


def register_personal_data() -> None:
    """Invariant 6: a checkout holds where to ship and whom to tell."""
    from plaza.core.personal_data import Erasure, register

    register(
        "checkout.Checkout",
        fields=["address", "email", "attribution"],
        user_lookup="buyer",
        erasure=Erasure.DELETE,
    )


def register_live_stock() -> None:
    """Open pages hear stock changes: see plaza/checkout/live.py."""
    from plaza.checkout.live import stock_changed_broadcast
    from plaza.core import events

    events.subscribe("stock.changed", stock_changed_broadcast)
