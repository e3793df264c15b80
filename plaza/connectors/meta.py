"""Messenger, Instagram and WhatsApp Cloud API: Meta's webhooks and send APIs, in their
published formats (the channels spec, sections 3 and 4).

Inbound: the GET verification handshake, ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body
keyed by the app secret, compared in constant time), then the parsers below turn a delivery
(which may batch many entries) into ``Incoming`` events. Outbound: a Plaza message becomes the
network's body, within its limits (quick replies, buttons, lists, templates; button labels in
the active language, which the sender sets to the conversation's), sent with the connection's
token to ``META_GRAPH_URL/META_GRAPH_VERSION`` (``INSTAGRAM_GRAPH_URL`` for
Instagram), settings that tests point at a local recorder.
"""

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _

from plaza.connectors.exceptions import DeliveryFailed
from plaza.connectors.http import get_file, get_json, post_json
from plaza.connectors.inbound import Incoming

# Limits of the send APIs (channels spec, sections 3 and 4).
MESSENGER_TEXT_MAX = 2000
QUICK_REPLIES_MAX = 13
QUICK_TITLE_MAX = 20
QUICK_PAYLOAD_MAX = 1000
BUTTON_TEXT_MAX = 640
BUTTON_TITLE_MAX = 20
BUTTONS_MAX = 3
TEMPLATE_TITLE_MAX = 80
WHATSAPP_TEXT_MAX = 4096
WHATSAPP_BUTTON_BODY_MAX = 1024
WHATSAPP_BUTTONS_MAX = 3
WHATSAPP_BUTTON_TITLE_MAX = 20
WHATSAPP_ROWS_MAX = 10
WHATSAPP_ROW_TITLE_MAX = 24
WHATSAPP_ROW_ID_MAX = 200
WHATSAPP_LIST_BUTTON_MAX = 20
WHATSAPP_CTA_TEXT_MAX = 20  # a call-to-action URL button's label
WHATSAPP_CAPTION_MAX = 1024


@dataclass(frozen=True)
class Media:
    """A photo or file a message carries, at an address the network can fetch: ``kind`` is
    ``image``, ``video``, ``audio`` or ``file``; ``name``, a document's name."""

    kind: str
    url: str
    name: str = ""


_MESSENGER_MEDIA = {"image": "image", "video": "video", "audio": "audio", "file": "file"}
_WHATSAPP_MEDIA = {"image": "image", "video": "video", "audio": "audio", "file": "document"}
# Files customers send besides photos, by the network's type, and what Plaza keeps them as.
_MESSENGER_FILES = {"video": "video", "audio": "audio", "file": "file"}
_WHATSAPP_FILES = {"audio": "audio", "video": "video", "document": "file"}


def graph_base() -> str:
    base = getattr(settings, "META_GRAPH_URL", "https://graph.facebook.com").rstrip("/")
    return f"{base}/{getattr(settings, 'META_GRAPH_VERSION', 'v25.0')}"


def instagram_base() -> str:
    base = getattr(settings, "INSTAGRAM_GRAPH_URL", "https://graph.instagram.com").rstrip("/")
    return f"{base}/{getattr(settings, 'META_GRAPH_VERSION', 'v25.0')}"


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split()) if limit <= 80 else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- inbound -------------------------------------------------------------------------


