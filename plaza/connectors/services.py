"""Every write of the connectors: a shop's connections, the webhooks' events (stored once,
then processed), the deliveries of the shop's messages to the networks, and the private
replies to comments.

Inbound: ``webhook_receive`` stores each event by (channel, event id) and returns at once; the
processing (``inbound_process``) runs after commit through Celery (in-process when embedded),
turns messages into the conversation's messages and lets the bot answer, queues private
replies to keyword comments, applies delivery statuses.

Outbound: every message the shop sends on a network channel (``message.created``, status
queued) gets an ``OutboundDelivery``: tried at once, then with backoff (10 s, 20 s, 40 s ...) up
to MAX_ATTEMPTS; a final failure marks the message failed and tells staff in the conversation.
Sends respect the account's rate limit (a counter in the cache) and the messaging window
(checked by messaging when the message was written).
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plaza.accounts.models import Shop
from plaza.catalog.models import Product, ProductStatus, Variant
from plaza.connectors import meta, telegram
from plaza.connectors.exceptions import DeliveryFailed, FileTooLarge
from plaza.connectors.http import get_file
from plaza.connectors.inbound import Incoming
from plaza.connectors.models import (
    ChannelConnection,
    CommentTrigger,
    ConversationRoute,
    DeliveryStatus,
    InboundEvent,
    OutboundDelivery,
    PrivateReply,
    PrivateReplyStatus,
)
from plaza.connectors.secrets import secret_decrypt, secret_encrypt
from plaza.core.exceptions import NotFound, ValidationError
from plaza.core.ratelimit import rate_limit_hit
from plaza.messaging.models import Channel, Conversation, Message
from plaza.messaging.models import DeliveryStatus as MessageStatus
from plaza.messaging.services import (
    CustomerFile,
    FileKind,
    bot_answer,
    cart_offer_send,
    comment_matches,
    conversation_open,
    customer_file_check,
    max_file_bytes,
    message_failed,
    message_receive,
    message_sent,
    message_status_update,
    order_paid_tell,
    outgoing_record,
    product_offer_send,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 10
# Sends a second per account (Instagram allows 300 text messages a second).
SENDS_PER_SECOND = 300
PRIVATE_REPLY_DAYS = 7
PRIVATE_REPLIES_PER_HOUR = 750
# What each network's connection needs, by credential name.
CREDENTIALS = {
    Channel.MESSENGER: ("access_token", "app_secret", "verify_token"),
    Channel.INSTAGRAM: ("access_token", "app_secret", "verify_token"),
    Channel.WHATSAPP: ("access_token", "app_secret", "verify_token"),
    Channel.TELEGRAM: ("bot_token", "secret_token"),
}
# Credentials a network may have: Telegram's payment provider token turns on invoices; the
# WhatsApp Business Account's id lets Plaza subscribe the app to it.
OPTIONAL_CREDENTIALS = {
    Channel.TELEGRAM: ("payment_provider_token",),
    Channel.WHATSAPP: ("business_account_id",),
}


# --- connections ---------------------------------------------------------------------


def connection_credentials(connection: ChannelConnection) -> dict[str, str]:
    raw = secret_decrypt(connection.credentials_encrypted)
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}


@transaction.atomic
def connection_save(
    *,
    shop: Shop,
    channel: str,
    account_id: str,
    credentials: dict[str, str],
    name: str = "",
    connection_id: int | None = None,
    remove: Iterable[str] = (),
) -> ChannelConnection:
    """Connect (or update) a shop's account on a network. Credentials left empty keep their
    stored value, so staff never need to see a secret again to change another field;
    ``remove`` names optional ones to delete (Telegram's payment provider token)."""
    if channel not in CREDENTIALS:
        raise ValidationError(_("Choose a network."), field="channel")
    account_id = "".join(str(account_id or "").split())
    if not account_id or len(account_id) > 64:
        raise ValidationError(_("Enter the account id the network shows."), field="account_id")
    if connection_id is not None:
        connection = (
            ChannelConnection.objects.select_for_update()
            .filter(shop=shop, pk=connection_id)
            .first()
        )
        if connection is None:
            raise NotFound(_("This connection does not exist."))
        stored = connection_credentials(connection)
    else:
        connection = ChannelConnection(shop=shop, channel=channel)
        stored = {}
    merged = dict(stored)
    for key in CREDENTIALS[channel] + OPTIONAL_CREDENTIALS.get(channel, ()):
        value = str(credentials.get(key) or "").strip()
        if value:
            if len(value) > 1000:
                raise ValidationError(_("This value is too long."), field=key)
            merged[key] = value
    for key in remove:
        if key not in OPTIONAL_CREDENTIALS.get(channel, ()):
            raise ValidationError(_("This credential cannot be removed."), field=key)
        if str(credentials.get(key) or "").strip():
            raise ValidationError(_("Type a new one or remove the saved one, not both."), field=key)
        merged.pop(key, None)
    missing = [key for key in CREDENTIALS[channel] if not merged.get(key)]
    if missing:
        raise ValidationError(_("This field is required."), field=missing[0])
    connection.account_id = account_id
    connection.name = (name or "").strip()[:120]
    connection.credentials_encrypted = secret_encrypt(json.dumps(merged))
    connection.is_active = True
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError:
        raise ValidationError(
            _("This account is already connected to a shop."), field="account_id"
        ) from None
    return connection


def connection_disconnect(*, connection: ChannelConnection) -> None:
    ChannelConnection.objects.filter(pk=connection.pk).update(is_active=False)


def connection_test(*, connection: ChannelConnection) -> tuple[bool, str]:
    """Ask the network about the account with the stored credentials; record and return what it
    answered (ok, a sentence for staff)."""
    creds = connection_credentials(connection)
    try:
        if connection.channel == Channel.TELEGRAM:
            answer = telegram.get_me(token=creds.get("bot_token", ""))
            result = answer.get("result") or {}
            message = _("Connected as @%(name)s.") % {"name": result.get("username", "?")}
        else:
            answer = meta.account_lookup(
                channel=connection.channel,
                account_id=connection.account_id,
                token=creds.get("access_token", ""),
            )
            label = (
                answer.get("name")
                or answer.get("username")
                or answer.get("verified_name")
                or answer.get("display_phone_number")
                or answer.get("id")
            )
            message = _("Connected to %(name)s.") % {"name": label}
        ok = True
    except DeliveryFailed as exc:
        ok, message = False, exc.message
    ChannelConnection.objects.filter(pk=connection.pk).update(
        last_test_at=timezone.now(), last_test_ok=ok, last_test_message=message[:300]
    )
    return ok, message


def webhook_set(*, connection: ChannelConnection) -> tuple[bool, str]:
    """Ask the network to send a connection's events to Plaza, instead of staff doing it by
    hand: a Telegram bot's ``setWebhook`` (the connection's address, the stored secret token,
    the updates Plaza reads); a Facebook Page's or an Instagram account's ``subscribed_apps``
    (the fields Plaza reads), a WhatsApp Business Account's (the app's fields); the app's own
    webhook address stays set in Meta's App Dashboard.
    Recorded and returned as a test is (ok, a sentence for staff)."""
    from plaza.connectors.selectors import WEBHOOK_FIELDS, connection_webhook_url

    creds = connection_credentials(connection)
    if connection.channel == Channel.WHATSAPP and not creds.get("business_account_id"):
        raise ValidationError(
            _(
                "Save the WhatsApp Business Account ID first (Edit): Plaza subscribes your app "
                "to that account."
            )
        )
    if not connection.is_active:
        raise ValidationError(_("Connect it again first: while disconnected, updates are refused."))
    fields = list(WEBHOOK_FIELDS[connection.channel])
    try:
        if connection.channel == Channel.TELEGRAM:
            telegram.set_webhook(
                token=creds.get("bot_token", ""),
                url=connection_webhook_url(connection),
                secret_token=creds.get("secret_token", ""),
                allowed_updates=fields,
            )
            ok, message = True, _("Telegram now sends the bot's updates to Plaza.")
        else:  # a Page, an Instagram account, a WhatsApp Business Account
            answer = meta.app_subscribe(
                channel=connection.channel,
                account_id=creds.get("business_account_id") or connection.account_id,
                token=creds.get("access_token", ""),
                fields=fields,
            )
            ok = answer.get("success") is True
            subscribed = {
                Channel.MESSENGER: _("Your app now receives the Page's messages and comments."),
                Channel.INSTAGRAM: _("Your app now receives the account's messages and comments."),
                Channel.WHATSAPP: _(
                    "Your app now receives the WhatsApp Business Account's messages."
                ),
            }
            message = (
                subscribed[connection.channel]
                if ok
                else _("Meta did not confirm the subscription.")
            )
    except DeliveryFailed as exc:
        ok, message = False, exc.message
    ChannelConnection.objects.filter(pk=connection.pk).update(
        last_test_at=timezone.now(), last_test_ok=ok, last_test_message=message[:300]
    )
    return ok, message


def comment_trigger_save(
    *, connection: ChannelConnection, keywords: str, product_id, post_id: str = ""
) -> CommentTrigger:
    words = [w.strip() for w in (keywords or "").split(",") if w.strip()]
    if not words or len(words) > 10 or any(len(w) > 40 for w in words):
        raise ValidationError(
            _("Up to 10 keywords of at most 40 characters, separated by commas."),
            field="keywords",
        )
    product = Product.objects.filter(
        pk=product_id, shop_id=connection.shop_id, status=ProductStatus.ACTIVE
    ).first()
    if product is None:
        raise ValidationError(_("Choose one of the shop's products."), field="product")
    return CommentTrigger.objects.create(
        connection=connection,
        keywords=", ".join(words),
        product=product,
        post_id=(post_id or "").strip()[:120],
    )


def comment_trigger_delete(*, connection: ChannelConnection, trigger_id: int) -> None:
    """Delete one of the connection's comment triggers; another connection's (or a missing one)
    is NotFound, and nothing changes."""
    deleted, _detail = CommentTrigger.objects.filter(pk=trigger_id, connection=connection).delete()
    if not deleted:
        raise NotFound(_("This comment trigger does not exist."))


# --- inbound -------------------------------------------------------------------------


def webhook_receive(*, connection: ChannelConnection, incomings: list[Incoming]) -> int:
    """Store the events of one delivery, once each; their processing starts after commit.
    Events for another account than the connection's are ignored (and logged). Returns how
    many new events were stored."""
    from plaza.connectors.tasks import inbound_process

    stored = 0
    for incoming in incomings:
        if incoming.account_id and incoming.account_id != connection.account_id:
            logger.warning(
                "%s webhook for account %s reached the connection of %s: ignored",
                connection.channel,
                incoming.account_id,
                connection.account_id,
            )
            continue
        if not incoming.event_id:
            continue
        try:
            with transaction.atomic():
                event = InboundEvent.objects.create(
                    channel=connection.channel,
                    event_id=incoming.event_id[:200],
                    connection=connection,
                    kind=incoming.kind,
                    payload=incoming.as_json(),
                )
        except IntegrityError:
            continue  # a redelivery: its effect already happened (or is happening)
        stored += 1
        transaction.on_commit(lambda pk=event.pk: inbound_process.delay(pk))
    return stored


@transaction.atomic
def _claim(event_id: int) -> InboundEvent | None:
    """Take an event for processing once: the row lock keeps two workers from both doing it."""
    event = (
        InboundEvent.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=event_id, processed_at__isnull=True)
        .select_related("connection", "connection__shop")
        .first()
    )
    if event is None:
        return None
    event.processed_at = timezone.now()
    event.save(update_fields=["processed_at"])
    return event


