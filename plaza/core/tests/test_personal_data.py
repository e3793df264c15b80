"""Invariant 6: every field that holds personal data is in the registry the export and erasure
services walk. These tests fail when a model grows a personal-looking field that is neither
registered nor explicitly listed as not personal, and when an entry goes stale."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from plaza.core import personal_data
from plaza.core.personal_data import (
    Erasure,
    Registry,
    field_suggests_personal,
    registry_problems,
    unregistered_personal_fields,
)

# Third-party apps whose models hold data about our users (allauth's e-mail addresses, MFA).
THIRD_PARTY_APPS_ABOUT_USERS = ("account", "mfa")


def _walked_models() -> list[type[models.Model]]:
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("plaza.") or config.label in THIRD_PARTY_APPS_ABOUT_USERS
        for model in config.get_models()
    ]


def _field(name: str, field_class=models.CharField, **kwargs) -> models.Field:
    field = field_class(**kwargs)
    field.set_attributes_from_name(name)
    return field


def test_every_personal_looking_field_of_every_plaza_model_is_registered_or_declared_not_personal():
    # given every model of every Plaza app (and of allauth's user-data apps)
    walked = _walked_models()
    assert any(model._meta.label == "accounts.Address" for model in walked), "walk found no models"

    # when
    missing = unregistered_personal_fields(walked)

    # then
    assert missing == [], (
        "These fields look like personal data but are not in the registry: "
        f"{', '.join(missing)}. Register them in the owning app's AppConfig.ready() "
        "(plaza.core.personal_data.register), or add them with a reason to "
        "plaza.core.personal_data.NOT_PERSONAL."
    )


def test_registry_and_not_personal_list_name_only_existing_models_fields_and_lookups():
    # given the registry filled by every app's ready()
    assert len(personal_data.registry) > 0, "no app registered any personal data"

    # when
    problems = registry_problems()

    # then
    assert problems == [], "The personal data registry is out of date:\n" + "\n".join(problems)


def test_accounts_registers_the_personal_fields_of_users_addresses_and_invitations():
    # given / when the apps are ready
    registry = personal_data.registry

    # then
    assert {"email", "display_name", "first_name", "last_name"} <= set(
        registry.get("accounts.User").fields
    ), "the user's names and e-mail must be registered"
    assert registry.get("accounts.Address").erasure == Erasure.DELETE
    assert registry.get("accounts.Invitation").email_lookup == "email__iexact"


def test_walk_reports_a_personal_field_that_nobody_registered():
    # given an empty registry and no exceptions
    empty = Registry()
    address = apps.get_model("accounts", "Address")

    # when
    missing = unregistered_personal_fields([address], registry=empty, not_personal={})

    # then
    assert "accounts.Address.phone" in missing, missing
    assert "accounts.Address.postal_code" in missing, missing
    assert "accounts.Address.is_default" not in missing, "a flag is not personal data"


def test_walk_accepts_a_field_declared_not_personal():
    # given a registry without the shop, but the shop's name declared not personal
    empty = Registry()
    shop = apps.get_model("accounts", "Shop")

    # when
    missing = unregistered_personal_fields(
        [shop], registry=empty, not_personal={"accounts.Shop": {"name": "a trading name"}}
    )

    # then
    assert missing == ["accounts.Shop.contact_email"], missing


def test_problems_report_a_registered_field_that_does_not_exist():
    # given
    registry = Registry()
    registry.register(
        "accounts.Address", fields=["full_name", "fax"], user_lookup="user", erasure="delete"
    )

    # when
    problems = registry_problems(registry=registry, not_personal={})

    # then
    assert problems == ["accounts.Address.fax is registered but does not exist"]


def test_problems_report_unknown_models_broken_lookups_and_stale_exceptions():
    # given
    registry = Registry()
    registry.register("accounts.Nope", fields=["email"], user_lookup="user", erasure="delete")
    registry.register("accounts.Address", fields=["phone"], user_lookup="owner", erasure="delete")
    not_personal = {
        "accounts.Shop": {"nickname": "gone", "name": " "},
        "accounts.Address": {"phone": "contradiction"},
    }

    # when
    problems = registry_problems(registry=registry, not_personal=not_personal)

    # then
    assert "accounts.Nope is registered but is not a model" in problems
    assert any(p.startswith("accounts.Address: the lookup 'owner' does not work") for p in problems)
    assert "accounts.Shop.nickname is in NOT_PERSONAL but does not exist" in problems
    assert "accounts.Shop.name is in NOT_PERSONAL without a reason" in problems
    assert "accounts.Address.phone is both registered and in NOT_PERSONAL" in problems


def test_register_refuses_a_different_second_registration_and_accepts_the_same_one():
    # given
    registry = Registry()
    registry.register("accounts.Address", fields=["phone"], user_lookup="user", erasure="delete")

    # when the same entry comes again (ready() running twice), nothing happens
    registry.register("accounts.Address", fields=["phone"], user_lookup="user", erasure="delete")

    # then a different one is refused
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        registry.register("accounts.Address", fields=["city"], user_lookup="user", erasure="delete")


def test_register_refuses_an_entry_without_a_way_to_find_the_person():
    with pytest.raises(ImproperlyConfigured, match="user_lookup or email_lookup"):
        Registry().register("accounts.Address", fields=["phone"], erasure="delete")


@pytest.mark.parametrize(
    "field",
    [
        _field("phone"),
        _field("shipping_phone"),
        _field("billing_address_line1"),
        _field("postal_code"),
        _field("display_name"),
        _field("date_of_birth", models.DateField),
        _field("last_seen_from", models.GenericIPAddressField),
        _field("contact", models.EmailField),
        _field("user_agent"),
    ],
    ids=lambda field: field.name,
)
def test_names_and_types_that_suggest_personal_data_are_flagged(field):
    assert field_suggests_personal(field), f"{field.name} should be flagged"


@pytest.mark.parametrize(
    "field",
    [_field("title"), _field("sku"), _field("description"), _field("currency"), _field("slug")],
    ids=lambda field: field.name,
)
def test_ordinary_commerce_fields_are_not_flagged(field):
    assert not field_suggests_personal(field), f"{field.name} should not be flagged"
