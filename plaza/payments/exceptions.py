"""Payment errors. Messages are translated when raised and safe to show to the shopper."""

from plaza.core.exceptions import Conflict, DomainError, ValidationError


class PaymentRefused(DomainError):
    """The provider said no to a capture, void or refund (402). ``code`` says why."""

    status_code = 402
    code = "payment_refused"


class PaymentProviderUnavailable(DomainError):
    """The provider gave no definitive answer (timeout, 5xx). Nothing is lost: retry with the
    same idempotency key and the provider recognises the first attempt (503)."""

    status_code = 503
    code = "provider_unavailable"


class PaymentStateError(Conflict):
    """The payment is not in a state that allows this operation (409)."""

    code = "payment_state"


class PaymentChanged(PaymentStateError):
    """A payment changed while its provider's answer was on the way (409): the transaction that
    was recording the answer without a lock is broken; record it again with the lock."""

    code = "payment_changed"


class IdempotencyConflict(Conflict):
    """The idempotency key was used before for a different payment (409)."""

    code = "idempotency_conflict"


class WebhookRejected(ValidationError):
    """An inbound provider notification failed verification or is malformed (400). Nothing was
    stored."""

    status_code = 400
    code = "webhook_rejected"
