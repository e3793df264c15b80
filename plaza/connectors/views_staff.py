"""The channels page of the back office: a shop connects its Messenger Page, Instagram account,
WhatsApp number and Telegram bot, reads the webhook URL to paste at the network, tests the
connection, disconnects, and sets the comment keywords that get a private reply.

Every view is wrapped in ``backoffice.shortcuts.shop_staff_view``: anybody who is not staff of
the shop gets the 404 page, as for a shop that does not exist, and a connection comes from
``access_shop_connection``, so another shop's is missing too. Every member sees the page; only
owners and managers change it (the others get the 403 page). Views parse, call one service or
selector, and render; a service's error is shown next to the field it names, changing nothing.

Secrets are never written into the page: stored ones show their last four characters, and their
inputs stay empty (empty keeps the stored value).
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from plaza.accounts.selectors import CAN_MANAGE_STAFF
from plaza.backoffice.shortcuts import (
    form_add_domain_error,
    is_htmx,
    render_backoffice,
    shop_staff_view,
)
from plaza.connectors import selectors, services
from plaza.connectors.forms import (
    ACCOUNT_LABELS,
    CommentTriggerForm,
    ConnectionForm,
    connection_form_class,
)
from plaza.core.exceptions import DomainError, NotFound
from plaza.messaging.models import Channel

SECTION = "channels"
# Owners and managers connect networks; every member may look.
CAN_MANAGE_CHANNELS = CAN_MANAGE_STAFF
NETWORKS = (Channel.MESSENGER, Channel.INSTAGRAM, Channel.WHATSAPP, Channel.TELEGRAM)


@dataclass
class Network:
    """One network's part of the page: its connections, or the form that connects it."""

    channel: str
    label: str
    account_label: str
    fields: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    create_form: ConnectionForm | None = None

    @property
    def is_connected(self) -> bool:
        return any(row.connection.is_active for row, _edit, _trigger in self.rows)


def _network(value: str) -> str:
    if value not in NETWORKS:
        raise NotFound(_("This network does not exist."))
    return value


def _channels_url(membership, anchor: str = "") -> str:
    url = reverse("connectors:channels", kwargs={"shop_slug": membership.shop.slug})
    return f"{url}#{anchor}" if anchor else url


def _channels_page(request, membership, *, bound: dict | None = None, status: int = 200):
    """The page. ``bound`` holds a bound form by its prefix (``messenger-new``,
    ``connection-3``, ``trigger-3``), shown with its errors in place of the fresh one."""
    shop = membership.shop
    bound = bound or {}
    can_manage = membership.role in CAN_MANAGE_CHANNELS
    rows = selectors.connection_rows_for_shop(shop=shop)
    products = selectors.trigger_product_choices(shop=shop) if can_manage else []
    networks = {
        channel: Network(
            channel=channel,
            label=Channel(channel).label,
            account_label=ACCOUNT_LABELS[channel],
            fields=selectors.WEBHOOK_FIELDS[channel],
        )
        for channel in NETWORKS
    }
    for row in rows:
        edit_form = trigger_form = None
        if can_manage:
            prefix = f"connection-{row.connection.pk}"
            edit_form = bound.get(prefix) or connection_form_class(row.channel)(
                channel=row.channel,
                hints=row.hints,
                prefix=prefix,
                initial={"account_id": row.connection.account_id, "name": row.connection.name},
            )
            if row.takes_comments:
                prefix = f"trigger-{row.connection.pk}"
                trigger_form = bound.get(prefix) or CommentTriggerForm(
                    products=products, prefix=prefix
                )
        networks[row.channel].rows.append((row, edit_form, trigger_form))
    for network in networks.values():
        if can_manage and not network.rows:
            prefix = f"{network.channel}-new"
            network.create_form = bound.get(prefix) or connection_form_class(network.channel)(
                channel=network.channel, prefix=prefix
            )
    return render_backoffice(
        request,
        membership,
        "connectors/channels.html",
        {
            "networks": list(networks.values()),
            "can_manage_channels": can_manage,
            "has_products": bool(products),
            "open_form": next(iter(bound), ""),
        },
        section=SECTION,
        status=status,
    )


@shop_staff_view()
@require_safe
def channels(request, membership):
    return _channels_page(request, membership)


@shop_staff_view(roles=CAN_MANAGE_CHANNELS)
@require_POST
def channel_create(request, membership, network: str):
    """Connect the shop's account on a network."""
    channel = _network(network)
    form = connection_form_class(channel)(request.POST, channel=channel, prefix=f"{channel}-new")
    if form.is_valid():
        try:
            connection = services.connection_save(
                shop=membership.shop,
                channel=channel,
                account_id=form.cleaned_data["account_id"],
                name=form.cleaned_data["name"],
                credentials=form.credentials(),
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(network)s is connected. Now add the webhook at the network, then test it.")
                % {"network": Channel(channel).label},
            )
            return redirect(_channels_url(membership, f"connection-{connection.pk}"))
    return _channels_page(request, membership, bound={form.prefix: form}, status=422)


