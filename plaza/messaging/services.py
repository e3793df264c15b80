"""Every write of the messaging layer: conversations and their messages, the inbox's work
(assignment, notes, labels, take over and hand back, resolve), the shop's inbox settings, and
comment-to-DM.

The bot (``plaza.messaging.bot``) answers a customer's message through ``customer_message_post``:
the message is stored and committed first, then the bot's replies, each in its own short
transaction. Events leave after commit: ``message.created`` (live updates; connectors deliver
outbound messages on their channel) and ``conversation.changed`` (the inbox's lists).

Time-keeping, for the SLA (see ``selectors.conversation_sla``):
- ``needs_person_at``: when the conversation last came to need a person (handed off by the bot,
  or a customer wrote while the bot is off);
- ``waiting_since``: since when the customer has waited for a person's answer (None once staff
  answered);
- ``first_response_at``: staff's first answer after ``needs_person_at``;
- ``resolved_at``: when staff resolved it.
"""

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from plaza.accounts.models import Membership, Shop, User
from plaza.core import events
from plaza.core.cache import near_forget
from plaza.core.exceptions import NotFound, ValidationError
from plaza.core.ratelimit import rate_limit_hit
from plaza.core.sql import (
    model_columns,
    row_insert_unless_taken,
    row_update,
    rows_insert_and_update,
    rows_read,
)
from plaza.core.text import plain_text
from plaza.messaging.exceptions import TooManyMessages, WindowClosed
from plaza.messaging.files import (  # noqa: F401  (the checks: for the channels' connectors too)
    CustomerFile,
    FileKind,
    customer_file_check,
    file_too_large,
    max_file_bytes,
)
from plaza.messaging.models import (
    MESSAGE_MAX_LENGTH,
    TEMPLATE_BUTTON_VALUE_MAX_LENGTH,
    TEMPLATE_HEADER_MAX_LENGTH,
    TEMPLATE_VALUE_MAX_LENGTH,
    TEMPLATE_VALUES_MAX,
    AgentAvailability,
    CannedReply,
    Channel,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    FaqEntry,
    InboxSettings,
    KeywordReply,
    Label,
    Message,
    PostKeyword,
    SenderKind,
)
from plaza.messaging.selectors import (
    Window,
    inbox_settings_get,
    inbox_settings_key,
    messaging_window,
    staff_mentioned,
)
from plaza.social.services import PreparedMedia, photo_prepare

# A guest or customer sends at most this many messages a minute to one shop.
CUSTOMER_MESSAGES_PER_MINUTE = 20
PREVIEW_LENGTH = 120
CANNED_REPLY_MAX_LENGTH = 2000
# Share of characters that may be control characters before a message counts as binary.
_BINARY_SHARE = 0.1
_SHORTCODE = re.compile(r"^/([a-z0-9_-]{1,30})\b", re.IGNORECASE)


# --- helpers -------------------------------------------------------------------------


def web_contact_key(*, user: User | None = None, guest_token: str = "") -> str:
    """The external id of a web chat customer: ``user:<id>`` once logged in, else the guest's."""
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    if not guest_token:
        raise ValidationError(_("Open the chat again to start a conversation."), field="guest")
    return f"guest:{guest_token[:80]}"


def _clean_message_text(text: str, *, allow_empty: bool = False) -> str:
    raw = text or ""
    if "\x00" in raw or (
        raw
        and sum(1 for ch in raw if ord(ch) < 32 and ch not in "\n\r\t") > len(raw) * _BINARY_SHARE
    ):
        raise ValidationError(_("This message holds binary data, not text."), field="text")
    text = plain_text(raw)
    if not text and not allow_empty:
        raise ValidationError(_("Write a message first."), field="text")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise ValidationError(
            _("A message has at most %(max)s characters (this one has %(n)s).")
            % {"max": f"{MESSAGE_MAX_LENGTH:,}", "n": f"{len(text):,}"},
            field="text",
        )
    return text


def message_text_check(*, text: str, has_attachment: bool = False, quick_reply: str = "") -> str:
    """Refuse a customer's text as storing it would (empty, too long, binary), before anything
    is written: a refused first message must not leave an empty conversation behind."""
    return _clean_message_text(text, allow_empty=has_attachment or bool(quick_reply))


_FILE_MARKS = {FileKind.VIDEO: "🎬", FileKind.AUDIO: "🎤"}


def _preview(text: str, attachment: bool, payload: dict | None = None) -> str:
    text = " ".join(text.split())
    if not text and payload and isinstance(payload.get("product"), dict):
        text = f"🛍 {payload['product'].get('title', '')}"
    if not text and payload and isinstance(payload.get("file"), dict):
        sent = payload["file"]
        mark = _FILE_MARKS.get(sent.get("kind"), "📎")
        text = mark if sent.get("kind") in _FILE_MARKS else f"{mark} {sent.get('name', '')}"
    if not text and attachment:
        return "📷"
    return text[:PREVIEW_LENGTH]


def _announce(message: Message) -> None:
    """``message.created``, with what its listeners sort by, so they need no query to skip
    what is not theirs (live: private notes; connectors: the web chat's messages)."""
    events.publish(
        "message.created",
        message_id=message.pk,
        conversation_id=message.conversation_id,
        shop_id=message.conversation.shop_id,
        direction=message.direction,
        channel=message.conversation.channel,
        status=message.status,
    )


def _changed(conversation: Conversation) -> None:
    events.publish(
        "conversation.changed", conversation_id=conversation.pk, shop_id=conversation.shop_id
    )


def _lock(conversation: Conversation) -> Conversation:
    """The conversation's row, locked, with its shop and customer (their rows are not locked)."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("shop", "customer")
        .get(pk=conversation.pk)
    )


def _is_staff(shop_id: int, user: User) -> bool:
    return Membership.objects.filter(shop_id=shop_id, user=user).exists()


# --- conversations -------------------------------------------------------------------


def conversation_open(
    *,
    shop: Shop,
    channel: str,
    external_id: str,
    customer: User | None = None,
    name: str = "",
    language: str = "",
) -> Conversation:
    """The conversation of this customer with the shop on the channel, created on first contact.
    Safe under concurrency: the unique (shop, channel, external id) decides, and the loser reads
    the winner's row."""
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel."), field="channel")
    try:  # get(), not first(): the key is unique (and an ORDER BY costs the ORM CPU)
        return Conversation.objects.get(shop=shop, channel=channel, external_id=external_id)
    except Conversation.DoesNotExist:
        pass
    conversation = _conversation_create(
        shop=shop,
        channel=channel,
        external_id=external_id,
        customer=customer,
        name=name,
        language=language,
    )
    if conversation is None:
        return Conversation.objects.get(shop=shop, channel=channel, external_id=external_id)
    return conversation


