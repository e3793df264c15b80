"""The shopping bot's turn: read one customer message, decide, answer.

What it does, in the order it checks:

1. A quick-reply button (``payload["quick_reply"]``) that still applies moves the current flow
   on; one that no longer applies is explained, and the current choices are offered again.
2. A complaint, "talk to a person" or one of the shop's handoff words hands the conversation
   to staff (the bot then stays quiet until they hand it back); out of hours it says when a
   person will answer.
3. A step of the checkout in progress (quantity, an address field, the confirmation).
4. Order status; buying; questions about a product (price, sizes, colours, stock) named in the
   message (fuzzy title or SKU) or the one the chat was opened on; the shop's FAQ entries;
   shipping; recommendations (category, budget, popularity); greeting; thanks.
5. Otherwise, a photo or a file it cannot read goes to a person at once; a text it does not
   understand gets a "did not understand" (the second time in a row it hands off).

Checkout in the chat: variant (buttons) -> quantity (buttons) -> the units are held -> the saved
address, or one collected field by field -> the saved card and a "Pay" button, or a payment
link (guests, or no saved card: the link opens the one-form checkout). A returning shopper
pays in four messages at most: "buy", the variant, the quantity, "Pay".

State lives in ``Conversation.bot_state`` (a dict): ``step``, ``product``, ``variant``,
``quantity``, ``choices`` (the buttons that apply now), ``address`` (fields collected),
``seal``, ``nonce``, ``misses``. The replies are in the shopper's language (the page's, or
the language the message is written in).
"""

import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plaza.accounts.models import Shop, User
from plaza.accounts.selectors import address_list
from plaza.accounts.services import address_create, address_validate
from plaza.catalog.models import Category, Product, ProductStatus, Variant
from plaza.catalog.selectors import product_text
from plaza.checkout.exceptions import CheckoutStale, PaymentDeclined
from plaza.checkout.selectors import (
    quote_build,
    quote_seal,
    reservation_owner,
    shipping_method_list,
)
from plaza.checkout.services import (
    AddressChoice,
    PaymentChoice,
    checkout_complete,
    checkout_hold,
    checkout_release,
)
from plaza.core.cache import near_forget, near_get, near_memo, near_set
from plaza.core.exceptions import DomainError, NotFound, ValidationError
from plaza.core.money import currency_exponent, format_money
from plaza.inventory.exceptions import InsufficientStock
from plaza.inventory.selectors import stock_available_for_variants
from plaza.inventory.services import stock_release, stock_reserve
from plaza.messaging.bot.lexicon import LANGUAGES, fold, has_budget, intents_in, language_of
from plaza.messaging.bot.matching import (
    faq_find,
    numbers_in,
    order_numbers_in,
    product_candidate,
    product_find,
    variants_named,
)
from plaza.messaging.exceptions import WindowClosed
from plaza.messaging.models import Conversation, InboxSettings, Message
from plaza.messaging.selectors import (
    faq_entry_list,
    inbox_settings_get,
    product_card,
    shop_hours,
)
from plaza.orders.selectors import access_buyer_order, order_list_for_buyer
from plaza.payments.selectors import payment_method_list

QUICK_REPLY_MAX = 13  # Messenger's limit; the web chat keeps to it too
QUICK_TITLE_MAX = 20
MAX_QUANTITY = 10
MISSES_BEFORE_HANDOFF = 2
CANDIDATES_MAX = 500
CATALOG_SECONDS = 300
# How long a process keeps a shop's best sellers as the bot recommends them (likes and tags
# move slowly; a new or changed product is seen at once, see ``catalog_forget``).
RANKING_SECONDS = 30
PAY_LINK_SALT = "plaza.messaging.pay-link"
ADDRESS_STEPS = ("full_name", "line1", "city", "postal_code", "country")


def _quick(title: str, payload: str) -> dict:
    title = " ".join(str(title).split())
    if len(title) > QUICK_TITLE_MAX:
        title = title[: QUICK_TITLE_MAX - 1] + "…"
    return {"title": title, "payload": payload}


@dataclass
class Turn:
    conversation: Conversation
    message: Message
    shop: Shop
    customer: User | None
    text: str
    quick: str
    state: dict
    language: str
    settings: InboxSettings | None = None
    replies: list[dict] = field(default_factory=list)
    handed_off: bool = False

    def say(self, text: str, *, quick_replies=None, **payload) -> None:
        data = {k: v for k, v in payload.items() if v}
        if quick_replies:
            data["quick_replies"] = quick_replies[:QUICK_REPLY_MAX]
        self.replies.append({"text": text, "payload": data})

    def money(self, amount: int) -> str:
        return format_money(amount, self.shop.currency, self.language)


# --- entry points --------------------------------------------------------------------


def _language_for(conversation: Conversation, text: str) -> str:
    detected = language_of(text)
    current = (conversation.language or "").lower()
    if detected:
        return detected
    if current in LANGUAGES:
        return current
    shop_language = (conversation.shop.language or "en").lower()
    return shop_language if shop_language in LANGUAGES else "en"


def bot_respond(*, conversation: Conversation, message: Message) -> list[Message]:
    """Answer a customer's message (already stored). Returns the bot's messages, none when the
    bot is off for the shop or the conversation, or a person has taken over. The replies and
    the bot's state are stored together at the end of the turn (``bot_turn_finish``)."""
    from plaza.messaging.services import bot_turn_finish

    if "shop" not in conversation._state.fields_cache:
        conversation = Conversation.objects.select_related("shop", "customer").get(
            pk=conversation.pk
        )
    inbox = inbox_settings_get(shop=conversation.shop)
    if not conversation.bot_active or not inbox.bot_enabled:
        return []
    payload = message.payload or {}
    quick = str(payload.get("quick_reply") or "")[:100]
    state = dict(conversation.bot_state or {})
    context = payload.get("context_product")
    if isinstance(context, int) and not state.get("step"):
        state["product"] = context
    language = _language_for(conversation, message.text if not quick else "")
    turn = Turn(
        conversation=conversation,
        message=message,
        shop=conversation.shop,
        customer=conversation.customer,
        text=message.text,
        quick=quick,
        state=state,
        language=language,
        settings=inbox,
    )
    with translation.override(language):
        _respond(turn)
    return bot_turn_finish(
        conversation=conversation, replies=turn.replies, state=turn.state, language=language
    )


