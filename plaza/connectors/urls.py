"""The networks' webhooks (one URL per connection) and the back office's channel pages."""

from django.urls import path

from plaza.connectors import views, views_staff

app_name = "connectors"

# The channels page of the back office (plaza/connectors/views_staff.py); each view resolves the
# shop through shop_staff_view, and connections through access_shop_connection.
channels = "backoffice/<slug:shop_slug>/channels/"
connection = channels + "<int:connection_id>/"

STAFF_URLS = [
    path(channels, views_staff.channels, name="channels"),
    path(channels + "<str:network>/connect/", views_staff.channel_create, name="channel-create"),
    path(connection, views_staff.channel_edit, name="channel-edit"),
    path(connection + "test/", views_staff.channel_test, name="channel-test"),
    path(connection + "webhook/", views_staff.channel_webhook_set, name="channel-webhook"),
    path(connection + "disconnect/", views_staff.channel_disconnect, name="channel-disconnect"),
    path(connection + "triggers/", views_staff.trigger_create, name="channel-trigger-create"),
    path(
        connection + "triggers/<int:trigger_id>/delete/",
        views_staff.trigger_delete,
        name="channel-trigger-delete",
    ),
]

urlpatterns = [
    path("webhooks/meta/<uuid:uid>/", views.meta_webhook, name="meta-webhook"),
    path("webhooks/telegram/<uuid:uid>/", views.telegram_webhook, name="telegram-webhook"),
    *STAFF_URLS,
]