def signature_is_valid(*, app_secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256: sha256=<hex>`` over the raw body, compared in constant time."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :].strip().lower())


def handshake_answer(*, params, verify_token: str) -> str | None:
    """The challenge to echo for a subscription check with the right token, else None."""
    if (
        params.get("hub.mode") == "subscribe"
        and verify_token
        and hmac.compare_digest(str(params.get("hub.verify_token") or ""), verify_token)
    ):
        return str(params.get("hub.challenge") or "")
    return None


def _seconds(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number / 1000 if number > 1e11 else number  # Messenger sends milliseconds


def _messaging_event(account_id: str, event: dict) -> Incoming | None:
    sender = str((event.get("sender") or {}).get("id") or "")
    when = _seconds(event.get("timestamp"))
    message = event.get("message")
    if isinstance(message, dict):
        mid = str(message.get("mid") or "")
        if not mid:
            return None
        if message.get("is_echo"):
            return Incoming(
                kind="echo",
                event_id=mid,
                account_id=account_id,
                sender_id=str((event.get("recipient") or {}).get("id") or ""),
                text=str(message.get("text") or ""),
                timestamp=when,
                data={"app_id": message.get("app_id"), "metadata": message.get("metadata")},
            )
        attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
        images = [
            str((a.get("payload") or {}).get("url") or "")
            for a in attachments
            if a.get("type") == "image"
        ]
        files = [
            {"kind": _MESSENGER_FILES[a["type"]], "url": str(a["payload"]["url"])}
            for a in attachments
            if a.get("type") in _MESSENGER_FILES
            and isinstance(a.get("payload"), dict)
            and a["payload"].get("url")
        ]
        return Incoming(
            kind="message",
            event_id=mid,
            account_id=account_id,
            sender_id=sender,
            text=str(message.get("text") or ""),
            quick_reply=str((message.get("quick_reply") or {}).get("payload") or ""),
            image_urls=[u for u in images if u],
            timestamp=when,
            data={"file": files[0]} if files else {},
        )
    postback = event.get("postback")
    if isinstance(postback, dict):
        mid = str(postback.get("mid") or f"postback:{sender}:{event.get('timestamp')}")
        return Incoming(
            kind="message",
            event_id=mid,
            account_id=account_id,
            sender_id=sender,
            text=str(postback.get("title") or ""),
            quick_reply=str(postback.get("payload") or ""),
            timestamp=when,
        )
    return None


def _comment_event(account_id: str, field: str, value: dict) -> Incoming | None:
    if field == "feed":  # a Facebook Page's comment
        if value.get("item") != "comment" or value.get("verb") != "add":
            return None
        sender = value.get("from") or {}
        return Incoming(
            kind="comment",
            event_id=f"comment:{value.get('comment_id')}",
            account_id=account_id,
            sender_id=str(sender.get("id") or ""),
            sender_name=str(sender.get("name") or ""),
            text=str(value.get("message") or ""),
            timestamp=_seconds(value.get("created_time")),
            data={
                "comment_id": str(value.get("comment_id") or ""),
                "post_id": str(value.get("post_id") or ""),
                "parent_id": str(value.get("parent_id") or ""),
            },
        )
    if field == "comments":  # an Instagram comment
        sender = value.get("from") or {}
        media = value.get("media") or {}
        return Incoming(
            kind="comment",
            event_id=f"comment:{value.get('id')}",
            account_id=account_id,
            sender_id=str(sender.get("id") or ""),
            sender_name=str(sender.get("username") or ""),
            text=str(value.get("text") or ""),
            data={
                "comment_id": str(value.get("id") or ""),
                "post_id": str(media.get("id") or ""),
                "parent_id": str(value.get("parent_id") or ""),
            },
        )
    return None


def parse_messaging(payload: dict) -> list[Incoming]:
    """A Messenger (``object: page``) or Instagram (``object: instagram``) delivery: messages,
    quick replies, postbacks, echoes and comments, from every entry of the batch."""
    found: list[Incoming] = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        account_id = str(entry.get("id") or "")
        for event in entry.get("messaging") or []:
            if isinstance(event, dict) and (incoming := _messaging_event(account_id, event)):
                found.append(incoming)
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                continue
            if incoming := _comment_event(account_id, str(change.get("field")), change["value"]):
                found.append(incoming)
        # Instagram comments may come without the changes[] wrapper.
        value = entry.get("value")
        bare = entry.get("field") == "comments" and isinstance(value, dict)
        if bare and (incoming := _comment_event(account_id, "comments", value)):
            found.append(incoming)
    return found


def _whatsapp_message(account_id: str, message: dict, names: dict[str, str]) -> Incoming | None:
    sender = str(message.get("from") or "")
    kind = message.get("type")
    base = {
        "event_id": str(message.get("id") or ""),
        "account_id": account_id,
        "sender_id": sender,
        "sender_name": names.get(sender, ""),
        "timestamp": _seconds(message.get("timestamp")),
    }
    if not base["event_id"]:
        return None
    referred = (message.get("referral") or {}) or (message.get("context") or {}).get(
        "referred_product"
    )
    data = {}
    if isinstance(referred, dict) and referred.get("product_retailer_id"):
        data["referred_product"] = str(referred["product_retailer_id"])
    if kind == "text":
        return Incoming(
            kind="message",
            text=str((message.get("text") or {}).get("body") or ""),
            data=data,
            **base,
        )
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return Incoming(
            kind="message",
            text=str(reply.get("title") or ""),
            quick_reply=str(reply.get("id") or ""),
            **base,
        )
    if kind == "button":  # a template's quick-reply button
        button = message.get("button") or {}
        return Incoming(
            kind="message",
            text=str(button.get("text") or ""),
            quick_reply=str(button.get("payload") or ""),
            **base,
        )
    if kind == "order":
        order = message.get("order") or {}
        items = [
            {
                "retailer_id": str(item.get("product_retailer_id") or ""),
                "quantity": item.get("quantity"),
                "price": item.get("item_price"),
                "currency": str(item.get("currency") or ""),
            }
            for item in order.get("product_items") or []
            if isinstance(item, dict)
        ]
        return Incoming(
            kind="order",
            text=str(order.get("text") or ""),
            data={"items": items, "catalog_id": str(order.get("catalog_id") or "")},
            **base,
        )
    if kind in ("image", "sticker"):  # a sticker is a WebP picture
        image = message.get(kind) or {}
        return Incoming(
            kind="message",
            text=str(image.get("caption") or ""),
            data={"media_id": str(image.get("id") or "")},
            **base,
        )
    if kind in _WHATSAPP_FILES:
        media = message.get(kind) or {}
        if not media.get("id"):
            return None
        return Incoming(
            kind="message",
            text=str(media.get("caption") or ""),
            data={
                "file": {
                    "kind": _WHATSAPP_FILES[kind],
                    "media_id": str(media["id"]),
                    "name": str(media.get("filename") or ""),
                    "type": str(media.get("mime_type") or ""),
                }
            },
            **base,
        )
    return None


def parse_whatsapp(payload: dict) -> list[Incoming]:
    """A WhatsApp Cloud API delivery: messages (text, button and list replies, product
    questions, cart orders, images and stickers, voice notes, audio, videos and documents) and
    delivery statuses."""
    found: list[Incoming] = []
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            if not isinstance(value, dict):
                continue
            account_id = str((value.get("metadata") or {}).get("phone_number_id") or "")
            names = {
                str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                for c in value.get("contacts") or []
                if isinstance(c, dict)
            }
            for message in value.get("messages") or []:
                if isinstance(message, dict) and (
                    incoming := _whatsapp_message(account_id, message, names)
                ):
                    found.append(incoming)
            for status in value.get("statuses") or []:
                if not isinstance(status, dict) or not status.get("id"):
                    continue
                found.append(
                    Incoming(
                        kind="status",
                        event_id=f"status:{status['id']}:{status.get('status')}",
                        account_id=account_id,
                        sender_id=str(status.get("recipient_id") or ""),
                        timestamp=_seconds(status.get("timestamp")),
                        data={
                            "message_id": str(status["id"]),
                            "status": str(status.get("status") or ""),
                            "errors": status.get("errors") or [],
                        },
                    )
                )
    return found


# --- outbound ------------------------------------------------------------------------


def absolute_url(url: str) -> str:
    """``url`` as the networks fetch it: a path of Plaza's behind ``SITE_URL``."""
    return url if url.startswith(("http://", "https://")) else f"{settings.SITE_URL}{url}"


def messenger_bodies(
    *, recipient: dict, text: str, payload: dict, tag: str = "", media: Media | None = None
) -> list[dict]:
    """The Send API bodies for one Plaza message: its photo or file first (``media``), the text
    in pieces of at most 2,000 characters, then a product card (generic template) or a payment
    button (button template); quick replies (13 at most, titles of 20) ride on the last body."""
    base = {"recipient": recipient}
    if tag:
        base.update(messaging_type="MESSAGE_TAG", tag=tag)
    elif "comment_id" not in recipient:
        base["messaging_type"] = "RESPONSE"
    card = payload.get("product")
    pay_url = payload.get("pay_url")
    chunks = [text[i : i + MESSENGER_TEXT_MAX] for i in range(0, len(text), MESSENGER_TEXT_MAX)]
    if pay_url:
        # The payment link is a button under the message's (last) text.
        button_text = chunks.pop() if chunks and len(chunks[-1]) <= BUTTON_TEXT_MAX else "…"
        messages: list[dict] = [{"text": chunk} for chunk in chunks]
        messages.append(
            {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "button",
                        "text": button_text,
                        "buttons": [
                            {
                                "type": "web_url",
                                "url": pay_url,
                                "title": _cut(_("Pay"), BUTTON_TITLE_MAX),
                            }
                        ],
                    },
                }
            }
        )
    else:
        messages = [{"text": chunk} for chunk in chunks]
    if isinstance(card, dict):
        element = {
            "title": _cut(card.get("title") or "", TEMPLATE_TITLE_MAX),
            "subtitle": _cut(card.get("price") or "", TEMPLATE_TITLE_MAX),
            "buttons": [
                {
                    "type": "web_url",
                    "url": absolute_url(card.get("url") or "/"),
                    "title": _cut(_("View"), BUTTON_TITLE_MAX),
                },
                {
                    "type": "postback",
                    "title": _cut(_("Buy"), BUTTON_TITLE_MAX),
                    "payload": f"buy:{card.get('id')}",
                },
            ][:BUTTONS_MAX],
        }
        if card.get("image"):
            element["image_url"] = absolute_url(card["image"])
        messages.append(
            {
                "attachment": {
                    "type": "template",
                    "payload": {"template_type": "generic", "elements": [element]},
                }
            }
        )
    if media is not None:
        messages.insert(
            0,
            {
                "attachment": {
                    "type": _MESSENGER_MEDIA[media.kind],
                    "payload": {"url": media.url, "is_reusable": True},
                }
            },
        )
    if not messages:
        messages.append({"text": "…"})
    quick = [
        {
            "content_type": "text",
            "title": _cut(q.get("title") or "", QUICK_TITLE_MAX),
            "payload": str(q.get("payload") or "")[:QUICK_PAYLOAD_MAX],
        }
        for q in (payload.get("quick_replies") or [])[:QUICK_REPLIES_MAX]
    ]
    if quick:
        messages[-1]["quick_replies"] = quick
    bodies = []
    for message in messages:
        body = {**base, "message": message}
        bodies.append(body)
        if "comment_id" in recipient:
            break  # a private reply is one message
    return bodies


