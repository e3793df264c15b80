"""The channels page of the back office: owners and managers connect each network through it,
its secrets are stored encrypted and never shown again, the test button reports what the network
answered, comment keywords are kept per connection; agents only look, staff of another shop
find nothing, and bad input shows its message and changes nothing."""

import json

import pytest
from django.conf import settings
from django.urls import URLPattern, reverse

from plaza.accounts.models import StaffRole
from plaza.accounts.tests.factories import staff_join
from plaza.catalog.tests.factories import make_product
from plaza.connectors import services
from plaza.connectors.models import ChannelConnection, CommentTrigger
from plaza.connectors.tests.conftest import BOT_ID, IG_ID, PAGE_ID, PHONE_ID
from plaza.connectors.urls import STAFF_URLS
from plaza.core.exceptions import ValidationError
from plaza.messaging.models import Channel

pytestmark = pytest.mark.django_db

ACCESS_TOKEN = "EAAGm0PX4ZCpsBAKlongpagetoken0123456789abcdef"
APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
VERIFY_TOKEN = "plaza-verify-4f6b2c9e1d"
BOT_TOKEN = f"{BOT_ID}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET_TOKEN = "tg-secret_7Qm2Xc9LpZ"

# What the page posts to connect each network, and the secrets it must never show again.
NETWORKS = {
    Channel.MESSENGER: (
        PAGE_ID,
        {"access_token": ACCESS_TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN},
    ),
    Channel.INSTAGRAM: (
        IG_ID,
        {"access_token": ACCESS_TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN},
    ),
    Channel.WHATSAPP: (
        PHONE_ID,
        {"access_token": ACCESS_TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN},
    ),
    Channel.TELEGRAM: (BOT_ID, {"bot_token": BOT_TOKEN, "secret_token": SECRET_TOKEN}),
}


# --- helpers -------------------------------------------------------------------------


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"connectors:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def form_data(prefix: str, **fields) -> dict[str, str]:
    return {f"{prefix}-{name}": value for name, value in fields.items()}


def connect(shop, channel: str, **overrides):
    """Connect a network through the services, with the secrets above."""
    account_id, credentials = NETWORKS[channel]
    return services.connection_save(
        shop=shop,
        channel=channel,
        account_id=overrides.pop("account_id", account_id),
        credentials={**credentials, **overrides},
        name="Kalye Kicks",
    )


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def agent_client(client, shop, owner):
    client.force_login(staff_join(shop, owner, "agent@kicks.test", StaffRole.AGENT))
    return client


@pytest.fixture
def trail(shop):
    return make_product(shop, title="Amihan Trail Pro", price=450_000)


def field_errors(response, prefix: str) -> dict[str, list[str]]:
    """The errors of the page's form with this prefix, by field."""
    for context in response.context:
        for value in context.flatten().values():
            if getattr(value, "prefix", None) == prefix and hasattr(value, "errors"):
                return {k: list(v) for k, v in value.errors.items()}
    raise AssertionError(f"no form {prefix} on the page")


# --- connecting ----------------------------------------------------------------------


@pytest.mark.parametrize("channel", list(NETWORKS))
def test_the_owner_connects_each_network_and_its_secrets_are_stored_encrypted(
    owner_client, shop, channel
):
    # given
    account_id, credentials = NETWORKS[channel]
    # when
    response = owner_client.post(
        url("channel-create", shop, network=channel),
        form_data(f"{channel}-new", account_id=account_id, name="Kalye Kicks", **credentials),
    )
    # then: connected, and the credentials read back as typed
    connection = ChannelConnection.objects.get(shop=shop, channel=channel)
    assert response.status_code == 302
    assert response.url == url("channels", shop) + f"#connection-{connection.pk}"
    assert connection.account_id == account_id and connection.is_active
    assert services.connection_credentials(connection) == credentials
    # the column holds no clear secret
    for secret in credentials.values():
        assert secret not in connection.credentials_encrypted
    # and the page never shows one again, only its last four characters
    page = owner_client.get(url("channels", shop)).content.decode()
    for secret in credentials.values():
        assert secret not in page
        assert f"••••{secret[-4:]}" in page
    webhook = (
        "connectors:telegram-webhook" if channel == Channel.TELEGRAM else "connectors:meta-webhook"
    )
    assert settings.SITE_URL + reverse(webhook, kwargs={"uid": connection.uid}) in page