def inbound_process(*, event_id: int) -> None:
    """Apply one stored event. Each effect is idempotent on its own (messages keyed by the
    network's id, one private reply per comment), so a crash between the claim and the effect
    is repaired by processing the event again (``InboundEvent.processed_at`` is reset)."""
    event = _claim(event_id)
    if event is None:
        return
    incoming = Incoming.from_json(event.payload)
    connection = event.connection
    try:
        if incoming.kind == "message":
            _on_message(connection, incoming)
        elif incoming.kind == "echo":
            _on_echo(connection, incoming)
        elif incoming.kind == "comment":
            _on_comment(connection, incoming)
        elif incoming.kind == "status":
            _on_status(connection, incoming)
        elif incoming.kind == "order":
            _on_order(connection, incoming)
        elif incoming.kind == "callback":
            _on_callback(connection, incoming)
        elif incoming.kind == "payment":
            _on_payment(connection, incoming)
    except Exception as exc:
        logger.exception("connectors: event %s failed", event.pk)
        InboundEvent.objects.filter(pk=event.pk).update(processed_at=None, error=str(exc)[:300])
        raise


def _conversation(connection: ChannelConnection, incoming: Incoming) -> Conversation:
    conversation = conversation_open(
        shop=connection.shop,
        channel=connection.channel,
        external_id=incoming.sender_id,
        name=incoming.sender_name,
        language=incoming.language,
    )
    _route(conversation, connection)
    return conversation


