"""Handles and bios: the rules of a person's public name, and the handle given automatically the
first time a profile is needed."""

import pytest
from django.db import IntegrityError

from plaza.accounts.models import User
from plaza.accounts.services import user_handle_ensure, user_handle_set, user_profile_update
from plaza.accounts.tests.factories import UserFactory
from plaza.core.exceptions import Conflict, ValidationError

pytestmark = pytest.mark.django_db


def test_user_handle_set_stores_the_handle_lowercase_without_its_at_sign(shopper):
    # when
    user_handle_set(user=shopper, handle="@Mia.Tea_2")

    # then
    shopper.refresh_from_db()
    assert shopper.handle == "mia.tea_2"


@pytest.mark.parametrize(
    ("handle", "message"),
    [
        ("ab", "A handle has at least 3 characters."),
        ("", "A handle has at least 3 characters."),
        ("a" * 31, "A handle has at most 30 characters."),
        ("mia tea", 'A handle may use only the letters a to z, digits, "_" and ".".'),
        ("mia-tea", 'A handle may use only the letters a to z, digits, "_" and ".".'),
        ("miá", 'A handle may use only the letters a to z, digits, "_" and ".".'),
        ("mia\x00x", 'A handle may use only the letters a to z, digits, "_" and ".".'),
    ],
)
def test_user_handle_set_refuses_a_bad_handle_with_a_clear_message(shopper, handle, message):
    # when / then
    with pytest.raises(ValidationError, match=message) as caught:
        user_handle_set(user=shopper, handle=handle)
    assert caught.value.field == "handle"
    shopper.refresh_from_db()
    assert shopper.handle is None


def test_a_handle_taken_in_another_case_is_refused(shopper, owner):
    # given
    user_handle_set(user=owner, handle="mia")

    # when / then
    with pytest.raises(Conflict, match="@mia is taken. Try another one."):
        user_handle_set(user=shopper, handle="MIA")
    shopper.refresh_from_db()
    assert shopper.handle is None


def test_keeping_ones_own_handle_is_not_a_conflict(shopper):
    # given
    user_handle_set(user=shopper, handle="mia")

    # when
    user_handle_set(user=shopper, handle="Mia")

    # then
    shopper.refresh_from_db()
    assert shopper.handle == "mia"


def test_the_database_refuses_an_uppercase_handle_and_a_duplicate(shopper, owner):
    # given
    user_handle_set(user=owner, handle="mia")

    # when / then: the format check
    with pytest.raises(IntegrityError):
        User.objects.filter(pk=shopper.pk).update(handle="Mia")


def test_the_database_refuses_a_handle_twice(shopper, owner):
    # given
    user_handle_set(user=owner, handle="mia")

    # when / then: the unique index
    with pytest.raises(IntegrityError):
        User.objects.filter(pk=shopper.pk).update(handle="mia")


def test_user_handle_ensure_makes_a_handle_from_the_display_name(db):
    # given
    person = UserFactory(email="someone@plaza.test", display_name="Zoë Martín")

    # when
    user_handle_ensure(user=person)

    # then
    person.refresh_from_db()
    assert person.handle == "zoe_martin"


def test_user_handle_ensure_falls_back_to_the_email_and_numbers_a_taken_handle(db):
    # given two people whose e-mails start alike, and no display name
    first = UserFactory(email="Lea.K@plaza.test", display_name="")
    second = UserFactory(email="lea.k@elsewhere.test", display_name="李")

    # when
    user_handle_ensure(user=first)
    user_handle_ensure(user=second)

    # then
    assert (first.handle, second.handle) == ("lea.k", "lea.k2")


def test_user_handle_ensure_keeps_a_handle_already_set_without_a_query(
    shopper, django_assert_num_queries
):
    # given
    user_handle_set(user=shopper, handle="mia")

    # when / then
    with django_assert_num_queries(0):
        user_handle_ensure(user=shopper)
    assert shopper.handle == "mia"


def test_user_profile_update_saves_handle_and_bio(shopper):
    # when
    user_profile_update(
        user=shopper, display_name="Mia", language="", handle="Mia.Tea", bio="  Tea lover.\r\n"
    )

    # then
    shopper.refresh_from_db()
    assert (shopper.handle, shopper.bio) == ("mia.tea", "Tea lover.")


def test_user_profile_update_refuses_a_301_character_bio_and_changes_nothing(shopper):
    # when / then
    with pytest.raises(
        ValidationError, match=r"A bio has at most 300 characters \(this one has 301\)"
    ):
        user_profile_update(
            user=shopper, display_name="Other", language="", handle="other", bio="x" * 301
        )
    shopper.refresh_from_db()
    assert (shopper.display_name, shopper.handle, shopper.bio) != ("Other", "other", "x" * 301)
    assert shopper.handle is None and shopper.bio == ""


def test_user_profile_update_refuses_a_taken_handle_and_changes_nothing(shopper, owner):
    # given
    user_handle_set(user=owner, handle="mia")
    before = shopper.display_name

    # when / then
    with pytest.raises(Conflict, match="@mia is taken"):
        user_profile_update(user=shopper, display_name="Mia", language="", handle="mia", bio="")
    shopper.refresh_from_db()
    assert (shopper.display_name, shopper.handle) == (before, None)


def test_handle_and_bio_are_registered_as_personal_data():
    # given
    from plaza.core.personal_data import registry, registry_problems

    # when
    entry = registry.get("accounts.User")

    # then
    assert {"handle", "bio"} <= set(entry.fields)
    assert registry_problems() == []
