from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from config.api import api
from plaza.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("livez", web_views.livez, name="livez"),
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "web/favicon.svg")),
    path("i18n/language/", web_views.language_set, name="language-set"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("me/", include("plaza.accounts.urls")),
    path("backoffice/", include("plaza.backoffice.urls")),
    path("payments/", include("plaza.payments.urls")),
    path("", include("plaza.messaging.urls")),
    path("", include("plaza.connectors.urls")),
    path("", include("plaza.orders.urls")),
    path("", include("plaza.checkout.urls")),
    path("", include("plaza.social.urls")),
    path("", include("plaza.storefront.urls")),
]

if not settings.MEDIA_S3_BUCKET:
    # Embedded default: media served by the app itself. Scaled deployments use S3 storage.
    urlpatterns.insert(0, re_path(r"^media/(?P<path>.*)$", web_views.media, name="media"))

handler400 = "plaza.web.views.error_400"
handler403 = "plaza.web.views.error_403"
handler404 = "plaza.web.views.error_404"
handler500 = "plaza.web.views.error_500"
