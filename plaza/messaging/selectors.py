"""Every read of the messaging layer: the inbox's lists and counts, one conversation for staff
(``access_shop_conversation``: the same NotFound for missing and for another shop's) or for its
customer, the side panel, the messaging window, the SLA and the shop's hours."""

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from plaza.accounts.models import Membership, Shop, User
from plaza.catalog.selectors import access_shop_product, product_text
from plaza.core.cache import near_get, near_set
from plaza.core.exceptions import NotFound
from plaza.core.money import format_money
from plaza.messaging.models import (
    AgentAvailability,
    CannedReply,
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    FaqEntry,
    InboxSettings,
    Label,
    Message,
    PostKeyword,
)

# Channels whose network limits when a shop may write (see the channels spec, section 3 and 4).
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
WINDOWED_CHANNELS = {Channel.MESSENGER, Channel.INSTAGRAM, Channel.WHATSAPP}
# Share of the SLA target after which an unanswered conversation counts as at risk.
AT_RISK_SHARE = 0.75
INBOX_SETTINGS_SECONDS = 300
INBOX_FILTERS = ("open", "pending", "resolved", "mine", "unassigned", "all")
_MENTION = re.compile(r"(?<![\w@])@([a-z0-9_.]{2,30})", re.IGNORECASE)


def inbox_settings_key(shop_id: int) -> str:
    return f"messaging:inbox-settings:{shop_id}"


def inbox_settings_get(*, shop: Shop) -> InboxSettings:
    """The shop's inbox settings, created with the defaults on first use. Every message reads
    them, so they are kept in the cache (Redis when scaled) until they change, and for a
    moment in the process's memory (``near_get``): read them, never change them."""
    key = inbox_settings_key(shop.pk)
    found = near_get(key)
    if found is not None:
        return found
    found = InboxSettings.objects.filter(shop=shop).first()
    if found is None:
        found, _created = InboxSettings.objects.get_or_create(shop=shop)
    # Cached once the row is committed: a transaction that rolls back must not leave it there.
    transaction.on_commit(lambda: near_set(key, found, timeout=INBOX_SETTINGS_SECONDS), robust=True)
    return found


# --- messaging window ----------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Whether the shop may write now, until when, and with which message tag."""

    is_open: bool
    closes_at: datetime | None = None
    tag: str = ""
    reason: str = ""

    def seconds_left(self, now: datetime | None = None) -> int | None:
        if self.closes_at is None:
            return None
        return max(0, int((self.closes_at - (now or timezone.now())).total_seconds()))


def messaging_window(
    *, conversation: Conversation, now: datetime | None = None, human: bool = True
) -> Window:
    """The channel's messaging window. Web chat and Telegram have none. Messenger, Instagram
    and WhatsApp allow standard messages within 24 hours of the customer's last message;
    after that Messenger and Instagram let a person (not the bot) answer for 7 days with the
    ``HUMAN_AGENT`` tag, and WhatsApp takes only approved templates."""
    if conversation.channel not in WINDOWED_CHANNELS:
        return Window(is_open=True)
    now = now or timezone.now()
    last = conversation.last_customer_message_at
    if last is None:
        return Window(
            is_open=False,
            reason=_(
                "The customer has not written yet: the network lets a shop reply only to someone who wrote first."
            ),
        )
    if now < last + STANDARD_WINDOW:
        return Window(is_open=True, closes_at=last + STANDARD_WINDOW)
    if conversation.channel == Channel.WHATSAPP:
        return Window(
            is_open=False,
            reason=_(
                "More than 24 hours since the customer's last message: WhatsApp accepts only "
                "an approved template now."
            ),
        )
    if human and now < last + HUMAN_AGENT_WINDOW:
        return Window(is_open=True, closes_at=last + HUMAN_AGENT_WINDOW, tag="HUMAN_AGENT")
    if human:
        reason = _(
            "More than 7 days since the customer's last message: the network lets no message "
            "through until they write again."
        )
    else:
        reason = _(
            "More than 24 hours since the customer's last message: only a person may answer now."
        )
    return Window(is_open=False, reason=reason)


# --- SLA and hours -------------------------------------------------------------------


@dataclass(frozen=True)
class Sla:
    first_response_seconds: int | None  # measured: needs a person -> staff's first answer
    resolution_seconds: int | None  # measured: needs a person -> resolved
    first_response_due: datetime | None  # while nobody answered yet
    resolution_due: datetime | None  # while not resolved
    breached: bool
    at_risk: bool


