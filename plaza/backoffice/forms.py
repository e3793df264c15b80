"""Back-office forms: they parse and check what people typed; the services decide and write.

Prices are typed as decimals ("12.50") and parsed with plaza.core.money.parse_amount in the
shop's currency. The variant tables and the bulk editor have one row per variant, so they are
small classes with rows rather than Django formsets; each row keeps what was typed and its
errors, so a failed submission shows the form as it was sent.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_name, list_currencies
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from plaza.accounts.models import Shop, StaffRole
from plaza.backoffice.selectors import BulkRow, BulkSelection
from plaza.backoffice.services import NewVariant, VariantChange
from plaza.catalog.models import Product, ProductStatus
from plaza.catalog.selectors import category_list
from plaza.catalog.services import MAX_OPTIONS, MAX_VARIANTS, OptionInput, variant_combinations
from plaza.core.exceptions import ValidationError
from plaza.core.money import babel_locale, minor_to_decimal_str, parse_amount
from plaza.inventory.services import validate_quantity

_SKU_RE = re.compile(r"^\S{1,64}$")
_ROW_KEY_RE = re.compile(r"^variant-(\d{1,3})-key$")


def _language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def _currency_choices() -> list[tuple[str, str]]:
    locale = babel_locale()
    names = [
        (code, f"{get_currency_name(code, locale=locale)} ({code})") for code in list_currencies()
    ]
    return sorted(names, key=lambda pair: pair[1].casefold())


# --- shop -----------------------------------------------------------------------


class BackofficeForm(forms.Form):
    """Labels without Django's ":" suffix, like every other form in Plaza."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ShopCreateForm(BackofficeForm):
    name = forms.CharField(label=gettext_lazy("Shop name"), max_length=120)
    slug = forms.CharField(
        label=gettext_lazy("Web address"),
        max_length=60,
        help_text=gettext_lazy("Lowercase letters, digits and dashes, e.g. kicks-manila."),
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), initial="USD")
    language = forms.ChoiceField(label=gettext_lazy("Main language"), initial="en")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = _currency_choices()
        self.fields["language"].choices = _language_choices()
        self.fields["slug"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})


class ShopSettingsForm(BackofficeForm):
    name = forms.CharField(label=gettext_lazy("Shop name"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, max_length=2000, widget=forms.Textarea
    )
    language = forms.ChoiceField(label=gettext_lazy("Main language"))
    contact_email = forms.EmailField(label=gettext_lazy("Contact e-mail"), required=False)

    def __init__(self, *args, shop: Shop, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": shop.name,
                "description": shop.description,
                "language": shop.language,
                "contact_email": shop.contact_email,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = _language_choices()


class CategoryForm(BackofficeForm):
    name = forms.CharField(label=gettext_lazy("Category name"), max_length=80)


class StaffInviteForm(BackofficeForm):
    email = forms.EmailField(label=gettext_lazy("E-mail address"))
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[
            (StaffRole.MANAGER, StaffRole.MANAGER.label),
            (StaffRole.AGENT, StaffRole.AGENT.label),
        ],
        initial=StaffRole.AGENT,
        help_text=gettext_lazy(
            "Managers can do everything but remove the owner; agents can see products and answer customers."
        ),
    )


class TokenCreateForm(BackofficeForm):
    name = forms.CharField(
        label=gettext_lazy("Token name"),
        max_length=80,
        help_text=gettext_lazy("What it is for, e.g. “Stock sync”."),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty for a token that does not expire."),
    )

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.max))


# --- products ---------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input. Whether each is an image is the catalog's decision."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class PriceField(forms.CharField):
    """A price typed as a decimal; cleans to minor units of the currency."""

    def __init__(self, *args, currency: str = "USD", **kwargs):
        self.currency = currency
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        try:
            return parse_amount(value, self.currency)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message) from None