def bot_offer_product(
    *, conversation: Conversation, product: Product, post_id=None, comment_id: str = ""
) -> Message:
    """Comment-to-DM: offer ``product`` with a checkout in the chat. ``comment_id``: the
    message is the private reply to that comment on a network (allowed outside the window)."""
    from plaza.messaging.services import bot_message_send

    language = conversation.language if conversation.language in LANGUAGES else "en"
    state = dict(conversation.bot_state or {})
    with translation.override(language):
        title = product_text(product, language).title
        card = product_card(
            shop=conversation.shop, product_id=product.pk, language=language, product=product
        )
        text = _(
            "Thanks for your comment! Here is %(product)s, %(price)s. Want it? I can "
            "check you out right here."
        ) % {"product": title, "price": card["price"]}
        payload = {
            "product": card,
            "quick_replies": [_quick(_("Buy now"), f"buy:{product.pk}")],
        }
    state.update({"product": product.pk, "step": None})
    if isinstance(post_id, int):
        state["post"] = post_id
    Conversation.objects.filter(pk=conversation.pk).update(bot_state=state)
    return bot_message_send(
        conversation=conversation, text=text, payload=payload, comment_id=comment_id
    )


def bot_offer_post(*, conversation: Conversation, post) -> Message:
    """Comment-to-DM on Plaza's feed: offer the product tagged on ``post`` (the first one)."""
    from plaza.messaging.services import bot_message_send
    from plaza.social.models import ProductTag

    tag = (
        ProductTag.objects.filter(post=post)
        .select_related("product", "product__shop")
        .filter(product__status=ProductStatus.ACTIVE)
        .order_by("pk")
        .first()
    )
    if tag is not None:
        return bot_offer_product(conversation=conversation, product=tag.product, post_id=post.pk)
    language = conversation.language if conversation.language in LANGUAGES else "en"
    with translation.override(language):
        text = _("Thanks for your comment! How can I help you?")
    return bot_message_send(conversation=conversation, text=text)


def bot_order_paid(*, conversation: Conversation, order) -> Message | None:
    """Tell the conversation its order is paid, and close the checkout in progress. None when
    the channel's window no longer lets the bot write."""
    from plaza.messaging.services import bot_message_send

    language = conversation.language if conversation.language in LANGUAGES else "en"
    with translation.override(language):
        text = _(
            "Thank you! Order %(number)s is paid: %(total)s. I will tell you here when it ships."
        ) % {
            "number": order.number,
            "total": format_money(order.total, order.currency, language),
        }
    state = dict(conversation.bot_state or {})
    state.update({"step": None, "choices": []})
    Conversation.objects.filter(pk=conversation.pk).update(bot_state=state)
    try:
        return bot_message_send(conversation=conversation, text=text)
    except WindowClosed:
        return None


# Set, in the shared cache, while some conversation may wait for a payment (a link sent, a bank
# asking to confirm): most captured payments (a feed checkout, a drop) then cost no query here.
LINKS_OUT_KEY = "messaging:bot:payment-links-out"


def links_out_note() -> None:
    """A conversation now waits for a payment (its step is ``link``), for as long as a link
    lasts and a little more."""
    seconds = int(getattr(settings, "PLAZA_PAYMENT_LINK_SECONDS", 3600)) + 900
    cache.set(LINKS_OUT_KEY, 1, timeout=seconds)


def bot_payment_captured(*, payment_id: int) -> None:
    """A payment was captured: a conversation that sent its customer a payment link for this
    shop hears that the order is paid."""
    from plaza.orders.models import Order

    if cache.get(LINKS_OUT_KEY) is None:
        return  # no conversation has waited for a payment lately
    orders = Order.objects.filter(payment_id=payment_id, buyer__isnull=False).select_related(
        "shop", "buyer"
    )
    for order in orders:
        waiting = Conversation.objects.filter(
            shop=order.shop, customer=order.buyer, bot_state__step="link"
        )
        for conversation in waiting:
            bot_order_paid(conversation=conversation, order=order)


def payment_link_make(
    *,
    conversation: Conversation,
    variant_id: int | None = None,
    quantity: int = 1,
    lines: list[tuple[int, int]] | None = None,
) -> str:
    """A signed link to pay on Plaza's checkout page for ``quantity`` of the variant, or for
    several ``lines`` (variant id, quantity) at once (a WhatsApp cart)."""
    lines = list(lines or [(variant_id, quantity)])
    token = signing.dumps(
        {"c": conversation.pk, "l": [[int(v), int(q)] for v, q in lines]},
        salt=PAY_LINK_SALT,
        compress=True,
    )
    try:
        path = reverse("messaging:chat-pay", kwargs={"token": token})
    except NoReverseMatch:  # the web chat's URLs are not mounted (e.g. a bare API deployment)
        path = f"/chat/pay/{token}/"
    return f"{settings.SITE_URL}{path}"


