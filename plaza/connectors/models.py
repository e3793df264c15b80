"""A shop's connections to messaging networks, the events the networks deliver (stored once,
keyed by the network's id), and the private replies to comments waiting for their turn."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plaza.accounts.models import Shop
from plaza.catalog.models import Product
from plaza.core.models import TimeStampedModel
from plaza.messaging.models import Channel, Conversation, Message

NETWORK_CHANNELS = [
    (Channel.MESSENGER.value, Channel.MESSENGER.label),
    (Channel.INSTAGRAM.value, Channel.INSTAGRAM.label),
    (Channel.WHATSAPP.value, Channel.WHATSAPP.label),
    (Channel.TELEGRAM.value, Channel.TELEGRAM.label),
]


class ChannelConnection(TimeStampedModel):
    """A shop's account on a network. ``account_id`` is what the network's webhooks name: the
    Facebook Page id, the Instagram professional account id, the WhatsApp phone number id, or
    the Telegram bot's id. The credentials (tokens, app secret, verify token, bot token, secret
    token) are one encrypted JSON document: see ``plaza.connectors.secrets``."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="channel_connections")
    channel = models.CharField(_("network"), max_length=12, choices=NETWORK_CHANNELS)
    account_id = models.CharField(_("account ID"), max_length=64)
    name = models.CharField(_("account name"), max_length=120, blank=True)
    credentials_encrypted = models.TextField(blank=True)
    is_active = models.BooleanField(_("connected"), default=True)
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_message = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("channel connection")
        verbose_name_plural = _("channel connections")
        ordering = ["channel", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "account_id"], name="connectors_one_connection_per_account"
            )
        ]

    def __str__(self):
        return f"{self.channel} {self.account_id}"


class InboundEvent(models.Model):
    """One event a network delivered (a message, a comment, a delivery status ...). The unique
    (channel, event id) makes a redelivery a no-op: its effect happens once."""

    channel = models.CharField(max_length=12, choices=NETWORK_CHANNELS)
    event_id = models.CharField(max_length=200)
    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.CASCADE, related_name="inbound_events"
    )
    kind = models.CharField(max_length=30)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "event_id"], name="connectors_event_once")
        ]
        indexes = [models.Index(fields=["processed_at", "received_at"])]

    def __str__(self):
        return f"{self.channel}:{self.event_id}"


class CommentTrigger(models.Model):
    """Comment-to-DM on a network: a comment on ``post_id`` (any post when blank) that holds one
    of ``keywords`` gets one private reply offering ``product``."""

    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.CASCADE, related_name="comment_triggers"
    )
    post_id = models.CharField(_("post id on the network"), max_length=120, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("comment trigger")
        verbose_name_plural = _("comment triggers")

    def __str__(self):
        return f"{self.connection_id} {self.post_id or '*'}: {self.keywords}"

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in (w.strip() for w in self.keywords.split(",")) if k]


class PrivateReplyStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Too late (over 7 days)")


class PrivateReply(models.Model):
    """The one private reply a comment may get (Messenger and Instagram rules: one per comment,
    within 7 days of it, at most 750 an hour per account)."""

    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.CASCADE, related_name="private_replies"
    )
    comment_id = models.CharField(max_length=200)
    post_id = models.CharField(max_length=120, blank=True)
    commenter_id = models.CharField(max_length=120)
    commented_at = models.DateTimeField()
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=PrivateReplyStatus.choices, default=PrivateReplyStatus.QUEUED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "comment_id"], name="connectors_one_reply_per_comment"
            ),
            # Comment-to-DM answers a person once per post, however often they comment.
            models.UniqueConstraint(
                fields=["connection", "post_id", "commenter_id"],
                name="connectors_one_reply_per_post_and_person",
            ),
        ]
        indexes = [
            models.Index(
                fields=["connection", "sent_at"],
                condition=Q(status="sent"),
                name="connectors_sent_replies",
            )
        ]

    def __str__(self):
        return f"{self.comment_id} -> {self.status}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ConversationRoute(models.Model):
    """The account a conversation's replies leave through: the one the customer last wrote to.
    A shop may connect several Pages, numbers or bots of one network, and a Page-scoped id, a
    chat with a bot, is only reachable through the account it came from."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="route"
    )
    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.CASCADE, related_name="routes"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.conversation_id} via {self.connection_id}"


class OutboundDelivery(models.Model):
    """A message on its way to a network: tried at once, then again with backoff
    (``next_attempt_at``) until it is sent or MAX_ATTEMPTS tries failed. The sweep
    (``deliveries_retry_due``) sends what is due, so a retry never depends on a broker."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="delivery")
    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=300, blank=True)
    # A private reply to a comment goes to the comment, not to a person.
    comment_id = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.message_id}: {self.status}"
