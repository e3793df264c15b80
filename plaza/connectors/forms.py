"""Forms of the channels page: a connection's account and credentials per network, and a comment
trigger. They check the shape of what was typed; ``services.connection_save`` and
``services.comment_trigger_save`` decide the rest (an account already connected, a product of
another shop), and their errors are shown next to the field they name.

Secret inputs are never filled in: an empty one keeps the stored value when editing."""

import re
import secrets

from django import forms
from django.utils.html import escape
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from plaza.messaging.models import Channel

NUMERIC_ID = re.compile(r"\d{1,64}")
# Telegram's secret_token: 1 to 256 characters of A-Z, a-z, 0-9, _ and -.
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

ACCOUNT_LABELS = {
    Channel.MESSENGER: _("Facebook Page ID"),
    Channel.INSTAGRAM: _("Instagram professional account ID"),
    Channel.WHATSAPP: _("Phone number ID"),
    Channel.TELEGRAM: _("Bot ID"),
}
ACCOUNT_HELP = {
    Channel.MESSENGER: _("A number: the Page's About section, under Page transparency, shows it."),
    Channel.INSTAGRAM: _(
        "A number: the Instagram account linked to your Page, as the Graph API names it "
        "(Meta Business Suite, Settings, Instagram accounts)."
    ),
    Channel.WHATSAPP: _(
        "A number: WhatsApp Manager or the app's WhatsApp API Setup page shows it next to the "
        "phone number (not the phone number itself)."
    ),
    Channel.TELEGRAM: _(
        "The number before the colon in the bot token. Left empty, it is read from the token."
    ),
}


def _secret_input() -> forms.PasswordInput:
    # render_value=False: a stored or typed secret is never written back into the page.
    return forms.PasswordInput(
        render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}
    )


def _shown_while_connecting(form: "ConnectionForm", name: str) -> None:
    """A token the owner also types at the network (the verify token, Telegram's secret token)
    is shown while connecting, with a random suggestion; once saved it is a secret like the
    others."""
    if form.editing:
        form.fields[name].widget = _secret_input()
        return
    form.fields[name].help_text = format_lazy(
        "{} {}",
        form.fields[name].help_text,
        _("Copy it before saving: afterwards Plaza shows only its last four characters."),
    )
    if not form.is_bound:
        form.initial.setdefault(name, suggested_token())


def _numeric_id(value: str) -> str:
    """An account id as the networks write it: digits (spaces dropped), or empty."""
    value = "".join(value.split())
    if value and not NUMERIC_ID.fullmatch(value):
        raise forms.ValidationError(_("An account id is a number, digits only."))
    return value


def suggested_token() -> str:
    """A fresh random token to offer as verify token or secret token."""
    return secrets.token_urlsafe(24)


class ConnectionForm(forms.Form):
    """The fields every network shares. ``editing``: secrets may be left empty (kept)."""

    account_id = forms.CharField(max_length=80, required=False)
    name = forms.CharField(
        label=_("Name shown to your team"),
        max_length=120,
        required=False,
        help_text=_("Optional, for example the Page's name."),
    )
    secret_fields: tuple[str, ...] = ()
    # Secrets a connection may go without (kept when left empty, like the others).
    optional_secret_fields: tuple[str, ...] = ()

    def __init__(self, *args, channel: str, hints: dict[str, str] | None = None, **kwargs):
        self.channel = channel
        self.editing = hints is not None
        super().__init__(*args, **kwargs)
        self.fields["account_id"].label = ACCOUNT_LABELS[channel]
        self.fields["account_id"].help_text = ACCOUNT_HELP[channel]
        order = list(self.fields)
        for name in self.secret_fields + self.optional_secret_fields:
            field = self.fields[name]
            field.required = False
            if self.editing and hints.get(name):
                field.help_text = _(
                    "Saved (%(hint)s). Leave empty to keep it, or type a new one."
                ) % {"hint": escape(hints[name])}
                if name in self.optional_secret_fields:
                    # A secret the connection may go without can be taken away again.
                    self.fields[f"remove_{name}"] = forms.BooleanField(
                        label=_("Remove the saved one"), required=False
                    )
                    order.insert(order.index(name) + 1, f"remove_{name}")
        self.order_fields(order)

    def clean_account_id(self) -> str:
        return _numeric_id(self.cleaned_data["account_id"])

    def clean(self):
        cleaned = super().clean()
        self.derive_account_id(cleaned)
        if "account_id" in cleaned and not cleaned["account_id"]:
            self.add_error("account_id", _("Enter the account id the network shows."))
        if not self.editing:
            for name in self.secret_fields:
                if name in cleaned and not cleaned[name].strip():
                    self.add_error(name, _("This field is required."))
        for name in self.removed():
            if (cleaned.get(name) or "").strip():
                self.add_error(name, _("Type a new one or remove the saved one, not both."))
        return cleaned

    def derive_account_id(self, cleaned: dict) -> None:
        """Fill in the account id from another field when it can be read there."""

    def credentials(self) -> dict[str, str]:
        names = self.secret_fields + self.optional_secret_fields
        return {name: self.cleaned_data.get(name, "") for name in names}

    def removed(self) -> list[str]:
        """The optional secrets whose "Remove the saved one" box is ticked."""
        return [
            name for name in self.optional_secret_fields if self.cleaned_data.get(f"remove_{name}")
        ]


