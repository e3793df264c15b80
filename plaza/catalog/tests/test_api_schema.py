"""Schemathesis fuzzes every operation of /api/v1/openapi.json in-process (Django's WSGI handler,
same thread, same test transaction): no input may answer 5xx, and every answer must be one the
schema documents, with a body that conforms to it.

Requests carry a valid shop token, so the write operations are fuzzed too. Path ids (and people's
handles) are steered to real objects (the token's own shop's, and another shop's, which must answer
404), so the fuzzer reaches the services and not only the "not found" branch. Requests carry no shopper
session: the shopper's reads answer as to an anonymous visitor, their writes a documented 401.
"""

import ast
import re
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from plaza.accounts.services import api_token_create, user_handle_set
from plaza.catalog.services import category_create
from plaza.catalog.tests.factories import make_product
from plaza.social.services import comment_create
from plaza.social.tests.factories import make_post

MAX_ID = 2**63 - 1


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, without closing the test's database connection after each
    request (as Django's own test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(shop):
    _token, raw = api_token_create(shop=shop, name="Fuzzer", created_by=None)
    return raw


@pytest.fixture
def known_ids(shop, other_shop, shopper):
    """Real objects for the fuzzer to hit: the token's shop's and another shop's."""
    own = [
        make_product(shop, sizes=("40", "41"), stock=5),
        make_product(shop, status="draft", stock=1),
    ]
    theirs = [make_product(other_shop, stock=2), make_product(other_shop, status="draft")]
    category_create(shop=shop, name="Shoes")
    category_create(shop=other_shop, name="Soins")
    user_handle_set(user=shopper, handle="shopper")
    creator = user_handle_set(user=other_shop.memberships.first().user, handle="creator.mia")
    posts = [
        make_post(shop, caption="#kicks", tags=own[:1]),
        make_post(other_shop, caption="#soin"),
        make_post(None, author=creator, caption="#glow", tags=own[:1]),
    ]
    comments = [comment_create(post=post, user=shopper, body="Nice") for post in posts]
    return {
        "product_id": [p.pk for p in own + theirs],
        "variant_id": [v.pk for p in own + theirs for v in p.variants.all()],
        "post_id": [p.pk for p in posts],
        "comment_id": [c.pk for c in comments],
        "slug": [shop.slug, other_shop.slug],
        "handle": ["shopper", "creator.mia"],
    }


def _steer_to_known(case, known_ids) -> None:
    """Valid ids become real objects' ids, and most valid slugs real shops' slugs. Values of
    negative tests (wrong type, out of range, bad characters) stay as generated."""
    params = case.path_parameters or {}
    for name in ("product_id", "variant_id", "post_id", "comment_id"):
        value = str(params.get(name, ""))  # path parameters arrive serialised
        if re.fullmatch(r"[0-9]{1,19}", value) and 1 <= int(value) <= MAX_ID:
            params[name] = known_ids[name][int(value) % len(known_ids[name])]
    for name in ("slug", "shop_slug"):
        slug = params.get(name)
        if isinstance(slug, str) and re.fullmatch(r"[-\w]{1,120}", slug) and len(slug) % 3:
            params[name] = known_ids["slug"][len(slug) % 2]
    handle = params.get("handle")
    if (
        isinstance(handle, str)
        and re.fullmatch(r"@?[A-Za-z0-9_.]{3,30}", handle)
        and len(handle) % 3
    ):
        params["handle"] = known_ids["handle"][len(handle) % 2]


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_answers_5xx_and_conforms_to_its_schema(case, wsgi_app, token, known_ids):
    # given a valid token of one of the shops and ids of real objects
    _steer_to_known(case, known_ids)
    # when / then: the checks assert no 5xx and a documented, conforming answer
    case.call_and_validate(
        app=wsgi_app,
        headers={"Authorization": f"Bearer {token}"},
        # Schema-valid data may still break a business rule the schema cannot express (a SKU
        # already used, option values the product does not have, another currency): 409/422.
        excluded_checks=[positive_data_acceptance],
    )


# --- the document itself -------------------------------------------------------------


@pytest.fixture
def openapi(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_document_is_version_3_1_with_a_bearer_token_scheme(openapi):
    assert openapi["openapi"] == "3.1.0"
    assert openapi["components"]["securitySchemes"]["ShopToken"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_every_operation_documents_its_error_statuses_with_the_error_shape(openapi):
    # given
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    operations = [
        (method, path, op) for path, item in openapi["paths"].items() for method, op in item.items()
    ]
    # 39, the 4 of people (social): a profile, their posts, follow and unfollow, and the 3 of
    # the web chat (messaging): read the chat with a shop, write to it, send it a photo or file.
    assert len(operations) == 46
    for method, path, op in operations:
        responses = op["responses"]
        expected = set()
        # An operation that reads a token (a wrong one is refused), or that requires a login.
        if {"ShopToken": []} in op["security"] or {} not in op["security"]:
            expected.add("401")
        if op["parameters"] or "requestBody" in op:
            expected.add("422")
        if "{" in path:
            expected.add("404")
        if "requestBody" in op:
            expected |= {"400", "413", "422"}
        # then
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == error_ref, (method, path, status)


def test_reads_take_an_optional_token_and_writes_require_one(openapi):
    for item in openapi["paths"].values():
        for method, op in item.items():
            if {"ShopperSession": []} in op["security"]:
                continue  # the shopper's operations: see plaza/social and plaza/orders tests
            if method == "get" and op["operationId"] not in {"token_get", "stock_get"}:
                assert op["security"] == [{"ShopToken": []}, {}], op["operationId"]
            else:
                assert op["security"] == [{"ShopToken": []}], op["operationId"]


def test_money_fields_in_requests_are_documented_as_integer_minor_units(openapi):
    variant_in = openapi["components"]["schemas"]["VariantIn"]["properties"]
    assert variant_in["price"]["type"] == "integer"
    assert variant_in["price"]["minimum"] == 0
    assert "minor units" in variant_in["price"]["description"]


# --- layering ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("plaza/accounts/api.py", {"core", "accounts"}),
        ("plaza/accounts/api_auth.py", {"core", "accounts"}),
        ("plaza/catalog/api.py", {"core", "accounts", "catalog"}),
        ("plaza/inventory/api.py", {"core", "accounts", "catalog", "inventory"}),
    ],
)
def test_api_modules_import_only_from_their_own_layer_and_below(module, allowed):
    # given
    tree = ast.parse((Path(django_settings.BASE_DIR) / module).read_text())
    names = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    # then
    plaza_apps = {name.split(".")[1] for name in names if name and name.startswith("plaza.")}
    assert plaza_apps <= allowed, (module, plaza_apps - allowed)
    # and no api module imports another app's api module
    assert not [n for n in names if n and n.startswith("plaza.") and n.endswith(".api")]