def _route(conversation: Conversation, connection: ChannelConnection) -> None:
    """Replies to ``conversation`` leave through ``connection`` from now on (the account the
    customer wrote to last)."""
    ConversationRoute.objects.update_or_create(
        conversation=conversation, defaults={"connection": connection}
    )


def _reply_connection(shop_id: int, conversation: Conversation) -> ChannelConnection | None:
    """The connected account a reply to ``conversation`` leaves through: the one the customer
    wrote to (None when it was disconnected: another account cannot reach them); for a
    conversation from before accounts were remembered, the network's first one."""
    route = (
        ConversationRoute.objects.filter(conversation=conversation)
        .select_related("connection")
        .first()
    )
    if route is not None:
        return route.connection if route.connection.is_active else None
    return ChannelConnection.objects.filter(
        shop_id=shop_id, channel=conversation.channel, is_active=True
    ).first()


def _variant_for_retailer_id(shop: Shop, retailer_id: str) -> Variant | None:
    """The catalog feed's item id is the variant's SKU (its number when it has none)."""
    found = Variant.objects.filter(shop=shop, sku=retailer_id).select_related("product").first()
    if found is None and retailer_id.isdigit():
        found = Variant.objects.filter(shop=shop, pk=int(retailer_id)).first()
    return found


def _on_message(connection: ChannelConnection, incoming: Incoming) -> None:
    if not incoming.sender_id:
        return
    conversation = _conversation(connection, incoming)
    external_id = incoming.event_id[:200]
    payload: dict = {}
    if incoming.quick_reply:
        payload["quick_reply"] = incoming.quick_reply[:100]
    referred = incoming.data.get("referred_product")
    if referred and (variant := _variant_for_retailer_id(connection.shop, referred)):
        payload["context_product"] = variant.product_id
    seen = Message.objects.filter(conversation=conversation, external_id=external_id).exists()
    photo = None if seen else _customer_photo(connection, incoming)
    # A Messenger photo kept by its address when it could not be fetched (Meta's addresses of
    # customers' photos expire, so a fetched copy is kept rather than the address).
    photo_url = "" if photo is not None else (incoming.image_urls or [""])[0]
    file, missing = (None, None) if seen else _customer_file(connection, incoming)
    if missing is not None:
        payload["file"] = missing
    text = incoming.text
    if not text.strip() and incoming.quick_reply:
        text = incoming.quick_reply
    if not text.strip() and photo is None and not photo_url and file is None and missing is None:
        text = "…"  # a location, a contact card: kept as a placeholder so staff see one came
    fields = {
        "conversation": conversation,
        "text": text[:4000],
        "payload": payload,
        "external_id": external_id,
        "attachment_url": photo_url,
        "file": file,
    }
    try:
        message, created = message_receive(**fields, attachment=photo)
    except ValidationError:
        if photo is None:
            raise
        # Not a photo Plaza takes (another format, a broken file): the message without it.
        logger.info("connectors: event %s: the photo was refused", incoming.event_id)
        fields["text"] = fields["text"] or "…"
        message, created = message_receive(**fields)
    if created:
        bot_answer(conversation=message.conversation, message=message)


