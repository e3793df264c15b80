from django.utils.translation import gettext as _

from plaza.core.exceptions import Conflict


class InsufficientStock(Conflict):
    """Some lines ask for more than can be sold. ``shortages`` maps variant id -> units available."""

    code = "insufficient_stock"

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