def whatsapp_media(*, token: str, media_id: str, max_bytes: int) -> tuple[bytes, str]:
    """A WhatsApp media's bytes and type (a customer's photo or file): its short-lived address
    from the Graph API, then the file, both asked with the token."""
    headers = {"Authorization": f"Bearer {token}"}
    info = get_json(f"{graph_base()}/{quote(media_id, safe='')}", headers=headers)
    url = str(info.get("url") or "")
    if not url:
        raise DeliveryFailed(_("WhatsApp gave no address for the file."), retryable=False)
    return get_file(url, headers=headers, max_bytes=max_bytes)


def _whatsapp_template(template: dict, media: Media | None) -> dict:
    """A ``template`` message: its name and language, then the values of its variables: the
    header's (a text, or the message's photo, video or document), the body's ({{1}}, {{2}} ...
    in order) and the end of its first URL button's address."""
    sent: dict = {
        "name": str(template.get("name") or ""),
        "language": {"code": str(template.get("language") or "en")},
    }
    components = []
    header = template.get("header") if isinstance(template.get("header"), dict) else {}
    if header.get("type") == "text" and header.get("text"):
        components.append(
            {"type": "header", "parameters": [{"type": "text", "text": str(header["text"])}]}
        )
    elif header.get("type") == "media" and media is not None:
        kind = _WHATSAPP_MEDIA[media.kind]
        linked = {"link": media.url}
        if kind == "document" and media.name:
            linked["filename"] = media.name
        components.append({"type": "header", "parameters": [{"type": kind, kind: linked}]})
    values = [str(v) for v in template.get("values") or []]
    if values:
        components.append(
            {"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}
        )
    if template.get("button"):
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": str(template["button"])}],
            }
        )
    if components:
        sent["components"] = components
    return sent


