"""Connectors test setup: a local recorder standing in for the networks' APIs, a connected
account per network, and signed deliveries posted to the real webhook views."""

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from plaza.connectors.services import connection_save
from plaza.connectors.tests.recorder import NetworkRecorder
from plaza.messaging.models import Channel

APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-me"
TELEGRAM_SECRET = "telegram-secret-token"
PAGE_ID = "1122334455"
IG_ID = "17841400000000"
PHONE_ID = "106540352242922"
BOT_ID = "777"


@pytest.fixture
def recorder(settings):
    server = NetworkRecorder().start()
    settings.META_GRAPH_URL = server.url
    settings.INSTAGRAM_GRAPH_URL = server.url
    settings.TELEGRAM_API_URL = server.url
    yield server
    server.stop()
    assert not server.problems, server.problems


def _meta_credentials():
    return {"access_token": "EAAtoken", "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}


@pytest.fixture
def messenger(shop):
    return connection_save(
        shop=shop, channel=Channel.MESSENGER, account_id=PAGE_ID, credentials=_meta_credentials()
    )


@pytest.fixture
def instagram(shop):
    return connection_save(
        shop=shop, channel=Channel.INSTAGRAM, account_id=IG_ID, credentials=_meta_credentials()
    )


@pytest.fixture
def whatsapp(shop):
    return connection_save(
        shop=shop, channel=Channel.WHATSAPP, account_id=PHONE_ID, credentials=_meta_credentials()
    )


@pytest.fixture
def telegram_bot(shop):
    return connection_save(
        shop=shop,
        channel=Channel.TELEGRAM,
        account_id=BOT_ID,
        credentials={"bot_token": "777:AAbot", "secret_token": TELEGRAM_SECRET},
    )


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_meta(client, connection, payload, *, signature: str | None = "auto"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if signature == "auto":
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    url = reverse("connectors:meta-webhook", kwargs={"uid": connection.uid})
    return client.post(url, data=body, content_type="application/json", **headers)


def post_telegram(client, connection, update, *, secret: str | None = TELEGRAM_SECRET):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    url = reverse("connectors:telegram-webhook", kwargs={"uid": connection.uid})
    return client.post(url, data=json.dumps(update), content_type="application/json", **headers)


def messenger_message(
    text="hi", *, mid="m_1", sender="psid-1", page=PAGE_ID, quick=None, obj="page"
):
    message = {"mid": mid, "text": text}
    if quick:
        message["quick_reply"] = {"payload": quick}
    return {
        "object": obj,
        "entry": [
            {
                "id": page,
                "time": 1458692752478,
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": page},
                        "timestamp": 1458692752478,
                        "message": message,
                    }
                ],
            }
        ],
    }


def whatsapp_delivery(messages=(), statuses=(), name="Sheena", wa_id="16505551234"):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": list(messages),
    }
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA_ID", "changes": [{"field": "messages", "value": value}]}],
    }


def telegram_message(text, update_id=1, chat=4242, language="en"):
    """An Update: Ana (``chat``) writes ``text`` to the bot."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1739321024,
            "text": text,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": language},
        },
    }
