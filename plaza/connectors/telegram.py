"""Telegram Bot API: the webhook's updates and the methods Plaza calls (the channels spec,
section 6). Calls go to ``TELEGRAM_API_URL/bot<token>/<method>`` (a setting, so tests point it
at a local recorder) and answer ``{ok: true, result}`` or ``{ok: false, description}``.

A tap on an inline button arrives as ``callback_query``; it is answered at once
(``answerCallbackQuery``) and handled like a quick reply. ``sendInvoice`` asks Telegram to take
a payment; ``pre_checkout_query`` must be answered within 10 seconds; ``successful_payment`` is
the only point where the order is paid.
"""

import hmac
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _

from plaza.connectors.exceptions import DeliveryFailed
from plaza.connectors.http import get_file, post_json
from plaza.connectors.inbound import Incoming

TEXT_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_DATA_MAX_BYTES = 64
BUTTON_TEXT_MAX = 64
INVOICE_TITLE_MAX = 32
INVOICE_DESCRIPTION_MAX = 255
INVOICE_PAYLOAD_MAX_BYTES = 128


def api_base() -> str:
    """The Bot API's address (``TELEGRAM_API_URL``: tests point it at a local recorder)."""
    return getattr(settings, "TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")


def api_url(token: str, method: str) -> str:
    return f"{api_base()}/bot{quote(token, safe=':')}/{method}"


def call(token: str, method: str, body: dict) -> dict:
    return post_json(api_url(token, method), body)


def file_download(*, token: str, file_id: str, max_bytes: int) -> tuple[bytes, str]:
    """A file the bot received (a customer's photo, voice note, video...): ``getFile`` for its
    path, then the file (bots may fetch files up to 20 MB)."""
    result = call(token, "getFile", {"file_id": file_id}).get("result") or {}
    path = str(result.get("file_path") or "")
    if not path:
        raise DeliveryFailed(_("Telegram gave no address for the file."), retryable=False)
    return get_file(
        f"{api_base()}/file/bot{quote(token, safe=':')}/{quote(path)}", max_bytes=max_bytes
    )


def secret_is_valid(*, expected: str, header: str | None) -> bool:
    """``X-Telegram-Bot-Api-Secret-Token`` as given to setWebhook, compared in constant time."""
    return bool(expected) and bool(header) and hmac.compare_digest(expected, header or "")


def _user(data: dict) -> tuple[str, str, str]:
    name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
    return (
        str(data.get("id") or ""),
        name or str(data.get("username") or ""),
        str(data.get("language_code") or ""),
    )


def _language(code: str) -> str:
    code = code.lower()
    if code.startswith("zh"):
        return "zh-hans"
    return code.split("-")[0] if code.split("-")[0] in ("en", "fr", "tl", "ja", "af") else ""


# Files a customer may send a bot besides photos, and what Plaza keeps them as.
_FILE_FIELDS = (
    ("voice", "audio"),
    ("audio", "audio"),
    ("video", "video"),
    ("video_note", "video"),
    ("document", "file"),
)


def _file(message: dict) -> dict | None:
    """A voice note, an audio file, a video (round ones too) or a document in ``message``: its
    ``file_id`` for ``getFile``, with what the customer's app said of it."""
    for field_name, kind in _FILE_FIELDS:
        found = message.get(field_name)
        if isinstance(found, dict) and found.get("file_id"):
            return {
                "kind": kind,
                "file_id": str(found["file_id"]),
                "name": str(found.get("file_name") or ""),
                "type": str(found.get("mime_type") or ""),
                "size": found.get("file_size") if isinstance(found.get("file_size"), int) else None,
            }
    return None


def parse_update(update: dict, *, bot_id: str) -> list[Incoming]:
    """One Update: a message (text, photo or file with its caption, successful payment), a
    callback query (a
    button tapped) or a pre-checkout query. Event ids are the update's id, per bot."""
    update_id = update.get("update_id")
    if not isinstance(update_id, int):
        return []
    event_id = f"{bot_id}:{update_id}"
    message = update.get("message")
    if isinstance(message, dict):
        chat_id = str((message.get("chat") or {}).get("id") or "")
        _id, name, code = _user(message.get("from") or {})
        payment = message.get("successful_payment")
        if isinstance(payment, dict):
            return [
                Incoming(
                    kind="payment",
                    event_id=event_id,
                    account_id=bot_id,
                    sender_id=chat_id,
                    sender_name=name,
                    language=_language(code),
                    data={
                        "currency": str(payment.get("currency") or ""),
                        "total_amount": payment.get("total_amount"),
                        "invoice_payload": str(payment.get("invoice_payload") or ""),
                        "telegram_payment_charge_id": str(
                            payment.get("telegram_payment_charge_id") or ""
                        ),
                        "provider_payment_charge_id": str(
                            payment.get("provider_payment_charge_id") or ""
                        ),
                        "order_info": payment.get("order_info") or {},
                    },
                )
            ]
        text = message.get("text") or message.get("caption") or ""
        data = {
            # The largest size Telegram made of the photo (they come smallest first).
            "photo_file_id": str(((message.get("photo") or [{}])[-1]).get("file_id") or "")
        }
        if sent := _file(message):
            data["file"] = sent
        return [
            Incoming(
                kind="message",
                event_id=event_id,
                account_id=bot_id,
                sender_id=chat_id,
                sender_name=name,
                text=str(text),
                timestamp=float(message.get("date") or 0),
                language=_language(code),
                data=data,
            )
        ]
    callback = update.get("callback_query")
    if isinstance(callback, dict):
        sender, name, code = _user(callback.get("from") or {})
        chat_id = str(((callback.get("message") or {}).get("chat") or {}).get("id") or sender)
        return [
            Incoming(
                kind="callback",
                event_id=event_id,
                account_id=bot_id,
                sender_id=chat_id,
                sender_name=name,
                quick_reply=str(callback.get("data") or ""),
                language=_language(code),
                data={"callback_query_id": str(callback.get("id") or "")},
            )
        ]
    query = update.get("pre_checkout_query")
    if isinstance(query, dict):
        sender, name, code = _user(query.get("from") or {})
        return [
            Incoming(
                kind="pre_checkout",
                event_id=event_id,
                account_id=bot_id,
                sender_id=sender,
                sender_name=name,
                data={
                    "query_id": str(query.get("id") or ""),
                    "currency": str(query.get("currency") or ""),
                    "total_amount": query.get("total_amount"),
                    "invoice_payload": str(query.get("invoice_payload") or ""),
                },
            )
        ]
    return []