def _conversation_create(
    *, shop: Shop, channel: str, external_id: str, customer: User | None, name: str, language: str
) -> Conversation | None:
    """A new conversation, or None when a concurrent first contact created it (the unique
    (shop, channel, external id) decided: the caller reads the winner's row). Inside a
    transaction the new row stays this transaction's alone until it commits."""
    conversation = Conversation(
        shop=shop,
        channel=channel,
        external_id=external_id,
        customer=customer if customer is not None and customer.is_authenticated else None,
        name=(name or (customer.display_name if customer else "") or "")[:120],
        language=(language or "")[:10],
        bot_enabled=inbox_settings_get(shop=shop).bot_enabled,
        status=ConversationStatus.PENDING,
    )
    return conversation if row_insert_unless_taken(conversation) else None


@transaction.atomic
def conversation_join_account(*, guest_token: str, user: User) -> int:
    """A guest logged in: their web chat conversations become the account's. Where the account
    already talks with the shop, the guest's messages move into that conversation. Returns how
    many conversations were joined."""
    guest_key = web_contact_key(guest_token=guest_token)
    user_key = web_contact_key(user=user)
    joined = 0
    guests = list(
        Conversation.objects.select_for_update()
        .filter(channel=Channel.WEB, external_id=guest_key)
        .order_by("pk")
    )
    for guest in guests:
        mine = (
            Conversation.objects.select_for_update()
            .filter(shop_id=guest.shop_id, channel=Channel.WEB, external_id=user_key)
            .first()
        )
        if mine is None:
            guest.external_id = user_key
            guest.customer = user
            guest.name = guest.name or user.display_name
            guest.save(update_fields=["external_id", "customer", "name", "updated_at"])
        else:
            Message.objects.filter(conversation=guest).update(conversation=mine)
            Conversation.objects.filter(pk=mine.pk).update(
                last_message_at=max(
                    filter(None, [mine.last_message_at, guest.last_message_at]),
                    default=None,
                ),
                last_preview=guest.last_preview or mine.last_preview,
            )
            guest.delete()
        joined += 1
    return joined


def conversation_link_payer(*, conversation: Conversation, user: User) -> bool:
    """The person who opened a conversation's payment link, logged in, is its customer (a
    conversation on a network knows only the network's id for them): the order they pay is
    then told in the conversation, and staff see their orders. A conversation that already
    has a customer keeps it. Returns whether it changed."""
    if not user.is_authenticated:
        return False
    return bool(
        Conversation.objects.filter(pk=conversation.pk, customer__isnull=True).update(customer=user)
    )


def _needs_person(conversation: Conversation, now: datetime) -> list[str]:
    """Mark a conversation as needing a person (the lock is held). Returns the fields changed."""
    fields = []
    if conversation.status != ConversationStatus.OPEN:
        conversation.status = ConversationStatus.OPEN
        fields.append("status")
    if conversation.needs_person_at is None or conversation.resolved_at is not None:
        conversation.needs_person_at = now
        conversation.first_response_at = None
        conversation.resolved_at = None
        fields += ["needs_person_at", "first_response_at", "resolved_at"]
    if conversation.waiting_since is None:
        conversation.waiting_since = now
        fields.append("waiting_since")
    return fields


@transaction.atomic
def message_receive(
    *,
    conversation: Conversation,
    text: str = "",
    attachment: UploadedFile | None = None,
    payload: dict | None = None,
    external_id: str | None = None,
    attachment_url: str = "",
    language: str = "",
    file: CustomerFile | None = None,
) -> tuple[Message, bool]:
    """Store a customer's message (``language``: the one the customer's page is in). Returns
    (message, created): a redelivery of the same provider id returns the stored message and
    False, changing nothing. ``file``: a video, audio file or document the customer sent
    (``customer_file_check``); one that could not be kept is described by ``payload["file"]``
    (``kind``, ``name`` and why: ``missing``).

    A resolved conversation reopens. When nobody answers for the shop (bot off, or handed to a
    person) the customer now waits for staff, and round robin may assign someone."""
    has_file = file is not None or isinstance((payload or {}).get("file"), dict)
    text = _clean_message_text(
        text, allow_empty=attachment is not None or bool(attachment_url) or has_file
    )
    prepared = photo_prepare(upload=attachment) if attachment is not None else None
    if external_id is not None:
        existing = Message.objects.filter(conversation=conversation, external_id=external_id)
        if (found := existing.first()) is not None:
            return found, False
    return _message_store(
        conversation=_lock(conversation),
        text=text,
        prepared=prepared,
        payload=payload,
        external_id=external_id,
        attachment_url=attachment_url,
        language=language,
        file=file,
    )


def _message_store(
    *,
    conversation: Conversation,
    text: str,
    prepared,
    payload: dict | None,
    external_id: str | None,
    attachment_url: str,
    language: str,
    file: CustomerFile | None = None,
) -> tuple[Message, bool]:
    """``message_receive`` once the conversation's row is locked in the transaction."""
    now = timezone.now()
    payload = {**(payload or {}), **({"image_url": attachment_url} if attachment_url else {})}
    if file is not None:
        payload["file"] = file.summary
    message = Message(
        conversation=conversation,
        direction=Direction.IN,
        sender_kind=SenderKind.CUSTOMER,
        author=conversation.customer,
        text=text,
        payload=payload,
        status=DeliveryStatus.RECEIVED,
        external_id=external_id,
    )
    if prepared is not None:
        message.attachment.save(prepared.name, ContentFile(prepared.content), save=False)
    if file is not None:
        message.file.save(file.name, ContentFile(file.content), save=False)
    if external_id is not None:
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:  # a concurrent redelivery of the same provider id won
            return Message.objects.get(conversation=conversation, external_id=external_id), False
    fields = ["last_message_at", "last_customer_message_at", "last_preview", "updated_at"]
    conversation.last_message_at = now
    conversation.updated_at = now
    conversation.last_customer_message_at = now
    conversation.last_preview = _preview(
        text, prepared is not None or bool(attachment_url), payload
    )
    if language and language != conversation.language:
        conversation.language = language[:10]
        fields.append("language")
    if conversation.status == ConversationStatus.RESOLVED:
        conversation.status = ConversationStatus.PENDING
        conversation.resolved_at = None
        conversation.needs_person_at = None
        fields += ["status", "resolved_at", "needs_person_at"]
    bot_on = conversation.bot_active and inbox_settings_get(shop=conversation.shop).bot_enabled
    if not bot_on:
        fields += _needs_person(conversation, now)
    changes = {name: getattr(conversation, name) for name in dict.fromkeys(fields)}
    if external_id is None:  # stored with the conversation's change (one statement on PostgreSQL)
        rows_insert_and_update(
            [message], Conversation, conversation.pk, changes, add={"unread_by_staff": 1}
        )
    else:
        row_update(Conversation, conversation.pk, changes, add={"unread_by_staff": 1})
    conversation.unread_by_staff += 1
    if not bot_on and conversation.assignee_id is None:
        _assign_round_robin(conversation)
    message.conversation = conversation
    _announce(message)
    _changed(conversation)
    return message, True