def payment_link_read(token: str) -> tuple[Conversation, list[tuple[int, int]]]:
    """Read a payment link: (conversation, [(variant id, quantity)]). The chat's hold is given
    back (the checkout page holds the units for the shopper who pays). Raises ValidationError
    when the link expired (after PLAZA_PAYMENT_LINK_SECONDS) or was altered."""
    max_age = int(getattr(settings, "PLAZA_PAYMENT_LINK_SECONDS", 3600))
    try:
        data = signing.loads(str(token)[:4000], salt=PAY_LINK_SALT, max_age=max_age)
        lines = [(int(v), int(q)) for v, q in data["l"]]
    except signing.SignatureExpired:
        error = ValidationError(
            _("This payment link has expired. Ask in the chat for a new one."),
            field="token",
            code="expired",
        )
        # Genuine but old: its shop is known, so the page can lead back to it.
        old = signing.loads(str(token)[:4000], salt=PAY_LINK_SALT)
        found = Conversation.objects.filter(pk=old.get("c")).select_related("shop").first()
        error.shop = found.shop if found is not None else None
        raise error from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError(_("This payment link is not valid."), field="token") from None
    conversation = Conversation.objects.filter(pk=data.get("c")).first()
    if conversation is None or not lines:
        raise ValidationError(_("This payment link is not valid."), field="token")
    stock_release(owner=_chat_owner(conversation))
    return conversation, lines


def bot_cart_offer(*, conversation: Conversation, lines: list[tuple[int, int]]) -> list[Message]:
    """A cart sent from the network's catalog (WhatsApp): hold its units and answer with its
    total and a payment link, or say which items cannot be had."""
    from plaza.messaging.services import bot_message_send

    conversation = Conversation.objects.select_related("shop", "customer").get(pk=conversation.pk)
    language = conversation.language if conversation.language in LANGUAGES else "en"
    shop = conversation.shop
    with translation.override(language):
        variants = {
            v.pk: v
            for v in Variant.objects.filter(
                pk__in=[v for v, _q in lines],
                product__shop=shop,
                product__status=ProductStatus.ACTIVE,
            )
        }
        wanted = {v: q for v, q in lines if v in variants}
        if not wanted:
            text, payload = _("None of these items can be bought now."), {}
        else:
            try:
                stock_reserve(owner=_chat_owner(conversation), lines=wanted)
            except InsufficientStock as exc:
                text = exc.message
                payload = {}
            else:
                total = sum(variants[v].price * q for v, q in wanted.items())
                url = payment_link_make(conversation=conversation, lines=list(wanted.items()))
                text = ngettext(
                    "I am holding your %(n)s item for you: %(total)s. Tap to pay.",
                    "I am holding your %(n)s items for you: %(total)s. Tap to pay.",
                    sum(wanted.values()),
                ) % {
                    "n": sum(wanted.values()),
                    "total": format_money(total, shop.currency, language),
                }
                payload = {"pay_url": url}
                state = dict(conversation.bot_state or {})
                state.update({"step": "link", "choices": []})
                Conversation.objects.filter(pk=conversation.pk).update(bot_state=state)
                links_out_note()
    try:
        return [bot_message_send(conversation=conversation, text=text, payload=payload)]
    except WindowClosed:
        return []


# --- the turn ------------------------------------------------------------------------


def _respond(turn: Turn) -> None:
    if turn.quick:
        _on_quick_reply(turn)
        return
    intents = intents_in(turn.text)
    if "complaint" in intents:
        _handoff(turn, _("The customer has a complaint."))
        return
    if "human" in intents or _shop_handoff_word(turn):
        _handoff(turn, _("The customer asked for a person."))
        return
    step = turn.state.get("step")
    if step and _continue_step(turn, step, intents):
        _understood(turn)
        return
    if _answer(turn, intents):
        _understood(turn)
        return
    if _sent_something_to_look_at(turn.message):
        # A photo, a video, a voice note or a document the bot cannot read: a person can.
        _handoff(turn, _("The customer sent a photo or a file the bot cannot read."))
        return
    _not_understood(turn)


def _sent_something_to_look_at(message: Message) -> bool:
    payload = message.payload or {}
    return bool(
        message.attachment or message.file or payload.get("image_url") or payload.get("file")
    )


def _understood(turn: Turn) -> None:
    turn.state["misses"] = 0


def _not_understood(turn: Turn) -> None:
    misses = int(turn.state.get("misses") or 0) + 1
    turn.state["misses"] = misses
    if misses >= MISSES_BEFORE_HANDOFF:
        turn.state["misses"] = 0
        _handoff(turn, _("The bot did not understand the customer twice in a row."))
        return
    turn.say(
        _(
            "Sorry, I did not understand. You can ask me about a product's price, sizes, colours "
            "or stock, shipping, your order, or ask for recommendations."
        ),
        quick_replies=[
            _quick(_("Recommendations"), "recommend"),
            _quick(_("My order"), "orders"),
            _quick(_("Talk to a person"), "human"),
        ],
    )


def _shop_handoff_word(turn: Turn) -> bool:
    words_ = turn.settings.handoff_keywords
    folded = fold(turn.text)
    return any(w and w in folded for w in (fold(k) for k in words_.split(",")))


def _handoff(turn: Turn, reason: str) -> None:
    from plaza.messaging.services import conversation_handoff

    inbox = turn.settings
    hours = shop_hours(settings=inbox)
    if hours.is_open:
        turn.say(_("I have asked a person from the shop to answer you. They will reply here."))
    elif inbox.away_message:
        turn.say(inbox.away_message)
    elif hours.next_open is not None:
        when = formats.date_format(hours.next_open, "l H:i")
        turn.say(
            _("Our team is away now. A person will answer you here from %(when)s.") % {"when": when}
        )
    else:
        turn.say(_("Our team is away now. A person will answer you here as soon as possible."))
    turn.handed_off = True
    conversation_handoff(conversation=turn.conversation, reason=reason)


# --- quick replies -------------------------------------------------------------------


def _on_quick_reply(turn: Turn) -> None:
    quick = turn.quick
    kind, _sep, value = quick.partition(":")
    step = turn.state.get("step")
    choices = turn.state.get("choices") or []
    if kind == "human":
        _handoff(turn, _("The customer asked for a person."))
    elif kind == "recommend":
        _recommend(turn)
    elif kind == "orders":
        _order_status(turn)
    elif kind == "buy" and value.isdigit():
        product = _product_get(turn, int(value))
        if product is None:
            _stale_choice(turn)
        else:
            _buy(turn, product)
    elif kind == "cancel" and step:
        _cancel(turn)
    elif quick in choices:
        if kind == "variant" and step == "variant":
            _choose_variant(turn, int(value))
        elif kind == "qty" and step == "quantity":
            _choose_quantity(turn, int(value))
        elif kind == "pay" and step == "confirm":
            _pay(turn)
        else:
            _stale_choice(turn)
    else:
        _stale_choice(turn)