class ProductForm(BackofficeForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, max_length=9999, widget=forms.Textarea
    )
    brand = forms.CharField(label=gettext_lazy("Brand"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=ProductStatus.choices,
        initial=ProductStatus.DRAFT,
        help_text=gettext_lazy("Only active products are shown to shoppers."),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=None, required=False, empty_label=gettext_lazy("No category")
    )

    def __init__(self, *args, shop: Shop, product: Product | None = None, **kwargs):
        if product is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": product.title,
                    "description": product.description,
                    "brand": product.brand,
                    "status": product.status,
                    "category": product.category_id,
                },
            )
        super().__init__(*args, **kwargs)
        self.shop = shop
        self.fields["category"].queryset = category_list(shop=shop)

    def product_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "brand": data["brand"],
            "status": data["status"],
            "category": data["category"],
        }


@dataclass
class VariantRow:
    """One row of a variants table: what was typed, what it means, and its errors."""

    key: str
    option_values: dict[str, str] = field(default_factory=dict)
    sku: str = ""
    price: str = ""
    compare_at: str = ""
    stock: str = "0"
    variant_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)
    price_amount: int | None = None
    compare_at_amount: int | None = None
    quantity: int = 0

    @property
    def title(self) -> str:
        return " / ".join(self.option_values.values())

    @property
    def values_key(self) -> str:
        """The row's combination of option values, as the variant editor script writes it."""
        return json.dumps(
            list(self.option_values.values()), ensure_ascii=False, separators=(",", ":")
        )

    def add_error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, message)

    def as_json(self) -> dict:
        return {
            "key": self.values_key,
            "values": list(self.option_values.values()),
            "sku": self.sku,
            "price": self.price,
            "compare_at": self.compare_at,
            "stock": self.stock,
            "errors": self.errors,
        }


def parse_variant_row(row: VariantRow, currency: str) -> None:
    """Parse the typed SKU, prices and stock of a row, recording an error per column."""
    row.sku = row.sku.strip()
    if not row.sku:
        row.add_error("sku", _("Enter a SKU."))
    elif not _SKU_RE.match(row.sku):
        row.add_error("sku", _("A SKU has 1 to 64 characters and no spaces."))
    if not row.price.strip():
        row.add_error("price", _("Enter a price."))
    else:
        try:
            row.price_amount = parse_amount(row.price, currency)
        except ValidationError as exc:
            row.add_error("price", exc.message)
    row.compare_at_amount = None
    if row.compare_at.strip():
        try:
            row.compare_at_amount = parse_amount(row.compare_at, currency)
        except ValidationError as exc:
            row.add_error("compare_at", exc.message)
        else:
            if row.price_amount is not None and row.compare_at_amount <= row.price_amount:
                row.add_error(
                    "compare_at", _("The compare-at price must be higher than the price.")
                )
    row.quantity = _parse_quantity(row.stock, row)


def _parse_quantity(text: str, row) -> int:
    text = (text or "").strip()
    if not text:
        return 0
    try:
        return validate_quantity(int(text))
    except ValueError:
        row.add_error("stock", _("A stock quantity must be a whole number."))
    except ValidationError as exc:
        row.add_error("stock", exc.message)
    return 0


def _mark_duplicate_skus(rows: list[VariantRow]) -> None:
    seen: set[str] = set()
    for row in rows:
        if not row.sku or "sku" in row.errors:
            continue
        if row.sku.casefold() in seen:
            row.add_error("sku", _("Two variants have the SKU %(sku)s.") % {"sku": row.sku})
        seen.add(row.sku.casefold())


def _split_values(text: str) -> list[str]:
    """Option values separated by commas, including the full-width "，" and "、" of CJK input."""
    parts = re.split(r"[,，、]", text or "")
    return list(dict.fromkeys(v.strip() for v in parts if v.strip()))