def test_the_page_shows_the_webhook_url_and_the_fields_each_network_needs(owner_client, shop):
    # given
    connections = {channel: connect(shop, channel) for channel in NETWORKS}
    # when
    page = owner_client.get(url("channels", shop)).content.decode()
    # then
    for channel in (Channel.MESSENGER, Channel.INSTAGRAM, Channel.WHATSAPP):
        address = reverse("connectors:meta-webhook", kwargs={"uid": connections[channel].uid})
        assert f'value="{settings.SITE_URL}{address}"' in page
    for name in ("messaging_postbacks", "message_echoes", "feed", "comments"):
        assert f"<code>{name}</code>" in page
    telegram = reverse("connectors:telegram-webhook", kwargs={"uid": connections["telegram"].uid})
    assert f"{settings.SITE_URL}{telegram}" in page
    assert "/bot&lt;BOT_TOKEN&gt;/setWebhook" in page
    assert "bot token in place of <code>&lt;BOT_TOKEN&gt;</code>" in page
    assert "&quot;allowed_updates&quot;: [&quot;message&quot;, &quot;callback_query&quot;" in page


def test_a_new_connection_form_suggests_a_verify_token_and_a_secret_token(owner_client, shop):
    # when
    page = owner_client.get(url("channels", shop))
    # then: a random one each, shown in the input, different each time
    forms = {n.channel: n.create_form for n in page.context["networks"]}
    suggested = [forms[c].initial["verify_token"] for c in ("messenger", "instagram", "whatsapp")]
    suggested.append(forms["telegram"].initial["secret_token"])
    assert len(set(suggested)) == 4 and all(len(token) >= 24 for token in suggested)
    for token in suggested:
        assert f'value="{token}"' in page.content.decode()


def test_editing_with_empty_secrets_keeps_the_stored_ones(owner_client, shop):
    # given
    connection = connect(shop, Channel.MESSENGER)
    prefix = f"connection-{connection.pk}"
    # when: a new name and account id, no secret typed
    response = owner_client.post(
        url("channel-edit", shop, connection_id=connection.pk),
        form_data(
            prefix,
            account_id="99 88 77",
            name="Kalye Kicks PH",
            access_token="",
            app_secret="",
            verify_token="",
        ),
    )
    # then
    assert response.status_code == 302
    connection.refresh_from_db()
    assert (connection.account_id, connection.name) == ("998877", "Kalye Kicks PH")
    assert services.connection_credentials(connection) == NETWORKS[Channel.MESSENGER][1]


def test_editing_one_secret_replaces_only_that_one(owner_client, shop):
    # given
    connection = connect(shop, Channel.TELEGRAM)
    # when
    response = owner_client.post(
        url("channel-edit", shop, connection_id=connection.pk),
        form_data(f"connection-{connection.pk}", account_id=BOT_ID, secret_token="new-secret-2025"),
    )
    # then
    assert response.status_code == 302
    connection.refresh_from_db()
    assert services.connection_credentials(connection) == {
        "bot_token": BOT_TOKEN,
        "secret_token": "new-secret-2025",
    }
    page = owner_client.get(url("channels", shop)).content.decode()
    assert "new-secret-2025" not in page and "••••2025" in page


def test_a_telegram_payment_provider_token_is_optional_and_kept_secret(owner_client, shop):
    # given: a bot connected without one
    connection = connect(shop, Channel.TELEGRAM)
    provider = "284685063:TEST:Y2U3ZmQ0ZjA2ZDU3"
    # when: added later, the other secrets left empty
    response = owner_client.post(
        url("channel-edit", shop, connection_id=connection.pk),
        form_data(
            f"connection-{connection.pk}", account_id=BOT_ID, payment_provider_token=provider
        ),
    )
    # then
    assert response.status_code == 302
    connection.refresh_from_db()
    assert services.connection_credentials(connection) == {
        "bot_token": BOT_TOKEN,
        "secret_token": SECRET_TOKEN,
        "payment_provider_token": provider,
    }
    assert provider not in connection.credentials_encrypted
    page = owner_client.get(url("channels", shop)).content.decode()
    assert provider not in page and "••••ZDU3" in page


