"""From a network's first message to a paid order, on each of the four networks: the bot
finds the product, the shopper picks the size and quantity with buttons, pays (through the
payment link on Messenger, Instagram and WhatsApp; in the app on Telegram, see
test_whatsapp_telegram), and the chat is told the order is paid."""

import json

import pytest

from plaza.catalog.tests.factories import make_product
from plaza.checkout.tests.factories import buy_now
from plaza.connectors.tests.conftest import (
    IG_ID,
    PAGE_ID,
    PHONE_ID,
    messenger_message,
    post_meta,
    whatsapp_delivery,
)
from plaza.orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db(transaction=True)


def _meta_message(channel, text, n, quick=None):
    if channel == "whatsapp":
        if quick:
            message = {
                "from": "16505551234",
                "id": f"wamid.{n}",
                "timestamp": "1739321024",
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": quick, "title": text},
                },
            }
        else:
            message = {
                "from": "16505551234",
                "id": f"wamid.{n}",
                "timestamp": "1739321024",
                "type": "text",
                "text": {"body": text},
            }
        return whatsapp_delivery([message])
    account = IG_ID if channel == "instagram" else PAGE_ID
    obj = "instagram" if channel == "instagram" else "page"
    return messenger_message(text, mid=f"m_{n}", page=account, obj=obj, quick=quick)


@pytest.mark.parametrize("channel", ["messenger", "instagram", "whatsapp"])
def test_a_network_conversation_ends_in_a_paid_order_told_in_the_chat(
    client, recorder, shop, shopper, channel, request
):
    # given
    connection = request.getfixturevalue(channel)
    product = make_product(shop, title="Amihan Trail Pro", price=450_000, sizes=("42",), stock=5)
    variant = product.variants.get()
    account = {"messenger": PAGE_ID, "instagram": IG_ID, "whatsapp": PHONE_ID}[channel]
    # when: the shopper asks for the product in size 42, then picks 1
    post_meta(client, connection, _meta_message(channel, "I want the trail pro in 42", 1))
    post_meta(client, connection, _meta_message(channel, "1", 2, quick="qty:1"))
    link_message = json.dumps(recorder.sent(f"/{account}/messages")[-1].json)
    assert "/chat/pay/" in link_message
    token = link_message.split("/chat/pay/")[1].split("/")[0]
    # the shopper opens the link logged in on the web, and pays with Buy now
    client.force_login(shopper)
    opened = client.get(f"/chat/pay/{token}/")
    assert opened["Location"].endswith(f"?variant={variant.pk}&quantity=1")
    buy_now(shopper, variant, 1)
    # then: one paid order, and the network's chat hears of it
    order = Order.objects.get(buyer=shopper)
    assert order.status == OrderStatus.PAID
    told = json.dumps(recorder.sent(f"/{account}/messages")[-1].json, ensure_ascii=False)
    assert order.number in told
