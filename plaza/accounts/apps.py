from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "plaza.accounts"
    label = "accounts"
    verbose_name = _("Accounts and shops")

    def ready(self) -> None:
        register_personal_data()


def register_personal_data() -> None:
    """Invariant 6: the personal fields of accounts' models, and of the allauth models that
    hold data about our users (their e-mail addresses and second factors)."""
    from plaza.core.personal_data import Erasure, register

    register(
        "accounts.User",
        fields=[
            "email",
            "display_name",
            "first_name",
            "last_name",
            "language",
            "handle",
            "bio",
            "last_login",
            "date_joined",
        ],
        user_lookup="pk",
        erasure=Erasure.ANONYMISE,
        note="Orders and posts refer to the row: blank the names and the bio, clear the handle "
        "(the public profile goes), replace the e-mail with a unique placeholder, make the "
        "password unusable and deactivate the account.",
    )
    register(
        "accounts.Address",
        fields=[
            "full_name",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "phone",
        ],
        user_lookup="user",
        erasure=Erasure.DELETE,
    )
    register(
        "accounts.Invitation",
        fields=["email", "role", "created_at", "accepted_at"],
        email_lookup="email__iexact",
        erasure=Erasure.DELETE,
    )
    register(
        "accounts.Membership",
        fields=["shop", "role", "created_at"],
        user_lookup="user",
        erasure=Erasure.DELETE,
        note="An owner's membership goes only once the shop has another owner or is closed.",
    )
    register(
        "accounts.Shop",
        fields=["contact_email"],
        email_lookup="contact_email__iexact",
        erasure=Erasure.ANONYMISE,
        note="The shop stays; its contact e-mail is blanked when it is the person's address.",
    )
    register(
        "account.EmailAddress",
        fields=["email", "verified", "primary"],
        user_lookup="user",
        erasure=Erasure.DELETE,
    )
    register(
        "mfa.Authenticator",
        fields=["type", "created_at", "last_used_at"],
        user_lookup="user",
        erasure=Erasure.DELETE,
        note="`data` holds the TOTP secret and recovery codes: deleted with the row, never "
        "exported.",
    )
