"""API v1: shops, the token endpoint, and how every endpoint treats shop tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from plaza.accounts.models import ApiToken
from plaza.accounts.services import api_token_create, api_token_revoke, shop_create
from plaza.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def token(shop):
    api_token, raw = api_token_create(shop=shop, name="Shop sync", created_by=None)
    return raw


# --- shops ---------------------------------------------------------------------


def test_shops_list_is_public_and_paginated_by_name(client, shop, other_shop):
    # when
    response = client.get("/api/v1/shops?limit=1&offset=1")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [s["slug"] for s in body["items"]] == ["kicks"]  # "Belle Peau" < "Kicks"
    assert body["items"][0] == {
        "slug": "kicks",
        "name": "Kicks",
        "currency": "PHP",
        "language": "en",
        "description": "",
    }


def test_shops_list_refuses_a_limit_above_100_with_a_clear_message(client, shop):
    # when
    response = client.get("/api/v1/shops?limit=101")
    # then
    assert response.status_code == 422
    assert response.json()["field"] == "limit"
    assert response.json()["detail"] == "The value must be at most 100."


def test_shop_detail_answers_the_shop_with_its_currency(client, shop):
    # when
    response = client.get("/api/v1/shops/kicks")
    # then
    assert response.status_code == 200
    assert response.json()["currency"] == "PHP"


def test_shop_detail_of_a_missing_shop_is_404_with_a_message(client, db):
    # when
    response = client.get("/api/v1/shops/nowhere")
    # then
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "This shop does not exist."}


@pytest.mark.parametrize("count", [3, 30])
def test_shops_list_takes_two_queries_whatever_the_number_of_shops(
    client, django_assert_num_queries, count
):
    # given
    owner = UserFactory()
    for n in range(count):
        shop_create(owner=owner, name=f"Shop {n}", slug=f"shop-{n}", currency="EUR")
    # when / then: count + page
    with django_assert_num_queries(2):
        response = client.get("/api/v1/shops?limit=100")
    assert response.json()["count"] == count


# --- tokens ----------------------------------------------------------------------


def test_token_endpoint_answers_the_tokens_shop(client, shop, token):
    # when
    response = client.get("/api/v1/token", headers=bearer(token))
    # then
    assert response.status_code == 200
    assert response.json()["name"] == "Shop sync"
    assert response.json()["shop"]["slug"] == "kicks"
    assert token.startswith(f"plz_{response.json()['prefix']}_")


def test_token_endpoint_without_a_token_is_401_and_asks_for_one(client, db):
    # when
    response = client.get("/api/v1/token")
    # then
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthorized",
        "detail": "A valid shop API token is required.",
    }
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer plz_deadbeef_wrongsecret",
        "Bearer not-a-token",
        "Bearer",
        "bearer plz_\u00e9_x",
    ],
)
def test_a_wrong_token_is_401_with_a_clear_message(client, shop, token, header):
    # when
    response = client.get("/api/v1/token", headers={"Authorization": header})
    # then
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_token",
        "detail": "This API token is not valid: it is wrong, revoked or expired.",
    }


def test_a_token_with_the_right_prefix_but_a_wrong_secret_is_401(client, shop, token):
    # given
    prefix = token.split("_")[1]
    # when
    response = client.get("/api/v1/token", headers=bearer(f"plz_{prefix}_guessed"))
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_a_revoked_token_is_401(client, shop):
    # given
    api_token, raw = api_token_create(shop=shop, name="Old", created_by=None)
    api_token_revoke(shop=shop, token_id=api_token.pk)
    # when
    response = client.get("/api/v1/token", headers=bearer(raw))
    # then
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_an_expired_token_is_401(client, shop):
    # given a token that expired a minute ago
    api_token, raw = api_token_create(
        shop=shop, name="Short", created_by=None, expires_at=timezone.now() + timedelta(days=1)
    )
    ApiToken.objects.filter(pk=api_token.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    # when
    response = client.get("/api/v1/token", headers=bearer(raw))
    # then
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_wrong_token_is_refused_even_on_a_public_read(client, shop):
    # when
    response = client.get("/api/v1/shops", headers=bearer("plz_deadbeef_wrong"))
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_another_authorization_scheme_on_a_public_read_is_treated_as_no_token(client, shop):
    # when
    response = client.get("/api/v1/shops", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    # then
    assert response.status_code == 200