def _stale_choice(turn: Turn) -> None:
    """A button from an earlier message: say so and offer what applies now."""
    turn.say(_("That choice no longer applies. Here is where we are:"))
    step = turn.state.get("step")
    if step == "variant" and (product := _product_get(turn, turn.state.get("product"))):
        _offer_variants(turn, product)
    elif step == "quantity" and (variant := _variant_get(turn, turn.state.get("variant"))):
        _ask_quantity(turn, variant)
    elif step == "confirm":
        _confirm(turn)
    elif step and step.startswith("address:"):
        _ask_address_field(turn, step.partition(":")[2])
    else:
        turn.state.update({"step": None, "choices": []})
        _menu(turn)


def _menu(turn: Turn) -> None:
    turn.say(
        _("What can I do for you?"),
        quick_replies=[
            _quick(_("Recommendations"), "recommend"),
            _quick(_("My order"), "orders"),
            _quick(_("Talk to a person"), "human"),
        ],
    )


# --- steps of a checkout in progress -------------------------------------------------


def _continue_step(turn: Turn, step: str, intents: dict) -> bool:
    """Typed answers to the current step. False when the message is about something else."""
    if (
        "no" in intents
        and step in ("quantity", "confirm", "link", "variant")
        or (step.startswith("address:") and "no" in intents and len(turn.text) < 20)
    ):
        _cancel(turn)
        return True
    if step == "variant":
        product = _product_get(turn, turn.state.get("product"))
        if product is None:
            return False
        named = variants_named(turn.text, _variant_rows(product))
        if len(named) == 1 and f"variant:{named[0]}" in (turn.state.get("choices") or []):
            _choose_variant(turn, named[0])
            return True
        return False
    if step == "quantity":
        numbers = [n for n in numbers_in(turn.text) if n == int(n)]
        if numbers and not ({"price", "stock", "sizes"} & set(intents)):
            _choose_quantity(turn, int(numbers[0]))
            return True
        return False
    if step == "confirm":
        if "yes" in intents:
            _pay(turn)
            return True
        return False
    if step.startswith("address:"):
        _take_address_field(turn, step.partition(":")[2])
        return True
    return False


def _cancel(turn: Turn) -> None:
    _release(turn)
    turn.state.update({"step": None, "choices": [], "address": {}})
    turn.say(_("No problem, I have cancelled that. Anything else?"))


def _chat_owner(conversation: Conversation) -> str:
    return f"chat:{conversation.pk}"


def _release(turn: Turn) -> None:
    if turn.customer is not None:
        checkout_release(buyer=turn.customer)
    stock_release(owner=_chat_owner(turn.conversation))


# --- catalog -------------------------------------------------------------------------


def _product_key(product_id: int) -> str:
    return f"messaging:bot:product:{product_id}"


def _product_get(turn: Turn, product_id) -> Product | None:
    """The shop's product on sale, with its translations, images and variants, as the bot's
    answers read it; kept in the cache until the product changes (stock is read apart)."""
    if not isinstance(product_id, int):
        return None
    key = _product_key(product_id)
    product = near_get(key)
    if product is None:
        product = (
            Product.objects.filter(pk=product_id, status=ProductStatus.ACTIVE)
            .select_related("shop")
            .prefetch_related("translations", "images", "variants")
            .first()
        )
        if product is None:
            return None
        near_set(key, product, timeout=CATALOG_SECONDS)
    if product.shop_id != turn.shop.pk or product.status != ProductStatus.ACTIVE:
        return None
    return product


def _variant_get(turn: Turn, variant_id) -> Variant | None:
    if not isinstance(variant_id, int):
        return None
    return (
        Variant.objects.filter(
            pk=variant_id, product__shop=turn.shop, product__status=ProductStatus.ACTIVE
        )
        .select_related("product")
        .first()
    )


def _variant_rows(product: Product) -> list[dict]:
    return [
        {"id": v.pk, "values": list((v.option_values or {}).values())}
        for v in product.variants.all()
    ]


def _catalog_key(shop_id: int) -> str:
    return f"messaging:bot:catalog:v2:{shop_id}"  # v2: rows of ``product_candidate``


def catalog_forget(*, shop_id: int | None = None, product_id: int | None = None, **_payload):
    """Handler of ``product.changed``: the bot reads the shop's catalog (and the product)
    afresh."""
    if shop_id is not None:
        near_forget(_catalog_key(shop_id))
        near_forget(_ranking_key(shop_id))
    if product_id is not None:
        near_forget(_product_key(product_id))


def _candidates(shop: Shop) -> list[dict]:
    """What the bot matches names against: every product on sale with its titles (all
    languages) and SKUs. Kept in the cache (Redis when scaled) until a product changes, and
    for CATALOG_SECONDS at most."""
    key = _catalog_key(shop.pk)
    cached = near_get(key)
    if cached is not None:
        return cached
    products = (
        Product.objects.filter(shop=shop, status=ProductStatus.ACTIVE)
        .prefetch_related("translations", "variants")
        .order_by("-created_at")[:CANDIDATES_MAX]
    )
    rows = [
        product_candidate(
            product_id=p.pk,
            titles=[p.title, *(t.title for t in p.translations.all())],
            skus={v.sku: v.pk for v in p.variants.all()},
        )
        for p in products
    ]
    near_set(key, rows, timeout=CATALOG_SECONDS)
    return rows


def _variant_label(variant: Variant) -> str:
    values = list((variant.option_values or {}).values())
    return " / ".join(str(v) for v in values) or variant.title or variant.sku


def _title(turn: Turn, product: Product) -> str:
    return product_text(product, turn.language).title


