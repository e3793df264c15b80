"""Checkout pages, mounted at the site's root before the storefront (config/urls.py). The
staff's shipping and tax page lives under "backoffice/<shop_slug>/shipping/"."""

from django.urls import path

from plaza.checkout import views, views_staff

app_name = "checkout"

staff = "backoffice/<slug:shop_slug>/shipping/"
staff_product = "backoffice/<slug:shop_slug>/products/<int:product_id>/"

STAFF_URLS = [
    path(staff, views_staff.shipping_settings, name="staff-shipping"),
    path(staff + "<int:method_id>/", views_staff.shipping_method_edit, name="staff-shipping-edit"),
    path(
        staff + "<int:method_id>/delete/",
        views_staff.shipping_method_delete,
        name="staff-shipping-delete",
    ),
    path(staff_product + "drop/", views_staff.product_drop, name="staff-product-drop"),
]

urlpatterns = [
    path("cart/", views.cart_detail, name="cart-detail"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/shipping/", views.cart_shipping, name="cart-shipping"),
    path("cart/lines/<int:line_id>/", views.cart_line_update, name="cart-line-update"),
    path("cart/lines/<int:line_id>/remove/", views.cart_line_remove, name="cart-line-remove"),
    path("checkout/", views.checkout_page, name="checkout-page"),
    path("checkout/buy/", views.buy_now, name="buy-now"),
    path("checkout/return/", views.checkout_return, name="checkout-return"),
    path("checkout/line/<int:drop_id>/", views.drop_line, name="drop-line"),
    path("checkout/<uuid:uid>/", views.checkout_detail, name="checkout-detail"),
    path("checkout/<uuid:uid>/confirm/", views.checkout_confirm, name="checkout-confirm"),
    *STAFF_URLS,
]
