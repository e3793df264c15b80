"""The networks' webhooks (one URL per connection) and the back office's channel pages."""

from django.urls import path

from plaza.connectors import views

app_name = "connectors"

urlpatterns = [
    path("webhooks/meta/<uuid:uid>/", views.meta_webhook, name="meta-webhook"),
    path("webhooks/telegram/<uuid:uid>/", views.telegram_webhook, name="telegram-webhook"),
]