# Photos by their first bytes: JPEG, PNG, GIF, WebP (RIFF....WEBP).
_PICTURE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


def chat_upload_prepare(
    *, upload: UploadedFile
) -> tuple[PreparedMedia | None, CustomerFile | None]:
    """A file attached in a chat (by a shopper on the web chat, by staff in the Inbox): (a photo,
    None), re-encoded as every photo is; or (None, a video, an audio file or a document) checked
    as the channels' files are. Raises ValidationError (translated) for anything else, or a file
    above the limits."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(_PICTURE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return photo_prepare(upload=upload), None
    if upload.size is None or upload.size > max_file_bytes():
        raise file_too_large(field="attachment")  # refused before it is read
    claimed = upload.content_type or ""
    return None, customer_file_check(
        content=upload.read(),
        content_type=claimed,
        name=upload.name or "",
        kind_hint=next(
            (kind for kind in (FileKind.VIDEO, FileKind.AUDIO) if claimed.startswith(f"{kind}/")),
            FileKind.DOCUMENT,
        ),
    )


def web_chat_message_post(
    *,
    shop: Shop,
    external_id: str,
    customer: User | None = None,
    text: str = "",
    attachment: UploadedFile | None = None,
    payload: dict | None = None,
    language: str = "",
    rate_key: str = "",
) -> tuple[Conversation, Message, list[Message]]:
    """A shopper writes on the shop's web chat: their conversation (opened on the first
    message), their message stored, then the bot's answer. The conversation is found and
    locked by one statement in the transaction that stores the message. Returns (conversation,
    the customer's message, the bot's replies); raises TooManyMessages like
    ``customer_message_post``."""
    _rate_check(shop_id=shop.pk, key=rate_key or external_id)
    # Checked (a photo re-encoded) before the conversation's row is locked.
    photo, file = chat_upload_prepare(upload=attachment) if attachment else (None, None)
    with transaction.atomic():
        conversation = _web_conversation_locked(shop_id=shop.pk, external_id=external_id)
        if conversation is None:  # the first message: the new row is this transaction's alone
            conversation = _conversation_create(
                shop=shop,
                channel=Channel.WEB,
                external_id=external_id,
                customer=customer,
                name="",
                language=language,
            ) or _web_conversation_locked(shop_id=shop.pk, external_id=external_id)
        # The rows in hand, rather than a join: a guest has no account, and the person writing
        # is the conversation's customer once logged in.
        conversation.shop = shop
        if customer is not None and conversation.customer_id == customer.pk:
            conversation.customer = customer
        quick = str((payload or {}).get("quick_reply") or "")
        if quick and not (text or "").strip():
            text = _quick_reply_title(conversation, quick)
        text = _clean_message_text(text, allow_empty=attachment is not None)
        message, _created = _message_store(
            conversation=conversation,
            text=text,
            prepared=photo,
            payload=payload,
            external_id=None,
            attachment_url="",
            language=language,
            file=file,
        )
    from plaza.messaging.bot.engine import bot_respond

    return conversation, message, bot_respond(conversation=message.conversation, message=message)


def _web_conversation_locked(*, shop_id: int, external_id: str) -> Conversation | None:
    """The web chat's conversation of one person, locked: written out, because it is read with
    every message and the ORM took twice as long to build the statement as the database to
    answer it."""
    sql = (
        f"SELECT {model_columns(Conversation)} FROM messaging_conversation "  # noqa: S608
        "WHERE shop_id = %s AND channel = %s AND external_id = %s"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    found = rows_read(Conversation, sql, [shop_id, Channel.WEB.value, external_id])
    return found[0] if found else None


def _rate_check(*, shop_id: int, key: str) -> None:
    if not rate_limit_hit(
        f"chat:{shop_id}:{key}", limit=CUSTOMER_MESSAGES_PER_MINUTE, window_seconds=60
    ):
        raise TooManyMessages(
            _("You are sending messages very fast. Wait a minute, then write again.")
        )


def customer_message_post(
    *,
    conversation: Conversation,
    text: str = "",
    attachment: UploadedFile | None = None,
    payload: dict | None = None,
    language: str = "",
    rate_key: str = "",
) -> tuple[Message, list[Message]]:
    """A customer writes on the web chat: store the message, then let the bot answer.
    Returns (the customer's message, the bot's replies). Raises TooManyMessages when
    ``rate_key`` sent too many messages this minute (nothing is stored)."""
    _rate_check(shop_id=conversation.shop_id, key=rate_key or conversation.external_id)
    quick = str((payload or {}).get("quick_reply") or "")
    if quick and not (text or "").strip():
        text = _quick_reply_title(conversation, quick)
    message, created = message_receive(
        conversation=conversation,
        text=text,
        attachment=attachment,
        payload=payload,
        language=language,
    )
    if not created:
        return message, []
    from plaza.messaging.bot.engine import bot_respond

    return message, bot_respond(conversation=message.conversation, message=message)


def bot_turn_finish(
    *, conversation: Conversation, replies: list[dict], state: dict, language: str
) -> list[Message]:
    """Store the bot's replies of one turn and its new state, all or nothing: the replies
    inserted together and the conversation's row updated once, in one statement on PostgreSQL
    (``rows_insert_and_update``). Outside the channel's window nothing is sent (the state is
    kept)."""
    # No lock: the customer's message was just stored with the row locked, and this turn only
    # writes the bot's own columns and the conversation's last message.
    now = timezone.now()
    changes: dict = {"bot_state": state, "language": language[:10]}
    if state.get("step") == "link":
        from plaza.messaging.bot.engine import links_out_note

        links_out_note()
    window = messaging_window(conversation=conversation, now=now, human=False)
    messages: list[Message] = []
    if window.is_open and replies:
        status = (
            DeliveryStatus.SENT if conversation.channel == Channel.WEB else DeliveryStatus.QUEUED
        )
        messages = [
            Message(
                conversation=conversation,
                direction=Direction.OUT,
                sender_kind=SenderKind.BOT,
                text=reply["text"],
                payload=reply.get("payload") or {},
                status=status,
            )
            for reply in replies
        ]
        last = messages[-1]
        changes.update(
            last_message_at=now,
            updated_at=now,
            last_preview=_preview(last.text, False, last.payload),
        )
        rows_insert_and_update(messages, Conversation, conversation.pk, changes)
    else:
        row_update(Conversation, conversation.pk, changes)
    for name, value in changes.items():
        setattr(conversation, name, value)
    for message in messages:
        message.conversation = conversation
        _announce(message)
    if messages:
        _changed(conversation)
    return messages


def _quick_reply_title(conversation: Conversation, quick: str) -> str:
    """The words of the button a customer pressed, so the thread reads as they saw it."""
    last = (
        Message.objects.filter(conversation=conversation, sender_kind=SenderKind.BOT)
        .order_by("-created_at", "-pk")
        .values_list("payload", flat=True)
        .first()
    ) or {}
    for button in last.get("quick_replies") or []:
        if button.get("payload") == quick:
            return str(button.get("title") or quick)
    return quick[:100]


def bot_message_send(
    *,
    conversation: Conversation,
    text: str,
    payload: dict | None = None,
    comment_id: str = "",
) -> Message:
    """The bot answers. Bot messages obey the channel's window like any other, except the one
    private reply a network allows to a comment (``comment_id``)."""
    payload = dict(payload or {})
    if comment_id:
        payload["private_reply_to"] = comment_id
    return _outgoing(
        conversation=conversation,
        sender_kind=SenderKind.BOT,
        author=None,
        text=text,
        payload=payload,
    )


@transaction.atomic
def _outgoing(
    *,
    conversation: Conversation,
    sender_kind: str,
    author: User | None,
    text: str,
    payload: dict,
    attachment=None,
    tag: str = "",
    file: CustomerFile | None = None,
) -> Message:
    conversation = _lock(conversation)
    now = timezone.now()
    if payload.get("private_reply_to") or (
        payload.get("template") and conversation.channel == Channel.WHATSAPP
    ):
        # One reply per comment (its own rule, checked upstream), or an approved WhatsApp
        # template: both may be sent outside the window.
        window = Window(is_open=True)
    else:
        window = messaging_window(
            conversation=conversation, now=now, human=sender_kind == SenderKind.STAFF
        )
    if not window.is_open:
        raise WindowClosed(window.reason)
    message = Message(
        conversation=conversation,
        direction=Direction.OUT,
        sender_kind=sender_kind,
        author=author,
        text=text,
        payload={**payload, **({"tag": window.tag} if window.tag else {})},
        # The web chat delivers through its own socket; other channels through a connector.
        status=DeliveryStatus.SENT
        if conversation.channel == Channel.WEB
        else DeliveryStatus.QUEUED,
    )
    if attachment is not None:
        message.attachment.save(attachment.name, ContentFile(attachment.content), save=False)
    if file is not None:
        message.payload["file"] = file.summary
        message.file.save(file.name, ContentFile(file.content), save=False)
    message.save()
    fields = ["last_message_at", "last_preview", "updated_at"]
    conversation.last_message_at = now
    conversation.last_preview = _preview(text, attachment is not None, message.payload)
    if sender_kind == SenderKind.STAFF:
        if conversation.waiting_since is not None:
            conversation.waiting_since = None
            fields.append("waiting_since")
        if conversation.needs_person_at is not None and conversation.first_response_at is None:
            conversation.first_response_at = now
            fields.append("first_response_at")
        if conversation.unread_by_staff:
            conversation.unread_by_staff = 0
            fields.append("unread_by_staff")
    conversation.save(update_fields=fields)
    message.conversation = conversation
    _announce(message)
    _changed(conversation)
    return message


def canned_reply_expand(*, shop: Shop, text: str) -> str:
    """``/shortcode`` at the start of a staff reply becomes the shop's canned reply; the rest
    of the text follows it. An unknown shortcode is refused, so nothing odd reaches a customer."""
    match = _SHORTCODE.match(text.strip())
    if match is None:
        return text
    reply = CannedReply.objects.filter(shop=shop, shortcode=match.group(1).lower()).first()
    if reply is None:
        raise ValidationError(
            _("There is no canned reply /%(code)s.") % {"code": match.group(1)}, field="text"
        )
    rest = text.strip()[match.end() :].strip()
    return f"{reply.text}\n{rest}" if rest else reply.text


def staff_message_send(
    *,
    conversation: Conversation,
    author: User,
    text: str = "",
    attachment: UploadedFile | None = None,
    product_id: int | None = None,
) -> Message:
    """Staff answer the customer: text (``/shortcode`` expands), a photo or a file (a video, an
    audio file, a document: ``chat_upload_prepare``), or a product card. Refused with the reason
    outside the channel's messaging window."""
    if not _is_staff(conversation.shop_id, author):
        raise NotFound(_("This conversation does not exist."))
    text = canned_reply_expand(shop=conversation.shop, text=text or "")
    payload: dict = {}
    if product_id is not None:
        from plaza.messaging.selectors import product_card

        payload["product"] = product_card(shop=conversation.shop, product_id=product_id)
    text = _clean_message_text(text, allow_empty=attachment is not None or bool(payload))
    photo, file = chat_upload_prepare(upload=attachment) if attachment else (None, None)
    return _outgoing(
        conversation=conversation,
        sender_kind=SenderKind.STAFF,
        author=author,
        text=text,
        payload=payload,
        attachment=photo,
        file=file,
    )