def _network_file(
    connection: ChannelConnection,
    *,
    media_id: str = "",
    file_id: str = "",
    url: str = "",
    max_bytes: int,
) -> tuple[bytes, str] | None:
    """A file a network keeps for a customer's message, by what names it there: a WhatsApp
    media id, a Telegram file id (both asked with the connection's token), or an address
    (Messenger, Instagram). None when nothing names one; DeliveryFailed (FileTooLarge) when it
    cannot be had."""
    token_name = "bot_token" if connection.channel == Channel.TELEGRAM else "access_token"
    token = connection_credentials(connection).get(token_name, "")
    if media_id:
        return meta.whatsapp_media(token=token, media_id=media_id, max_bytes=max_bytes)
    if file_id:
        return telegram.file_download(token=token, file_id=file_id, max_bytes=max_bytes)
    if url:
        return get_file(url, max_bytes=max_bytes)
    return None


def _customer_photo(connection: ChannelConnection, incoming: Incoming) -> UploadedFile | None:
    """The photo a customer sent, fetched from the network (None when there is none, or it
    cannot be had now: the message is then kept with its caption)."""
    try:
        fetched = _network_file(
            connection,
            media_id=str(incoming.data.get("media_id") or ""),
            file_id=str(incoming.data.get("photo_file_id") or ""),
            url=(incoming.image_urls or [""])[0],
            max_bytes=settings.PLAZA_MAX_IMAGE_BYTES,  # as the photos staff and shoppers upload
        )
    except DeliveryFailed as exc:
        logger.info("connectors: event %s: no photo (%s)", incoming.event_id, exc.message)
        return None
    if fetched is None:
        return None
    content, content_type = fetched
    return SimpleUploadedFile("photo", content, content_type=content_type)


