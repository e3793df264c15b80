from celery import shared_task

from plaza.catalog import services


@shared_task(name="catalog.product_image_make_thumbnail", autoretry_for=(OSError,), max_retries=3)
def product_image_make_thumbnail(image_id: int) -> None:
    services.product_image_make_thumbnail(image_id=image_id)
