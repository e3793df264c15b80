"""accounts.services: staff invitations, API tokens, profile and saved addresses."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from plaza.accounts.models import Address, ApiToken, Invitation, Membership
from plaza.accounts.services import (
    address_create,
    address_delete,
    address_set_default,
    address_update,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    invitation_accept,
    staff_invite,
    user_profile_update,
)
from plaza.accounts.tests.factories import UserFactory
from plaza.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationError

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Maria Santos",
    "line1": "12 Rizal Avenue",
    "city": "Makati",
    "postal_code": "1200",
    "country": "PH",
}


# --- staff invitations -------------------------------------------------------------------


def test_staff_invite_sends_one_email_with_the_accept_link_only_after_commit(
    shop, owner, settings, django_capture_on_commit_callbacks, mailoutbox
):
    # given
    settings.SITE_URL = "https://plaza.example"

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        invitation, token = staff_invite(
            shop=shop, invited_by=owner, email=" New.Agent@Kicks.test ", role="agent"
        )
        assert mailoutbox == [], "nothing leaves before the transaction commits"
    for callback in callbacks:
        callback()

    # then
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["new.agent@kicks.test"]
    assert "Kicks" in message.subject
    link = "https://plaza.example" + reverse("accounts:invitation-accept", args=[token])
    assert link in message.body
    assert invitation.email == "new.agent@kicks.test"
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest(), "stored hashed"


def test_staff_invite_writes_the_email_in_the_shops_language(
    other_shop, other_owner, django_capture_on_commit_callbacks, mailoutbox
):
    # given a French shop (translations may be missing: the text is still the shop's language)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        staff_invite(shop=other_shop, invited_by=other_owner, email="a@belle.test", role="agent")

    # then
    assert len(mailoutbox) == 1
    assert "Belle Peau" in mailoutbox[0].subject


@pytest.mark.parametrize(
    ("email", "role", "error", "message"),
    [
        ("agent@kicks.test", "owner", ValidationError, "A shop has one owner"),
        ("agent@kicks.test", "boss", ValidationError, "Unknown role."),
        ("not-an-email", "agent", ValidationError, "Enter a valid e-mail address."),
        ("owner@kicks.test", "agent", Conflict, "already on the staff"),
    ],
)
def test_staff_invite_refuses_bad_input_and_sends_nothing(
    shop, owner, django_capture_on_commit_callbacks, mailoutbox, email, role, error, message
):
    # when
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(error, match=message):
        staff_invite(shop=shop, invited_by=owner, email=email, role=role)

    # then
    assert mailoutbox == []
    assert not Invitation.objects.exists()


def test_staff_invite_refuses_a_second_open_invitation_for_the_same_email(shop, owner):
    # given
    staff_invite(shop=shop, invited_by=owner, email="agent@kicks.test", role="agent")

    # when / then
    with pytest.raises(Conflict, match="already has an open invitation"):
        staff_invite(shop=shop, invited_by=owner, email="AGENT@kicks.test", role="manager")


def test_invitation_accept_makes_the_invited_user_staff_with_the_invited_role(shop, owner):
    # given
    agent = UserFactory(email="agent@kicks.test")
    invitation, token = staff_invite(shop=shop, invited_by=owner, email=agent.email, role="agent")

    # when
    membership = invitation_accept(token=token, user=agent)

    # then
    assert (membership.shop, membership.user, membership.role) == (shop, agent, "agent")
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_invitation_accept_refuses_a_user_with_another_email(shop, owner, shopper):
    # given
    _invitation, token = staff_invite(
        shop=shop, invited_by=owner, email="agent@kicks.test", role="agent"
    )

    # when / then
    with pytest.raises(PermissionDenied, match="This invitation was sent to agent@kicks.test"):
        invitation_accept(token=token, user=shopper)
    assert not Membership.objects.filter(user=shopper).exists()


def test_invitation_accept_refuses_an_expired_invitation(shop, owner, shopper):
    # given
    invitation, token = staff_invite(shop=shop, invited_by=owner, email=shopper.email, role="agent")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())

    # when / then
    with pytest.raises(ValidationError, match="expired or was already used"):
        invitation_accept(token=token, user=shopper)
    assert not Membership.objects.filter(user=shopper).exists()


def test_invitation_accept_refuses_a_used_or_revoked_or_unknown_invitation(shop, owner, shopper):
    # given
    _invitation, token = staff_invite(
        shop=shop, invited_by=owner, email=shopper.email, role="agent"
    )
    invitation_accept(token=token, user=shopper)

    # when / then
    with pytest.raises(ValidationError, match="expired or was already used"):
        invitation_accept(token=token, user=shopper)
    with pytest.raises(NotFound, match="does not exist or was withdrawn"):
        invitation_accept(token="not-a-token", user=shopper)


# --- API tokens ----------------------------------------------------------------------------


def test_api_token_create_returns_the_raw_token_once_and_stores_only_a_hash(shop, owner):
    # when
    token, raw = api_token_create(shop=shop, name="  Stock sync  ", created_by=owner)

    # then
    assert raw.startswith(f"plz_{token.prefix}_")
    secret = raw.split("_", 2)[2]
    assert secret not in token.secret_hash
    assert token.name == "Stock sync"


def test_api_token_authenticate_finds_the_shop_of_a_valid_token(shop, owner):
    # given
    token, raw = api_token_create(shop=shop, name="Stock sync", created_by=owner)

    # when
    found = api_token_authenticate(raw=raw)

    # then
    assert found == token
    assert found.shop == shop
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # wrong secret
        lambda raw: raw.replace("plz_", "xyz_"),  # wrong scheme
        lambda raw: "plz_nope",  # malformed
        lambda raw: "",
    ],
    ids=["wrong-secret", "wrong-scheme", "malformed", "empty"],
)
def test_api_token_authenticate_refuses_wrong_tokens(shop, owner, mangle):
    # given
    _token, raw = api_token_create(shop=shop, name="Stock sync", created_by=owner)

    # when / then
    assert api_token_authenticate(raw=mangle(raw)) is None


def test_api_token_revoke_makes_the_token_stop_working(shop, owner):
    # given
    token, raw = api_token_create(shop=shop, name="Stock sync", created_by=owner)

    # when
    api_token_revoke(shop=shop, token_id=token.pk)

    # then
    assert api_token_authenticate(raw=raw) is None
    with pytest.raises(NotFound, match="This token does not exist."):
        api_token_revoke(shop=shop, token_id=token.pk)


def test_api_token_revoke_cannot_reach_another_shops_token(shop, owner, other_shop):
    # given
    token, raw = api_token_create(shop=shop, name="Stock sync", created_by=owner)

    # when / then
    with pytest.raises(NotFound, match="This token does not exist."):
        api_token_revoke(shop=other_shop, token_id=token.pk)
    assert api_token_authenticate(raw=raw) == token


def test_an_expired_api_token_stops_working(shop, owner):
    # given
    token, raw = api_token_create(
        shop=shop,
        name="Stock sync",
        created_by=owner,
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert api_token_authenticate(raw=raw) == token
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    # when / then
    assert api_token_authenticate(raw=raw) is None


@pytest.mark.parametrize(
    ("name", "expires_at", "message"),
    [
        ("  ", None, "Give the token a name."),
        ("Sync", timezone.now() - timedelta(days=1), "The expiry date must be in the future."),
    ],
)
def test_api_token_create_refuses_bad_input(shop, owner, name, expires_at, message):
    with pytest.raises(ValidationError, match=message):
        api_token_create(shop=shop, name=name, created_by=owner, expires_at=expires_at)
    assert not ApiToken.objects.exists()


# --- profile -------------------------------------------------------------------------------


def test_user_profile_update_refuses_an_unknown_language_and_changes_nothing(shopper):
    # given
    before = (shopper.display_name, shopper.language)

    # when / then
    with pytest.raises(ValidationError, match="Unknown language code.") as caught:
        user_profile_update(user=shopper, display_name="Other", language="klingon")
    assert caught.value.field == "language"
    assert (shopper.display_name, shopper.language) == before
    shopper.refresh_from_db()
    assert (shopper.display_name, shopper.language) == before


# --- addresses -----------------------------------------------------------------------------


def test_the_first_address_becomes_the_default_and_later_ones_do_not(shopper):
    # when
    first = address_create(user=shopper, data=ADDRESS)
    second = address_create(user=shopper, data={**ADDRESS, "city": "Cebu City"})

    # then
    assert (first.is_default, second.is_default) == (True, False)


def test_address_set_default_leaves_exactly_one_default(shopper):
    # given
    first = address_create(user=shopper, data=ADDRESS)
    second = address_create(user=shopper, data={**ADDRESS, "city": "Cebu City"})

    # when
    address_set_default(address=second)

    # then
    assert list(Address.objects.filter(user=shopper, is_default=True)) == [second]
    first.refresh_from_db()
    assert not first.is_default


def test_deleting_the_default_address_makes_the_newest_remaining_one_default(shopper):
    # given
    default = address_create(user=shopper, data=ADDRESS)
    address_create(user=shopper, data={**ADDRESS, "city": "Cebu City"})
    newest = address_create(user=shopper, data={**ADDRESS, "city": "Davao City"})

    # when
    address_delete(address=default)

    # then
    newest.refresh_from_db()
    assert newest.is_default
    assert Address.objects.filter(user=shopper, is_default=True).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"full_name": " "}, "full_name", "Enter the recipient's name."),
        ({"country": "ZZ"}, "country", "Choose a country."),
        ({"country": "EU"}, "country", "Choose a country."),
        ({"phone": "1" * 33}, "phone", "This field is too long."),
    ],
)
def test_address_create_refuses_bad_input_naming_the_field(shopper, overrides, field, message):
    with pytest.raises(ValidationError, match=message) as caught:
        address_create(user=shopper, data={**ADDRESS, **overrides})
    assert caught.value.field == field
    assert not Address.objects.exists()


def test_address_update_accepts_a_lowercase_country_code(shopper):
    # given
    address = address_create(user=shopper, data=ADDRESS)

    # when
    address_update(address=address, data={**ADDRESS, "country": "fr", "city": "Paris"})

    # then
    address.refresh_from_db()
    assert (address.country, address.city, address.country_name) == ("FR", "Paris", "France")