def _customer_file(
    connection: ChannelConnection, incoming: Incoming
) -> tuple[CustomerFile | None, dict | None]:
    """A video, voice note, audio file or document a customer sent, fetched from the network and
    checked: (the file, None); or, when it cannot be kept, (None, what staff are told of it:
    ``kind``, ``name`` and ``missing``, why: ``too_large``, ``format`` or ``unavailable``);
    (None, None) when the message has none."""
    sent = incoming.data.get("file")
    if not isinstance(sent, dict) or sent.get("kind") not in FileKind.ALL:
        return None, None
    kind, name, claimed = sent["kind"], str(sent.get("name") or ""), str(sent.get("type") or "")
    limit = max_file_bytes()

    def missing(why: str) -> tuple[None, dict]:
        return None, {"kind": kind, "name": name, "missing": why}

    if isinstance(sent.get("size"), int) and sent["size"] > limit:
        return missing("too_large")  # said before it is fetched (Telegram)
    try:
        fetched = _network_file(
            connection,
            media_id=str(sent.get("media_id") or ""),
            file_id=str(sent.get("file_id") or ""),
            url=str(sent.get("url") or ""),
            max_bytes=limit,
        )
    except FileTooLarge:
        return missing("too_large")
    except DeliveryFailed as exc:
        logger.info("connectors: event %s: no file (%s)", incoming.event_id, exc.message)
        return missing("unavailable")
    if fetched is None:
        return missing("unavailable")
    content, fetched_type = fetched
    try:
        return (
            customer_file_check(
                content=content,
                content_type=claimed or fetched_type,
                name=name,
                kind_hint=kind,
            ),
            None,
        )
    except ValidationError as exc:
        logger.info("connectors: event %s: file refused (%s)", incoming.event_id, exc.message)
        return missing("too_large" if len(content) > limit else "format")


def _on_echo(connection: ChannelConnection, incoming: Incoming) -> None:
    """A message the page sent. Plaza's own sends carry ``metadata: "plaza"`` and are known
    already; others were written in the network's own inbox and are recorded for staff."""
    if (incoming.data.get("metadata") or "") == "plaza" or not incoming.sender_id:
        return
    conversation = _conversation(connection, incoming)
    outgoing_record(conversation=conversation, text=incoming.text, external_id=incoming.event_id)


def _on_status(connection: ChannelConnection, incoming: Incoming) -> None:
    conversation = Conversation.objects.filter(
        shop=connection.shop, channel=connection.channel, external_id=incoming.sender_id
    ).first()
    status = incoming.data.get("status")
    if conversation is None or status not in ("sent", "delivered", "read", "failed"):
        return
    message_status_update(
        conversation=conversation, external_id=incoming.data.get("message_id", ""), status=status
    )


def _on_comment(connection: ChannelConnection, incoming: Incoming) -> None:
    """A keyword comment gets one private reply (queued: 7 days, 750 an hour)."""
    data = incoming.data
    if not incoming.sender_id or incoming.sender_id == connection.account_id:
        return  # the page's own comment
    triggers = CommentTrigger.objects.filter(connection=connection).select_related("product")
    post_id = data.get("post_id", "")
    trigger = next(
        (
            t
            for t in triggers
            if (not t.post_id or t.post_id == post_id)
            and comment_matches(keywords=t.keyword_list, text=incoming.text)
        ),
        None,
    )
    if trigger is None:
        return
    commented_at = (
        datetime.fromtimestamp(incoming.timestamp, tz=UTC) if incoming.timestamp else timezone.now()
    )
    try:
        with transaction.atomic():
            reply = PrivateReply.objects.create(
                connection=connection,
                comment_id=data.get("comment_id", "")[:200],
                post_id=(trigger.post_id or post_id)[:120],
                commenter_id=incoming.sender_id,
                commented_at=commented_at,
                product=trigger.product,
            )
    except IntegrityError:
        return  # this comment, or this person on this post, was answered already
    transaction.on_commit(lambda: private_replies_send(connection_id=connection.pk))
    logger.info("connectors: private reply %s queued", reply.pk)


def _on_order(connection: ChannelConnection, incoming: Incoming) -> None:
    """A WhatsApp cart: becomes the customer's order in the chat, with a payment link."""
    conversation = _conversation(connection, incoming)
    lines = []
    for item in incoming.data.get("items") or []:
        variant = _variant_for_retailer_id(connection.shop, str(item.get("retailer_id") or ""))
        try:
            quantity = int(item.get("quantity") or 0)
        except (TypeError, ValueError):
            quantity = 0
        if variant is not None and quantity > 0:
            lines.append((variant.pk, quantity))
    message, created = message_receive(
        conversation=conversation,
        text=incoming.text
        or ngettext("(a cart of %(n)s item)", "(a cart of %(n)s items)", len(lines))
        % {"n": len(lines)},
        payload={"cart": [[v, q] for v, q in lines]},
        external_id=incoming.event_id[:200],
    )
    if created:
        cart_offer_send(conversation=message.conversation, lines=lines)


