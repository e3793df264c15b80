"""The shopper's web chat with a shop: a panel (bottom sheet on a phone, side panel on a desktop)
that the launcher on the shop, product and post pages opens, the same chat as a page of its own
(without JavaScript), the partial of new messages the panel fetches when its socket says so, and
the bot's payment links.

Guests chat too: their session holds a random token (``live.GUEST_SESSION_KEY``) that names them
in the conversation's external id. After they log in, the next chat request joins their chat to
the account and forgets the token (as the cart does). A person only ever reaches their own
conversation: every view looks it up by the request's own contact key, never by an id.

Thin: parse, call a service or selector, render. Every DomainError shows its translated message
in the panel with its status (422 bad text, 429 flood), and the form keeps what was typed.
"""

import json

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from plaza.accounts.models import Shop
from plaza.accounts.selectors import shop_get_recent
from plaza.checkout.services import cart_add, cart_get_or_create
from plaza.core.exceptions import DomainError, NotFound, ValidationError
from plaza.core.shortcuts import not_found_as_404
from plaza.messaging import selectors, services
from plaza.messaging.bot import engine
from plaza.messaging.live import GUEST_SESSION_KEY
from plaza.messaging.models import Conversation

# The longest quick-reply payload the chat passes on to the bot.
QUICK_REPLY_MAX_LENGTH = 200


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _int(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def chat_contact_key(request: HttpRequest, *, create: bool = False) -> str | None:
    """The web chat's external id of the person making the request, or None for a guest who
    never wrote (unless ``create``: then a guest token is put in their session).

    A logged-in person whose session still holds a guest token wrote as a guest before logging
    in: their guest conversations join the account now, and the token is dropped."""
    token = request.session.get(GUEST_SESSION_KEY)
    if request.user.is_authenticated:
        if token:
            services.conversation_join_account(guest_token=token, user=request.user)
            request.session.pop(GUEST_SESSION_KEY, None)
        return services.web_contact_key(user=request.user)
    if not token:
        if not create:
            return None
        token = services.guest_token_new()
        request.session[GUEST_SESSION_KEY] = token
    return services.web_contact_key(guest_token=token)


def chat_rate_key(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"guest:{request.session.get(GUEST_SESSION_KEY, '')}"


def _own_conversation(request: HttpRequest, shop: Shop) -> Conversation | None:
    key = chat_contact_key(request)
    if key is None:
        return None
    return selectors.customer_conversation_get(shop=shop, external_id=key)


def _context_product(shop: Shop, product_id: int | None) -> dict | None:
    """The card of the product the chat was opened on, or None (unknown or another shop's)."""
    if product_id is None:
        return None
    try:
        return selectors.product_card(shop=shop, product_id=product_id, language=get_language())
    except NotFound:
        return None


def _panel_context(request: HttpRequest, shop: Shop, *, error: str = "", text: str = "") -> dict:
    conversation = _own_conversation(request, shop)
    history = []
    if conversation is not None:
        history = selectors.message_list(conversation=conversation, for_staff=False)
        services.messages_mark_read(conversation=conversation)
    product_id = _int(request.GET.get("product") or request.POST.get("product"))
    product = _context_product(shop, product_id)
    return {
        "shop": shop,
        "conversation": conversation,
        "chat_messages": history,
        "context_product": product,
        "greeting": selectors.inbox_settings_get(shop=shop).greeting,
        "error": error,
        "text": text,
    }


@require_safe
@not_found_as_404
def chat_detail(request: HttpRequest, shop_slug: str) -> HttpResponse:
    """The chat with the shop: the panel's content for htmx, else a page of its own."""
    shop = shop_get_recent(slug=shop_slug)
    context = _panel_context(request, shop)
    template = "messaging/chat_panel.html" if _is_htmx(request) else "messaging/chat_page.html"
    return render(request, template, context)


@require_safe
@not_found_as_404
def chat_message_list(request: HttpRequest, shop_slug: str) -> HttpResponse:
    """The messages after ``?after=<id>`` (all without it), for the panel to append: its socket
    said a new message is there. The customer is looking: what the shop sent is read."""
    shop = shop_get_recent(slug=shop_slug)
    conversation = _own_conversation(request, shop)
    rows = []
    if conversation is not None:
        rows = selectors.message_list(
            conversation=conversation, for_staff=False, after_id=_int(request.GET.get("after"))
        )
        services.messages_mark_read(conversation=conversation)
    return render(request, "messaging/chat_messages.html", {"chat_messages": rows, "shop": shop})


def _message_payload(request: HttpRequest) -> dict:
    payload: dict = {}
    quick_reply = (request.POST.get("quick_reply") or "").strip()
    if quick_reply:
        payload["quick_reply"] = quick_reply[:QUICK_REPLY_MAX_LENGTH]
    product_id = _int(request.POST.get("product"))
    if product_id is not None:
        payload["context_product"] = product_id
    return payload


@require_POST
@not_found_as_404
def chat_message_create(request: HttpRequest, shop_slug: str) -> HttpResponse:
    """The customer writes (or presses a quick reply): their message and the bot's answers.
    A refusal (empty, too long, binary, too fast) answers the translated reason with its status
    and stores nothing; the panel shows it and keeps the text."""
    shop = shop_get_recent(slug=shop_slug)
    text = request.POST.get("text", "")
    payload = _message_payload(request)
    try:
        services.message_text_check(
            text=text,
            has_attachment="attachment" in request.FILES,
            quick_reply=payload.get("quick_reply", ""),
        )
        conversation, message, replies = services.web_chat_message_post(
            shop=shop,
            external_id=chat_contact_key(request, create=True),
            customer=request.user if request.user.is_authenticated else None,
            text=text,
            attachment=request.FILES.get("attachment"),
            payload=payload,
            language=get_language(),
            rate_key=chat_rate_key(request),
        )
    except DomainError as exc:
        if _is_htmx(request):
            response = render(
                request, "messaging/chat_error.html", {"error": exc.message}, status=exc.status_code
            )
            response["HX-Retarget"] = "#ch-error"
            response["HX-Reswap"] = "innerHTML"
            return response
        context = _panel_context(request, shop, error=exc.message, text=text)
        return render(request, "messaging/chat_page.html", context, status=exc.status_code)
    if not _is_htmx(request):
        url = reverse("messaging:chat-detail", kwargs={"shop_slug": shop.slug})
        product_id = _int(request.POST.get("product"))
        return redirect(f"{url}?product={product_id}" if product_id else url)
    response = render(
        request,
        "messaging/chat_messages.html",
        {"chat_messages": [message, *replies], "shop": shop},
    )
    # The panel of a first message learns its conversation, and follows it live from now on.
    response["HX-Trigger"] = json.dumps({"chat:conversation": {"id": conversation.pk}})
    return response


@require_safe
def chat_pay(request: HttpRequest, token: str) -> HttpResponse:
    """A payment link the bot sent. One item: "Buy now" with the variant and quantity agreed in
    the chat (it asks a guest to log in or sign up first; logging in joins their chat to the
    account, so the bot hears of the payment). Several items (a cart sent from a network's
    catalog): after logging in, they go into the shopper's cart, and the cart opens.
    An expired link answers 410, a broken one 400, with a way back to the shop."""
    try:
        conversation, lines = engine.payment_link_read(token)
    except ValidationError as exc:
        expired = exc.code == "expired"
        shop = getattr(exc, "shop", None)
        return render(
            request,
            "messaging/pay_link_invalid.html",
            {
                "title": _("This payment link has expired.")
                if expired
                else _("This payment link does not work."),
                "message": exc.message,
                "shop": shop if isinstance(shop, Shop) else None,
            },
            status=410 if expired else 400,
        )
    if not request.user.is_authenticated:
        # Back here once logged in: the payer then becomes the conversation's customer.
        return redirect_to_login(request.get_full_path())
    # A conversation on a network knows the customer only by the network's id: the person who
    # opened its link and logged in is its customer, so the bot can tell them it is paid.
    services.conversation_link_payer(conversation=conversation, user=request.user)
    if len(lines) == 1:
        ((variant_id, quantity),) = lines
        url = reverse("checkout:buy-now")
        return redirect(f"{url}?variant={int(variant_id)}&quantity={int(quantity)}")
    cart = cart_get_or_create(user=request.user)
    for variant_id, quantity in lines:
        try:
            cart_add(cart=cart, variant_id=variant_id, quantity=quantity)
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("checkout:cart-detail")
