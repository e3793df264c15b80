from django.urls import path

from plaza.storefront import views

app_name = "storefront"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("s/<slug:shop_slug>/", views.shop_detail, name="shop"),
    path("s/<slug:shop_slug>/c/<str:category_slug>/", views.category_detail, name="category"),
    path("s/<slug:shop_slug>/p/<str:slug>/", views.product_detail, name="product"),
]