def conversation_sla(
    *, conversation: Conversation, settings: InboxSettings, now: datetime | None = None
) -> Sla:
    """First-response and resolution times of a conversation that needed a person, against the
    shop's targets. A conversation the bot handles alone has no SLA."""
    now = now or timezone.now()
    start = conversation.needs_person_at
    if start is None:
        return Sla(None, None, None, None, False, False)
    first_target = timedelta(minutes=settings.first_response_minutes)
    resolve_target = timedelta(minutes=settings.resolution_minutes)
    first = conversation.first_response_at
    resolved = conversation.resolved_at
    first_s = int((first - start).total_seconds()) if first else None
    resolve_s = int((resolved - start).total_seconds()) if resolved else None
    first_due = None if first else start + first_target
    resolve_due = None if resolved else start + resolve_target
    breached = (first_s is not None and first_s > first_target.total_seconds()) or (
        resolve_s is not None and resolve_s > resolve_target.total_seconds()
    )
    at_risk = False
    for due, target in ((first_due, first_target), (resolve_due, resolve_target)):
        if due is None:
            continue
        if now >= due:
            breached = True
        elif now >= due - target * (1 - AT_RISK_SHARE):
            at_risk = True
    return Sla(first_s, resolve_s, first_due, resolve_due, breached, at_risk and not breached)


def conversation_list_at_risk(*, shop: Shop, now: datetime | None = None) -> list[Conversation]:
    """Open conversations that are about to miss the shop's targets, or have missed them,
    the most urgent first."""
    now = now or timezone.now()
    settings = inbox_settings_get(shop=shop)
    first_target = timedelta(minutes=settings.first_response_minutes)
    resolve_target = timedelta(minutes=settings.resolution_minutes)
    risky_first = now - first_target * AT_RISK_SHARE
    risky_resolve = now - resolve_target * AT_RISK_SHARE
    rows = (
        _inbox_rows(shop)
        .filter(status=ConversationStatus.OPEN, needs_person_at__isnull=False)
        .filter(
            Q(first_response_at__isnull=True, needs_person_at__lte=risky_first)
            | Q(needs_person_at__lte=risky_resolve)
        )
        .order_by("needs_person_at", "pk")
    )
    return list(rows)


@dataclass(frozen=True)
class Hours:
    is_open: bool
    next_open: datetime | None  # in the shop's time zone


def shop_hours(*, settings: InboxSettings, now: datetime | None = None) -> Hours:
    """Whether people answer now, by the shop's opening hours (none set: always open), and
    when they answer next."""
    if not settings.hours:
        return Hours(True, None)
    try:
        tz = zoneinfo.ZoneInfo(settings.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    local = (now or timezone.now()).astimezone(tz)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        span = settings.hours.get(str(day.weekday()))
        if not span:
            continue
        start = datetime.combine(day, datetime.strptime(span[0], "%H:%M").time(), tzinfo=tz)
        end = datetime.combine(day, datetime.strptime(span[1], "%H:%M").time(), tzinfo=tz)
        if offset == 0 and start <= local < end:
            return Hours(True, None)
        if local < start:
            return Hours(False, start)
    return Hours(False, None)


# --- the inbox -----------------------------------------------------------------------


def _inbox_rows(shop: Shop) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(shop=shop)
        .select_related("assignee", "customer")
        .prefetch_related(Prefetch("labels", queryset=Label.objects.order_by("name")))
    )


def conversation_list_for_staff(
    *,
    shop: Shop,
    user: User,
    status: str = "open",
    channel: str = "",
    label: str = "",
    q: str = "",
) -> QuerySet[Conversation]:
    """The inbox's list: ``status`` is one of INBOX_FILTERS (``mine``: assigned to ``user``
    and not resolved; ``unassigned``: nobody's and not resolved). Three queries whatever the
    number of conversations (rows, labels)."""
    rows = _inbox_rows(shop)
    if status in ("open", "pending", "resolved"):
        rows = rows.filter(status=status)
    elif status == "mine":
        rows = rows.filter(assignee=user).exclude(status=ConversationStatus.RESOLVED)
    elif status == "unassigned":
        rows = rows.filter(assignee__isnull=True).exclude(status=ConversationStatus.RESOLVED)
    if channel in Channel.values:
        rows = rows.filter(channel=channel)
    if label:
        rows = rows.filter(labels__name=label)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(last_preview__icontains=q))
    return rows.order_by("-last_message_at", "-pk")


def inbox_counts(*, shop: Shop, user: User) -> dict[str, int]:
    """How many conversations each filter holds (one query)."""
    not_resolved = ~Q(status=ConversationStatus.RESOLVED)
    counts = Conversation.objects.filter(shop=shop).aggregate(
        open=Count("pk", filter=Q(status=ConversationStatus.OPEN)),
        pending=Count("pk", filter=Q(status=ConversationStatus.PENDING)),
        resolved=Count("pk", filter=Q(status=ConversationStatus.RESOLVED)),
        mine=Count("pk", filter=Q(assignee=user) & not_resolved),
        unassigned=Count("pk", filter=Q(assignee__isnull=True) & not_resolved),
        all=Count("pk"),
    )
    return counts


