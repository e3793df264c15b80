from celery import shared_task

from plaza.orders import services


@shared_task(name="orders.order_send_placed_emails", autoretry_for=(OSError,), max_retries=5)
def order_send_placed_emails(order_id: int) -> None:
    services.order_send_placed_emails(order_id=order_id)
