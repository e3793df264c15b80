from django.utils.translation import gettext as _

from plaza.core.exceptions import Conflict


class DatabaseNotEmpty(Conflict):
    code = "not_empty"

    def __init__(self):
        super().__init__(
            _(
                "The database already has shops, so no demo data was added. Use --if-empty to "
                "print the demo logins instead, or start from an empty database."
            )
        )