class ProductCreateForm(ProductForm):
    """A new product: its fields, up to three options, the table of variants the options make,
    and images. Submitting with ``action=rebuild`` only rebuilds the table (pages without
    JavaScript; with it, the table follows the options as they are typed)."""

    images = MultipleImageField(
        label=gettext_lazy("Images"),
        required=False,
        help_text=gettext_lazy("JPEG, PNG, WebP or GIF, up to 10 MB each."),
    )

    def __init__(self, *args, shop: Shop, **kwargs):
        super().__init__(*args, shop=shop, **kwargs)
        self.currency = shop.currency
        for n in range(1, MAX_OPTIONS + 1):
            self.fields[f"option_name_{n}"] = forms.CharField(
                label=_("Option %(n)s") % {"n": n},
                required=False,
                max_length=40,
                widget=forms.TextInput(attrs={"placeholder": _("e.g. Size")}),
            )
            self.fields[f"option_values_{n}"] = forms.CharField(
                label=_("Values of option %(n)s") % {"n": n},
                required=False,
                max_length=2000,
                widget=forms.TextInput(attrs={"placeholder": _("e.g. S, M, L")}),
            )
        self.rebuild_only = self.is_bound and self.data.get("action") == "rebuild"
        self.options: list[OptionInput] = []
        self.variant_rows: list[VariantRow] = [VariantRow(key="variant-0")]
        self.rows_changed = False

    @property
    def option_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"option_name_{n}"], self[f"option_values_{n}"])
            for n in range(1, MAX_OPTIONS + 1)
        ]

    def clean(self):
        cleaned = super().clean()
        self.options = self._clean_options(cleaned)
        combinations = variant_combinations(self.options)
        if len(combinations) > MAX_VARIANTS:
            self.add_error(
                None,
                _("These options make %(n)s variants; a product has at most %(max)s.")
                % {"n": len(combinations), "max": MAX_VARIANTS},
            )
            combinations = combinations[:MAX_VARIANTS]
        posted = self._posted_rows()
        self.variant_rows = []
        for index, values in enumerate(combinations):
            typed = posted.get(tuple(values.values()), {})
            self.variant_rows.append(
                VariantRow(key=f"variant-{index}", option_values=values, **typed)
            )
        self.rows_changed = set(posted) != {tuple(c.values()) for c in combinations}
        if self.rebuild_only:
            return cleaned
        for row in self.variant_rows:
            parse_variant_row(row, self.currency)
        _mark_duplicate_skus(self.variant_rows)
        if self.rows_changed:
            self.add_error(
                None,
                _("The variants table was rebuilt from the options: check it and save again."),
            )
        elif any(row.errors for row in self.variant_rows):
            self.add_error(None, _("Some variants need a correction (see the table)."))
        return cleaned

    def _clean_options(self, cleaned: dict) -> list[OptionInput]:
        options: list[OptionInput] = []
        seen: set[str] = set()
        for n in range(1, MAX_OPTIONS + 1):
            name = (cleaned.get(f"option_name_{n}") or "").strip()
            values = _split_values(cleaned.get(f"option_values_{n}") or "")
            if not name and not values:
                continue
            if not name or not values:
                self.add_error(
                    f"option_values_{n}" if name else f"option_name_{n}",
                    _("Each option needs a name and at least one value."),
                )
                continue
            if name.casefold() in seen:
                self.add_error(f"option_name_{n}", _("Two options have the same name."))
                continue
            if any(len(v) > 60 for v in values):
                self.add_error(f"option_values_{n}", _("A value has at most 60 characters."))
                continue
            seen.add(name.casefold())
            options.append(OptionInput(name=name, values=values))
        return options

    def _posted_rows(self) -> dict[tuple[str, ...], dict]:
        """The rows as submitted, by their combination of option values."""
        rows: dict[tuple[str, ...], dict] = {}
        for name in self.data:
            match = _ROW_KEY_RE.match(name)
            if not match:
                continue
            prefix = f"variant-{match.group(1)}"
            try:
                values = json.loads(self.data.get(name) or "[]")
            except ValueError:
                continue
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                continue
            rows[tuple(values)] = {
                column: str(self.data.get(f"{prefix}-{column}", ""))[:100]
                for column in ("sku", "price", "compare_at", "stock")
            }
        return rows

    def editor_state(self) -> dict:
        """What the variant editor script starts from."""
        return {
            "options": [
                {"name": str(name.value() or ""), "values": str(values.value() or "")}
                for name, values in self.option_fields
            ],
            "rows": [row.as_json() for row in self.variant_rows],
            "maxVariants": MAX_VARIANTS,
            "defaultTitle": pgettext("variant without options", "Default"),
        }

    def new_variants(self) -> list[NewVariant]:
        return [
            NewVariant(
                sku=row.sku,
                price=row.price_amount or 0,
                compare_at_price=row.compare_at_amount,
                option_values=row.option_values,
                stock=row.quantity,
            )
            for row in self.variant_rows
        ]

    def add_row_error(self, index: int, column: str, message: str) -> None:
        if 0 <= index < len(self.variant_rows):
            self.variant_rows[index].add_error(column, message)
        self.add_error(None, _("Some variants need a correction (see the table)."))


