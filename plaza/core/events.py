"""Domain events: a lower layer tells higher layers what happened, after commit.

    events.subscribe("product.changed", handler)      # in a higher app's AppConfig.ready()
    events.publish("product.changed", product_id=1)   # in a service, inside its transaction

Handlers run once the surrounding transaction commits (immediately outside one). They
receive keyword arguments only and must be idempotent.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger("plaza.events")
_handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(name: str, handler: Callable[..., None]) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def publish(name: str, **payload) -> None:
    def deliver() -> None:
        for handler in list(_handlers.get(name, ())):
            handler(**payload)

    transaction.on_commit(deliver, robust=False)