_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")
_TEMPLATE_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")


def staff_template_send(
    *,
    conversation: Conversation,
    author: User,
    name: str,
    language: str = "en",
    values: Sequence[str] = (),
    header: str = "",
    header_upload: UploadedFile | None = None,
    button: str = "",
) -> Message:
    """Send a template the shop had approved at WhatsApp (by its name and language code, e.g.
    ``order_update``, ``en_US``), its body's variables filled with ``values`` in order
    ({{1}}, {{2}} ...): the only message WhatsApp lets through more than 24 hours after the
    customer's last one. A template whose header has a variable takes its ``header`` text, or
    a photo, a video or a document (``header_upload``); one with a URL button whose address
    ends in a variable takes that end (``button``)."""
    if not _is_staff(conversation.shop_id, author):
        raise NotFound(_("This conversation does not exist."))
    if conversation.channel != Channel.WHATSAPP:
        raise ValidationError(_("Templates are sent on WhatsApp only."), field="template")
    name = (name or "").strip()
    language = (language or "").strip()
    if not _TEMPLATE_NAME.fullmatch(name):
        raise ValidationError(
            _("A template name has lower-case letters, digits and underscores, as at WhatsApp."),
            field="template",
        )
    if not _TEMPLATE_LANGUAGE.fullmatch(language):
        raise ValidationError(
            _("Write the template's language code as WhatsApp does, for example en or en_US."),
            field="language",
        )
    values = _template_values(values)
    template: dict = {"name": name, "language": language, "values": values}
    header = " ".join((header or "").split())
    if header and header_upload:
        raise ValidationError(
            _("A template's header is a text or a file, not both."), field="header"
        )
    if header:
        if len(header) > TEMPLATE_HEADER_MAX_LENGTH:
            raise ValidationError(
                _("A header is at most %(n)s characters.") % {"n": TEMPLATE_HEADER_MAX_LENGTH},
                field="header",
            )
        template["header"] = {"type": "text", "text": header}
    photo, file = chat_upload_prepare(upload=header_upload) if header_upload else (None, None)
    if file is not None and file.kind == FileKind.AUDIO:
        raise ValidationError(
            _("A template's header is a photo, a video or a document."), field="header"
        )
    if photo is not None or file is not None:
        template["header"] = {"type": "media"}  # the message's photo or file
    button = (button or "").strip()
    if button:
        if len(button) > TEMPLATE_BUTTON_VALUE_MAX_LENGTH or any(ch.isspace() for ch in button):
            raise ValidationError(
                _("A button's value ends its address: at most %(n)s characters, no spaces.")
                % {"n": f"{TEMPLATE_BUTTON_VALUE_MAX_LENGTH:,}"},
                field="button",
            )
        template["button"] = button
    text = _("Template %(name)s (%(language)s)") % {"name": name, "language": language}
    shown = ([header] if header else []) + values + ([button] if button else [])
    if shown:
        text = (text + ": " + " · ".join(shown))[:MESSAGE_MAX_LENGTH]
    return _outgoing(
        conversation=conversation,
        sender_kind=SenderKind.STAFF,
        author=author,
        text=text,
        payload={"template": template},
        attachment=photo,
        file=file,
    )