def _on_callback(connection: ChannelConnection, incoming: Incoming) -> None:
    """A Telegram button: stop its spinner, then treat it as a quick reply."""
    query_id = incoming.data.get("callback_query_id")
    if query_id:
        try:
            telegram.answer_callback(
                token=connection_credentials(connection).get("bot_token", ""),
                callback_query_id=query_id,
            )
        except DeliveryFailed as exc:
            logger.info("connectors: answerCallbackQuery failed: %s", exc.message)
    _on_message(connection, incoming)


def _invoice_message(connection: ChannelConnection, invoice_payload: str) -> Message | None:
    """The bot's message whose invoice this is (``plaza:<message id>``), in this connection's
    shop, on Telegram."""
    prefix, _sep, message_id = invoice_payload.partition(":")
    if prefix != "plaza" or not message_id.isdigit():
        return None
    return (
        Message.objects.filter(
            pk=int(message_id),
            conversation__shop_id=connection.shop_id,
            conversation__channel=Channel.TELEGRAM,
            payload__has_key="invoice",
        )
        .select_related("conversation", "conversation__shop")
        .first()
    )


def _invoice_problem(
    connection: ChannelConnection, incoming: Incoming
) -> tuple[str, Message | None]:
    """Why the invoice cannot be paid as it stands ("" when it can): unknown, another amount or
    currency than the price now, or the units no longer there."""
    from plaza.checkout.selectors import quote_build

    data = incoming.data
    message = _invoice_message(connection, str(data.get("invoice_payload") or ""))
    if message is None:
        return _("This order is not known any more. Ask in the chat again."), None
    invoice = message.payload["invoice"]
    quote = quote_build(
        lines=[(int(v), int(q), None) for v, q in invoice["lines"]],
        holder=f"chat:{message.conversation_id}",
        for_display=False,
    )
    if quote.is_empty or quote.problems:
        return " ".join(quote.problems) or _("This item is sold out."), message
    part = quote.shops[0]
    if part.currency != str(data.get("currency") or "").upper() or part.total != data.get(
        "total_amount"
    ):
        return _("The price changed since the invoice was sent. Ask in the chat again."), message
    return "", message


def pre_checkout_answer(*, connection: ChannelConnection, incoming: Incoming) -> bool:
    """Telegram asks, before it charges, whether the order can still be had: answer within its
    10 seconds (called from the webhook itself), checking stock and price. Returns the answer."""
    problem, _message = _invoice_problem(connection, incoming)
    token = connection_credentials(connection).get("bot_token", "")
    try:
        telegram.answer_pre_checkout(
            token=token,
            query_id=str(incoming.data.get("query_id") or ""),
            ok=not problem,
            error=problem,
        )
    except DeliveryFailed as exc:
        logger.warning("connectors: answerPreCheckoutQuery failed: %s", exc.message)
    return not problem


def _on_payment(connection: ChannelConnection, incoming: Incoming) -> None:
    """Telegram's successful_payment, the only point where the order is paid: record the
    payment, place the paid order from the chat's hold, and say so in the chat."""
    from plaza.orders.services import order_place
    from plaza.payments.services import payment_record_external

    data = incoming.data
    message = _invoice_message(connection, str(data.get("invoice_payload") or ""))
    charge = str(data.get("telegram_payment_charge_id") or "")
    if message is None or not charge:
        logger.error("connectors: a Telegram payment for an unknown invoice: %s", charge)
        return
    conversation = message.conversation
    shop = conversation.shop
    invoice = message.payload["invoice"]
    lines = [(int(v), int(q)) for v, q in invoice["lines"]]
    shipping = sum(int(a) for label, a in invoice["prices"][1:])
    info = data.get("order_info") or {}
    address = info.get("shipping_address") or {}
    payment = payment_record_external(
        provider="telegram",
        amount=int(data.get("total_amount") or 0),
        currency=str(data.get("currency") or ""),
        reference=charge,
        idempotency_key=f"telegram:{charge}",
        description=str(invoice.get("title") or "")[:255],
        metadata={"provider_charge": str(data.get("provider_payment_charge_id") or "")},
    )
    order = order_place(
        shop=shop,
        buyer=conversation.customer,
        lines=lines,
        shipping_amount=shipping,
        tax_rate_bp=shop.tax_rate_bp,
        address={
            "full_name": info.get("name") or conversation.name or "Telegram",
            "line1": address.get("street_line1", ""),
            "line2": address.get("street_line2", ""),
            "city": address.get("city", ""),
            "region": address.get("state", ""),
            "postal_code": address.get("post_code", ""),
            "country": address.get("country_code", ""),
            "phone": info.get("phone_number", ""),
        },
        email=info.get("email")
        or shop.contact_email
        or f"telegram-{conversation.external_id}@invalid.example",
        idempotency_key=f"telegram:{charge}",
        attribution={"utm_source": "telegram", "utm_medium": "chat"},
        reservation_owner=f"chat:{conversation.pk}",
        payment=payment,
    )
    order_paid_tell(conversation=conversation, order=order)


