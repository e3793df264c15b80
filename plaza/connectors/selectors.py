"""Reads of the connectors for the back office: a shop's connections with what staff may see of
their credentials (the last four characters of each secret), their webhook URL, and their comment
triggers; the products a comment trigger may offer."""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from plaza.accounts.models import Shop
from plaza.catalog.models import Product, ProductStatus
from plaza.connectors import telegram
from plaza.connectors.models import ChannelConnection, CommentTrigger
from plaza.connectors.secrets import secret_hint
from plaza.connectors.services import (
    CREDENTIALS,
    OPTIONAL_CREDENTIALS,
    connection_credentials,
)
from plaza.core.exceptions import NotFound
from plaza.messaging.models import Channel

# The webhook fields to subscribe to at Meta, per network (Telegram: the updates to ask for).
WEBHOOK_FIELDS = {
    Channel.MESSENGER: ("messages", "messaging_postbacks", "message_echoes", "feed"),
    Channel.INSTAGRAM: ("messages", "comments"),
    Channel.WHATSAPP: ("messages",),
    Channel.TELEGRAM: ("message", "callback_query", "pre_checkout_query"),
}
# Networks whose comments can trigger a private reply.
COMMENT_CHANNELS = (Channel.MESSENGER, Channel.INSTAGRAM)


@dataclass(frozen=True)
class ConnectionRow:
    """One connection as the channels page shows it."""

    connection: ChannelConnection
    webhook_url: str
    hints: dict[str, str] = field(default_factory=dict)
    triggers: list[CommentTrigger] = field(default_factory=list)

    @property
    def channel(self) -> str:
        return self.connection.channel

    @property
    def takes_comments(self) -> bool:
        return self.connection.channel in COMMENT_CHANNELS

    @property
    def set_webhook_command(self) -> str:
        if self.connection.channel != Channel.TELEGRAM:
            return ""
        return telegram_set_webhook_command(webhook_url=self.webhook_url)


def connection_webhook_url(connection: ChannelConnection) -> str:
    """The address the network posts this connection's events to (one per connection)."""
    name = (
        "connectors:telegram-webhook"
        if connection.channel == Channel.TELEGRAM
        else "connectors:meta-webhook"
    )
    return settings.SITE_URL + reverse(name, kwargs={"uid": connection.uid})


def connection_rows_for_shop(*, shop: Shop) -> list[ConnectionRow]:
    """Every connection of the shop (connected or not), by network, with its comment triggers and
    their products: two queries whatever the number of connections."""
    connections = (
        ChannelConnection.objects.filter(shop=shop)
        .prefetch_related(
            Prefetch(
                "comment_triggers",
                queryset=CommentTrigger.objects.select_related("product").order_by("pk"),
            )
        )
        .order_by("channel", "-is_active", "pk")
    )
    return [
        ConnectionRow(
            connection=connection,
            webhook_url=connection_webhook_url(connection),
            hints=connection_secret_hints(connection),
            triggers=list(connection.comment_triggers.all()),
        )
        for connection in connections
    ]


def connection_secret_hints(connection: ChannelConnection) -> dict[str, str]:
    """What staff see of each stored secret: its last four characters ("" when not stored)."""
    stored = connection_credentials(connection)
    names = CREDENTIALS[connection.channel] + OPTIONAL_CREDENTIALS.get(connection.channel, ())
    return {key: secret_hint(stored.get(key, "")) for key in names}


def telegram_set_webhook_command(*, webhook_url: str) -> str:
    """The curl command that points a bot's updates at Plaza, with placeholders for the bot
    token and the secret token (never filled in: staff type them)."""
    base = telegram.api_base()
    body = json.dumps(
        {
            "url": webhook_url,
            "secret_token": "<SECRET_TOKEN>",
            "allowed_updates": list(WEBHOOK_FIELDS[Channel.TELEGRAM]),
        }
    )
    return (
        f'curl -X POST "{base}/bot<BOT_TOKEN>/setWebhook" '
        f"-H 'Content-Type: application/json' -d '{body}'"
    )


def access_shop_connection(*, shop: Shop, connection_id: int) -> ChannelConnection:
    """The shop's connection, or NotFound: the same for a missing one and another shop's."""
    connection = ChannelConnection.objects.filter(shop=shop, pk=connection_id).first()
    if connection is None:
        raise NotFound(_("This connection does not exist."))
    return connection


def trigger_product_choices(*, shop: Shop) -> list[tuple[int, str]]:
    """The shop's products a comment trigger may offer (the active ones), by title."""
    return list(
        Product.objects.filter(shop=shop, status=ProductStatus.ACTIVE)
        .order_by("title", "pk")
        .values_list("pk", "title")
    )
