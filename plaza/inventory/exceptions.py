from django.utils.translation import gettext as _

from plaza.core.exceptions import Conflict, ValidationError


class InsufficientStock(Conflict):
    """Some lines ask for more than can be sold. ``shortages`` maps variant id -> units available."""

    code = "insufficient_stock"
    expected = True

    def __init__(self, shortages: dict[int, int], labels: dict[int, str] | None = None):
        self.shortages = dict(shortages)
        labels = labels or {}
        parts = [
            _("%(item)s: %(n)s left") % {"item": labels.get(variant_id, variant_id), "n": available}
            for variant_id, available in sorted(self.shortages.items())
        ]
        super().__init__(
            _("Not enough stock for: %(items)s.") % {"items": "; ".join(parts)}, field="quantity"
        )


class DropNotOpen(Conflict):
    """A drop's product is bought before its release time (409)."""

    code = "drop_not_open"
    expected = True


class DropLimitReached(ValidationError):
    """A shopper asks for more of a drop than its per-customer limit leaves them (422)."""

    code = "drop_limit"


class DropQueued(Conflict):
    """The drop's line is full: the shopper waits for their turn (409). ``position`` is how
    many are ahead of them."""

    code = "drop_queued"
    expected = True

    def __init__(self, message: str, *, drop_id: int, position: int, ticket: str = ""):
        super().__init__(message)
        self.drop_id = drop_id
        self.position = position
        self.ticket = ticket  # signed: the drop, the ticket's number and the shopper

    def as_dict(self) -> dict:
        return {
            **super().as_dict(),
            "drop_id": self.drop_id,
            "position": self.position,
            "ticket": self.ticket,
        }