def _template_values(values: Sequence[str]) -> list[str]:
    """A template's variable values as WhatsApp takes them: each one line of text without tabs
    or runs of more than four spaces, at most TEMPLATE_VALUE_MAX_LENGTH characters; trailing
    empty lines dropped, an empty one in between refused (it would shift the others)."""
    cleaned = [str(value).strip() for value in values]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    if len(cleaned) > TEMPLATE_VALUES_MAX:
        raise ValidationError(
            _("A template takes at most %(n)s values.") % {"n": TEMPLATE_VALUES_MAX},
            field="values",
        )
    for value in cleaned:
        if not value:
            raise ValidationError(
                _("Each value fills one variable in order: leave no empty line between them."),
                field="values",
            )
        if len(value) > TEMPLATE_VALUE_MAX_LENGTH or "\t" in value or "     " in value:
            raise ValidationError(
                _(
                    "A value is one line of at most %(n)s characters, without tabs or runs of "
                    "more than four spaces."
                )
                % {"n": TEMPLATE_VALUE_MAX_LENGTH},
                field="values",
            )
    return cleaned


@transaction.atomic
def note_add(*, conversation: Conversation, author: User, text: str) -> Message:
    """A private note for staff only; ``@handle`` of a staff member mentions them."""
    if not _is_staff(conversation.shop_id, author):
        raise NotFound(_("This conversation does not exist."))
    text = _clean_message_text(text)
    mentioned = staff_mentioned(shop=conversation.shop, text=text)
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.INTERNAL,
        sender_kind=SenderKind.STAFF,
        author=author,
        text=text,
        payload={"mentions": [user.pk for user in mentioned]},
        status=DeliveryStatus.SENT,
    )
    _announce(message)
    return message


def _system_note(conversation: Conversation, text: str) -> Message:
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.INTERNAL,
        sender_kind=SenderKind.SYSTEM,
        text=text,
        status=DeliveryStatus.SENT,
    )
    _announce(message)
    return message


@transaction.atomic
def message_status_update(*, conversation: Conversation, external_id: str, status: str) -> int:
    """A channel reports delivery: sent < delivered < read, never backwards; failed stays."""
    order = [
        DeliveryStatus.QUEUED,
        DeliveryStatus.SENT,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.READ,
    ]
    if status not in DeliveryStatus.values:
        raise ValidationError(_("Unknown delivery status."), field="status")
    earlier = order[: order.index(status)] if status in order else order
    return Message.objects.filter(
        conversation=conversation,
        external_id=external_id,
        direction=Direction.OUT,
        status__in=earlier,
    ).update(status=status)


def message_sent(*, message: Message, external_id: str) -> None:
    """A connector delivered the message: it carries the network's id from now on (delivery
    statuses refer to it)."""
    Message.objects.filter(pk=message.pk, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENT, external_id=external_id[:200] or None
    )


@transaction.atomic
def message_failed(*, message: Message, error: str) -> None:
    """A connector gave up on the message: staff see it failed, and why, in the conversation."""
    Message.objects.filter(pk=message.pk).update(status=DeliveryStatus.FAILED, error=error[:300])
    conversation = Conversation.objects.get(pk=message.conversation_id)
    _system_note(
        conversation,
        _("A message could not be delivered: %(error)s") % {"error": error[:250]},
    )
    _changed(conversation)


