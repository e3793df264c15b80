"""The personal data registry (see docs/architecture.md, "Rules the code keeps").

Every model field that holds personal data is registered once, by the app that owns the model,
in its ``AppConfig.ready()``::

    from plaza.core import personal_data

    personal_data.register(
        "accounts.Address",
        fields=["full_name", "line1", "city", "phone"],
        user_lookup="user",
        erasure=personal_data.Erasure.DELETE,
    )

The export and erasure services walk ``registry``: ``user_lookup`` (or ``email_lookup``) finds
the rows about a person, ``fields`` is what they hold, ``erasure`` says what erasing them means.

Fields whose names look personal but are not (a shop's name, a category's name) are listed in
``NOT_PERSONAL`` with the reason. ``plaza/core/tests/test_personal_data.py`` walks every model of
every Plaza app and fails when a field that looks personal is in neither place, and when an
entry names a field that does not exist. Core imports no other app: models are named by their
``"app_label.ModelName"`` label and resolved through Django's app registry.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, FieldError, ImproperlyConfigured
from django.db import models


class Erasure(StrEnum):
    """What erasing a person's rows of a model means."""

    DELETE = "delete"  # delete the rows
    ANONYMISE = "anonymise"  # keep the rows (others refer to them), overwrite the fields
    RETAIN = "retain"  # keep for a legal period (e.g. invoices), then delete


@dataclass(frozen=True, slots=True)
class PersonalData:
    """The personal fields of one model and how to find, export and erase them."""

    label: str  # "app_label.ModelName"
    fields: tuple[str, ...]
    erasure: Erasure
    # ORM lookups that find the rows about a person: filter(**{user_lookup: user.pk}) and/or
    # filter(**{email_lookup: user.email}). At least one is set.
    user_lookup: str | None = None
    email_lookup: str | None = None
    export: bool = True
    note: str = ""


class Registry:
    def __init__(self) -> None:
        self._entries: dict[str, PersonalData] = {}

    def register(
        self,
        label: str,
        *,
        fields: Iterable[str],
        erasure: Erasure,
        user_lookup: str | None = None,
        email_lookup: str | None = None,
        export: bool = True,
        note: str = "",
    ) -> PersonalData:
        """Register the personal fields of the model ``label``. Registering the same entry
        again is harmless (``ready()`` may run more than once); a different one is an error."""
        if user_lookup is None and email_lookup is None:
            raise ImproperlyConfigured(
                f"{label}: give user_lookup or email_lookup, so the rows of a person can be found"
            )
        entry = PersonalData(
            label=label,
            fields=tuple(fields),
            erasure=Erasure(erasure),
            user_lookup=user_lookup,
            email_lookup=email_lookup,
            export=export,
            note=note,
        )
        if not entry.fields:
            raise ImproperlyConfigured(f"{label}: register at least one field")
        existing = self._entries.get(label)
        if existing is not None and existing != entry:
            raise ImproperlyConfigured(f"{label} is already registered with other fields")
        self._entries[label] = entry
        return entry

    def get(self, label: str) -> PersonalData | None:
        return self._entries.get(label)

    def is_personal(self, label: str, field_name: str) -> bool:
        entry = self._entries.get(label)
        return entry is not None and field_name in entry.fields

    def __iter__(self) -> Iterator[PersonalData]:
        return iter(sorted(self._entries.values(), key=lambda entry: entry.label))

    def __contains__(self, label: str) -> bool:
        return label in self._entries

    def __len__(self) -> int:
        return len(self._entries)


registry = Registry()
register = registry.register


# Fields whose names suggest personal data but do not hold any, with the reason.
# Keep this explicit: a new entry here is a decision a reviewer should see.
NOT_PERSONAL: dict[str, dict[str, str]] = {
    "accounts.Shop": {"name": "a business's trading name, shown publicly"},
    "accounts.ApiToken": {"name": "a label the shop gives an integration token"},
    "catalog.Category": {"name": "a shop's category name"},
    "catalog.ProductOption": {"name": "an option of a product, such as Size"},
    "inventory.StockLocation": {"name": "a shop's warehouse or store name"},
    "checkout.ShippingMethod": {"name": "a shop's shipping service, such as Express"},
    "messaging.Label": {"name": "a topic a shop gives conversations, such as Returns"},
    "connectors.ChannelConnection": {"name": "the shop's own page or account name"},
}


