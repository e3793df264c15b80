"""The payments URLs mounted as config/urls.py mounts them (``payments/``), for tests."""

from django.urls import include, path

urlpatterns = [path("payments/", include("plaza.payments.urls"))]