@transaction.atomic
def outgoing_record(*, conversation: Conversation, text: str, external_id: str) -> Message:
    """A message staff wrote in the network's own inbox (an echo): kept in the thread, once."""
    existing = Message.objects.filter(conversation=conversation, external_id=external_id).first()
    if existing is not None:
        return existing
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.OUT,
        sender_kind=SenderKind.STAFF,
        text=plain_text(text)[:MESSAGE_MAX_LENGTH],
        status=DeliveryStatus.SENT,
        external_id=external_id[:200],
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=message.created_at, last_preview=_preview(message.text, False)
    )
    _announce(message)
    return message


def conversation_mark_seen(*, conversation: Conversation) -> bool:
    """Staff opened the conversation: its unread count goes back to zero (the inbox's badge)."""
    if not conversation.unread_by_staff:
        return False
    updated = Conversation.objects.filter(pk=conversation.pk, unread_by_staff__gt=0).update(
        unread_by_staff=0
    )
    if updated:
        conversation.unread_by_staff = 0
        _changed(conversation)
    return bool(updated)


def messages_mark_read(*, conversation: Conversation) -> int:
    """The customer saw the conversation: what was sent to them is read."""
    return Message.objects.filter(
        conversation=conversation,
        direction=Direction.OUT,
        status__in=[DeliveryStatus.SENT, DeliveryStatus.DELIVERED],
    ).update(status=DeliveryStatus.READ)


# --- the inbox's work ----------------------------------------------------------------


def _check_assignee(shop_id: int, user: User | None) -> None:
    if user is not None and not _is_staff(shop_id, user):
        raise ValidationError(_("Only the shop's staff can be assigned."), field="assignee")


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, assignee: User | None, by: User
) -> Conversation:
    """Assign by hand (or unassign with None)."""
    _check_assignee(conversation.shop_id, assignee)
    conversation = _lock(conversation)
    conversation.assignee = assignee
    conversation.save(update_fields=["assignee", "updated_at"])
    if assignee is not None:
        _system_note(
            conversation,
            _("%(by)s assigned this conversation to %(who)s.")
            % {"by": by.display_name or by.email, "who": assignee.display_name or assignee.email},
        )
    _changed(conversation)
    return conversation


def _assign_round_robin(conversation: Conversation) -> User | None:
    """Give the conversation (locked by the caller) to the available agent who waited longest
    since their last one. Agents' rows are locked in key order, so two conversations arriving
    at once go to two agents."""
    if not inbox_settings_get(shop=conversation.shop).round_robin:
        return None
    staff_ids = list(
        Membership.objects.filter(shop_id=conversation.shop_id).values_list("user_id", flat=True)
    )
    # Staff who never said otherwise take conversations: give them their row first.
    AgentAvailability.objects.bulk_create(
        [AgentAvailability(shop_id=conversation.shop_id, user_id=pk) for pk in staff_ids],
        ignore_conflicts=True,
    )
    agents = list(
        AgentAvailability.objects.select_for_update()
        .filter(shop_id=conversation.shop_id, available=True, user_id__in=staff_ids)
        .order_by("pk")
    )
    if not agents:
        return None
    epoch = timezone.make_aware(datetime(1970, 1, 1))
    agent = min(agents, key=lambda a: (a.last_assigned_at or epoch, a.pk))
    agent.last_assigned_at = timezone.now()
    agent.save(update_fields=["last_assigned_at"])
    Conversation.objects.filter(pk=conversation.pk).update(assignee_id=agent.user_id)
    conversation.assignee_id = agent.user_id
    return agent.user


@transaction.atomic
def agent_set_available(*, shop: Shop, user: User, available: bool) -> AgentAvailability:
    """An agent says whether they take new conversations (round robin)."""
    _check_assignee(shop.pk, user)
    agent, _created = AgentAvailability.objects.get_or_create(shop=shop, user=user)
    if agent.available != available:
        agent.available = available
        agent.save(update_fields=["available"])
    return agent


@transaction.atomic
def conversation_handoff(*, conversation: Conversation, reason: str = "") -> Conversation:
    """The bot hands the conversation to a person (complaint, "human", twice not understood):
    it stays quiet until staff hand it back. Idempotent."""
    conversation = _lock(conversation)
    now = timezone.now()
    fields = ["updated_at"]
    if conversation.handed_off_at is None:
        conversation.handed_off_at = now
        fields.append("handed_off_at")
    fields += _needs_person(conversation, now)
    conversation.save(update_fields=list(dict.fromkeys(fields)))
    if conversation.assignee_id is None:
        _assign_round_robin(conversation)
    if reason:
        _system_note(conversation, reason)
    _changed(conversation)
    return conversation


@transaction.atomic
def conversation_take_over(*, conversation: Conversation, by: User) -> Conversation:
    """Staff take over: the bot pauses and the conversation is theirs."""
    _check_assignee(conversation.shop_id, by)
    conversation = _lock(conversation)
    conversation.handed_off_at = conversation.handed_off_at or timezone.now()
    conversation.assignee = by
    if conversation.status == ConversationStatus.PENDING:
        conversation.status = ConversationStatus.OPEN
    conversation.save(update_fields=["handed_off_at", "assignee", "status", "updated_at"])
    _system_note(
        conversation, _("%(by)s took over from the bot.") % {"by": by.display_name or by.email}
    )
    _changed(conversation)
    return conversation


@transaction.atomic
def conversation_hand_back(*, conversation: Conversation, by: User) -> Conversation:
    """Staff hand the conversation back to the bot, which answers the next message."""
    _check_assignee(conversation.shop_id, by)
    conversation = _lock(conversation)
    conversation.handed_off_at = None
    conversation.bot_enabled = True
    conversation.waiting_since = None
    conversation.status = ConversationStatus.PENDING
    state = dict(conversation.bot_state or {})
    state["misses"] = 0
    conversation.bot_state = state
    conversation.save(
        update_fields=[
            "handed_off_at",
            "bot_enabled",
            "waiting_since",
            "status",
            "bot_state",
            "updated_at",
        ]
    )
    _system_note(
        conversation, _("%(by)s handed back to the bot.") % {"by": by.display_name or by.email}
    )
    _changed(conversation)
    return conversation


@transaction.atomic
def conversation_set_bot(*, conversation: Conversation, enabled: bool) -> Conversation:
    """Switch the bot off (or on) for this conversation only."""
    conversation = _lock(conversation)
    conversation.bot_enabled = enabled
    conversation.save(update_fields=["bot_enabled", "updated_at"])
    _changed(conversation)
    return conversation