# --- answers -------------------------------------------------------------------------


def _answer(turn: Turn, intents: dict) -> bool:
    text = turn.text
    if "order_status" in intents or order_numbers_in(text):
        _order_status(turn)
        return True
    match = product_find(text, _candidates(turn.shop))
    product_question = {"price", "stock", "sizes", "colours"} & set(intents)
    product = _product_get(turn, match.product_id) if match else None
    if product is not None:
        turn.state["product"] = product.pk
    elif (product_question or "buy" in intents) and not {"recommend", "shipping"} & set(intents):
        # "Is size 42 in stock?" on a product's page, or after talking about one (but "how
        # much is shipping?" and "what do you recommend?" are not about that product).
        product = _product_get(turn, turn.state.get("product"))
    sku_variant = match.variant_id if match else None
    if product is not None and "buy" in intents and not {"price", "stock"} & set(intents):
        _buy(turn, product, variant_id=sku_variant)
        return True
    if product is not None and (product_question or match is not None):
        named = [sku_variant] if sku_variant else variants_named(text, _variant_rows(product))
        if product_question or named:
            _product_answer(turn, product, set(intents), named)
            return True
    faq = faq_find(text, _faq_rows(turn.shop))
    if faq is not None:
        turn.say(faq["answer"])
        return True
    if product is None and product_question and not {"recommend", "shipping"} & set(intents):
        turn.say(_("Which product do you mean? Tell me its name, or pick one:"))
        _recommend(turn, intro=False)
        return True
    if "shipping" in intents:
        _shipping(turn)
        return True
    if "recommend" in intents or (has_budget(text) and numbers_in(text)):
        _recommend(turn)
        return True
    if product is not None and match is not None:
        _product_answer(turn, product, set(), [])
        return True
    if "buy" in intents:
        turn.say(_("Which product would you like? Tell me its name, or pick one:"))
        _recommend(turn, intro=False)
        return True
    if "greeting" in intents:
        greeting = turn.settings.greeting
        turn.say(
            greeting
            or _(
                "Hi! I am %(shop)s's assistant. Ask me about a product, sizes, stock, "
                "shipping or your order."
            )
            % {"shop": turn.shop.name},
            quick_replies=[
                _quick(_("Recommendations"), "recommend"),
                _quick(_("My order"), "orders"),
            ],
        )
        return True
    if "thanks" in intents:
        turn.say(_("You are welcome! Anything else?"))
        return True
    return False


def _faq_rows(shop: Shop) -> list[dict]:
    """The shop's FAQ entries as the matcher reads them, kept in the cache until one changes."""
    from plaza.messaging.services import faq_key

    key = faq_key(shop.pk)
    rows = near_get(key)
    if rows is None:
        rows = [
            {
                "question": e.question,
                "answer": e.answer,
                "keywords": [k.strip() for k in e.keywords.split(",") if k.strip()],
            }
            for e in faq_entry_list(shop=shop)
        ]
        near_set(key, rows, timeout=CATALOG_SECONDS)
    return rows


def _stock_of(product: Product) -> tuple[list[Variant], dict[int, int]]:
    variants = list(product.variants.all())
    available = stock_available_for_variants(variant_ids=[v.pk for v in variants])
    return variants, available


def _stock_phrase(label: str, units: int) -> str:
    if units <= 0:
        return _("%(variant)s is sold out.") % {"variant": label}
    if units <= 5:
        return ngettext(
            "Yes, %(variant)s is in stock: only %(n)s left.",
            "Yes, %(variant)s is in stock: only %(n)s left.",
            units,
        ) % {"variant": label, "n": units}
    return _("Yes, %(variant)s is in stock.") % {"variant": label}


def _product_answer(turn: Turn, product: Product, intents: set, named: list[int]) -> None:
    """Price, sizes, colours and stock of a product (of the named variants when some are)."""
    variants, available = _stock_of(product)
    title = _title(turn, product)
    by_id = {v.pk: v for v in variants}
    lines = []
    chosen = [by_id[pk] for pk in named if pk in by_id]
    if chosen:
        for variant in chosen:
            units = available.get(variant.pk, 0)
            label = _variant_label(variant)
            if "price" in intents:
                lines.append(
                    _("%(product)s, %(variant)s: %(price)s.")
                    % {"product": title, "variant": label, "price": turn.money(variant.price)}
                )
            if "price" not in intents or "stock" in intents or units <= 0:
                lines.append(_stock_phrase(label, units))
        if all(available.get(v.pk, 0) <= 0 for v in chosen):
            others = [_variant_label(v) for v in variants if available.get(v.pk, 0) > 0]
            if others:
                lines.append(_("In stock: %(list)s.") % {"list": ", ".join(others)})
    else:
        prices = sorted({v.price for v in variants})
        if "price" in intents or not intents:
            if len(prices) == 1:
                lines.append(
                    _("%(product)s costs %(price)s.")
                    % {"product": title, "price": turn.money(prices[0])}
                )
            elif prices:
                lines.append(
                    _("%(product)s costs %(low)s to %(high)s, depending on the option.")
                    % {
                        "product": title,
                        "low": turn.money(prices[0]),
                        "high": turn.money(prices[-1]),
                    }
                )
        in_stock = [v for v in variants if available.get(v.pk, 0) > 0]
        sold_out = [v for v in variants if available.get(v.pk, 0) <= 0]
        if {"sizes", "colours", "stock"} & intents or not intents:
            if in_stock:
                lines.append(
                    _("In stock: %(list)s.")
                    % {"list": ", ".join(_stock_label(v, available) for v in in_stock)}
                )
            if sold_out:
                lines.append(
                    _("Sold out: %(list)s.")
                    % {"list": ", ".join(_variant_label(v) for v in sold_out)}
                )
            if not in_stock:
                lines.append(_("%(product)s is sold out.") % {"product": title})
    buyable = [v for v in (chosen or variants) if available.get(v.pk, 0) > 0]
    quick = [
        _quick(_("Buy %(option)s") % {"option": _variant_label(v)}, f"variant:{v.pk}")
        for v in buyable
    ]
    turn.state.update(
        {
            "step": "variant" if quick else None,
            "product": product.pk,
            "choices": [q["payload"] for q in quick],
        }
    )
    card = product_card(
        shop=turn.shop, product_id=product.pk, language=turn.language, product=product
    )
    turn.say(" ".join(lines), quick_replies=quick, product=card if not chosen else None)


