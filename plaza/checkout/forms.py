"""Forms of the checkout pages: they parse and report per field; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy

from plaza.accounts.services import ADDRESS_FIELDS
from plaza.core.countries import country_choices

NEW = "new"


class CheckoutForm(forms.Form):
    """One form for the whole checkout: a saved or new address, a saved or new card.

    The card number and security code are never rendered back into the page."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=200)
    seal = forms.CharField(widget=forms.HiddenInput, max_length=4000)
    address = forms.CharField(required=False, max_length=20)
    full_name = forms.CharField(label=gettext_lazy("Full name"), required=False, max_length=120)
    line1 = forms.CharField(label=gettext_lazy("Address"), required=False, max_length=200)
    line2 = forms.CharField(label=gettext_lazy("Address line 2"), required=False, max_length=200)
    city = forms.CharField(label=gettext_lazy("City"), required=False, max_length=100)
    region = forms.CharField(label=gettext_lazy("State or region"), required=False, max_length=100)
    postal_code = forms.CharField(label=gettext_lazy("Postal code"), required=False, max_length=20)
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False, choices=())
    phone = forms.CharField(label=gettext_lazy("Phone"), required=False, max_length=32)
    save_address = forms.BooleanField(
        label=gettext_lazy("Save this address for next time"), required=False
    )
    card = forms.CharField(required=False, max_length=20)
    card_number = forms.CharField(
        label=gettext_lazy("Card number"),
        required=False,
        max_length=30,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "cc-number",
                "placeholder": "4242 4242 4242 4242",
            }
        ),
    )
    card_expiry = forms.CharField(
        label=gettext_lazy("Expiry (MM/YY)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-exp", "placeholder": "12/30"}
        ),
    )
    card_cvc = forms.CharField(
        label=gettext_lazy("Security code"),
        required=False,
        max_length=4,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-csc", "placeholder": "123"}
        ),
    )
    save_card = forms.BooleanField(
        label=gettext_lazy("Save this card for next time"), required=False
    )

    SECRET_FIELDS = ("card_number", "card_cvc")

    def __init__(self, *args, default_country: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *country_choices()]
        if default_country and not self.is_bound:
            self.initial.setdefault("country", default_country)

    def clean_card_expiry(self) -> tuple[int, int] | None:
        raw = (self.cleaned_data.get("card_expiry") or "").replace(" ", "")
        if not raw:
            return None
        month, _sep, year = raw.partition("/")
        if not (month.isdigit() and year.isdigit() and len(year) in (2, 4)):
            raise forms.ValidationError(gettext_lazy("Enter the expiry as MM/YY."))
        year_number = int(year) + (2000 if len(year) == 2 else 0)
        if not 1 <= int(month) <= 12:
            raise forms.ValidationError(gettext_lazy("Enter the expiry as MM/YY."))
        return int(month), year_number

    def address_data(self) -> dict:
        return {name: self.cleaned_data.get(name) or "" for name in ADDRESS_FIELDS}


class ShippingMethodForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    # Typed as decimals ("150.00") and parsed with plaza.core.money.parse_amount in the view.
    price = forms.CharField(label=gettext_lazy("Price"), max_length=20)
    free_above = forms.CharField(
        label=gettext_lazy("Free from an order of"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("Leave empty to always charge the price."),
    )
    delivery_days = forms.CharField(
        label=gettext_lazy("Delivery time"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("For example: 2-4 days"),
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Offered at checkout"), required=False, initial=True
    )


class TaxRateForm(forms.Form):
    tax_rate = forms.DecimalField(
        label=gettext_lazy("Tax included in prices (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text=gettext_lazy("Prices already include it; receipts show the amount. 12 for 12 %."),
    )


class DropForm(forms.Form):
    release_at = forms.DateTimeField(
        label=gettext_lazy("Release time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=gettext_lazy("Until then the product shows a countdown and cannot be bought."),
    )
    per_customer_limit = forms.IntegerField(
        label=gettext_lazy("Limit per customer"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Leave empty for no limit."),
    )
    queue_size = forms.IntegerField(
        label=gettext_lazy("Shoppers checking out at once"),
        required=False,
        min_value=1,
        help_text=gettext_lazy(
            "Above this, shoppers wait in a line and are let through in the order they came. "
            "Leave empty for no line."
        ),
    )