def whatsapp_bodies(*, to: str, text: str, payload: dict, media: Media | None = None) -> list[dict]:
    """Cloud API bodies: reply buttons (3 at most) or a list (10 rows at most) for quick
    replies; without them, a product card or a payment link is a call-to-action button (the
    product's photo above the text, "View" or "Pay" below it); else plain text. A photo or file
    (``media``) goes first, with the text as its caption when nothing else rides on it; in a
    template, it is the header."""
    base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    template = payload.get("template")
    if isinstance(template, dict):
        return [{**base, "type": "template", "template": _whatsapp_template(template, media)}]
    if media is not None:
        kind = _WHATSAPP_MEDIA[media.kind]
        sent_media: dict = {"link": media.url}
        alone = not (
            payload.get("product") or payload.get("pay_url") or payload.get("quick_replies")
        )
        captioned = alone and kind != "audio" and len(text) <= WHATSAPP_CAPTION_MAX
        if captioned and text:
            sent_media["caption"] = text
        if kind == "document" and media.name:
            sent_media["filename"] = media.name
        first = {**base, "type": kind, kind: sent_media}
        if captioned or (alone and not text):
            return [first]
        return [first, *whatsapp_bodies(to=to, text=text, payload=payload)]
    card = payload.get("product") if isinstance(payload.get("product"), dict) else None
    pay_url = str(payload.get("pay_url") or "")
    quick = payload.get("quick_replies") or []
    # The photo of the product, above a message with buttons (a public address).
    header = (
        {"type": "image", "image": {"link": absolute_url(card["image"])}}
        if (card and card.get("image"))
        else None
    )
    if not quick and (card or pay_url):
        lines = [text] if text else []
        if card:
            lines.append(f"{card.get('title')} — {card.get('price')}")
        body_text = "\n\n".join(lines)
        if len(body_text) <= WHATSAPP_BUTTON_BODY_MAX:
            interactive: dict = {
                "type": "cta_url",
                "body": {"text": body_text or "…"},
                "action": {
                    "name": "cta_url",
                    "parameters": {
                        "display_text": _cut(
                            _("Pay") if pay_url else _("View"), WHATSAPP_CTA_TEXT_MAX
                        ),
                        "url": pay_url or absolute_url(card.get("url") or "/"),
                    },
                },
            }
            if header:
                interactive["header"] = header
            return [{**base, "type": "interactive", "interactive": interactive}]
    lines = [text] if text else []
    if card:
        lines.append(
            f"{card.get('title')} — {card.get('price')}\n{absolute_url(card.get('url') or '/')}"
        )
    if pay_url:
        lines.append(pay_url)
    body_text = "\n\n".join(lines) or "…"
    if not quick:
        return [
            {
                **base,
                "type": "text",
                "text": {
                    "body": body_text[:WHATSAPP_TEXT_MAX],
                    "preview_url": bool(card or pay_url),
                },
            }
        ]
    if len(quick) <= WHATSAPP_BUTTONS_MAX:
        interactive = {
            "type": "button",
            "body": {"text": _cut(body_text, WHATSAPP_BUTTON_BODY_MAX)},
            "action": {
                "buttons": [
                    {
                        "type": "reply",
                        "reply": {
                            "id": str(q.get("payload") or "")[:256],
                            "title": _cut(q.get("title") or "", WHATSAPP_BUTTON_TITLE_MAX),
                        },
                    }
                    for q in quick
                ]
            },
        }
        if header:
            interactive["header"] = header
    else:
        interactive = {
            "type": "list",
            "body": {"text": body_text[:WHATSAPP_TEXT_MAX]},
            "action": {
                "button": _cut(_("Choose"), WHATSAPP_LIST_BUTTON_MAX),
                "sections": [
                    {
                        "title": _cut(_("Options"), WHATSAPP_ROW_TITLE_MAX),
                        "rows": [
                            {
                                "id": str(q.get("payload") or "")[:WHATSAPP_ROW_ID_MAX],
                                "title": _cut(q.get("title") or "", WHATSAPP_ROW_TITLE_MAX),
                            }
                            for q in quick[:WHATSAPP_ROWS_MAX]
                        ],
                    }
                ],
            },
        }
    return [{**base, "type": "interactive", "interactive": interactive}]