def _stock_label(variant: Variant, available: dict[int, int]) -> str:
    units = available.get(variant.pk, 0)
    label = _variant_label(variant)
    if units <= 5:
        return _("%(variant)s (%(n)s left)") % {"variant": label, "n": units}
    return label


def _shipping(turn: Turn) -> None:
    methods = near_memo(
        f"messaging:bot:shipping:{turn.shop.pk}", lambda: list(shipping_method_list(shop=turn.shop))
    )
    if not methods:
        turn.say(_("The shop will tell you the shipping cost at checkout."))
        return
    parts = []
    for method in methods:
        price = _("free") if method.price == 0 else turn.money(method.price)
        part = f"{method.name}: {price}"
        if method.delivery_days:
            part += f" ({method.delivery_days})"
        if method.free_above is not None:
            part += " — " + _("free from %(amount)s") % {"amount": turn.money(method.free_above)}
        parts.append(part)
    turn.say(_("Shipping: %(list)s.") % {"list": "; ".join(parts)})


def _budget(turn: Turn) -> int | None:
    if not has_budget(turn.text):
        return None
    numbers = numbers_in(turn.text)
    if not numbers:
        return None
    try:
        return int(Decimal(str(numbers[0])).scaleb(currency_exponent(turn.shop.currency)))
    except (InvalidOperation, ValueError):
        return None


def _ranking_key(shop_id: int) -> str:
    return f"messaging:bot:ranking:{shop_id}"


def _ranking(shop: Shop) -> dict:
    """The shop's products on sale, most liked and most shown first, with what a
    recommendation filters on, and its categories' folded names: kept RANKING_SECONDS in the
    process (``near_memo``)."""

    def read() -> dict:
        rows = (
            Product.objects.filter(shop=shop, status=ProductStatus.ACTIVE)
            .annotate(
                liked=Count("post_tags__post__likes", distinct=True),
                tagged=Count(
                    "post_tags", filter=Q(post_tags__post__status="published"), distinct=True
                ),
            )
            .order_by("-liked", "-tagged", "-created_at")
            .values_list("pk", "category_id", "price_min")[:CANDIDATES_MAX]
        )
        names = Category.objects.filter(shop=shop).values_list("pk", "name")
        return {
            "products": list(rows),
            "categories": [(pk, fold(name)) for pk, name in names if name],
        }

    return near_memo(_ranking_key(shop.pk), read, RANKING_SECONDS)


def _recommend(turn: Turn, *, intro: bool = True) -> None:
    """Three products: in the category the message names, under its budget, best sellers and
    most liked first."""
    ranking = _ranking(turn.shop)
    folded = fold(turn.text)
    categories = {pk for pk, name in ranking["categories"] if name in folded}
    budget = _budget(turn)
    top = []
    for product_id, category_id, price_min in ranking["products"]:
        if categories and category_id not in categories:
            continue
        if budget is not None and price_min > budget:
            continue
        product = _product_get(turn, product_id)
        if product is not None:
            top.append(product)
        if len(top) == 3:
            break
    if not top:
        turn.say(_("I found nothing that fits. Try another budget or category."))
        return
    if intro:
        turn.say(_("Here is what I recommend:"))
    for product in top:
        turn.say(
            _title(turn, product),
            product=product_card(
                shop=turn.shop, product_id=product.pk, language=turn.language, product=product
            ),
        )
    turn.replies[-1]["payload"]["quick_replies"] = [
        _quick(_("Buy %(option)s") % {"option": _title(turn, p)}, f"buy:{p.pk}") for p in top
    ]


def _order_status(turn: Turn) -> None:
    customer = turn.customer
    if customer is None:
        turn.say(_("Log in on this site and ask again: I will find your orders."))
        return
    numbers = order_numbers_in(turn.text)
    orders = []
    for number in numbers[:3]:
        try:
            order = access_buyer_order(buyer=customer, number=number)
        except NotFound:
            continue
        if order.shop_id == turn.shop.pk:
            orders.append(order)
    if not orders:
        orders = list(order_list_for_buyer(buyer=customer).filter(shop=turn.shop)[:3])
    if not orders:
        turn.say(_("I found no order from you in this shop yet."))
        return
    lines = [
        _("Order %(number)s of %(date)s: %(status)s, %(total)s.")
        % {
            "number": order.number,
            "date": formats.date_format(order.created_at, "SHORT_DATE_FORMAT"),
            "status": order.get_status_display(),
            "total": format_money(order.total, order.currency, turn.language),
        }
        for order in orders
    ]
    turn.say("\n".join(lines))


# --- checkout in the chat ------------------------------------------------------------


def _buy(turn: Turn, product: Product, *, variant_id: int | None = None) -> None:
    variants, available = _stock_of(product)
    in_stock = [v for v in variants if available.get(v.pk, 0) > 0]
    # "I want it" right after asking about one size means that size.
    offered = [
        int(choice.partition(":")[2])
        for choice in turn.state.get("choices") or []
        if choice.startswith("variant:") and turn.state.get("product") == product.pk
    ]
    turn.state.update({"product": product.pk, "address": {}})
    if not in_stock:
        turn.state.update({"step": None, "choices": []})
        turn.say(_("Sorry, %(product)s is sold out.") % {"product": _title(turn, product)})
        return
    named = [variant_id] if variant_id else variants_named(turn.text, _variant_rows(product))
    if not named and len(offered) == 1:
        named = offered
    named = [pk for pk in named if available.get(pk, 0) > 0]
    if len(named) == 1:
        _choose_variant(turn, named[0])
        return
    if len(in_stock) == 1 and len(variants) == 1:
        _choose_variant(turn, in_stock[0].pk)
        return
    _offer_variants(turn, product, in_stock=in_stock)