class MetaConnectionForm(ConnectionForm):
    """Messenger, Instagram and WhatsApp: the account id, then Meta's token, app secret and the
    verify token of the webhook's handshake."""

    access_token = forms.CharField(
        label=_("Access token"),
        max_length=1000,
        widget=_secret_input(),
        help_text=_("A long-lived token of the Page (or a system user's token for WhatsApp)."),
    )
    app_secret = forms.CharField(
        label=_("App secret"),
        max_length=1000,
        widget=_secret_input(),
        help_text=_("Your Meta app's App settings, Basic, App secret. It signs each webhook."),
    )
    verify_token = forms.CharField(
        label=_("Verify token"),
        max_length=1000,
        help_text=_("Any word you choose; type the same at Meta when you add the webhook."),
    )
    secret_fields = ("access_token", "app_secret", "verify_token")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The verify token is typed at Meta too: while connecting it is shown, with a suggestion.
        _shown_while_connecting(self, "verify_token")


class TelegramConnectionForm(ConnectionForm):
    """Telegram: the bot's id and token from BotFather, and the secret token given to
    setWebhook."""

    bot_token = forms.CharField(
        label=_("Bot token"),
        max_length=1000,
        widget=_secret_input(),
        help_text=_("BotFather gives it when you create the bot, like 123456789:AAH…"),
    )
    secret_token = forms.CharField(
        label=_("Secret token"),
        max_length=256,
        help_text=_(
            "Letters, digits, _ and - only. Give the same to setWebhook: Telegram sends it with "
            "every update."
        ),
    )
    payment_provider_token = forms.CharField(
        label=_("Payment provider token (optional)"),
        max_length=1000,
        required=False,
        widget=_secret_input(),
        help_text=_(
            "From BotFather: your bot, Payments, then the provider you choose. With it, customers "
            "pay the bot's orders inside Telegram; without it, they get a payment link."
        ),
    )
    secret_fields = ("bot_token", "secret_token")
    optional_secret_fields = ("payment_provider_token",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _shown_while_connecting(self, "secret_token")

    def clean_bot_token(self) -> str:
        value = self.cleaned_data["bot_token"].strip()
        if value and not re.fullmatch(r"\d{1,64}:[A-Za-z0-9_-]{20,}", value):
            raise forms.ValidationError(
                _("A bot token looks like 123456789:AAH… (the bot's id, a colon, then the key).")
            )
        return value

    def clean_payment_provider_token(self) -> str:
        value = self.cleaned_data["payment_provider_token"].strip()
        if value and (len(value.split()) > 1 or ":" not in value):
            raise forms.ValidationError(
                _("A payment provider token looks like 284685063:TEST:… or 284685063:LIVE:….")
            )
        return value

    def clean_secret_token(self) -> str:
        value = self.cleaned_data["secret_token"].strip()
        if value and not TELEGRAM_SECRET.fullmatch(value):
            raise forms.ValidationError(
                _("Use up to 256 letters, digits, _ and - (Telegram accepts nothing else).")
            )
        return value

    def derive_account_id(self, cleaned: dict) -> None:
        token_bot_id = (cleaned.get("bot_token") or "").partition(":")[0]
        if not token_bot_id or "account_id" not in cleaned:
            return
        if not cleaned["account_id"]:
            cleaned["account_id"] = token_bot_id
        elif cleaned["account_id"] != token_bot_id:
            self.add_error(
                "bot_token",
                _("This token belongs to bot %(token_bot)s, not to bot %(bot)s.")
                % {"token_bot": token_bot_id, "bot": cleaned["account_id"]},
            )


class WhatsAppConnectionForm(MetaConnectionForm):
    """WhatsApp: Meta's fields, and the WhatsApp Business Account the number belongs to, for
    Plaza to subscribe your app to it."""

    business_account_id = forms.CharField(
        label=_("WhatsApp Business Account ID (optional)"),
        max_length=64,
        required=False,
        help_text=_(
            "A number: the app's WhatsApp API Setup page shows it above the phone number ID. "
            "With it, Plaza can subscribe your app to the account's messages."
        ),
    )
    optional_secret_fields = ("business_account_id",)

    def clean_business_account_id(self) -> str:
        return _numeric_id(self.cleaned_data["business_account_id"])


def connection_form_class(channel: str) -> type[ConnectionForm]:
    if channel == Channel.TELEGRAM:
        return TelegramConnectionForm
    return WhatsAppConnectionForm if channel == Channel.WHATSAPP else MetaConnectionForm


class CommentTriggerForm(forms.Form):
    keywords = forms.CharField(
        label=_("Keywords"),
        max_length=200,
        help_text=_(
            "A comment with one of these words gets a private message offering the product. Separate words with commas."
        ),
    )
    product = forms.TypedChoiceField(label=_("Product offered"), coerce=int)
    post_id = forms.CharField(
        label=_("Post ID on the network"),
        max_length=120,
        required=False,
        help_text=_("Optional: only comments on this post. Empty: comments on any post."),
    )

    def __init__(self, *args, products: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("Choose a product"))] + list(products)

    def clean_post_id(self) -> str:
        return "".join(self.cleaned_data["post_id"].split())
