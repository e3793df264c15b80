"""The web chat's socket (ws/chat/<conversation id>/), as a browser opens it through config.asgi
with its session cookie: the customer's own page (guest or account) follows the conversation and
hears of each new message; anyone else is refused.

channels.testing imports daphne, which is not installed, so the socket is asgiref's
ApplicationCommunicator (as in plaza/checkout/tests/test_live.py). Each scenario runs with
async_to_sync, services through sync_to_async."""

import json

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from config.asgi import application
from plaza.core.testing import run_async
from plaza.messaging import services
from plaza.messaging.bot import engine
from plaza.messaging.models import Conversation

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 2  # seconds


@pytest.fixture(autouse=True)
def in_memory_channel_layer(settings):
    """The embedded default's channel layer, whatever the environment says."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def quiet_bot(monkeypatch):
    monkeypatch.setattr(engine, "bot_respond", lambda *, conversation, message: [])


class Socket(ApplicationCommunicator):
    """A page's WebSocket to ws/chat/<id>/ with the browser's session cookie."""

    def __init__(self, conversation_id: int, session_key: str | None):
        headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
        if session_key:
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": f"/ws/chat/{conversation_id}/",
                "headers": headers,
                "subprotocols": [],
            },
        )

    async def connect(self) -> dict:
        await self.send_input({"type": "websocket.connect"})
        return await self.receive_output(WAIT)

    async def receive_json(self) -> dict:
        message = await self.receive_output(WAIT)
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(WAIT)


def guest_who_wrote(shop, text: str = "Hello") -> tuple[Client, Conversation]:
    browser = Client()
    url = reverse("messaging:chat-message-create", kwargs={"shop_slug": shop.slug})
    assert browser.post(url, {"text": text}, HTTP_HX_REQUEST="true").status_code == 200
    return browser, Conversation.objects.get(shop=shop, messages__text=text)


def session_key(browser: Client) -> str:
    return browser.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_guests_own_page_hears_each_new_message_of_their_chat(shop, owner):
    # given: a guest wrote, and their page opens the conversation's socket
    browser, conversation = guest_who_wrote(shop)

    async def scenario():
        socket = Socket(conversation.pk, session_key(browser))
        opened = await socket.connect()
        # when: staff answer
        reply = await sync_to_async(services.staff_message_send)(
            conversation=conversation, author=owner, text="Hi, how can I help?"
        )
        heard = await socket.receive_json()
        await socket.disconnect()
        return opened, reply, heard

    opened, reply, heard = run_async(scenario)
    # then
    assert opened["type"] == "websocket.accept"
    assert heard == {"type": "message", "id": reply.pk}


def test_another_guest_cannot_follow_someone_elses_chat(shop):
    # given: one guest's conversation, and a second guest who wrote to the shop too
    _browser, conversation = guest_who_wrote(shop, "mine")
    stranger, _theirs = guest_who_wrote(shop, "theirs")

    async def scenario():
        refused = []
        for key in (session_key(stranger), None):
            socket = Socket(conversation.pk, key)
            refused.append(await socket.connect())
        return refused

    # when: the stranger (and a visitor without a session) open the first guest's socket
    answers = run_async(scenario)
    # then: both are closed with 4403 before being accepted
    assert [answer["type"] for answer in answers] == ["websocket.close", "websocket.close"]
    assert {answer.get("code") for answer in answers} == {4403}


def test_after_logging_in_the_account_follows_the_chat_it_joined(shop, shopper):
    # given: a guest wrote, then logged in, and opened the chat again (which joins it)
    browser, conversation = guest_who_wrote(shop)
    browser.force_login(shopper)
    browser.get(reverse("messaging:chat-detail", kwargs={"shop_slug": shop.slug}))

    async def scenario():
        socket = Socket(conversation.pk, session_key(browser))
        opened = await socket.connect()
        await socket.disconnect()
        return opened

    # when / then
    assert run_async(scenario)["type"] == "websocket.accept"
