"""The networks' webhooks. Each connection has its own URL (its uid), so the signature is
checked with that connection's secret before the body is read as JSON. A good delivery is
stored and answered 200 at once; the work happens after (``services.inbound_process``)."""

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from plaza.connectors import meta, services, telegram
from plaza.connectors.models import ChannelConnection
from plaza.messaging.models import Channel

logger = logging.getLogger(__name__)

# Which ``object`` of a Meta delivery each network sends.
META_OBJECTS = {
    "page": (Channel.MESSENGER, meta.parse_messaging),
    "instagram": (Channel.INSTAGRAM, meta.parse_messaging),
    "whatsapp_business_account": (Channel.WHATSAPP, meta.parse_whatsapp),
}


def _connection(uid, channels) -> ChannelConnection | None:
    return (
        ChannelConnection.objects.filter(uid=uid, is_active=True, channel__in=channels)
        .select_related("shop")
        .first()
    )


def _json(body: bytes):
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest, uid) -> HttpResponse:
    """Messenger, Instagram and WhatsApp: the GET handshake, then signed deliveries."""
    connection = _connection(uid, [Channel.MESSENGER, Channel.INSTAGRAM, Channel.WHATSAPP])
    if connection is None:
        return HttpResponse("Unknown connection.", status=404, content_type="text/plain")
    credentials = services.connection_credentials(connection)
    if request.method == "GET":
        challenge = meta.handshake_answer(
            params=request.GET, verify_token=credentials.get("verify_token", "")
        )
        if challenge is None:
            return HttpResponse("Wrong verify token.", status=403, content_type="text/plain")
        return HttpResponse(challenge, content_type="text/plain")
    body = request.body
    if not meta.signature_is_valid(
        app_secret=credentials.get("app_secret", ""),
        body=body,
        header=request.headers.get("X-Hub-Signature-256"),
    ):
        logger.warning("connectors: bad signature on %s", connection)
        return HttpResponse("Bad signature.", status=403, content_type="text/plain")
    payload = _json(body)
    if not isinstance(payload, dict):
        return HttpResponse("The body is not a JSON object.", status=400, content_type="text/plain")
    known = META_OBJECTS.get(str(payload.get("object")))
    if known is None or known[0] != connection.channel:
        logger.warning("connectors: %s got object %r: ignored", connection, payload.get("object"))
        return JsonResponse({"ignored": True})
    stored = services.webhook_receive(connection=connection, incomings=known[1](payload))
    return JsonResponse({"stored": stored})


@csrf_exempt
@require_http_methods(["POST"])
def telegram_webhook(request: HttpRequest, uid) -> HttpResponse:
    """Telegram: the secret token header, then one Update. A pre-checkout query is answered
    here, within Telegram's 10 seconds."""
    connection = _connection(uid, [Channel.TELEGRAM])
    if connection is None:
        return HttpResponse("Unknown connection.", status=404, content_type="text/plain")
    credentials = services.connection_credentials(connection)
    if not telegram.secret_is_valid(
        expected=credentials.get("secret_token", ""),
        header=request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
    ):
        return HttpResponse("Bad secret token.", status=403, content_type="text/plain")
    payload = _json(request.body)
    if not isinstance(payload, dict):
        return HttpResponse("The body is not a JSON object.", status=400, content_type="text/plain")
    incomings = telegram.parse_update(payload, bot_id=connection.account_id)
    stored = services.webhook_receive(connection=connection, incomings=incomings)
    for incoming in incomings:
        if incoming.kind == "pre_checkout" and stored:
            services.pre_checkout_answer(connection=connection, incoming=incoming)
    return JsonResponse({"stored": stored})