def _button_text(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= BUTTON_TEXT_MAX else text[: BUTTON_TEXT_MAX - 1] + "…"


def _callback_data(payload: str) -> str | None:
    data = str(payload)
    return data if 1 <= len(data.encode()) <= CALLBACK_DATA_MAX_BYTES else None


def message_body(*, chat_id: str, text: str, payload: dict) -> dict:
    """``sendMessage`` for a Plaza message: quick replies as inline buttons (one per row),
    the product card and the payment link as URL buttons (labels in the active language)."""
    rows: list[list[dict]] = []
    card = payload.get("product")
    lines = [text] if text else []
    if isinstance(card, dict):
        url = card.get("url") or "/"
        url = url if url.startswith("http") else f"{settings.SITE_URL}{url}"
        lines.append(f"{card.get('title')} — {card.get('price')}")
        rows.append([{"text": _button_text(card.get("title") or _("View")), "url": url}])
    if payload.get("pay_url"):
        rows.append([{"text": _button_text(_("Pay")), "url": str(payload["pay_url"])}])
    for quick in payload.get("quick_replies") or []:
        data = _callback_data(quick.get("payload") or "")
        if data:
            rows.append([{"text": _button_text(quick.get("title") or data), "callback_data": data}])
    body: dict = {"chat_id": chat_id, "text": ("\n\n".join(lines) or "…")[:TEXT_MAX]}
    if rows:
        body["reply_markup"] = {"inline_keyboard": rows}
    return body


def send(*, token: str, chat_id: str, text: str, payload: dict) -> str:
    return _message_id(
        call(token, "sendMessage", message_body(chat_id=chat_id, text=text, payload=payload))
    )


# A photo or file by its kind: the Bot API method and the field its address goes in.
_MEDIA_METHODS = {
    "image": ("sendPhoto", "photo"),
    "video": ("sendVideo", "video"),
    "audio": ("sendAudio", "audio"),
    "file": ("sendDocument", "document"),
}


def send_with_media(
    *, token: str, chat_id: str, text: str, payload: dict, kind: str, url: str
) -> str:
    """A message with a photo or file (``kind`` image, video, audio or file) at ``url``, which
    Telegram fetches: the text is its caption when it fits and no button rides on it;
    otherwise the file, then the message as ``send`` sends it."""
    method, field_name = _MEDIA_METHODS[kind]
    body: dict = {"chat_id": chat_id, field_name: url}
    buttons = payload.get("product") or payload.get("pay_url") or payload.get("quick_replies")
    captioned = not buttons and len(text) <= CAPTION_MAX
    if captioned and text:
        body["caption"] = text
    sent = _message_id(call(token, method, body))
    if captioned:
        return sent
    return send(token=token, chat_id=chat_id, text=text, payload=payload)


def answer_callback(*, token: str, callback_query_id: str) -> None:
    call(token, "answerCallbackQuery", {"callback_query_id": callback_query_id})


def answer_pre_checkout(*, token: str, query_id: str, ok: bool, error: str = "") -> None:
    body: dict = {"pre_checkout_query_id": query_id, "ok": ok}
    if not ok:
        body["error_message"] = error[:200]
    call(token, "answerPreCheckoutQuery", body)


def invoice_body(
    *,
    chat_id: str,
    title: str,
    description: str,
    payload: str,
    provider_token: str,
    currency: str,
    prices: list[tuple[str, int]],
) -> dict:
    """``sendInvoice``: title 1-32, description 1-255, payload 1-128 bytes, amounts in minor
    units."""
    return {
        "chat_id": chat_id,
        "title": (title or "Order")[:INVOICE_TITLE_MAX],
        "description": (description or title or "Order")[:INVOICE_DESCRIPTION_MAX],
        "payload": payload.encode()[:INVOICE_PAYLOAD_MAX_BYTES].decode(errors="ignore"),
        "provider_token": provider_token,
        "currency": currency.upper(),
        "prices": [{"label": label[:32], "amount": int(amount)} for label, amount in prices],
        # The order needs a name, an e-mail for its receipt and where to send it.
        "need_name": True,
        "need_email": True,
        "need_shipping_address": True,
    }


def _message_id(answer: dict) -> str:
    result = answer.get("result")
    return str(result.get("message_id") or "") if isinstance(result, dict) else ""


def send_invoice(*, token: str, body: dict) -> str:
    return _message_id(call(token, "sendInvoice", body))


def get_me(*, token: str) -> dict:
    return call(token, "getMe", {})


def set_webhook(*, token: str, url: str, secret_token: str, allowed_updates: list[str]) -> dict:
    """Point the bot's updates at ``url``, each carrying ``secret_token``."""
    return call(
        token,
        "setWebhook",
        {"url": url, "secret_token": secret_token, "allowed_updates": allowed_updates},
    )