class VariantTableForm:
    """The variants of an existing product: SKU, price, compare-at price and stock per row.

    Fields are named ``v-<variant id>-<column>``; only the product's own variants are read.
    """

    columns = ("sku", "price", "compare_at", "stock")

    def __init__(self, data=None, *, product: Product, stock: dict[int, int]):
        self.currency = product.shop.currency
        self.is_bound = data is not None
        self.non_field_errors: list[str] = []
        self.rows: list[VariantRow] = []
        for variant in product.variants.all():
            row = VariantRow(
                key=f"v-{variant.pk}",
                variant_id=variant.pk,
                option_values=dict(variant.option_values or {}),
                sku=variant.sku,
                price=minor_to_decimal_str(variant.price, self.currency),
                compare_at=(
                    minor_to_decimal_str(variant.compare_at_price, self.currency)
                    if variant.compare_at_price is not None
                    else ""
                ),
                stock=str(stock.get(variant.pk, 0)),
            )
            if data is not None:
                for column in self.columns:
                    name = f"{row.key}-{column}"
                    if name in data:
                        setattr(row, column, str(data.get(name))[:100])
            self.rows.append(row)

    def is_valid(self) -> bool:
        for row in self.rows:
            parse_variant_row(row, self.currency)
        _mark_duplicate_skus(self.rows)
        if any(row.errors for row in self.rows):
            self.non_field_errors.append(_("Some variants need a correction (see the table)."))
            return False
        return True

    def changes(self) -> list[VariantChange]:
        return [
            VariantChange(
                variant_id=row.variant_id,
                sku=row.sku,
                price=row.price_amount or 0,
                compare_at_price=row.compare_at_amount,
                stock=row.quantity,
            )
            for row in self.rows
        ]

    def add_row_error(self, variant_id, column: str | None, message: str) -> None:
        column = {"compare_at_price": "compare_at"}.get(column or "", column)
        for row in self.rows:
            if row.variant_id == variant_id and column in self.columns:
                row.add_error(column, message)
                self.non_field_errors.append(_("Some variants need a correction (see the table)."))
                return
        self.non_field_errors.append(message)