def _offer_variants(turn: Turn, product: Product, *, in_stock: list | None = None) -> None:
    """Ask which variant, with a button for each one in stock."""
    if in_stock is None:
        variants, available = _stock_of(product)
        in_stock = [v for v in variants if available.get(v.pk, 0) > 0]
    quick = [_quick(_variant_label(v), f"variant:{v.pk}") for v in in_stock]
    turn.state.update(
        {"step": "variant" if quick else None, "choices": [q["payload"] for q in quick]}
    )
    turn.say(
        _("Which one would you like?") if quick else _stock_phrase(_title(turn, product), 0),
        quick_replies=quick,
        product=product_card(
            shop=turn.shop, product_id=product.pk, language=turn.language, product=product
        ),
    )


def _choose_variant(turn: Turn, variant_id: int) -> None:
    variant = _variant_get(turn, variant_id)
    if variant is None:
        _stale_choice(turn)
        return
    _ask_quantity(turn, variant)


def _ask_quantity(turn: Turn, variant: Variant) -> None:
    units = stock_available_for_variants(variant_ids=[variant.pk]).get(variant.pk, 0)
    if units <= 0:
        turn.say(_stock_phrase(_variant_label(variant), 0))
        product = _product_get(turn, variant.product_id)
        if product is not None:
            _buy(turn, product)
        return
    quick = [_quick(str(n), f"qty:{n}") for n in range(1, min(units, 3) + 1)]
    turn.state.update(
        {
            "step": "quantity",
            "product": variant.product_id,
            "variant": variant.pk,
            "choices": [q["payload"] for q in quick],
        }
    )
    turn.say(
        _("%(product)s, %(variant)s, %(price)s. How many?")
        % {
            "product": _title(turn, variant.product),
            "variant": _variant_label(variant),
            "price": turn.money(variant.price),
        },
        quick_replies=quick,
    )


def _choose_quantity(turn: Turn, quantity: int) -> None:
    variant = _variant_get(turn, turn.state.get("variant"))
    if variant is None:
        _stale_choice(turn)
        return
    if not 1 <= quantity <= MAX_QUANTITY:
        turn.say(
            _("Choose a quantity from 1 to %(max)s.") % {"max": MAX_QUANTITY},
            quick_replies=[_quick(str(n), f"qty:{n}") for n in (1, 2, 3)],
        )
        turn.state["choices"] = [f"qty:{n}" for n in (1, 2, 3)]
        return
    if not _hold(turn, variant, quantity):
        return
    turn.state.update({"quantity": quantity, "choices": [], "nonce": secrets.token_hex(6)})
    customer = turn.customer
    if customer is None:
        _send_link(turn, variant, quantity)
        return
    addresses = list(address_list(user=customer))
    if not addresses:
        turn.state["address"] = {}
        turn.say(_("Where should we send it? I will ask for the address one line at a time."))
        _ask_address_field(turn, ADDRESS_STEPS[0])
        return
    _confirm(turn)


def _hold(turn: Turn, variant: Variant, quantity: int) -> bool:
    """Hold the units while the shopper decides (the account's holds, or the chat's for a
    guest). False, having said why, when they cannot be held."""
    try:
        if turn.customer is not None:
            until = checkout_hold(buyer=turn.customer, lines=[(variant.pk, quantity, None)])
            if until is None:
                raise InsufficientStock({variant.pk: 0})
        else:
            stock_reserve(owner=_chat_owner(turn.conversation), lines={variant.pk: quantity})
    except InsufficientStock:
        units = stock_available_for_variants(variant_ids=[variant.pk]).get(variant.pk, 0)
        if units > 0:
            quick = [_quick(str(n), f"qty:{n}") for n in range(1, min(units, 3) + 1)]
            turn.state.update({"step": "quantity", "choices": [q["payload"] for q in quick]})
            turn.say(
                ngettext("Only %(n)s is left. How many?", "Only %(n)s are left. How many?", units)
                % {"n": units},
                quick_replies=quick,
            )
        else:
            turn.say(_stock_phrase(_variant_label(variant), 0))
            turn.state.update({"step": None, "choices": []})
        return False
    except DomainError as exc:  # a drop not open yet, over its limit, a line to wait in
        turn.say(exc.message)
        turn.state.update({"step": None, "choices": []})
        return False
    return True


