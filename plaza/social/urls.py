"""Social pages, mounted at the site's root before the storefront (config/urls.py):

    path("", include("plaza.social.urls")),

None of these paths collides with the storefront's "", "search/" and "s/<slug>/", "s/<slug>/c/…",
"s/<slug>/p/…", nor with the account pages under "me/" (which have no "posts/"). A person's
profile is "@<handle>/": "@" starts no other path. The staff pages live under "backoffice/<shop_slug>/posts/", next to the back
office's own pages; the tenancy test walks every pattern with <shop_slug>.
"""

from django.urls import path

from plaza.social import views, views_staff

app_name = "social"

post = "p/<int:post_id>/"
person = "@<str:handle>/"
staff = "backoffice/<slug:shop_slug>/posts/"

urlpatterns = [
    path("feed/", views.feed_list, name="feed-list"),
    path(post, views.post_detail, name="post-detail"),
    path(post + "like/", views.post_like, name="post-like"),
    path(post + "unlike/", views.post_unlike, name="post-unlike"),
    path(post + "save/", views.post_save, name="post-save"),
    path(post + "unsave/", views.post_unsave, name="post-unsave"),
    path(post + "comments/", views.comment_list, name="comment-list"),
    path(post + "comments/new/", views.comment_create, name="comment-create"),
    path(post + "comments/<int:comment_id>/delete/", views.comment_delete, name="comment-delete"),
    path(post + "products/<int:tag_id>/", views.product_tag_detail, name="product-tag-detail"),
    path("tags/<str:name>/", views.hashtag_detail, name="hashtag-detail"),
    path("s/<slug:shop_slug>/posts/", views.shop_post_list, name="shop-post-list"),
    path("s/<slug:shop_slug>/follow/", views.shop_follow, name="shop-follow"),
    path("s/<slug:shop_slug>/unfollow/", views.shop_unfollow, name="shop-unfollow"),
    # People: a person's profile, following them, and the creator's composer.
    path(person, views.user_profile, name="user-profile"),
    path(person + "follow/", views.user_follow, name="user-follow"),
    path(person + "unfollow/", views.user_unfollow, name="user-unfollow"),
    path("me/posts/new/", views.creator_post_create, name="creator-post-create"),
    path("me/posts/products/", views.creator_product_search, name="creator-product-search"),
    # Back office: the shop's staff (owners and managers) compose and manage posts.
    path(staff, views_staff.post_list, name="staff-post-list"),
    path(staff + "new/", views_staff.post_create, name="staff-post-create"),
    path(staff + "products/", views_staff.product_search, name="staff-product-search"),
    path(staff + "<int:post_id>/publish/", views_staff.post_publish, name="staff-post-publish"),
    path(staff + "<int:post_id>/delete/", views_staff.post_delete, name="staff-post-delete"),
]
