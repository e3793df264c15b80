"""API v1: the shopper's web chat with a shop, the same chat as the panel of the web pages.

Who is chatting is the browser's session: a logged-in shopper's account, or a guest named by a
random token the session keeps (created by their first message; after logging in, the guest's
chat joins the account). Nobody reaches another person's conversation: the endpoints have no
conversation id, only the shop. Writes carry the CSRF token (``X-CSRFToken``), guests' too:
without it 403.

Photos and files go as a multipart form to ``/chat/<shop>/attachments``.

Errors: an unknown shop 404; an empty message, one above 4,000 characters or binary data 422;
more than 20 messages a minute 429. Each with a translated ``detail`` (send
``Accept-Language``). Live updates are the WebSocket ``ws/chat/<conversation_id>/``.
"""

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, File, Form, Path, Router, Schema, UploadedFile
from ninja.responses import Status
from ninja.utils import check_csrf
from pydantic import ConfigDict

from plaza.accounts.api_auth import (
    BODY_ERRORS,
    OPTIONAL_AUTH_OPENAPI,
    CsrfFailed,
    Id,
    Slug,
    errors,
    session_shopper,
    shopper_session_optional,
)
from plaza.accounts.selectors import shop_get_recent
from plaza.messaging import selectors, services
from plaza.messaging.models import MESSAGE_MAX_LENGTH, Message
from plaza.messaging.views import QUICK_REPLY_MAX_LENGTH, chat_contact_key, chat_rate_key

router = Router(tags=["chat"])

# --- input -------------------------------------------------------------------------


