"""Forms of the shopper's account pages. They only parse and render: every rule lives in
``accounts.services``, whose ValidationError(field=...) the views put back on the form."""

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from plaza.core.countries import country_choices
from plaza.core.exceptions import DomainError


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's error on its field, or above the form when it names no field."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _language_choices() -> list[tuple[str, str]]:
    choices = [("", _("Automatic (from your browser)"))]
    choices += [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]
    return choices


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        required=False,
        help_text=_("Shown to the shops you buy from. Leave empty to use your e-mail's name."),
        widget=forms.TextInput(attrs={"maxlength": 80, "autocomplete": "nickname"}),
    )
    handle = forms.CharField(
        label=_("Handle"),
        required=False,
        strip=False,
        help_text=_(
            'Your public profile is at /@handle/. 3 to 30 letters a to z, digits, "_" and ".".'
        ),
        widget=forms.TextInput(
            attrs={
                "maxlength": 31,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
    bio = forms.CharField(
        label=_("Bio"),
        required=False,
        help_text=_("A few words on your profile, up to 300 characters. Plain text."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
    )
    language = forms.CharField(label=_("Preferred language"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].widget = forms.Select(choices=_language_choices())


class AddressForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": 120}),
    )
    line1 = forms.CharField(
        label=_("Street address"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1", "maxlength": 200}),
    )
    line2 = forms.CharField(
        label=_("Apartment, suite, building (optional)"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2", "maxlength": 200}),
    )
    city = forms.CharField(
        label=_("City"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2", "maxlength": 100}),
    )
    region = forms.CharField(
        label=_("State, province or region (optional)"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1", "maxlength": 100}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "maxlength": 20}),
    )
    country = forms.CharField(label=_("Country"), required=False)
    phone = forms.CharField(
        label=_("Phone (optional)"),
        required=False,
        help_text=_("Only for the courier, if they need to reach you."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "maxlength": 32}),
    )
    make_default = forms.BooleanField(label=_("Use as my default address"), required=False)

    def __init__(self, *args, with_default: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].widget = forms.Select(
            choices=[("", _("Choose a country"))] + country_choices(),
            attrs={"autocomplete": "country"},
        )
        if not with_default:
            del self.fields["make_default"]
