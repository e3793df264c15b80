"""The account pages: allauth's sign-in, sign-up and two-factor pages in Plaza's layout, and the
shopper's own pages under /me/ (profile, addresses, staff invitations)."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse
from django.utils import timezone

from plaza.accounts.models import Address, Invitation, Membership, User
from plaza.accounts.services import address_create, staff_invite
from plaza.accounts.tests.factories import UserFactory

PASSWORD = "correct horse battery"  # UserFactory's password

pytestmark = pytest.mark.django_db


def _address_data(**overrides) -> dict:
    data = {
        "full_name": "Maria Santos",
        "line1": "12 Rizal Avenue",
        "line2": "Unit 4B",
        "city": "Makati",
        "region": "Metro Manila",
        "postal_code": "1200",
        "country": "PH",
        "phone": "+63 912 345 6789",
    }
    data.update(overrides)
    return data


def _totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))


def _log_in_through_allauth(client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


# --- allauth: sign-up, login, two-factor, in Plaza's layout -----------------------------------


def test_signup_with_email_and_password_creates_the_user_and_logs_them_in(client):
    # given
    data = {"email": "New.Shopper@Plaza.test", "password1": PASSWORD, "password2": PASSWORD}

    # when
    response = client.post(reverse("account_signup"), data)

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email__iexact="new.shopper@plaza.test")
    assert client.session["_auth_user_id"] == str(user.pk), "the new user is logged in"
    assert user.check_password(PASSWORD)


def test_signup_refuses_an_email_that_already_has_an_account(client, shopper):
    # when
    response = client.post(
        reverse("account_signup"),
        {"email": shopper.email, "password1": PASSWORD, "password2": PASSWORD},
    )

    # then
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert User.objects.filter(email__iexact=shopper.email).count() == 1


def test_login_with_email_and_password_logs_the_user_in(client, shopper):
    # when
    response = _log_in_through_allauth(client, shopper.email)

    # then
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(shopper.pk)


def test_login_with_a_wrong_password_shows_an_error_and_logs_nobody_in(client, shopper):
    # when
    response = _log_in_through_allauth(client, shopper.email, password="not the password")

    # then
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "are not correct" in response.content.decode()
    assert 'class="acc-form-errors"' in response.content.decode(), "shown above the form"


@pytest.mark.parametrize("url_name", ["account_login", "account_signup", "account_reset_password"])
def test_entrance_pages_render_in_plaza_layout_with_plaza_buttons(client, url_name):
    # when
    response = client.get(reverse(url_name))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "web/base.html" in [t.name for t in response.templates], "inside Plaza's base layout"
    assert 'class="container acc-entrance"' in html, "in the sign-in card"
    assert 'class="btn block"' in html, "with Plaza's full-width button"
    assert 'class="topbar"' in html


@pytest.mark.parametrize("url_name", ["account_email", "account_change_password", "mfa_index"])
def test_account_management_pages_render_in_plaza_layout_with_the_account_navigation(
    client, shopper, url_name
):
    # given
    client.force_login(shopper)

    # when
    response = client.get(reverse(url_name))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="container acc-manage"' in html
    assert 'class="acc-nav"' in html, "the account navigation comes with the page's heading"
    assert 'class="btn' in html


def test_after_activating_an_authenticator_app_login_asks_for_a_code_as_second_step(
    client, settings, shopper
):
    # given a shopper with a verified e-mail, logged in through allauth
    settings.MFA_TOTP_TOLERANCE = 1  # a 30-second step may turn during the test
    EmailAddress.objects.create(user=shopper, email=shopper.email, verified=True, primary=True)
    _log_in_through_allauth(client, shopper.email)
    # allauth asks to confirm the password before changing two-factor settings
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert 'class="acc-qr"' in response.content.decode(), "the QR code is shown"
    secret = response.context["form"].secret

    # when the shopper confirms a code from their app
    response = client.post(reverse("mfa_activate_totp"), {"code": _totp_code(secret)})

    # then TOTP is active ...
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Authenticator.objects.filter(user=shopper, type=Authenticator.Type.TOTP).exists()

    # ... and the next login stops at the second step until a code is given
    client.post(reverse("account_logout"))
    response = _log_in_through_allauth(client, shopper.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session, "not logged in with the password alone"

    response = client.get(reverse("mfa_authenticate"))
    assert 'class="container acc-entrance"' in response.content.decode()
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in client.session, "a wrong code does not log in"
    assert "Incorrect code" in response.content.decode()

    response = client.post(reverse("mfa_authenticate"), {"code": _totp_code(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(shopper.pk)


# --- profile -----------------------------------------------------------------------------


def test_profile_sends_visitors_to_log_in_first(client):
    # when
    response = client.get(reverse("accounts:profile"))

    # then
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={reverse('accounts:profile')}"


def test_profile_links_to_password_email_two_factor_and_has_a_logout_button(client, shopper):
    # given
    client.force_login(shopper)

    # when
    response = client.get(reverse("accounts:profile"))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    for url_name in ("account_change_password", "account_email", "mfa_index"):
        assert f'href="{reverse(url_name)}"' in html, f"links to {url_name}"
    assert f'<form method="post" action="{reverse("account_logout")}"' in html, "logout is a POST"
    assert shopper.email in html


def test_profile_update_saves_display_name_and_preferred_language(client, shopper):
    # given
    client.force_login(shopper)

    # when
    response = client.post(
        reverse("accounts:profile"), {"display_name": "  Maria S.  ", "language": "fr"}
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    shopper.refresh_from_db()
    assert (shopper.display_name, shopper.language) == ("Maria S.", "fr")
    assert response.cookies["django_language"].value == "fr", "the interface switches too"


def test_profile_update_with_an_unknown_language_shows_the_error_and_changes_nothing(
    client, shopper
):
    # given
    before = (shopper.display_name, shopper.language)
    client.force_login(shopper)

    # when
    response = client.post(
        reverse("accounts:profile"), {"display_name": "Someone else", "language": "xx"}
    )

    # then
    assert response.status_code == 422
    assert response.context["form"].errors == {"language": ["Unknown language code."]}
    assert "Unknown language code." in response.content.decode()
    shopper.refresh_from_db()
    assert (shopper.display_name, shopper.language) == before


# --- addresses ---------------------------------------------------------------------------


def test_address_list_shows_my_addresses_with_country_names_and_not_other_peoples(client, shopper):
    # given
    address_create(user=shopper, data=_address_data())
    address_create(user=UserFactory(), data=_address_data(full_name="Somebody Else"))
    client.force_login(shopper)

    # when
    response = client.get(reverse("accounts:address-list"))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Maria Santos" in html and "Philippines" in html
    assert "Somebody Else" not in html


def test_address_list_runs_the_same_number_of_queries_for_one_or_many_addresses(
    client, shopper, django_assert_num_queries
):
    # given
    address_create(user=shopper, data=_address_data())
    client.force_login(shopper)
    client.get(reverse("accounts:address-list"))  # warm up the session

    # when / then: session, user, staff memberships (layout), addresses
    with django_assert_num_queries(4):
        client.get(reverse("accounts:address-list"))
    for n in range(5):
        address_create(user=shopper, data=_address_data(full_name=f"Person {n}"))
    with django_assert_num_queries(4):
        response = client.get(reverse("accounts:address-list"))
    assert response.content.decode().count('class="card acc-address"') == 6


def test_country_names_and_choices_follow_the_active_language(client, shopper):
    # given
    address_create(user=shopper, data=_address_data())
    client.force_login(shopper)

    # when
    listing = client.get(reverse("accounts:address-list"), HTTP_ACCEPT_LANGUAGE="ja")
    form = client.get(reverse("accounts:address-create"), HTTP_ACCEPT_LANGUAGE="ja")

    # then
    assert "フィリピン" in listing.content.decode()
    assert '<option value="PH">フィリピン</option>' in form.content.decode()


def test_address_create_saves_the_first_address_as_default(client, shopper):
    # given
    client.force_login(shopper)

    # when
    response = client.post(reverse("accounts:address-create"), _address_data())

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:address-list")
    address = Address.objects.get(user=shopper)
    assert (address.city, address.country, address.is_default) == ("Makati", "PH", True)


def test_address_create_with_make_default_moves_the_default(client, shopper):
    # given
    first = address_create(user=shopper, data=_address_data())
    client.force_login(shopper)

    # when
    client.post(
        reverse("accounts:address-create"),
        {**_address_data(city="Cebu City"), "make_default": "on"},
    )

    # then
    first.refresh_from_db()
    assert not first.is_default
    assert Address.objects.get(user=shopper, is_default=True).city == "Cebu City"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"city": "  "}, "city", "Enter the city."),
        ({"line1": ""}, "line1", "Enter the street address."),
        ({"country": "XX"}, "country", "Choose a country."),
        ({"country": ""}, "country", "Choose a country."),
        ({"postal_code": "1" * 21}, "postal_code", "This field is too long."),
    ],
)
def test_address_create_with_bad_input_shows_the_field_error_and_saves_nothing(
    client, shopper, overrides, field, message
):
    # given
    client.force_login(shopper)

    # when
    response = client.post(reverse("accounts:address-create"), _address_data(**overrides))

    # then
    assert response.status_code == 422
    assert response.context["form"].errors == {field: [message]}
    assert message in response.content.decode()
    assert not Address.objects.filter(user=shopper).exists()


def test_address_update_changes_the_address(client, shopper):
    # given
    address = address_create(user=shopper, data=_address_data())
    client.force_login(shopper)
    page = client.get(reverse("accounts:address-update", args=[address.pk]))
    assert 'value="12 Rizal Avenue"' in page.content.decode(), "the form shows the address"

    # when
    response = client.post(
        reverse("accounts:address-update", args=[address.pk]),
        _address_data(line1="99 Ayala Avenue", country="ph"),
    )

    # then
    assert response.status_code == 302
    address.refresh_from_db()
    assert (address.line1, address.country) == ("99 Ayala Avenue", "PH")


def test_address_update_with_an_empty_street_keeps_the_old_address(client, shopper):
    # given
    address = address_create(user=shopper, data=_address_data())
    client.force_login(shopper)

    # when
    response = client.post(
        reverse("accounts:address-update", args=[address.pk]), _address_data(line1="")
    )

    # then
    assert response.status_code == 422
    assert "Enter the street address." in response.content.decode()
    address.refresh_from_db()
    assert address.line1 == "12 Rizal Avenue"


def test_address_make_default_moves_the_default_to_that_address(client, shopper):
    # given
    first = address_create(user=shopper, data=_address_data())
    second = address_create(user=shopper, data=_address_data(city="Cebu City"))
    client.force_login(shopper)

    # when
    response = client.post(reverse("accounts:address-default", args=[second.pk]))

    # then
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


def test_address_delete_asks_first_then_deletes(client, shopper):
    # given
    address = address_create(user=shopper, data=_address_data())
    client.force_login(shopper)

    # when
    confirm = client.get(reverse("accounts:address-delete", args=[address.pk]))
    response = client.post(reverse("accounts:address-delete", args=[address.pk]))

    # then
    assert confirm.status_code == 200
    assert "12 Rizal Avenue" in confirm.content.decode()
    assert response.status_code == 302
    assert not Address.objects.filter(pk=address.pk).exists()


@pytest.mark.parametrize(
    ("method", "url_name"),
    [
        ("get", "accounts:address-update"),
        ("post", "accounts:address-update"),
        ("post", "accounts:address-default"),
        ("get", "accounts:address-delete"),
        ("post", "accounts:address-delete"),
    ],
)
def test_another_users_address_is_not_found_and_not_touched(client, shopper, method, url_name):
    # given
    theirs = address_create(user=UserFactory(), data=_address_data(full_name="Their Name"))
    client.force_login(shopper)

    # when
    response = getattr(client, method)(reverse(url_name, args=[theirs.pk]), _address_data())

    # then
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.full_name, theirs.is_default) == ("Their Name", True)


def test_address_pages_send_visitors_to_log_in(client):
    response = client.get(reverse("accounts:address-list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- staff invitations -------------------------------------------------------------------


@pytest.fixture
def invitation(shop, owner):
    invitation, raw = staff_invite(
        shop=shop, invited_by=owner, email="shopper@plaza.test", role="manager"
    )
    return invitation, raw


def test_invitation_page_shows_the_shop_the_role_and_an_accept_button(client, shopper, invitation):
    # given
    _invitation, token = invitation
    client.force_login(shopper)

    # when
    response = client.get(reverse("accounts:invitation-accept", args=[token]))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Kicks" in html and "Manager" in html
    assert "Accept the invitation" in html


def test_accepting_an_invitation_puts_the_user_on_the_staff(client, shopper, shop, invitation):
    # given
    _invitation, token = invitation
    client.force_login(shopper)

    # when
    response = client.post(reverse("accounts:invitation-accept", args=[token]))

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:index")
    assert Membership.objects.get(shop=shop, user=shopper).role == "manager"


def test_an_invitation_sent_to_another_email_is_refused_with_a_clear_message(
    client, shop, invitation
):
    # given
    _invitation, token = invitation
    somebody = UserFactory(email="somebody@plaza.test")
    client.force_login(somebody)

    # when
    response = client.post(reverse("accounts:invitation-accept", args=[token]))

    # then
    html = response.content.decode()
    assert response.status_code == 403
    assert "This invitation was sent to shopper@plaza.test" in html
    assert "Log in with another account" in html
    assert not Membership.objects.filter(shop=shop, user=somebody).exists()


def test_an_expired_invitation_is_refused_with_a_clear_message(client, shopper, shop, invitation):
    # given
    open_invitation, token = invitation
    Invitation.objects.filter(pk=open_invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(shopper)

    # when
    shown = client.get(reverse("accounts:invitation-accept", args=[token]))
    accepted = client.post(reverse("accounts:invitation-accept", args=[token]))

    # then
    for response in (shown, accepted):
        assert response.status_code == 422
        assert "This invitation has expired or was already used." in response.content.decode()
    assert not Membership.objects.filter(shop=shop, user=shopper).exists()


def test_an_invitation_cannot_be_accepted_twice(client, shopper, invitation):
    # given
    _invitation, token = invitation
    client.force_login(shopper)
    client.post(reverse("accounts:invitation-accept", args=[token]))

    # when
    response = client.post(reverse("accounts:invitation-accept", args=[token]))

    # then
    assert response.status_code == 422
    assert "This invitation has expired or was already used." in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_invitation_is_not_found(client, shopper, method):
    # given
    client.force_login(shopper)

    # when
    response = getattr(client, method)(reverse("accounts:invitation-accept", args=["nope"]))

    # then
    assert response.status_code == 404
    assert "This invitation does not exist or was withdrawn." in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_visitor_is_sent_to_log_in_and_back_to_the_invitation(client, shop, invitation, method):
    # given
    _invitation, token = invitation
    url = reverse("accounts:invitation-accept", args=[token])

    # when
    response = getattr(client, method)(url)

    # then
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"
    assert not Membership.objects.filter(shop=shop).exclude(role="owner").exists()


def test_a_visitor_can_sign_up_and_come_back_to_the_invitation(client, invitation):
    # given
    _invitation, token = invitation
    url = reverse("accounts:invitation-accept", args=[token])

    # when
    response = client.post(
        reverse("account_signup"),
        {"email": "shopper@plaza.test", "password1": PASSWORD, "password2": PASSWORD, "next": url},
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == url
    assert client.get(url).status_code == 200


# --- bad input never crashes (invariant 7) ---------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/me/addresses/99999999999999999999999/edit/",
        "/me/addresses/9223372036854775808/delete/",
        "/me/invitations/%00abc/",
        "/me/invitations/" + "a" * 3000 + "/",
    ],
)
def test_absurd_ids_and_tokens_are_not_found_rather_than_a_crash(client, shopper, url):
    client.force_login(shopper)

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


@pytest.mark.parametrize(
    ("url_name", "data", "field"),
    [
        ("accounts:profile", {"display_name": "Ma\x00ria", "language": "fr"}, "display_name"),
        ("accounts:address-create", {**_address_data(), "city": "Ma\x00kati"}, "city"),
    ],
)
def test_null_characters_get_a_field_error_and_change_nothing(
    client, shopper, url_name, data, field
):
    # given
    client.force_login(shopper)
    before = shopper.display_name

    # when
    response = client.post(reverse(url_name), data)

    # then
    assert response.status_code == 422
    assert response.context["form"].errors == {field: ["Null characters are not allowed."]}
    shopper.refresh_from_db()
    assert shopper.display_name == before
    assert not Address.objects.filter(user=shopper).exists()