@shop_staff_view(roles=CAN_MANAGE_CHANNELS)
@require_POST
def channel_edit(request, membership, connection_id: int):
    """Change a connection's account or credentials (empty secrets keep the stored ones), or
    connect it again after it was disconnected."""
    connection = selectors.access_shop_connection(shop=membership.shop, connection_id=connection_id)
    prefix = f"connection-{connection.pk}"
    form = connection_form_class(connection.channel)(
        request.POST,
        channel=connection.channel,
        hints=selectors.connection_secret_hints(connection),
        prefix=prefix,
    )
    if form.is_valid():
        try:
            services.connection_save(
                shop=membership.shop,
                channel=connection.channel,
                account_id=form.cleaned_data["account_id"],
                name=form.cleaned_data["name"],
                credentials=form.credentials(),
                connection_id=connection.pk,
                remove=form.removed(),
            )
        except NotFound:
            raise
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The connection is saved."))
            return redirect(_channels_url(membership, prefix))
    return _channels_page(request, membership, bound={prefix: form}, status=422)


@shop_staff_view(roles=CAN_MANAGE_CHANNELS)
@require_POST
def channel_test(request, membership, connection_id: int):
    """Ask the network about the account with the stored credentials and show its answer."""
    connection = selectors.access_shop_connection(shop=membership.shop, connection_id=connection_id)
    ok, answer = services.connection_test(connection=connection)
    if is_htmx(request):
        connection.refresh_from_db(fields=["last_test_at", "last_test_ok", "last_test_message"])
        return render(request, "connectors/channels_test_result.html", {"connection": connection})
    if ok:
        messages.success(request, answer)
    else:
        messages.error(request, _("The test failed: %(answer)s") % {"answer": answer})
    return redirect(_channels_url(membership, f"connection-{connection.pk}"))


@shop_staff_view(roles=CAN_MANAGE_CHANNELS)
@require_POST
def channel_webhook_set(request, membership, connection_id: int):
    """Ask the network to send the connection's events to Plaza (a Telegram bot's webhook, a
    Facebook Page's subscription) and show what it answered."""
    connection = selectors.access_shop_connection(shop=membership.shop, connection_id=connection_id)
    try:
        ok, answer = services.webhook_set(connection=connection)
    except DomainError as exc:
        ok, answer = None, exc.message
    if is_htmx(request) and ok is not None:
        connection.refresh_from_db(fields=["last_test_at", "last_test_ok", "last_test_message"])
        return render(request, "connectors/channels_test_result.html", {"connection": connection})
    if ok:
        messages.success(request, answer)
    else:
        messages.error(request, answer)
    response = redirect(_channels_url(membership, f"connection-{connection.pk}"))
    if is_htmx(request):
        response["HX-Redirect"] = response["Location"]
    return response


@shop_staff_view(roles=CAN_MANAGE_CHANNELS)
@require_POST
def channel_disconnect(request, membership, connection_id: int):
    """Stop taking the network's events and sending to it; the credentials stay, so connecting
    again needs no secret typed again."""
    connection = selectors.access_shop_connection(shop=membership.shop, connection_id=connection_id)
    services.connection_disconnect(connection=connection)
    messages.success(
        request,
        _("%(network)s is disconnected: Plaza no longer takes its messages or answers there.")
        % {"network": Channel(connection.channel).label},
    )
    return redirect(_channels_url(membership, f"connection-{connection.pk}"))


@shop_staff_view(roles=CAN_MANAGE_CHANNELS)
@require_POST
def trigger_create(request, membership, connection_id: int):
    """Add comment keywords that get a private reply offering a product."""
    connection = selectors.access_shop_connection(shop=membership.shop, connection_id=connection_id)
    if connection.channel not in selectors.COMMENT_CHANNELS:
        raise NotFound(_("Comments on this network do not trigger messages."))
    prefix = f"trigger-{connection.pk}"
    form = CommentTriggerForm(
        request.POST,
        products=selectors.trigger_product_choices(shop=membership.shop),
        prefix=prefix,
    )
    if form.is_valid():
        try:
            services.comment_trigger_save(
                connection=connection,
                keywords=form.cleaned_data["keywords"],
                product_id=form.cleaned_data["product"],
                post_id=form.cleaned_data["post_id"],
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The comment keywords are saved."))
            return redirect(_channels_url(membership, f"connection-{connection.pk}"))
    return _channels_page(request, membership, bound={prefix: form}, status=422)


@shop_staff_view(roles=CAN_MANAGE_CHANNELS)
@require_POST
def trigger_delete(request, membership, connection_id: int, trigger_id: int):
    connection = selectors.access_shop_connection(shop=membership.shop, connection_id=connection_id)
    services.comment_trigger_delete(connection=connection, trigger_id=trigger_id)
    messages.success(request, _("The comment keywords are deleted."))
    return redirect(_channels_url(membership, f"connection-{connection.pk}"))