# Parts of field names ("shipping_phone" -> "shipping", "phone") that suggest personal data.
PERSONAL_NAME_PARTS = frozenset(
    {
        "address",
        "avatar",
        "birth",
        "birthday",
        "birthdate",
        "city",
        "country",
        "dob",
        "email",
        "firstname",
        "gender",
        "ip",
        "lastname",
        "latitude",
        "line1",
        "line2",
        "longitude",
        "mobile",
        "name",
        "nickname",
        "passport",
        "phone",
        "photo",
        "postal",
        "postcode",
        "region",
        "street",
        "surname",
        "telephone",
        "username",
        "zip",
        "zipcode",
    }
)
# Whole field names that suggest personal data although no single part does.
PERSONAL_NAMES = frozenset({"user_agent", "tax_id", "vat_id", "national_id"})
# Field types that hold personal data whatever their name.
PERSONAL_FIELD_TYPES: tuple[type[models.Field], ...] = (
    models.EmailField,
    models.GenericIPAddressField,
)


def field_suggests_personal(field: models.Field) -> bool:
    """True when the field's name or type suggests that it holds personal data."""
    if isinstance(field, PERSONAL_FIELD_TYPES):
        return True
    name = field.name.lower()
    return name in PERSONAL_NAMES or any(part in PERSONAL_NAME_PARTS for part in name.split("_"))


def _model_fields(model: type[models.Model]) -> list[models.Field]:
    """The model's own stored fields (inherited ones are checked on the parent), no relations."""
    return [
        field
        for field in model._meta.local_concrete_fields
        if not field.is_relation and not field.auto_created
    ]


def unregistered_personal_fields(
    model_list: Iterable[type[models.Model]],
    *,
    registry: Registry = registry,
    not_personal: dict[str, dict[str, str]] = NOT_PERSONAL,
) -> list[str]:
    """``"label.field"`` of every field that looks personal and is neither registered nor in
    ``not_personal``."""
    missing = []
    for model in model_list:
        if model._meta.proxy:
            continue
        label = model._meta.label
        allowed = not_personal.get(label, {})
        for field in _model_fields(model):
            if not field_suggests_personal(field):
                continue
            if registry.is_personal(label, field.name) or field.name in allowed:
                continue
            missing.append(f"{label}.{field.name}")
    return missing


def _lookup_problem(model: type[models.Model], lookup: str, value: object) -> str | None:
    try:
        # Building the query resolves the lookup; nothing is sent to the database.
        str(model._default_manager.filter(**{lookup: value}).query)
    except (FieldError, FieldDoesNotExist, ValueError, TypeError) as exc:
        return f"{model._meta.label}: the lookup {lookup!r} does not work ({exc})"
    return None


def registry_problems(
    *,
    registry: Registry = registry,
    not_personal: dict[str, dict[str, str]] = NOT_PERSONAL,
) -> list[str]:
    """Everything wrong with the registry and the allow-list: unknown models, fields that do not
    exist, lookups that do not resolve, fields that are both personal and not, reasons missing."""
    problems = []
    for entry in registry:
        try:
            model = apps.get_model(entry.label)
        except (LookupError, ValueError):
            problems.append(f"{entry.label} is registered but is not a model")
            continue
        for name in entry.fields:
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                problems.append(f"{entry.label}.{name} is registered but does not exist")
        if entry.user_lookup and (problem := _lookup_problem(model, entry.user_lookup, 1)):
            problems.append(problem)
        if entry.email_lookup and (
            problem := _lookup_problem(model, entry.email_lookup, "someone@example.com")
        ):
            problems.append(problem)
    for label, fields in not_personal.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            problems.append(f"{label} is in NOT_PERSONAL but is not a model")
            continue
        for name, reason in fields.items():
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                problems.append(f"{label}.{name} is in NOT_PERSONAL but does not exist")
            if not reason.strip():
                problems.append(f"{label}.{name} is in NOT_PERSONAL without a reason")
            if registry.is_personal(label, name):
                problems.append(f"{label}.{name} is both registered and in NOT_PERSONAL")
    return problems