@transaction.atomic
def conversation_resolve(*, conversation: Conversation, by: User) -> Conversation:
    _check_assignee(conversation.shop_id, by)
    conversation = _lock(conversation)
    if conversation.status != ConversationStatus.RESOLVED:
        conversation.status = ConversationStatus.RESOLVED
        conversation.resolved_at = timezone.now()
        conversation.waiting_since = None
        conversation.handed_off_at = None
        conversation.save(
            update_fields=["status", "resolved_at", "waiting_since", "handed_off_at", "updated_at"]
        )
        _changed(conversation)
    return conversation


@transaction.atomic
def conversation_reopen(*, conversation: Conversation, by: User) -> Conversation:
    _check_assignee(conversation.shop_id, by)
    conversation = _lock(conversation)
    if conversation.status == ConversationStatus.RESOLVED:
        conversation.status = ConversationStatus.OPEN
        conversation.resolved_at = None
        conversation.needs_person_at = timezone.now()
        conversation.first_response_at = None
        conversation.save(
            update_fields=[
                "status",
                "resolved_at",
                "needs_person_at",
                "first_response_at",
                "updated_at",
            ]
        )
        _changed(conversation)
    return conversation


def _label_name(name: str) -> str:
    name = " ".join(plain_text(name).split())
    if not name:
        raise ValidationError(_("Give the label a name."), field="label")
    if len(name) > 40:
        raise ValidationError(_("A label has at most 40 characters."), field="label")
    return name


@transaction.atomic
def conversation_set_labels(*, conversation: Conversation, names: Iterable[str]) -> list[Label]:
    """Set the conversation's labels by name; new names become the shop's labels."""
    clean = sorted({_label_name(n) for n in names if (n or "").strip()})
    labels = []
    for name in clean:
        label, _created = Label.objects.get_or_create(shop_id=conversation.shop_id, name=name)
        labels.append(label)
    conversation.labels.set(labels)
    _changed(conversation)
    return labels


# --- the shop's settings -------------------------------------------------------------


_SETTINGS_FIELDS = (
    "bot_enabled",
    "greeting",
    "away_message",
    "handoff_keywords",
    "timezone",
    "hours",
    "first_response_minutes",
    "resolution_minutes",
    "round_robin",
)


def _clean_hours(hours) -> dict:
    clean = {}
    for day, span in (hours or {}).items():
        if str(day) not in {str(d) for d in range(7)}:
            raise ValidationError(_("Opening hours name the days 0 (Monday) to 6."), field="hours")
        try:
            start, end = span
            start_t = datetime.strptime(start, "%H:%M").time()
            end_t = datetime.strptime(end, "%H:%M").time()
        except (TypeError, ValueError):
            raise ValidationError(
                _("Write opening hours as HH:MM, for example 09:00."), field="hours"
            ) from None
        if end_t <= start_t:
            raise ValidationError(_("A day's hours must end after they start."), field="hours")
        clean[str(day)] = [start, end]
    return clean


