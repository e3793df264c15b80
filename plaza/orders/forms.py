from django import forms
from django.utils.translation import gettext_lazy as _

from plaza.orders.models import OrderStatus


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *OrderStatus.choices],
    )


class FulfilForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100, required=False)
    tracking_url = forms.URLField(
        label=_("Tracking link"), max_length=500, required=False, assume_scheme="https"
    )


class RefundForm(forms.Form):
    """One quantity field per line that can still be refunded, plus the restock choice."""

    restock = forms.BooleanField(label=_("Put the items back in stock"), required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for line in lines:
            if line.quantity_refundable <= 0:
                continue
            name = f"line_{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=line.product_title,
                min_value=0,
                max_value=line.quantity_refundable,
                initial=0,
                required=False,
            )
            self.line_fields.append((line, self[name]))

    def refund_lines(self) -> dict[int, int]:
        return {
            line.pk: self.cleaned_data.get(f"line_{line.pk}") or 0
            for line, _field in self.line_fields
        }
