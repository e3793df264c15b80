"""Inbound provider notifications. Thin: read the raw body and the signature, call one service."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from plaza.payments import services
from plaza.payments.exceptions import WebhookRejected


@csrf_exempt  # Stripe cannot send a CSRF token; the signature on the raw body proves the sender.
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    try:
        services.stripe_webhook_receive(
            payload=request.body, signature_header=request.headers.get("Stripe-Signature", "")
        )
    except WebhookRejected as exc:
        return JsonResponse(exc.as_dict(), status=exc.status_code)
    return JsonResponse({"received": True})