def test_a_saved_payment_provider_token_can_be_removed(owner_client, shop):
    # given: a bot whose payment provider token is saved
    provider = "284685063:TEST:Y2U3ZmQ0ZjA2ZDU3"
    connection = connect(shop, Channel.TELEGRAM, payment_provider_token=provider)
    prefix = f"connection-{connection.pk}"
    page = owner_client.get(url("channels", shop)).content.decode()
    assert f'name="{prefix}-remove_payment_provider_token"' in page
    # when: the owner ticks "Remove the saved one", the other secrets left empty
    response = owner_client.post(
        url("channel-edit", shop, connection_id=connection.pk),
        form_data(prefix, account_id=BOT_ID, remove_payment_provider_token="on"),
    )
    # then: the token is gone (the bot's orders are paid by link again), the others kept
    assert response.status_code == 302
    connection.refresh_from_db()
    assert services.connection_credentials(connection) == {
        "bot_token": BOT_TOKEN,
        "secret_token": SECRET_TOKEN,
    }
    page = owner_client.get(url("channels", shop)).content.decode()
    assert "••••ZDU3" not in page
    assert f'name="{prefix}-remove_payment_provider_token"' not in page


def test_a_new_payment_provider_token_and_its_removal_at_once_are_refused(owner_client, shop):
    provider = "284685063:TEST:Y2U3ZmQ0ZjA2ZDU3"
    connection = connect(shop, Channel.TELEGRAM, payment_provider_token=provider)
    before = connection.credentials_encrypted
    response = owner_client.post(
        url("channel-edit", shop, connection_id=connection.pk),
        form_data(
            f"connection-{connection.pk}",
            account_id=BOT_ID,
            payment_provider_token="284685063:LIVE:bmV3",
            remove_payment_provider_token="on",
        ),
    )
    assert response.status_code == 422
    assert "Type a new one or remove the saved one, not both." in response.content.decode()
    connection.refresh_from_db()
    assert connection.credentials_encrypted == before


def test_only_a_secret_a_connection_may_go_without_can_be_removed(shop):
    connection = connect(shop, Channel.TELEGRAM)
    with pytest.raises(ValidationError) as refused:
        services.connection_save(
            shop=shop,
            channel=Channel.TELEGRAM,
            account_id=BOT_ID,
            credentials={},
            connection_id=connection.pk,
            remove=["bot_token"],
        )
    assert refused.value.field == "bot_token"
    assert services.connection_credentials(connection)["bot_token"] == BOT_TOKEN


def test_plaza_points_a_telegram_bot_at_its_webhook_with_the_saved_secret(
    owner_client, shop, recorder
):
    # given: a connected bot
    connection = connect(shop, Channel.TELEGRAM)
    page = owner_client.get(url("channels", shop)).content.decode()
    assert url("channel-webhook", shop, connection_id=connection.pk) in page
    # when: the owner presses "Set the webhook"
    response = owner_client.post(
        url("channel-webhook", shop, connection_id=connection.pk), HTTP_HX_REQUEST="true"
    )
    # then: Telegram got setWebhook with the connection's address, the saved secret token and
    # the updates Plaza reads; its answer shows where a test's does
    assert response.status_code == 200
    assert "Telegram now sends the bot&#x27;s updates to Plaza." in response.content.decode()
    (call,) = recorder.sent("/setWebhook")
    assert call.path == f"/bot{BOT_TOKEN}/setWebhook"
    assert call.json == {
        "url": settings.SITE_URL + reverse("connectors:telegram-webhook", args=[connection.uid]),
        "secret_token": SECRET_TOKEN,
        "allowed_updates": ["message", "callback_query", "pre_checkout_query"],
    }
    connection.refresh_from_db()
    assert connection.last_test_ok is True


