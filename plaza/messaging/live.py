"""Live conversations: new messages reach the customer's chat and the staff's inbox as they
are stored, through the channel layer (in memory embedded, Redis scaled).

Two sockets:

- ``ws/chat/<conversation id>/``: one conversation, for its customer (the logged-in account,
  or the guest whose session holds the conversation's guest token) or for the shop's staff.
  It sends ``{"type": "message", "id": <message id>}`` for every new message the socket's
  person may see (customers never hear of private notes); the page then fetches the message's
  HTML, so messages are rendered by one template whatever the way they arrive.
- ``ws/inbox/<shop slug>/``: the shop's staff. It sends ``{"type": "conversation",
  "id": <conversation id>}`` when a conversation changes (new message, assignment, status),
  and the inbox refreshes its list.

Anyone else is refused at connect (closed with code 4403). The layer carries ids only.
"""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from plaza.accounts.models import Membership
from plaza.core.live import group_send_soon, socket_loop_remember
from plaza.messaging.models import Conversation, Direction

logger = logging.getLogger(__name__)

GUEST_SESSION_KEY = "plaza_chat_guest"
REFUSED = 4403


def conversation_group(conversation_id: int) -> str:
    return f"chat.conversation.{conversation_id}"


def inbox_group(shop_id: int) -> str:
    return f"inbox.shop.{shop_id}"


def message_created_broadcast(
    *, message_id: int, conversation_id: int, shop_id: int, direction: str = "", **_payload
) -> None:
    """Handler of ``message.created``."""
    internal = direction == Direction.INTERNAL
    group_send_soon(
        conversation_group(conversation_id),
        {"type": "chat.message", "id": message_id, "internal": internal},
    )


def conversation_changed_broadcast(*, conversation_id: int, shop_id: int, **_payload) -> None:
    """Handler of ``conversation.changed``."""
    group_send_soon(inbox_group(shop_id), {"type": "inbox.conversation", "id": conversation_id})


def _may_follow(conversation: Conversation, user, session) -> tuple[bool, bool]:
    """(may follow, as staff)."""
    if user is not None and user.is_authenticated:
        if Membership.objects.filter(shop_id=conversation.shop_id, user=user).exists():
            return True, True
        if conversation.external_id == f"user:{user.pk}":
            return True, False
    token = session.get(GUEST_SESSION_KEY) if session is not None else None
    if token and conversation.external_id == f"guest:{token}":
        return True, False
    return False, False


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        socket_loop_remember()
        conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        allowed, self.staff = await self._check(conversation_id)
        if not allowed:
            await self.close(code=REFUSED)
            return
        self.group = conversation_group(conversation_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    @database_sync_to_async
    def _check(self, conversation_id: int) -> tuple[bool, bool]:
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None:
            return False, False
        return _may_follow(conversation, self.scope.get("user"), self.scope.get("session"))

    async def disconnect(self, code) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Sockets only listen: messages are sent over HTTP (validated, rate limited)."""

    async def chat_message(self, event: dict) -> None:
        if event.get("internal") and not self.staff:
            return
        await self.send(text_data=json.dumps({"type": "message", "id": event["id"]}))


class InboxConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        socket_loop_remember()
        shop_id = await self._staff_shop(self.scope["url_route"]["kwargs"]["shop_slug"])
        if shop_id is None:
            await self.close(code=REFUSED)
            return
        self.group = inbox_group(shop_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    @database_sync_to_async
    def _staff_shop(self, slug: str) -> int | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        return (
            Membership.objects.filter(user=user, shop__slug=slug)
            .values_list("shop_id", flat=True)
            .first()
        )

    async def disconnect(self, code) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """The inbox only listens."""

    async def inbox_conversation(self, event: dict) -> None:
        await self.send(text_data=json.dumps({"type": "conversation", "id": event["id"]}))