@transaction.atomic
def inbox_settings_update(*, shop: Shop, **changes) -> InboxSettings:
    """Change the shop's inbox and bot settings (only the fields given)."""
    import zoneinfo

    unknown = set(changes) - set(_SETTINGS_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown setting."), field=sorted(unknown)[0])
    current = inbox_settings_get(shop=shop)
    current = InboxSettings.objects.select_for_update().get(pk=current.pk)
    if "hours" in changes:
        changes["hours"] = _clean_hours(changes["hours"])
    if "timezone" in changes:
        try:
            zoneinfo.ZoneInfo(changes["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError(_("Unknown time zone."), field="timezone") from None
    for name in ("greeting", "away_message", "handoff_keywords"):
        if name in changes:
            changes[name] = plain_text(changes[name] or "")
    for name in ("first_response_minutes", "resolution_minutes"):
        if name not in changes:
            continue
        try:
            changes[name] = int(changes[name])
        except (TypeError, ValueError):
            raise ValidationError(_("Enter a number of minutes."), field=name) from None
        if not 1 <= changes[name] <= 60 * 24 * 30:
            raise ValidationError(_("Targets are between 1 minute and 30 days."), field=name)
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean()
    current.save()
    _forget_inbox_settings(shop.pk)
    return current


def _forget_inbox_settings(shop_id: int) -> None:
    key = inbox_settings_key(shop_id)
    near_forget(key)
    transaction.on_commit(lambda: near_forget(key))  # a reader may have cached the old row


def _clean_shortcode(code: str) -> str:
    code = (code or "").strip().lstrip("/").lower()
    if not re.fullmatch(r"[a-z0-9_-]{1,30}", code):
        raise ValidationError(
            _("A shortcode has 1 to 30 letters, digits, - or _."), field="shortcode"
        )
    return code


def canned_reply_save(
    *, shop: Shop, shortcode: str, text: str, reply_id: int | None = None
) -> CannedReply:
    code = _clean_shortcode(shortcode)
    text = _clean_message_text(text)
    if len(text) > CANNED_REPLY_MAX_LENGTH:
        raise ValidationError(
            _("A canned reply has at most %(max)s characters.")
            % {"max": f"{CANNED_REPLY_MAX_LENGTH:,}"},
            field="text",
        )
    try:
        with transaction.atomic():
            if reply_id is None:
                return CannedReply.objects.create(shop=shop, shortcode=code, text=text)
            reply = CannedReply.objects.get(shop=shop, pk=reply_id)
            reply.shortcode, reply.text = code, text
            reply.save(update_fields=["shortcode", "text"])
            return reply
    except CannedReply.DoesNotExist:
        raise NotFound(_("This canned reply does not exist.")) from None
    except IntegrityError:
        raise ValidationError(
            _("/%(code)s is already a canned reply.") % {"code": code}, field="shortcode"
        ) from None


def canned_reply_delete(*, shop: Shop, reply_id: int) -> None:
    CannedReply.objects.filter(shop=shop, pk=reply_id).delete()


def faq_entry_save(
    *, shop: Shop, question: str, answer: str, keywords: str = "", entry_id: int | None = None
) -> FaqEntry:
    question = " ".join(plain_text(question).split())
    answer = plain_text(answer)
    if not question or not answer:
        raise ValidationError(_("An FAQ entry needs a question and an answer."), field="question")
    if len(question) > 200 or len(answer) > 1000:
        raise ValidationError(
            _("A question has at most 200 characters, an answer 1,000."), field="answer"
        )
    keywords = ", ".join(k.strip() for k in plain_text(keywords).split(",") if k.strip())[:300]
    # After the write commits (at once outside a transaction): the bot reads them afresh.
    transaction.on_commit(lambda: faq_forget(shop_id=shop.pk))
    if entry_id is None:
        entry = FaqEntry.objects.create(
            shop=shop, question=question, answer=answer, keywords=keywords
        )
        faq_forget(shop_id=shop.pk)
        return entry
    updated = FaqEntry.objects.filter(shop=shop, pk=entry_id).update(
        question=question, answer=answer, keywords=keywords
    )
    if not updated:
        raise NotFound(_("This FAQ entry does not exist."))
    faq_forget(shop_id=shop.pk)
    return FaqEntry.objects.get(pk=entry_id)


def faq_entry_delete(*, shop: Shop, entry_id: int) -> None:
    FaqEntry.objects.filter(shop=shop, pk=entry_id).delete()
    transaction.on_commit(lambda: faq_forget(shop_id=shop.pk))


def faq_key(shop_id: int) -> str:
    return f"messaging:bot:faq:{shop_id}"


def faq_forget(*, shop_id: int) -> None:
    """The bot reads the shop's FAQ afresh (it keeps them in the cache)."""
    near_forget(faq_key(shop_id))


# --- comment-to-DM -------------------------------------------------------------------


def post_keywords_set(*, post, keywords: str) -> PostKeyword | None:
    """Set the words that, in a comment on the shop's post, open a conversation (``WANT,
    #buy``). Empty words switch comment-to-DM off for the post."""
    words = [w.strip() for w in plain_text(keywords).split(",") if w.strip()]
    if any(len(w) > 40 for w in words) or len(words) > 10:
        raise ValidationError(
            _("Up to 10 keywords of at most 40 characters, separated by commas."),
            field="keywords",
        )
    if post.shop_id is None:
        raise ValidationError(_("Only a shop's posts can answer comments."), field="post")
    if not words:
        PostKeyword.objects.filter(post=post).delete()
        return None
    trigger, _created = PostKeyword.objects.update_or_create(
        post=post, defaults={"keywords": ", ".join(words), "enabled": True}
    )
    return trigger


def comment_matches(*, keywords: list[str], text: str) -> bool:
    """Whether a comment names one of the keywords: whole words, any case (``#buy`` and
    ``buy`` alike for a hashtag keyword); CJK keywords anywhere in the text."""
    folded = plain_text(text).casefold()
    for keyword in keywords:
        word = keyword.casefold()
        if any(ord(ch) > 0x2E80 for ch in word):
            if word in folded:
                return True
            continue
        bare = word.lstrip("#")
        if re.search(rf"(?<![\w#])#?{re.escape(bare)}(?!\w)", folded):
            return True
    return False


def keyword_dm_send(
    *,
    post,
    contact_key: str,
    shop: Shop,
    channel: str,
    external_id: str,
    customer: User | None = None,
    name: str = "",
    language: str = "",
) -> Message | None:
    """Offer the post's product to a commenter in a conversation: exactly once per (post,
    commenter), however often and however concurrently they comment. Returns the bot's message,
    or None when the commenter already got one."""
    from plaza.messaging.bot.engine import bot_offer_post

    conversation = conversation_open(
        shop=shop,
        channel=channel,
        external_id=external_id,
        customer=customer,
        name=name,
        language=language,
    )
    try:
        with transaction.atomic():
            KeywordReply.objects.create(
                post=post, contact_key=contact_key, conversation=conversation
            )
            return bot_offer_post(conversation=conversation, post=post)
    except IntegrityError:
        return None


def on_comment_created(*, comment_id: int, post_id: int, user_id: int, **_payload) -> None:
    """Handler of ``comment.created``: a keyword comment on a shop's post gets one DM."""
    from plaza.social.models import Comment

    trigger = (
        PostKeyword.objects.filter(post_id=post_id, enabled=True)
        .select_related("post", "post__shop")
        .first()
    )
    if trigger is None or trigger.post.shop_id is None:
        return
    comment = Comment.objects.filter(pk=comment_id).select_related("user").first()
    if comment is None or _is_staff(trigger.post.shop_id, comment.user):
        return
    if not comment_matches(keywords=trigger.keyword_list, text=comment.body):
        return
    user = comment.user
    keyword_dm_send(
        post=trigger.post,
        contact_key=f"user:{user.pk}",
        shop=trigger.post.shop,
        channel=Channel.WEB,
        external_id=web_contact_key(user=user),
        customer=user,
        language=user.language or "",
    )


def on_payment_captured(*, payment_id: int, **_payload) -> None:
    """Handler of ``payment.captured``: a checkout started in the chat tells the chat."""
    from plaza.messaging.bot.engine import bot_payment_captured

    bot_payment_captured(payment_id=payment_id)


def guest_token_new() -> str:
    import secrets

    return secrets.token_urlsafe(18)


# --- the bot, for the layers above (connectors) ---------------------------------------


def bot_answer(*, conversation: Conversation, message: Message) -> list[Message]:
    """Let the bot answer a stored customer message (see ``bot.engine.bot_respond``)."""
    from plaza.messaging.bot.engine import bot_respond

    return bot_respond(conversation=conversation, message=message)


def product_offer_send(*, conversation: Conversation, product, comment_id: str = "") -> Message:
    """The bot offers a product with a checkout (comment-to-DM; see ``bot_offer_product``)."""
    from plaza.messaging.bot.engine import bot_offer_product

    return bot_offer_product(conversation=conversation, product=product, comment_id=comment_id)


def cart_offer_send(*, conversation: Conversation, lines: list[tuple[int, int]]) -> list[Message]:
    """The bot holds a cart sent from a network's catalog and answers with a payment link."""
    from plaza.messaging.bot.engine import bot_cart_offer

    return bot_cart_offer(conversation=conversation, lines=lines)


def order_paid_tell(*, conversation: Conversation, order) -> Message | None:
    """The bot tells the conversation its order is paid (a payment taken on a network)."""
    from plaza.messaging.bot.engine import bot_order_paid

    return bot_order_paid(conversation=conversation, order=order)
