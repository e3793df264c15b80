from django.utils.translation import gettext as _

from plaza.core.exceptions import Conflict, ValidationError


class DuplicateSku(Conflict):
    code = "duplicate_sku"

    def __init__(self, sku: str):
        super().__init__(
            _("The SKU %(sku)s is already used in this shop.") % {"sku": sku}, field="sku"
        )


class InvalidImage(ValidationError):
    code = "invalid_image"