def test_telegrams_refusal_to_set_the_webhook_is_shown(owner_client, shop, recorder):
    connection = connect(shop, Channel.TELEGRAM)
    recorder.script(
        "/setWebhook",
        status=400,
        body={
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        },
    )
    response = owner_client.post(url("channel-webhook", shop, connection_id=connection.pk))
    assert response.status_code == 302
    page = owner_client.get(url("channels", shop)).content.decode()
    assert "An HTTPS URL must be provided" in page
    connection.refresh_from_db()
    assert connection.last_test_ok is False


@pytest.mark.parametrize(
    ("channel", "button", "answer", "fields"),
    [
        (
            Channel.MESSENGER,
            "Subscribe the Page",
            "Your app now receives the Page&#x27;s messages and comments.",
            "messages,messaging_postbacks,message_echoes,feed",
        ),
        (
            Channel.INSTAGRAM,
            "Subscribe the account",
            "Your app now receives the account&#x27;s messages and comments.",
            "messages,comments",
        ),
    ],
)
def test_plaza_subscribes_a_page_or_an_instagram_account_to_the_fields_it_reads(
    owner_client, shop, recorder, channel, button, answer, fields
):
    connection = connect(shop, channel)
    assert button in owner_client.get(url("channels", shop)).content.decode()
    response = owner_client.post(
        url("channel-webhook", shop, connection_id=connection.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and answer in response.content.decode()
    (call,) = recorder.sent("/subscribed_apps")
    assert call.path.endswith(f"/{connection.account_id}/subscribed_apps")
    assert call.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert call.json == {"subscribed_fields": fields}


def test_plaza_subscribes_the_app_to_the_whatsapp_business_account_once_its_id_is_saved(
    owner_client, shop, recorder
):
    # given: a number connected without its WhatsApp Business Account's id
    number = connect(shop, Channel.WHATSAPP)
    subscribe = url("channel-webhook", shop, connection_id=number.pk)
    assert "Subscribe the WhatsApp account" in owner_client.get(url("channels", shop)).text
    # when: the owner presses the button, then saves the id and presses it again
    refused = owner_client.post(subscribe)
    services.connection_save(
        shop=shop,
        channel=Channel.WHATSAPP,
        account_id=number.account_id,
        credentials={"business_account_id": "102290129340398"},
        connection_id=number.pk,
    )
    done = owner_client.post(subscribe, HTTP_HX_REQUEST="true")
    # then: first the reason, then the account's subscribed_apps with the saved token
    assert refused.status_code == 302
    assert "Save the WhatsApp Business Account ID first" in owner_client.get(refused.url).text
    assert "now receives the WhatsApp Business Account" in done.text
    (call,) = recorder.sent("/subscribed_apps")
    assert call.path.endswith("/102290129340398/subscribed_apps")
    assert call.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_a_disconnected_bot_is_not_set_up(owner_client, shop, recorder):
    bot = connect(shop, Channel.TELEGRAM)
    services.connection_disconnect(connection=bot)
    refused = owner_client.post(url("channel-webhook", shop, connection_id=bot.pk))
    assert refused.status_code == 302
    assert recorder.sent("/setWebhook") == [] and recorder.sent("/subscribed_apps") == []
    page = owner_client.get(url("channels", shop)).content.decode()
    assert "Connect it again first" in page


def test_the_bot_id_is_read_from_the_token_when_left_empty(owner_client, shop):
    response = owner_client.post(
        url("channel-create", shop, network="telegram"),
        form_data("telegram-new", account_id="", bot_token=BOT_TOKEN, secret_token=SECRET_TOKEN),
    )
    assert response.status_code == 302
    assert ChannelConnection.objects.get(shop=shop).account_id == BOT_ID


def test_disconnecting_then_connecting_again_needs_no_secret_typed_again(owner_client, shop):
    # given
    connection = connect(shop, Channel.WHATSAPP)
    # when
    owner_client.post(url("channel-disconnect", shop, connection_id=connection.pk))
    # then: off, the page offers to connect again, and the webhook refuses deliveries
    connection.refresh_from_db()
    assert not connection.is_active
    page = owner_client.get(url("channels", shop)).content.decode()
    assert "Save and connect again" in page
    handshake = reverse("connectors:meta-webhook", kwargs={"uid": connection.uid})
    assert owner_client.get(handshake).status_code == 404
    # when: saved again with empty secrets
    response = owner_client.post(
        url("channel-edit", shop, connection_id=connection.pk),
        form_data(f"connection-{connection.pk}", account_id=PHONE_ID),
    )
    # then
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.is_active
    assert services.connection_credentials(connection) == NETWORKS[Channel.WHATSAPP][1]


# --- the test button -----------------------------------------------------------------


def test_the_test_button_shows_what_meta_answered(owner_client, shop, recorder):
    # given
    connection = connect(shop, Channel.MESSENGER)
    # when
    response = owner_client.post(
        url("channel-test", shop, connection_id=connection.pk), follow=True
    )
    # then: the recorder was asked about the Page with the stored token, and its answer shows
    lookup = [r for r in recorder.requests if r.method == "GET"]
    assert [r.path for r in lookup] == [f"/{settings.META_GRAPH_VERSION}/{PAGE_ID}"]
    assert lookup[0].headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    page = response.content.decode()
    assert "Connected to Kalye Kicks." in page
    connection.refresh_from_db()
    assert connection.last_test_ok is True


def test_the_test_button_shows_the_networks_error(owner_client, shop, recorder):
    # given: Meta refuses the token
    connection = connect(shop, Channel.INSTAGRAM)
    recorder.script(
        f"/{IG_ID}",
        status=400,
        body={"error": {"message": "Invalid OAuth access token.", "type": "OAuthException"}},
    )
    # when
    response = owner_client.post(
        url("channel-test", shop, connection_id=connection.pk), follow=True
    )
    # then
    page = response.content.decode()
    assert "The test failed: The network answered 400: Invalid OAuth access token." in page
    assert 'class="badge err">Failed' in page
    connection.refresh_from_db()
    assert connection.last_test_ok is False


def test_the_test_button_answers_htmx_with_the_result_alone(owner_client, shop, recorder):
    # given
    connection = connect(shop, Channel.TELEGRAM)
    # when
    response = owner_client.post(
        url("channel-test", shop, connection_id=connection.pk), HTTP_HX_REQUEST="true"
    )
    # then: Telegram's getMe was called with the bot token, and the fragment names the bot
    assert [r.path for r in recorder.sent()] == [f"/bot{BOT_TOKEN}/getMe"]
    fragment = response.content.decode()
    assert response.status_code == 200
    assert f'id="test-result-{connection.pk}"' in fragment
    assert "Connected as @kicks_bot." in fragment
    assert "<html" not in fragment


# --- comment keywords ----------------------------------------------------------------


def test_the_owner_adds_and_deletes_comment_keywords(owner_client, shop, trail):
    # given
    connection = connect(shop, Channel.INSTAGRAM)
    prefix = f"trigger-{connection.pk}"
    # when
    response = owner_client.post(
        url("channel-trigger-create", shop, connection_id=connection.pk),
        form_data(prefix, keywords="price, how much , hm", product=str(trail.pk), post_id=" 1789 "),
    )
    # then
    assert response.status_code == 302
    trigger = CommentTrigger.objects.get(connection=connection)
    assert (trigger.keywords, trigger.product, trigger.post_id) == (
        "price, how much, hm",
        trail,
        "1789",
    )
    page = owner_client.get(url("channels", shop)).content.decode()
    assert "price, how much, hm" in page and "on post 1789" in page
    # when
    owner_client.post(
        url("channel-trigger-delete", shop, connection_id=connection.pk, trigger_id=trigger.pk)
    )
    # then
    assert not CommentTrigger.objects.exists()


@pytest.mark.parametrize(
    ("keywords", "product", "field", "message"),
    [
        ("", "own", "keywords", "This field is required."),
        (", ,", "own", "keywords", "Up to 10 keywords of at most 40 characters"),
        ("a,b,c,d,e,f,g,h,i,j,k", "own", "keywords", "Up to 10 keywords"),
        ("price", "", "product", "This field is required."),
        ("price", "other", "product", "Select a valid choice."),
        ("price", "draft", "product", "Select a valid choice."),
        ("price", "abc", "product", "Select a valid choice."),
    ],
)
def test_bad_comment_keywords_show_their_message_and_change_nothing(
    owner_client, shop, other_shop, trail, keywords, product, field, message
):
    # given
    connection = connect(shop, Channel.MESSENGER)
    products = {
        "own": str(trail.pk),
        "other": str(make_product(other_shop, title="Not yours").pk),
        "draft": str(make_product(shop, title="Draft", status="draft").pk),
        "": "",
        "abc": "abc",
    }
    prefix = f"trigger-{connection.pk}"
    # when
    response = owner_client.post(
        url("channel-trigger-create", shop, connection_id=connection.pk),
        form_data(prefix, keywords=keywords, product=products[product], post_id=""),
    )
    # then
    assert response.status_code == 422
    assert any(message in error for error in field_errors(response, prefix)[field])
    assert not CommentTrigger.objects.exists()


def test_whatsapp_and_telegram_take_no_comment_keywords(owner_client, shop, trail):
    for channel in (Channel.WHATSAPP, Channel.TELEGRAM):
        connection = connect(shop, channel)
        response = owner_client.post(
            url("channel-trigger-create", shop, connection_id=connection.pk),
            form_data(f"trigger-{connection.pk}", keywords="price", product=str(trail.pk)),
        )
        assert response.status_code == 404
    assert not CommentTrigger.objects.exists()


def test_a_trigger_of_another_connection_is_missing(owner_client, shop, other_shop, trail):
    # given: the other shop's Page has a trigger
    mine = connect(shop, Channel.MESSENGER)
    theirs = connect(other_shop, Channel.MESSENGER, account_id="5550001")
    trigger = services.comment_trigger_save(
        connection=theirs, keywords="prix", product_id=make_product(other_shop).pk
    )
    # when
    response = owner_client.post(
        url("channel-trigger-delete", shop, connection_id=mine.pk, trigger_id=trigger.pk)
    )
    # then
    assert response.status_code == 404
    assert CommentTrigger.objects.filter(pk=trigger.pk).exists()


# --- bad input -----------------------------------------------------------------------


META_OK = {"account_id": PAGE_ID, **NETWORKS[Channel.MESSENGER][1]}
TELEGRAM_OK = {"account_id": BOT_ID, **NETWORKS[Channel.TELEGRAM][1]}


@pytest.mark.parametrize(
    ("channel", "changes", "field", "message"),
    [
        ("messenger", {"account_id": ""}, "account_id", "Enter the account id the network shows."),
        ("messenger", {"account_id": "my-page"}, "account_id", "An account id is a number"),
        ("messenger", {"account_id": "1" * 81}, "account_id", "at most 80 characters"),
        ("instagram", {"access_token": ""}, "access_token", "This field is required."),
        ("whatsapp", {"app_secret": "  "}, "app_secret", "This field is required."),
        ("whatsapp", {"verify_token": ""}, "verify_token", "This field is required."),
        ("messenger", {"access_token": "x" * 1001}, "access_token", "at most 1000 characters"),
        ("telegram", {"bot_token": "not-a-token"}, "bot_token", "A bot token looks like"),
        (
            "telegram",
            {"bot_token": "12345:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"},
            "bot_token",
            "This token belongs to bot 12345, not to bot 777.",
        ),
        ("telegram", {"secret_token": "with spaces!"}, "secret_token", "Use up to 256 letters"),
        (
            "telegram",
            {"payment_provider_token": "not a token"},
            "payment_provider_token",
            "A payment provider token looks like",
        ),
        ("telegram", {"secret_token": "s" * 257}, "secret_token", "at most 256 characters"),
        ("telegram", {"account_id": "", "bot_token": ""}, "account_id", "Enter the account id"),
    ],
)
def test_bad_connection_input_shows_its_message_next_to_the_field_and_changes_nothing(
    owner_client, shop, channel, changes, field, message
):
    # given
    data = {**(TELEGRAM_OK if channel == "telegram" else META_OK), **changes}
    # when
    response = owner_client.post(
        url("channel-create", shop, network=channel), form_data(f"{channel}-new", **data)
    )
    # then
    assert response.status_code == 422
    errors = field_errors(response, f"{channel}-new")
    assert any(message in error for error in errors[field]), errors
    assert not ChannelConnection.objects.exists()
    # the secrets typed are not written back into the page
    page = response.content.decode()
    for name in ("access_token", "app_secret", "bot_token"):
        if data.get(name, "").strip():
            assert data[name] not in page


def test_an_account_connected_to_another_shop_is_refused(owner_client, shop, other_shop):
    # given
    connect(other_shop, Channel.MESSENGER)
    # when
    response = owner_client.post(
        url("channel-create", shop, network="messenger"), form_data("messenger-new", **META_OK)
    )
    # then
    assert response.status_code == 422
    assert field_errors(response, "messenger-new")["account_id"] == [
        "This account is already connected to a shop."
    ]
    assert not ChannelConnection.objects.filter(shop=shop).exists()


def test_a_bad_edit_changes_nothing(owner_client, shop):
    # given
    connection = connect(shop, Channel.MESSENGER)
    before = connection.credentials_encrypted
    prefix = f"connection-{connection.pk}"
    # when
    response = owner_client.post(
        url("channel-edit", shop, connection_id=connection.pk),
        form_data(prefix, account_id="page!", access_token="EAAnewtoken1234567890"),
    )
    # then
    assert response.status_code == 422
    assert "account_id" in field_errors(response, prefix)
    connection.refresh_from_db()
    assert connection.account_id == PAGE_ID and connection.credentials_encrypted == before


def test_an_unknown_network_is_missing(owner_client, shop):
    response = owner_client.post(url("channel-create", shop, network="myspace"), {})
    assert response.status_code == 404


# --- who may do what -----------------------------------------------------------------


def _every_staff_url(shop, connection, trigger_id=1) -> list[str]:
    values = {"connection_id": connection.pk, "trigger_id": trigger_id, "network": "messenger"}
    urls = []
    for pattern in STAFF_URLS:
        assert isinstance(pattern, URLPattern)
        kwargs = {k: values[k] for k in pattern.pattern.converters if k != "shop_slug"}
        urls.append(url(pattern.name, shop, **kwargs))
    return urls


def _post_everything(client, shop, connection, trigger) -> list[int]:
    """POST a plausible form to every action of the page (the page itself takes no POST)."""
    page = url("channels", shop)
    data = {
        **form_data("messenger-new", account_id="4242", **NETWORKS["messenger"][1]),
        **form_data(f"connection-{connection.pk}", account_id="4242", name="Taken"),
        **form_data(f"trigger-{connection.pk}", keywords="x", product=str(trigger.product_id)),
    }
    return [
        client.post(address, data).status_code
        for address in _every_staff_url(shop, connection, trigger.pk)
        if address != page
    ]


def test_every_channels_page_is_missing_for_staff_of_another_shop(client, shop, other_owner, trail):
    # given
    connection = connect(shop, Channel.INSTAGRAM)
    trigger = services.comment_trigger_save(
        connection=connection, keywords="hm", product_id=trail.pk
    )
    before = connection.credentials_encrypted
    client.force_login(other_owner)
    # when / then: GET and POST alike, nothing is revealed and nothing changes
    for address in _every_staff_url(shop, connection, trigger.pk):
        assert client.get(address).status_code == 404, address
    assert set(_post_everything(client, shop, connection, trigger)) == {404}
    connection.refresh_from_db()
    assert connection.is_active and connection.credentials_encrypted == before
    assert connection.account_id == IG_ID and connection.last_test_at is None
    assert CommentTrigger.objects.filter(pk=trigger.pk).exists()
    assert ChannelConnection.objects.count() == 1


def test_a_connection_of_another_shop_is_missing_under_this_shops_address(
    owner_client, shop, other_shop
):
    theirs = connect(other_shop, Channel.TELEGRAM)
    for name in ("channel-edit", "channel-test", "channel-disconnect", "channel-trigger-create"):
        response = owner_client.post(url(name, shop, connection_id=theirs.pk))
        assert response.status_code == 404, name
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.last_test_at is None


def test_every_channels_page_sends_anonymous_visitors_to_the_login_page(client, shop):
    connection = connect(shop, Channel.MESSENGER)
    for address in _every_staff_url(shop, connection):
        response = client.get(address)
        assert response.status_code == 302, address
        assert response.url.startswith(reverse("account_login"))


def test_an_agent_sees_the_channels_but_cannot_change_them(agent_client, shop, trail):
    # given
    connection = connect(shop, Channel.MESSENGER)
    trigger = services.comment_trigger_save(
        connection=connection, keywords="hm", product_id=trail.pk
    )
    before = connection.credentials_encrypted
    # when
    page = agent_client.get(url("channels", shop))
    # then: read only, no secret, no webhook, no form
    html = page.content.decode()
    assert page.status_code == 200
    assert "Only owners and managers connect or change channels." in html
    assert "Kalye Kicks" in html and "hm" in html
    assert str(connection.uid) not in html and "••••" not in html
    assert 'action="/backoffice/kicks/channels/' not in html
    # when: posting anyway
    statuses = _post_everything(agent_client, shop, connection, trigger)
    # then
    assert set(statuses) == {403}
    connection.refresh_from_db()
    assert connection.is_active and connection.credentials_encrypted == before
    assert connection.last_test_at is None
    assert CommentTrigger.objects.filter(pk=trigger.pk).exists()
    assert ChannelConnection.objects.count() == 1


def test_a_manager_changes_the_channels(client, shop, owner):
    # given
    client.force_login(staff_join(shop, owner, "manager@kicks.test", StaffRole.MANAGER))
    # when
    response = client.post(
        url("channel-create", shop, network="whatsapp"),
        form_data("whatsapp-new", account_id=PHONE_ID, **NETWORKS["whatsapp"][1]),
    )
    # then
    assert response.status_code == 302
    assert ChannelConnection.objects.filter(shop=shop, channel="whatsapp").exists()


def test_a_whatsapp_connection_takes_its_business_accounts_id_in_digits(owner_client, shop):
    create = url("channel-create", shop, network="whatsapp")
    fields = {"account_id": PHONE_ID, **NETWORKS["whatsapp"][1]}
    bad = owner_client.post(
        create, form_data("whatsapp-new", business_account_id="waba-12", **fields)
    )
    assert bad.status_code == 422 and "An account id is a number, digits only." in bad.text
    good = owner_client.post(
        create, form_data("whatsapp-new", business_account_id="102290129340398", **fields)
    )
    assert good.status_code == 302
    saved = ChannelConnection.objects.get(shop=shop, channel="whatsapp")
    assert services.connection_credentials(saved)["business_account_id"] == "102290129340398"


def test_the_back_office_links_the_channels_page(owner_client, shop):
    page = owner_client.get(reverse("backoffice:shop-home", kwargs={"shop_slug": shop.slug}))
    assert f'href="{url("channels", shop)}"' in page.content.decode()


# --- queries -------------------------------------------------------------------------

PAGE_QUERIES = 7


@pytest.mark.parametrize("count", [1, 4])
def test_the_page_reads_the_same_number_of_queries_for_1_or_4_connections(
    owner_client, shop, trail, count, django_assert_num_queries
):
    # given: connections, each Messenger and Instagram one with two comment triggers
    for channel in list(NETWORKS)[:count]:
        connection = connect(shop, channel)
        if channel in (Channel.MESSENGER, Channel.INSTAGRAM):
            for words in ("price", "size"):
                services.comment_trigger_save(
                    connection=connection, keywords=words, product_id=make_product(shop).pk
                )
    owner_client.get(url("channels", shop))  # warm the session
    # when / then
    with django_assert_num_queries(PAGE_QUERIES):
        response = owner_client.get(url("channels", shop))
    assert response.content.decode().count('class="ch-connection"') == count


def test_json_in_the_setwebhook_command_is_valid(owner_client, shop):
    connection = connect(shop, Channel.TELEGRAM)
    rows = owner_client.get(url("channels", shop)).context["networks"][3].rows
    command = rows[0][0].set_webhook_command
    body = json.loads(command.split(" -d '", 1)[1].rstrip("'"))
    assert body == {
        "url": settings.SITE_URL
        + reverse("connectors:telegram-webhook", kwargs={"uid": connection.uid}),
        "secret_token": "<SECRET_TOKEN>",
        "allowed_updates": ["message", "callback_query", "pre_checkout_query"],
    }
