from django.urls import path

from plaza.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
]
