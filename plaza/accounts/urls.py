from django.urls import path

from plaza.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("addresses/", views.address_list, name="address-list"),
    path("addresses/new/", views.address_create, name="address-create"),
    path("addresses/<int:address_id>/edit/", views.address_update, name="address-update"),
    path("addresses/<int:address_id>/default/", views.address_default, name="address-default"),
    path("addresses/<int:address_id>/delete/", views.address_delete, name="address-delete"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
]
