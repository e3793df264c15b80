"""Conversations, their messages, and what a shop sets up for its inbox and its bot.

A conversation joins one shop and one customer on one channel, and there is only one per
(shop, channel, external id): a customer who writes again continues the same thread, which is
reopened when it was resolved. ``external_id`` names the customer on the channel: ``user:<id>``
or ``guest:<token>`` on the web chat, the PSID, IGSID, phone number or chat id elsewhere.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plaza.accounts.models import Shop
from plaza.core.models import TimeStampedModel

MESSAGE_MAX_LENGTH = 4000
# An approved WhatsApp template's variable values: how many, and how long each.
TEMPLATE_VALUES_MAX = 20
TEMPLATE_VALUE_MAX_LENGTH = 1024
TEMPLATE_HEADER_MAX_LENGTH = 60  # a text header, its value included
TEMPLATE_BUTTON_VALUE_MAX_LENGTH = 2000  # the end of a URL button's address


class Channel(models.TextChoices):
    WEB = "web", _("Web chat")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")


class ConversationStatus(models.TextChoices):
    # The bot is handling it, or it waits for the customer: nobody needs to act.
    PENDING = "pending", _("Pending")
    # A person is needed (handed off, or the bot is off).
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Label(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="inbox_labels")
    name = models.CharField(_("name"), max_length=40)

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "name"], name="messaging_label_unique_name")
        ]

    def __str__(self):
        return self.name


class Conversation(TimeStampedModel):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="conversations")
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    external_id = models.CharField(_("customer on the channel"), max_length=120)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conversations",
    )
    name = models.CharField(_("customer name"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConversationStatus.choices,
        default=ConversationStatus.PENDING,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations")
    # The bot answers unless it is off for the shop or for this conversation, or staff took over.
    bot_enabled = models.BooleanField(_("bot on"), default=True)
    handed_off_at = models.DateTimeField(_("handed to a person at"), null=True, blank=True)
    bot_state = models.JSONField(default=dict, blank=True)
    # Time-keeping for the inbox and the SLA.
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    # Since when a person has been needed and nobody answered; None when nobody waits.
    waiting_since = models.DateTimeField(null=True, blank=True)
    needs_person_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_preview = models.CharField(max_length=120, blank=True)
    unread_by_staff = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "channel", "external_id"], name="messaging_one_thread_per_customer"
            )
        ]
        indexes = [
            models.Index(fields=["shop", "status", "last_message_at"]),
            models.Index(fields=["shop", "assignee", "status"]),
        ]

    def __str__(self):
        return f"{self.shop_id}/{self.channel}/{self.external_id}"

    @property
    def bot_active(self) -> bool:
        return self.bot_enabled and self.handed_off_at is None


class Direction(models.TextChoices):
    IN = "in", _("From the customer")
    OUT = "out", _("To the customer")
    INTERNAL = "internal", _("Private note")


class SenderKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    BOT = "bot", _("Bot")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """One message. ``payload`` carries what the text alone does not: quick replies
    (``{"quick_replies": [{"title", "payload"}]}``), a product card (``{"product": id}``), a
    payment link, the staff mentioned in a note (``{"mentions": [user ids]}``)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=10, choices=Direction.choices)
    sender_kind = models.CharField(max_length=10, choices=SenderKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("text"), blank=True, max_length=MESSAGE_MAX_LENGTH)
    payload = models.JSONField(default=dict, blank=True)
    attachment = models.ImageField(_("image"), upload_to="chat/%Y/%m/", blank=True)
    # A video, audio file or document a customer sent (plaza/messaging/files.py); what it is
    # (kind, name, type, size) is in ``payload["file"]``.
    file = models.FileField(_("file"), upload_to="chat/files/%Y/%m/", blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    # The provider's message id (Messenger mid, WhatsApp wamid ...): a redelivery is stored once.
    external_id = models.CharField(max_length=200, null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"],
                condition=Q(external_id__isnull=False),
                name="messaging_message_once_per_provider_id",
            )
        ]
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self):
        return f"{self.sender_kind}: {self.text[:40]}"


class InboxSettings(models.Model):
    """A shop's inbox and bot: targets, hours and words. Flows are data: the bot reads its
    greeting, away message, FAQ entries and keywords from here and from ``FaqEntry``."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="inbox_settings")
    bot_enabled = models.BooleanField(_("shopping bot on"), default=True)
    greeting = models.TextField(_("greeting"), blank=True, max_length=500)
    away_message = models.TextField(_("out of hours message"), blank=True, max_length=500)
    handoff_keywords = models.CharField(_("words that call a person"), max_length=300, blank=True)
    timezone = models.CharField(_("time zone"), max_length=60, default="UTC")
    # {"0": ["09:00", "18:00"], ...} Monday is "0"; a missing day is closed. Empty: always open.
    hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response target (minutes)"), default=15
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target (minutes)"), default=24 * 60
    )
    round_robin = models.BooleanField(_("assign new conversations in turn"), default=True)

    class Meta:
        verbose_name = _("inbox settings")
        verbose_name_plural = _("inbox settings")

    def __str__(self):
        return f"inbox of {self.shop_id}"


class AgentAvailability(models.Model):
    """Whether a staff member takes new conversations, and when they last got one (round robin
    gives the next one to the available agent who waited longest)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="inbox_agents")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_availability"
    )
    available = models.BooleanField(_("available"), default=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="messaging_agent_once_per_shop")
        ]

    def __str__(self):
        return f"{self.user_id} in {self.shop_id}"


class CannedReply(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="canned_replies")
    shortcode = models.SlugField(_("shortcode"), max_length=30)
    text = models.TextField(_("reply"), max_length=2000)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["shortcode"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "shortcode"], name="messaging_canned_unique_shortcode"
            )
        ]

    def __str__(self):
        return f"/{self.shortcode}"


class FaqEntry(models.Model):
    """A question the bot answers: when a message shares enough words with ``keywords`` (or the
    question), the bot replies with ``answer``."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="faq_entries")
    question = models.CharField(_("question"), max_length=200)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    answer = models.TextField(_("answer"), max_length=1000)

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["id"]

    def __str__(self):
        return self.question


class PostKeyword(models.Model):
    """Comment-to-DM: a comment on ``post`` that contains one of ``keywords`` opens a
    conversation with the commenter and offers the post's product."""

    post = models.OneToOneField("social.Post", on_delete=models.CASCADE, related_name="dm_keywords")
    keywords = models.CharField(_("keywords"), max_length=200)
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("comment keyword")
        verbose_name_plural = _("comment keywords")

    def __str__(self):
        return f"{self.post_id}: {self.keywords}"

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in (w.strip().lower() for w in self.keywords.split(",")) if k]


class KeywordReply(models.Model):
    """The one bot message a commenter got for a post: the unique constraint makes it once,
    however often and however concurrently they comment."""

    post = models.ForeignKey("social.Post", on_delete=models.CASCADE, related_name="+")
    # Who commented: ``user:<id>`` on Plaza's feed, the network's user id on Facebook/Instagram.
    contact_key = models.CharField(max_length=120)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="keyword_replies"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "contact_key"], name="messaging_one_keyword_reply"
            )
        ]

    def __str__(self):
        return f"{self.post_id} -> {self.contact_key}"