class VariantCreateForm(BackofficeForm):
    """A new variant of an existing product: one value of each of its options."""

    sku = forms.CharField(label=gettext_lazy("SKU"), max_length=64)
    price = PriceField(label=gettext_lazy("Price"))
    compare_at = PriceField(label=gettext_lazy("Compare-at price"), required=False)
    stock = forms.IntegerField(label=gettext_lazy("Stock"), min_value=0, initial=0)

    def __init__(self, *args, product: Product, **kwargs):
        kwargs.setdefault("prefix", "new")
        super().__init__(*args, **kwargs)
        self.fields["price"].currency = product.shop.currency
        self.fields["compare_at"].currency = product.shop.currency
        self.option_names = []
        for n, option in enumerate(product.options.all()):
            name = f"option_{n}"
            self.option_names.append((name, option.name))
            self.fields[name] = forms.ChoiceField(
                label=option.name, choices=[(v, v) for v in option.values]
            )

    @property
    def option_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _label in self.option_names]

    def clean(self):
        cleaned = super().clean()
        price, compare_at = cleaned.get("price"), cleaned.get("compare_at")
        if price is not None and compare_at is not None and compare_at <= price:
            self.add_error("compare_at", _("The compare-at price must be higher than the price."))
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "sku": data["sku"].strip(),
            "price": data["price"],
            "compare_at_price": data["compare_at"],
            "stock": data["stock"] or 0,
            "option_values": {label: data[name] for name, label in self.option_names},
        }


class ImageAddForm(BackofficeForm):
    images = MultipleImageField(
        label=gettext_lazy("Add images"), help_text=gettext_lazy("JPEG, PNG, WebP or GIF, up to 10 MB each.")
    )


class TranslationForm(BackofficeForm):
    """The product's title and description in each language other than the shop's own."""

    def __init__(self, *args, product: Product, translations: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages: list[tuple[str, str]] = [
            (code, str(name)) for code, name in settings.LANGUAGES if code != product.shop.language
        ]
        for code, name in self.languages:
            existing = translations.get(code)
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": name},
                required=False,
                max_length=200,
                initial=existing.title if existing else "",
            )
            self.fields[f"description_{code}"] = forms.CharField(
                label=_("Description (%(language)s)") % {"language": name},
                required=False,
                max_length=9999,
                widget=forms.Textarea(attrs={"rows": 3}),
                initial=existing.description if existing else "",
            )

    @property
    def groups(self) -> list[tuple[str, str, forms.BoundField, forms.BoundField]]:
        return [
            (code, name, self[f"title_{code}"], self[f"description_{code}"])
            for code, name in self.languages
        ]

    def clean(self):
        cleaned = super().clean()
        for code, _name in self.languages:
            title = (cleaned.get(f"title_{code}") or "").strip()
            if not title and (cleaned.get(f"description_{code}") or "").strip():
                self.add_error(
                    f"title_{code}", _("Give a title in this language, or leave both empty.")
                )
        return cleaned

    def texts(self) -> dict[str, tuple[str, str]]:
        return {
            code: (self.cleaned_data[f"title_{code}"], self.cleaned_data[f"description_{code}"])
            for code, _name in self.languages
        }

    def add_language_error(self, language: str, column: str | None, message: str) -> None:
        name = f"{column or 'title'}_{language}"
        self.add_error(name if name in self.fields else None, message)


# --- bulk edit --------------------------------------------------------------------


@dataclass
class BulkEditRow:
    """One variant in the bulk editor: what it is now, what was typed, what it would become."""

    current: BulkRow
    price: str
    compare_at: str
    stock: str
    new_price: int | None = None
    new_compare_at: int | None = None
    new_stock: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def variant(self):
        return self.current.variant

    @property
    def product(self):
        return self.current.product

    @property
    def price_changed(self) -> bool:
        return self.new_price is not None and self.new_price != self.variant.price

    @property
    def compare_at_changed(self) -> bool:
        return (
            "compare_at" not in self.errors and self.new_compare_at != self.variant.compare_at_price
        )

    @property
    def stock_changed(self) -> bool:
        return self.new_stock is not None and self.new_stock != self.current.quantity

    @property
    def changed(self) -> bool:
        return self.price_changed or self.compare_at_changed or self.stock_changed

    def add_error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, message)


