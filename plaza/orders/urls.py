"""Order pages. Included at the site root (before the storefront):

- the shopper's pages under ``orders/``;
- the shop staff's pages under ``backoffice/<shop_slug>/orders/``, next to the other back-office
  pages, each resolved through ``shop_staff_view`` (the tenancy test walks ``STAFF_URLS``).
"""

from django.urls import path

from plaza.orders import views

app_name = "orders"

staff = "backoffice/<slug:shop_slug>/orders/"
staff_order = staff + "<int:order_id>/"

STAFF_URLS = [
    path(staff, views.order_list_staff, name="order-list-staff"),
    path(staff_order, views.order_detail_staff, name="order-detail-staff"),
    path(staff_order + "fulfil/", views.order_fulfil, name="order-fulfil"),
    path(staff_order + "cancel/", views.order_cancel, name="order-cancel"),
    path(staff_order + "refund/", views.order_refund, name="order-refund"),
]

urlpatterns = [
    path("orders/", views.order_list, name="order-list"),
    path("orders/<str:number>/", views.order_detail, name="order-detail"),
    *STAFF_URLS,
]
