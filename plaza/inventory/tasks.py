from celery import shared_task

from plaza.inventory import services


@shared_task(name="inventory.stock_reservations_sweep")
def stock_reservations_sweep() -> int:
    return services.stock_reservations_sweep()