class ChatMessageIn(Schema):
    """A message to the shop. Unknown fields are refused (422)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        "",
        description=(
            f"Plain text, at most {MESSAGE_MAX_LENGTH:,} characters; HTML shows as text. May be "
            "empty with a `quick_reply`: the message then reads as the button's title."
        ),
    )
    quick_reply: str | None = Field(
        None,
        max_length=QUICK_REPLY_MAX_LENGTH,
        description="The `payload` of the quick-reply button pressed, if one was.",
    )
    product: Id | None = Field(
        None, description="The product the chat is about (opened on its page), if any."
    )


# --- output ------------------------------------------------------------------------


class ShopRefOut(Schema):
    id: int
    slug: str
    name: str


class QuickReplyOut(Schema):
    title: str
    payload: str = Field(..., description="Send it back as `quick_reply` when pressed.")


class ProductCardOut(Schema):
    id: int
    title: str
    price: str = Field(..., description="Formatted for the shopper's language, e.g. ₱4,500.00.")
    url: str
    image: str


def _quick_replies(payload: dict) -> list[dict]:
    buttons = payload.get("quick_replies")
    if not isinstance(buttons, list):
        return []
    return [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in buttons
        if isinstance(b, dict)
    ]


def _product_card(payload: dict) -> dict | None:
    card = payload.get("product")
    if not isinstance(card, dict) or not isinstance(card.get("id"), int):
        return None
    return {
        "id": card["id"],
        **{name: str(card.get(name) or "") for name in ("title", "price", "url", "image")},
    }


class ChatFileOut(Schema):
    kind: str = Field(..., description="`video`, `audio` (a voice note too) or `file`.")
    name: str = Field(..., description="The name the sender's app gave it.")
    type: str = Field(..., description="Its media type, from its content (e.g. `audio/ogg`).")
    size: int = Field(..., description="In bytes.")
    url: str


def _file(obj: Message) -> dict | None:
    sent = (obj.payload or {}).get("file")
    if not obj.file or not isinstance(sent, dict):
        return None
    return {
        "kind": str(sent.get("kind") or "file"),
        "name": str(sent.get("name") or ""),
        "type": str(sent.get("type") or ""),
        "size": int(sent.get("size") or 0),
        "url": obj.file.url,
    }


class ChatMessageOut(Schema):
    id: int
    direction: str = Field(..., description="`in`: from the customer; `out`: from the shop.")
    sender: str = Field(..., description="`customer`, `bot` or `staff`.")
    author_name: str | None = Field(None, description="The staff member who answered.")
    text: str
    image_url: str | None = Field(None, description="A photo sent with the message.")
    file: ChatFileOut | None = Field(
        None,
        description="A video, voice note or document sent with the message (the web chat's form takes them).",
    )
    quick_replies: list[QuickReplyOut] = Field(
        ..., description="Buttons offered with a shop's message (the last one's apply)."
    )
    product: ProductCardOut | None = Field(None, description="A product card.")
    pay_url: str | None = Field(None, description="A payment link to open, if any.")
    status: str = Field(..., description="Delivery of the shop's messages: `sent` or `read`.")
    created_at: datetime

    @staticmethod
    def resolve_sender(obj: Message) -> str:
        return obj.sender_kind

    @staticmethod
    def resolve_author_name(obj: Message) -> str | None:
        if obj.sender_kind != "staff" or obj.author is None:
            return None
        return obj.author.display_name or None

    @staticmethod
    def resolve_image_url(obj: Message) -> str | None:
        if obj.attachment:
            return obj.attachment.url
        url = (obj.payload or {}).get("image_url")
        return str(url) if url else None

    @staticmethod
    def resolve_file(obj: Message) -> dict | None:
        return _file(obj)

    @staticmethod
    def resolve_quick_replies(obj: Message) -> list[dict]:
        return _quick_replies(obj.payload or {})

    @staticmethod
    def resolve_product(obj: Message) -> dict | None:
        return _product_card(obj.payload or {})

    @staticmethod
    def resolve_pay_url(obj: Message) -> str | None:
        url = (obj.payload or {}).get("pay_url")
        return str(url) if url else None


class ChatOut(Schema):
    shop: ShopRefOut
    conversation_id: int | None = Field(
        ...,
        description="None until the customer's first message; follow it live on "
        "`ws/chat/<conversation_id>/`.",
    )
    messages: list[ChatMessageOut] = Field(..., description="The latest 200, oldest first.")


class ChatSentOut(Schema):
    conversation_id: int
    message: ChatMessageOut = Field(..., description="The customer's message, as stored.")
    replies: list[ChatMessageOut] = Field(..., description="The bot's answers, if it answered.")


# --- endpoints ---------------------------------------------------------------------


@router.get(
    "/chat/{shop_slug}",
    operation_id="chat_get",
    response={200: ChatOut, **errors(404, 422)},
    auth=shopper_session_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="The customer's chat with a shop",
    description=(
        "The conversation of the session's shopper (or guest) with the shop and its latest "
        "messages; without one yet, no id and no messages. Reading marks the shop's messages "
        "read."
    ),
)
def chat_get(request: HttpRequest, shop_slug: Path[Slug]):
    shop = shop_get_recent(slug=shop_slug)
    key = chat_contact_key(request)
    conversation = selectors.customer_conversation_get(shop=shop, external_id=key) if key else None
    rows = []
    if conversation is not None:
        rows = selectors.message_list(conversation=conversation, for_staff=False)
        services.messages_mark_read(conversation=conversation)
    return {
        "shop": shop,
        "conversation_id": conversation.pk if conversation else None,
        "messages": rows,
    }


@router.post(
    "/chat/{shop_slug}/messages",
    operation_id="chat_message_create",
    response={201: ChatSentOut, **errors(403, 404, 429, *BODY_ERRORS)},
    auth=shopper_session_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="Write to a shop",
    description=(
        "Stores the customer's message and answers the bot's replies. A guest's first message "
        "gives their session a guest token. Without the CSRF token 403; an empty, binary or "
        f"too long (above {MESSAGE_MAX_LENGTH:,} characters) message 422 and nothing is "
        "stored; more than 20 messages a minute 429."
    ),
)
def chat_message_create(request: HttpRequest, shop_slug: Path[Slug], payload: ChatMessageIn):
    extra: dict = {}
    if payload.quick_reply:
        extra["quick_reply"] = payload.quick_reply
    if payload.product is not None:
        extra["context_product"] = payload.product
    return _post(request, shop_slug, text=payload.text, payload=extra)


def _post(request: HttpRequest, shop_slug: str, *, text: str, payload=None, attachment=None):
    """The customer's message stored and answered: 201 with it and the bot's replies."""
    if session_shopper(request) is None and check_csrf(request) is not None:
        raise CsrfFailed()  # a logged-in shopper's token is checked by their session auth
    shop = shop_get_recent(slug=shop_slug)
    services.message_text_check(
        text=text,
        has_attachment=attachment is not None,
        quick_reply=(payload or {}).get("quick_reply", ""),
    )
    conversation, message, replies = services.web_chat_message_post(
        shop=shop,
        external_id=chat_contact_key(request, create=True),
        customer=session_shopper(request),
        text=text,
        attachment=attachment,
        payload=payload or {},
        language=get_language(),
        rate_key=chat_rate_key(request),
    )
    return Status(201, {"conversation_id": conversation.pk, "message": message, "replies": replies})


@router.post(
    "/chat/{shop_slug}/attachments",
    operation_id="chat_attachment_create",
    response={201: ChatSentOut, **errors(403, 404, 429, *BODY_ERRORS)},
    auth=shopper_session_optional,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
    summary="Send a photo or a file to a shop",
    description=(
        "A multipart form: `file`, a photo (JPEG, PNG, WebP, GIF: stored re-encoded, in "
        "`image_url`) or a video, an audio file or a document (PDF, Word, Excel, PowerPoint, "
        "text: in `file`), recognised by its content; and an optional `text`. The bot answers "
        "as it does a message (a photo or file it cannot read goes to a person). A file in no "
        "format Plaza keeps, or above its size limit, 422 with the reason, and nothing is "
        "stored. The CSRF token and the rate limit as for a message."
    ),
)
def chat_attachment_create(
    request: HttpRequest,
    shop_slug: Path[Slug],
    file: File[UploadedFile],
    text: Form[str] = "",
):
    return _post(request, shop_slug, text=text, attachment=file)
