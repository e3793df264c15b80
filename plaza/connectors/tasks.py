"""Thin Celery wrappers of the connectors' services."""

from celery import shared_task

from plaza.connectors import services


@shared_task(name="connectors.inbound_process", autoretry_for=(OSError,), max_retries=5)
def inbound_process(event_id: int) -> None:
    services.inbound_process(event_id=event_id)


@shared_task(name="connectors.message_deliver")
def message_deliver(delivery_id: int) -> None:
    """One attempt now; a retryable failure is tried again by the sweep below, or sooner by
    a delayed task when a broker runs."""
    attempt = services.delivery_attempt(delivery_id=delivery_id)
    if attempt.retry_at is not None and not message_deliver.app.conf.task_always_eager:
        message_deliver.apply_async((delivery_id,), eta=attempt.retry_at)


@shared_task(name="connectors.deliveries_retry_due")
def deliveries_retry_due() -> int:
    return services.deliveries_retry_due()


@shared_task(name="connectors.private_replies_send")
def private_replies_send() -> int:
    return services.private_replies_send()


@shared_task(name="connectors.inbound_events_prune")
def inbound_events_prune() -> int:
    return services.inbound_events_prune()