def access_shop_conversation(*, shop: Shop, conversation_id) -> Conversation:
    """One of the shop's conversations, or NotFound (the same for another shop's)."""
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        raise NotFound(_("This conversation does not exist.")) from None
    found = _inbox_rows(shop).filter(pk=conversation_id).first()
    if found is None:
        raise NotFound(_("This conversation does not exist."))
    return found


def message_list(
    *, conversation: Conversation, for_staff: bool, after_id: int | None = None, limit: int = 200
) -> list[Message]:
    """The latest ``limit`` messages, oldest first; customers never see private notes."""
    rows = Message.objects.filter(conversation=conversation).select_related("author")
    if not for_staff:
        rows = rows.exclude(direction=Direction.INTERNAL)
    if after_id:
        rows = rows.filter(pk__gt=after_id)
    latest = list(rows.order_by("-created_at", "-pk")[:limit])
    latest.reverse()
    return latest


def customer_conversation_get(*, shop: Shop, external_id: str) -> Conversation | None:
    return Conversation.objects.filter(
        shop=shop, channel=Channel.WEB, external_id=external_id
    ).first()


def customer_conversation_list(*, external_id: str) -> QuerySet[Conversation]:
    """Every web chat of this customer, across shops, newest first."""
    return (
        Conversation.objects.filter(channel=Channel.WEB, external_id=external_id)
        .select_related("shop")
        .order_by("-last_message_at", "-pk")
    )


def staff_mentioned(*, shop: Shop, text: str) -> list[User]:
    """The shop's staff named ``@handle`` in a note."""
    handles = {m.lower() for m in _MENTION.findall(text)}
    if not handles:
        return []
    members = Membership.objects.filter(shop=shop, user__handle__in=handles).select_related("user")
    return [m.user for m in members]


def canned_reply_list(*, shop: Shop) -> QuerySet[CannedReply]:
    return CannedReply.objects.filter(shop=shop).order_by("shortcode")


def faq_entry_list(*, shop: Shop) -> QuerySet[FaqEntry]:
    return FaqEntry.objects.filter(shop=shop).order_by("pk")


def label_list(*, shop: Shop) -> QuerySet[Label]:
    return Label.objects.filter(shop=shop).order_by("name")


def post_keywords_get(*, post) -> PostKeyword | None:
    return PostKeyword.objects.filter(post=post).first()


def product_card(*, shop: Shop, product_id, language: str | None = None, product=None) -> dict:
    """What a product card in a message shows: it is stored with the message, so the card stays
    as it was sent. ``product``, when the caller has it (with its images and translations
    prefetched), saves reading it again."""
    if product is None or product.shop_id != shop.pk:
        product = access_shop_product(shop=shop, product_id=product_id)
    text = product_text(product, language)
    images = sorted(product.images.all(), key=lambda i: (i.position, i.pk))
    image = images[0] if images else None
    price = format_money(product.price_min, shop.currency, language)
    if product.price_max != product.price_min:
        price = _("from %(price)s") % {"price": price}
    return {
        "id": product.pk,
        "title": text.title,
        "price": price,
        "url": reverse("storefront:product", kwargs={"shop_slug": shop.slug, "slug": product.slug}),
        "image": image.image.url if image is not None and image.image else "",
    }


@dataclass
class CustomerPanel:
    """The inbox's side panel: who the customer is, their orders here and their cart."""

    customer: User | None
    orders: list = field(default_factory=list)
    cart_lines: list = field(default_factory=list)


def customer_panel(*, conversation: Conversation) -> CustomerPanel:
    from plaza.checkout.selectors import cart_get
    from plaza.orders.selectors import order_list_for_buyer

    customer = conversation.customer
    if customer is None:
        return CustomerPanel(customer=None)
    orders = list(order_list_for_buyer(buyer=customer).filter(shop=conversation.shop)[:5])
    cart = cart_get(user=customer)
    lines = []
    if cart is not None:
        lines = list(
            cart.lines.filter(variant__shop=conversation.shop).select_related(
                "variant", "variant__product"
            )
        )
    return CustomerPanel(customer=customer, orders=orders, cart_lines=lines)


@dataclass(frozen=True)
class Agent:
    """A staff member of the shop and whether they take new conversations in turn."""

    membership: Membership
    available: bool


def agent_list(*, shop: Shop) -> list[Agent]:
    """The shop's staff and whether each is available for round robin (two queries). A member
    who never said so is not in the rotation, as ``_assign_round_robin`` reads it."""
    members = list(
        Membership.objects.filter(shop=shop).select_related("user").order_by("role", "user__email")
    )
    available = set(
        AgentAvailability.objects.filter(shop=shop, available=True).values_list(
            "user_id", flat=True
        )
    )
    return [Agent(membership=m, available=m.user_id in available) for m in members]


def post_keywords_for_posts(*, post_ids) -> dict[int, PostKeyword]:
    """The comment keywords of several posts by post id (one query)."""
    return {k.post_id: k for k in PostKeyword.objects.filter(post_id__in=list(post_ids))}
