from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "plaza.connectors"
    label = "connectors"
    verbose_name = _("Connectors")

    def ready(self) -> None:
        from plaza.connectors import services
        from plaza.core import events

        events.subscribe("message.created", services.on_message_created)
