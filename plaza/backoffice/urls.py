from django.urls import path

from plaza.backoffice import views

app_name = "backoffice"

# Every pattern below the index is scoped to one shop by <shop_slug>; its view resolves the
# shop through access_shop_membership (see shortcuts.shop_staff_view). The tenancy test walks
# this list, so a new page is covered as soon as it is added here.
shop = "<slug:shop_slug>/"
product = shop + "products/<int:product_id>/"

urlpatterns = [
    path("", views.index, name="index"),
    path(shop, views.shop_home, name="shop-home"),
    path(shop + "settings/", views.shop_settings, name="shop-settings"),
    path(shop + "products/", views.product_list, name="product-list"),
    path(shop + "products/new/", views.product_create, name="product-create"),
    path(shop + "products/bulk-edit/", views.product_bulk_edit, name="product-bulk-edit"),
    path(product, views.product_edit, name="product-edit"),
    path(product + "variants/", views.variant_update, name="variant-update"),
    path(product + "variants/new/", views.variant_create, name="variant-create"),
    path(
        product + "variants/<int:variant_id>/delete/",
        views.variant_delete,
        name="variant-delete",
    ),
    path(product + "images/", views.image_add, name="image-add"),
    path(product + "images/<int:image_id>/delete/", views.image_delete, name="image-delete"),
    path(product + "translations/", views.translation_update, name="translation-update"),
    path(shop + "categories/", views.category_list_view, name="category-list"),
    path(shop + "categories/new/", views.category_create, name="category-create"),
    path(shop + "staff/", views.staff_list_view, name="staff-list"),
    path(shop + "staff/invite/", views.staff_invite, name="staff-invite"),
    path(
        shop + "staff/<int:membership_id>/remove/",
        views.staff_remove,
        name="staff-remove",
    ),
    path(
        shop + "staff/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path(shop + "tokens/", views.token_list, name="token-list"),
    path(shop + "tokens/new/", views.token_create, name="token-create"),
    path(shop + "tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