class BulkEditForm:
    """New price, compare-at price and stock for many variants, and an optional percentage to
    change every price by. Nothing is saved here: ``is_valid`` works out the plan (old and new
    values, an error per row), which the preview shows and the apply service saves."""

    def __init__(self, data=None, *, selection: BulkSelection, currency: str):
        self.currency = currency
        self.is_bound = data is not None
        self.percent = str(data.get("percent", "")).strip()[:10] if data is not None else ""
        self.non_field_errors: list[str] = []
        self.percent_error = ""
        self.rows: list[BulkEditRow] = []
        for current in selection.rows:
            variant = current.variant
            row = BulkEditRow(
                current=current,
                price=minor_to_decimal_str(variant.price, currency),
                compare_at=(
                    minor_to_decimal_str(variant.compare_at_price, currency)
                    if variant.compare_at_price is not None
                    else ""
                ),
                stock=str(current.quantity),
            )
            if data is not None:
                for column in ("price", "compare_at", "stock"):
                    name = f"{column}-{variant.pk}"
                    if name in data:
                        setattr(row, column, str(data.get(name))[:100])
            self.rows.append(row)

    def _parse_percent(self) -> Decimal | None:
        if not self.percent:
            return None
        try:
            value = Decimal(self.percent.replace(",", ".").replace("%", "").strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value <= -100 or value > 1000:
            self.percent_error = _(
                "Enter a percentage above -100 and at most 1000, e.g. 10 or -15."
            )
            return None
        return value

    def is_valid(self) -> bool:
        percent = self._parse_percent()
        for row in self.rows:
            self._plan_row(row, percent)
        if self.percent_error:
            self.non_field_errors.append(self.percent_error)
        if any(row.errors for row in self.rows):
            self.non_field_errors.append(_("Some rows need a correction; nothing was saved."))
        return not self.non_field_errors

    def _plan_row(self, row: BulkEditRow, percent: Decimal | None) -> None:
        if not row.price.strip():
            row.add_error("price", _("Enter a price."))
        else:
            try:
                row.new_price = parse_amount(row.price, self.currency)
            except ValidationError as exc:
                row.add_error("price", exc.message)
        if row.new_price is not None and percent is not None:
            scaled = (Decimal(row.new_price) * (100 + percent) / 100).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
            row.new_price = int(scaled)
        row.new_compare_at = None
        if row.compare_at.strip():
            try:
                row.new_compare_at = parse_amount(row.compare_at, self.currency)
            except ValidationError as exc:
                row.add_error("compare_at", exc.message)
        if (
            row.new_price is not None
            and row.new_compare_at is not None
            and row.new_compare_at <= row.new_price
        ):
            row.add_error("compare_at", _("The compare-at price must be higher than the price."))
        stock = row.stock.strip()
        if not stock:
            row.add_error("stock", _("A stock quantity must be a whole number."))
        else:
            try:
                row.new_stock = validate_quantity(int(stock))
            except ValueError:
                row.add_error("stock", _("A stock quantity must be a whole number."))
            except ValidationError as exc:
                row.add_error("stock", exc.message)
        if row.new_stock is not None and row.new_stock < row.current.allocated:
            row.add_error(
                "stock",
                ngettext(
                    "%(n)s unit is already promised to orders; stock cannot go below that.",
                    "%(n)s units are already promised to orders; stock cannot go below that.",
                    row.current.allocated,
                )
                % {"n": row.current.allocated},
            )

    def after_preview(self) -> None:
        """Show the planned prices in the inputs and clear the percentage, so that "Apply"
        sends exactly what the preview shows."""
        if self.percent and not self.percent_error:
            for row in self.rows:
                if row.new_price is not None:
                    row.price = minor_to_decimal_str(row.new_price, self.currency)
            self.percent = ""

    @property
    def changed_rows(self) -> list[BulkEditRow]:
        return [row for row in self.rows if row.changed]

    def prices(self) -> dict[int, tuple[int, int | None]]:
        return {
            row.variant.pk: (row.new_price, row.new_compare_at)
            for row in self.rows
            if row.price_changed or row.compare_at_changed
        }

    def stock(self) -> dict[int, int]:
        return {row.variant.pk: row.new_stock for row in self.rows if row.stock_changed}
