"""The gateways Plaza knows, by name. Built once in ``PaymentsConfig.ready()`` from explicit
classes (no dotted paths read from settings); ``settings.PAYMENTS_PROVIDERS`` says which of them
this installation may charge through, read at call time."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from plaza.core.exceptions import ValidationError
from plaza.payments.gateways.base import Gateway


class GatewayRegistry:
    def __init__(self) -> None:
        self._gateways: dict[str, Gateway] = {}

    def register(self, gateway: Gateway) -> None:
        """Add a gateway under its ``name``. Registering the same class again is harmless."""
        existing = self._gateways.get(gateway.name)
        if existing is not None and type(existing) is not type(gateway):
            raise ImproperlyConfigured(f"A payment gateway named {gateway.name!r} is registered")
        self._gateways[gateway.name] = gateway

    def get(self, name: str) -> Gateway:
        """The enabled gateway called ``name``, or a translated ValidationError."""
        gateway = self._gateways.get(name)
        if gateway is None or name not in enabled_providers():
            raise ValidationError(
                _("This payment method is not available."), field="provider", code="provider"
            )
        return gateway

    def names(self) -> list[str]:
        return sorted(self._gateways)

    def __contains__(self, name: str) -> bool:
        return name in self._gateways


def enabled_providers() -> list[str]:
    """The providers this installation may charge through, the default first."""
    return list(settings.PAYMENTS_PROVIDERS)


registry = GatewayRegistry()
get_gateway = registry.get