# --- outbound ------------------------------------------------------------------------


def on_message_created(
    *,
    message_id: int,
    conversation_id: int,
    shop_id: int,
    channel: str = "",
    status: str = "",
    **_payload,
) -> None:
    """Handler of ``message.created``: a message for a network leaves through a delivery."""
    from plaza.connectors.tasks import message_deliver

    if channel == Channel.WEB or (status and status != MessageStatus.QUEUED):
        return  # the web chat delivers its own messages; received ones go nowhere
    message = (
        Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED)
        .select_related("conversation")
        .first()
    )
    if message is None or message.conversation.channel == Channel.WEB:
        return
    connection = _reply_connection(shop_id, message.conversation)
    if connection is None:
        message_failed(message=message, error=_("This channel is not connected any more."))
        return
    comment_id = str((message.payload or {}).get("private_reply_to") or "")
    delivery, created = OutboundDelivery.objects.get_or_create(
        message=message,
        defaults={
            "connection": connection,
            "next_attempt_at": timezone.now(),
            "comment_id": comment_id,
        },
    )
    if created:
        transaction.on_commit(lambda: message_deliver.delay(delivery.pk))


@dataclass(frozen=True)
class Attempt:
    sent: bool
    retry_at: datetime | None = None


def delivery_attempt(*, delivery_id: int) -> Attempt:
    """Try to send one delivery now. Sent: the message gets the network's id. A retryable
    failure schedules the next try (backoff); a final one marks the message failed."""
    with transaction.atomic():
        delivery = (
            OutboundDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .select_related("message", "message__conversation", "connection")
            .first()
        )
        if delivery is None:
            return Attempt(sent=False)
        connection = delivery.connection
        now = timezone.now()
        if not rate_limit_hit(
            f"connectors:send:{connection.pk}", limit=SENDS_PER_SECOND, window_seconds=1
        ):
            delivery.next_attempt_at = now + timedelta(seconds=1)
            delivery.save(update_fields=["next_attempt_at"])
            return Attempt(sent=False, retry_at=delivery.next_attempt_at)
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    # The network is called outside any transaction.
    message = delivery.message
    try:
        external_id = _send(connection, message, comment_id=delivery.comment_id)
    except DeliveryFailed as exc:
        final = not exc.retryable or delivery.attempts >= MAX_ATTEMPTS
        retry_at = None
        if final:
            OutboundDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.FAILED, last_error=exc.message[:300]
            )
            message_failed(message=message, error=exc.message)
        else:
            retry_at = timezone.now() + timedelta(
                seconds=FIRST_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
            )
            OutboundDelivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=retry_at, last_error=exc.message[:300]
            )
        return Attempt(sent=False, retry_at=retry_at)
    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT, last_error=""
    )
    message_sent(message=message, external_id=external_id)
    return Attempt(sent=True)


def _send(connection: ChannelConnection, message: Message, *, comment_id: str = "") -> str:
    """Send ``message`` through ``connection``; its button labels in the conversation's
    language (the shop's while the customer's is unknown)."""
    conversation = message.conversation
    language = conversation.language or connection.shop.language or settings.LANGUAGE_CODE
    with translation.override(language):
        return _send_in_language(connection, message, comment_id=comment_id)


def _outgoing_media(message: Message) -> meta.Media | None:
    """The photo (or file) a shop's message carries, at the public address the network fetches
    it from (``SITE_URL``, or the storage's own address)."""
    if message.attachment:
        return meta.Media(kind="image", url=meta.absolute_url(message.attachment.url))
    sent = (message.payload or {}).get("file")
    if message.file and isinstance(sent, dict) and sent.get("kind") in FileKind.ALL:
        return meta.Media(
            kind=sent["kind"],
            url=meta.absolute_url(message.file.url),
            name=str(sent.get("name") or ""),
        )
    return None