def send_messenger(*, channel: str, account_id: str, token: str, bodies: list[dict]) -> str:
    """Send the bodies in order; returns the last message id."""
    base = instagram_base() if channel == "instagram" else graph_base()
    url = f"{base}/{quote(account_id)}/messages"
    message_id = ""
    for body in bodies:
        answer = post_json(url, body, headers={"Authorization": f"Bearer {token}"})
        message_id = str(answer.get("message_id") or message_id)
    return message_id


def send_whatsapp(*, phone_number_id: str, token: str, bodies: list[dict]) -> str:
    url = f"{graph_base()}/{quote(phone_number_id)}/messages"
    message_id = ""
    for body in bodies:
        answer = post_json(url, body, headers={"Authorization": f"Bearer {token}"})
        messages = answer.get("messages") or [{}]
        message_id = str(messages[0].get("id") or message_id)
    return message_id


def app_subscribe(*, channel: str, account_id: str, token: str, fields: list[str]) -> dict:
    """Subscribe the app to an account's webhooks (``POST /{id}/subscribed_apps`` with the
    account's token): without it, Meta sends none of the account's events to the app. A
    Facebook Page and an Instagram account (on the Instagram API with Instagram Login) name the
    ``fields``; a WhatsApp Business Account takes none (the app's own fields apply)."""
    base = instagram_base() if channel == "instagram" else graph_base()
    return post_json(
        f"{base}/{quote(account_id)}/subscribed_apps",
        {"subscribed_fields": ",".join(fields)} if channel != "whatsapp" else {},
        headers={"Authorization": f"Bearer {token}"},
    )


def account_lookup(*, channel: str, account_id: str, token: str) -> dict:
    """The account as the network sees it (the connection test): ``{"id", "name"}``."""
    if channel == "whatsapp":
        fields = "display_phone_number,verified_name"
    elif channel == "instagram":
        fields = "id,username,name"
    else:
        fields = "id,name"
    base = instagram_base() if channel == "instagram" else graph_base()
    return get_json(
        f"{base}/{quote(account_id)}?fields={fields}", headers={"Authorization": f"Bearer {token}"}
    )
