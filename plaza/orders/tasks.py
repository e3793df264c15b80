from celery import shared_task

from plaza.orders import services


@shared_task(name="orders.order_send_placed_emails", autoretry_for=(OSError,), max_retries=5)
def order_send_placed_emails(order_id: int) -> None:
    """An order's e-mails queued one by one, as they were before they became due with the order
    (``order_send_due_mails``): kept so that a worker still sends those queued at an upgrade."""
    services.order_send_placed_emails(order_id=order_id)


@shared_task(name="orders.order_send_due_mails")
def order_send_due_mails() -> int:
    """Periodic: the e-mails of the orders placed since the last run."""
    return services.order_send_due_mails()