def _send_in_language(connection: ChannelConnection, message: Message, *, comment_id: str) -> str:
    creds = connection_credentials(connection)
    payload = dict(message.payload or {})
    conversation = message.conversation
    media = _outgoing_media(message)
    if connection.channel in (Channel.MESSENGER, Channel.INSTAGRAM):
        recipient = {"comment_id": comment_id} if comment_id else {"id": conversation.external_id}
        bodies = meta.messenger_bodies(
            recipient=recipient,
            text=message.text,
            payload=payload,
            tag=payload.get("tag", ""),
            media=None if comment_id else media,  # a private reply is one text message
        )
        for body in bodies:
            body["message"]["metadata"] = "plaza"
        return meta.send_messenger(
            channel=connection.channel,
            account_id=connection.account_id,
            token=creds.get("access_token", ""),
            bodies=bodies,
        )
    if connection.channel == Channel.WHATSAPP:
        bodies = meta.whatsapp_bodies(
            to=conversation.external_id, text=message.text, payload=payload, media=media
        )
        return meta.send_whatsapp(
            phone_number_id=connection.account_id,
            token=creds.get("access_token", ""),
            bodies=bodies,
        )
    if connection.channel == Channel.TELEGRAM:
        token = creds.get("bot_token", "")
        invoice = payload.get("invoice")
        provider_token = creds.get("payment_provider_token", "")
        if isinstance(invoice, dict) and provider_token:
            # The text first (without the link), then the invoice Telegram pays in the app.
            plain = {k: v for k, v in payload.items() if k not in ("pay_url", "invoice")}
            telegram.send(
                token=token, chat_id=conversation.external_id, text=message.text, payload=plain
            )
            return telegram.send_invoice(
                token=token,
                body=telegram.invoice_body(
                    chat_id=conversation.external_id,
                    title=str(invoice.get("title") or ""),
                    description=str(invoice.get("description") or ""),
                    payload=f"plaza:{message.pk}",
                    provider_token=provider_token,
                    currency=str(invoice.get("currency") or ""),
                    prices=[(str(label), int(amount)) for label, amount in invoice["prices"]],
                ),
            )
        if media is not None:
            return telegram.send_with_media(
                token=token,
                chat_id=conversation.external_id,
                text=message.text,
                payload=payload,
                kind=media.kind,
                url=media.url,
            )
        return telegram.send(
            token=token, chat_id=conversation.external_id, text=message.text, payload=payload
        )
    raise DeliveryFailed(_("Unknown network."), retryable=False)


def deliveries_retry_due(*, limit: int = 200) -> int:
    """The sweep: try every delivery whose next attempt is due. Returns how many were sent."""
    due = list(
        OutboundDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if delivery_attempt(delivery_id=pk).sent)


def private_replies_send(*, connection_id: int | None = None, now: datetime | None = None) -> int:
    """Send queued private replies, oldest comment first, while the account stays under 750
    in the last hour; a comment older than 7 days is too late and expires. Returns how many
    were written (their delivery then goes out like any message)."""
    now = now or timezone.now()
    connections = ChannelConnection.objects.filter(is_active=True)
    if connection_id is not None:
        connections = connections.filter(pk=connection_id)
    written = 0
    for connection in connections.select_related("shop"):
        PrivateReply.objects.filter(
            connection=connection,
            status=PrivateReplyStatus.QUEUED,
            commented_at__lt=now - timedelta(days=PRIVATE_REPLY_DAYS),
        ).update(status=PrivateReplyStatus.EXPIRED)
        with transaction.atomic():
            sent_last_hour = PrivateReply.objects.filter(
                connection=connection,
                status=PrivateReplyStatus.SENT,
                sent_at__gt=now - timedelta(hours=1),
            ).count()
            room = max(0, PRIVATE_REPLIES_PER_HOUR - sent_last_hour)
            queued = list(
                PrivateReply.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(connection=connection, status=PrivateReplyStatus.QUEUED)
                .select_related("product", "product__shop")
                .order_by("commented_at", "pk")[:room]
            )
            for reply in queued:
                conversation = conversation_open(
                    shop=connection.shop, channel=connection.channel, external_id=reply.commenter_id
                )
                _route(conversation, connection)
                message = product_offer_send(
                    conversation=conversation, product=reply.product, comment_id=reply.comment_id
                )
                reply.conversation = conversation
                reply.message = message
                reply.status = PrivateReplyStatus.SENT
                reply.sent_at = now
                reply.save(update_fields=["conversation", "message", "status", "sent_at"])
                written += 1
    return written


def inbound_events_prune(*, days: int = 30) -> int:
    """Delete processed events older than ``days``: they hold people's messages, and the
    conversations (which the erasure services know) keep what is needed."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _detail = InboundEvent.objects.filter(
        processed_at__isnull=False, received_at__lt=cutoff
    ).delete()
    return deleted