def _send_link(turn: Turn, variant: Variant, quantity: int) -> None:
    url = payment_link_make(
        conversation=turn.conversation, variant_id=variant.pk, quantity=quantity
    )
    minutes = max(1, settings.PLAZA_RESERVATION_SECONDS // 60)
    turn.state.update({"step": "link", "choices": []})
    turn.say(
        _(
            "I am holding %(quantity)s × %(product)s (%(variant)s) for you for %(minutes)s minutes: "
            "%(total)s. Tap to pay; you will sign in or create an account, then pay by card."
        )
        % {
            "quantity": quantity,
            "product": _title(turn, variant.product),
            "variant": _variant_label(variant),
            "minutes": minutes,
            "total": turn.money(variant.price * quantity),
        },
        pay_url=url,
        invoice=_invoice(turn, variant, quantity),
    )


def _invoice(turn: Turn, variant: Variant, quantity: int) -> dict | None:
    """On Telegram, what the invoice asks (the network takes the payment in the app): the
    lines, and the prices with shipping, in minor units; they must add up to the total."""
    if turn.conversation.channel != "telegram":
        return None
    holder = (
        reservation_owner(turn.customer)
        if turn.customer is not None
        else _chat_owner(turn.conversation)
    )
    quote = quote_build(lines=[(variant.pk, quantity, None)], holder=holder, for_display=False)
    if quote.is_empty or quote.problems:
        return None
    part = quote.shops[0]
    title = _title(turn, variant.product)
    label = f"{quantity} × {_variant_label(variant)}"
    prices = [[label, part.subtotal]]
    if part.shipping:
        prices.append([_("Shipping"), part.shipping])
    return {
        "lines": [[variant.pk, quantity]],
        "currency": part.currency,
        "total": part.total,
        "title": title,
        "description": f"{title}, {label}",
        "prices": prices,
    }


_ADDRESS_QUESTIONS = {
    "full_name": lambda: _("Whose name goes on the parcel?"),
    "line1": lambda: _("Street and number?"),
    "city": lambda: _("City?"),
    "postal_code": lambda: _("Postal code?"),
    "country": lambda: _("Country? (two letters, for example PH, FR, ZA)"),
}


def _ask_address_field(turn: Turn, name: str) -> None:
    turn.state.update({"step": f"address:{name}", "choices": ["cancel"]})
    turn.say(_ADDRESS_QUESTIONS[name](), quick_replies=[_quick(_("Cancel"), "cancel")])


def _take_address_field(turn: Turn, name: str) -> None:
    address = dict(turn.state.get("address") or {})
    value = " ".join(turn.text.split())
    if name == "country":
        value = value.upper()
    address[name] = value
    turn.state["address"] = address
    remaining = [f for f in ADDRESS_STEPS if f not in address]
    if remaining:
        _ask_address_field(turn, remaining[0])
        return
    try:
        clean = address_validate(data=address)
    except ValidationError as exc:
        wrong = exc.field if exc.field in ADDRESS_STEPS else ADDRESS_STEPS[-1]
        address.pop(wrong, None)
        turn.state["address"] = address
        turn.say(exc.message)
        _ask_address_field(turn, wrong)
        return
    address_create(user=turn.customer, data=clean, make_default=True)
    turn.state["address"] = {}
    _confirm(turn)


def _confirm(turn: Turn) -> None:
    """The summary and the "Pay" button (saved card), or the payment link (no card)."""
    customer = turn.customer
    variant = _variant_get(turn, turn.state.get("variant"))
    quantity = int(turn.state.get("quantity") or 0)
    if customer is None or variant is None or quantity < 1:
        turn.state.update({"step": None, "choices": []})
        _menu(turn)
        return
    card = payment_method_list(user=customer).order_by("-is_default", "-created_at").first()
    address = address_list(user=customer).order_by("-is_default", "-pk").first()
    if card is None or address is None:
        _send_link(turn, variant, quantity)
        return
    lines = [(variant.pk, quantity, turn.state.get("post"))]
    quote = quote_build(lines=lines, holder=reservation_owner(customer), for_display=False)
    if quote.is_empty or quote.problems:
        turn.say(" ".join(quote.problems) or _stock_phrase(_variant_label(variant), 0))
        turn.state.update({"step": None, "choices": []})
        return
    part = quote.shops[0]
    turn.state.update(
        {
            "step": "confirm",
            "seal": quote_seal(quote),
            "address_id": address.pk,
            "card_id": card.pk,
            "choices": ["pay", "cancel"],
        }
    )
    turn.say(
        _(
            "%(quantity)s × %(product)s (%(variant)s): %(subtotal)s, shipping %(shipping)s, "
            "total %(total)s. To %(name)s, %(city)s. Card %(brand)s •••• %(last4)s."
        )
        % {
            "quantity": quantity,
            "product": _title(turn, variant.product),
            "variant": _variant_label(variant),
            "subtotal": turn.money(part.subtotal),
            "shipping": turn.money(part.shipping),
            "total": turn.money(part.total),
            "name": address.full_name,
            "city": address.city,
            "brand": card.brand,
            "last4": card.last4,
        },
        quick_replies=[
            _quick(_("Pay %(total)s") % {"total": turn.money(part.total)}, "pay"),
            _quick(_("Cancel"), "cancel"),
        ],
    )


def _pay(turn: Turn) -> None:
    customer = turn.customer
    state = turn.state
    variant = _variant_get(turn, state.get("variant"))
    if customer is None or variant is None:
        _stale_choice(turn)
        return
    quantity = int(state.get("quantity") or 1)
    try:
        checkout = checkout_complete(
            buyer=customer,
            idempotency_key=f"chat:{turn.conversation.pk}:{state.get('nonce', '')}",
            seal=state.get("seal", ""),
            address=AddressChoice(address_id=state.get("address_id")),
            payment=PaymentChoice(method_id=state.get("card_id")),
            lines=[(variant.pk, quantity, state.get("post"))],
            attribution={"utm_source": "plaza", "utm_medium": "chat"},
        )
    except CheckoutStale as exc:
        turn.say(exc.message + " " + " ".join(getattr(exc, "changes", []) or []))
        state["nonce"] = secrets.token_hex(6)
        _confirm(turn)
        return
    except PaymentDeclined as exc:
        turn.say(exc.message)
        state["nonce"] = secrets.token_hex(6)
        _send_link(turn, variant, quantity)
        return
    except DomainError as exc:
        turn.say(exc.message)
        state.update({"step": None, "choices": []})
        return
    if checkout.status == "requires_action":
        state.update({"step": "link", "choices": []})
        turn.say(
            _("Your bank asks you to confirm this payment."),
            pay_url=f"{settings.SITE_URL}"
            + reverse("checkout:checkout-detail", kwargs={"uid": checkout.uid}),
        )
        return
    parts = list(checkout.parts.select_related("order"))
    orders = [p.order for p in parts if p.order is not None]
    state.update({"step": None, "choices": [], "address": {}})
    if not orders:
        turn.say(_("The payment did not go through. Nothing was charged."))
        return
    order = orders[0]
    turn.say(
        _("Paid! Order %(number)s: %(total)s. I will tell you here when it ships. Thank you!")
        % {
            "number": order.number,
            "total": format_money(order.total, order.currency, turn.language),
        }
    )
