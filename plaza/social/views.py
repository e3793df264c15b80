"""Shopper pages of the social layer: the feed, a post with its comments, the product sheet of a
tag, a hashtag, a shop's grid, a person's profile, the creator's composer; and the htmx actions
(like, save, comment, follow a shop or a person).

Every view parses, calls one service or selector, and renders. htmx requests get a partial; the
same URLs work without JavaScript (forms post and come back to ``next``).
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from plaza.accounts.selectors import shop_get
from plaza.core.exceptions import DomainError, PermissionDenied
from plaza.core.shortcuts import not_found_as_404
from plaza.social import cards, selectors, services, views_staff

FEED_TABS = ("for-you", "following")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _next_url(request: HttpRequest, default: str) -> str:
    """Where a form without JavaScript comes back to: ``next`` when it is on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _login_url(request: HttpRequest, next_path: str) -> str:
    return f"{reverse(settings.LOGIN_URL)}?next={quote(next_path)}"


def _member_action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A POST that needs a logged-in user. Anonymous visitors go to the login page and come
    back to the page they were on (with htmx, through ``HX-Redirect``)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            back = _next_url(request, reverse("social:feed-list"))
            login = _login_url(request, back)
            if _is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = login
                return response
            return HttpResponseRedirect(login)
        return view(request, *args, **kwargs)

    return require_POST(not_found_as_404(wrapper))


# --- pages -------------------------------------------------------------------------------


@require_safe
def feed_list(request: HttpRequest) -> HttpResponse:
    """/feed/: "For you" for everyone, "Following" for people who are logged in."""
    tab = request.GET.get("tab", "for-you")
    if tab not in FEED_TABS or not request.user.is_authenticated:
        tab = "for-you"
    page_number = request.GET.get("page", 1)
    if tab == "following":
        page = selectors.post_feed_following(viewer=request.user, page=page_number)
    else:
        page = selectors.post_feed_for_you(viewer=request.user, page=page_number)
    context = {"page": page, "cards": cards.post_cards(posts=page.posts), "tab": tab}
    if _is_htmx(request) and request.GET.get("page"):
        return render(request, "social/_feed_page.html", context)
    return render(request, "social/feed_list.html", context)


@require_safe
@not_found_as_404
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_visible(post_id=post_id, viewer=request.user)
    return render(
        request,
        "social/post_detail.html",
        {
            "post": post,
            "card": cards.post_cards(posts=[post])[0],
            "comments": selectors.comment_list(post=post),
            "can_moderate": selectors.user_can_moderate(user=request.user, post=post),
        },
    )


@require_safe
@not_found_as_404
def product_tag_detail(request: HttpRequest, post_id: int, tag_id: int) -> HttpResponse:
    """The bottom sheet of a tag dot (htmx), or the same content as a page."""
    sheet = selectors.product_sheet_get(post_id=post_id, tag_id=tag_id)
    template = (
        "social/_product_sheet.html" if _is_htmx(request) else "social/product_tag_detail.html"
    )
    return render(request, template, {"sheet": sheet})


@require_safe
@not_found_as_404
def hashtag_detail(request: HttpRequest, name: str) -> HttpResponse:
    hashtag = selectors.hashtag_get(name=name)
    page = selectors.post_list_for_hashtag(hashtag=hashtag, page=request.GET.get("page", 1))
    template = "social/_post_grid_page.html" if _is_htmx(request) else "social/hashtag_detail.html"
    return render(request, template, {"hashtag": hashtag, "page": page})


@require_safe
@not_found_as_404
def shop_post_list(request: HttpRequest, shop_slug: str) -> HttpResponse:
    shop = shop_get(slug=shop_slug)
    page = selectors.post_list_for_shop(shop=shop, page=request.GET.get("page", 1))
    if _is_htmx(request):
        return render(request, "social/_post_grid_page.html", {"page": page, "shop": shop})
    return render(
        request,
        "social/shop_post_list.html",
        {
            "shop": shop,
            "social": selectors.shop_social_get(shop=shop, viewer=request.user),
            "page": page,
        },
    )


@require_safe
@not_found_as_404
def user_profile(request: HttpRequest, handle: str) -> HttpResponse:
    """/@<handle>/: a person's profile: name, handle, bio, counts, Follow, their posts' grid."""
    person = selectors.user_get_by_handle(handle=handle)
    page = selectors.post_list_for_user(user=person, page=request.GET.get("page", 1))
    if _is_htmx(request):
        return render(request, "social/_post_grid_page.html", {"page": page, "person": person})
    return render(
        request,
        "social/user_profile.html",
        {
            "person": person,
            "social": selectors.user_social_get(user=person, viewer=request.user),
            "page": page,
        },
    )


@login_required
def creator_post_create(request: HttpRequest) -> HttpResponse:
    """/me/posts/new/: anybody logged in posts as a creator, tagging any shop's products on sale.
    The same composer (form, template, service) as a shop's, without a shop."""
    form, post = views_staff.compose(request, shop=None)
    if post is not None:
        messages.success(request, views_staff.post_saved_message(post))
        return redirect("social:user-profile", handle=post.author.handle)
    return render(
        request,
        "social/creator_post_create.html",
        views_staff.composer_context(request, form, shop=None),
        status=422 if form.errors else 200,
    )


@login_required
@require_safe
def creator_product_search(request: HttpRequest) -> HttpResponse:
    """The creator's product picker (htmx): products on sale in every shop, matching ``q``."""
    return views_staff.product_results(request, shop=None)


# --- likes and saves -----------------------------------------------------------------------


def _post_action(
    request: HttpRequest, post_id: int, action, template: str, state: dict
) -> HttpResponse:
    """Like, unlike, save or unsave; htmx gets the button back with the new count."""
    post = selectors.post_get_visible(post_id=post_id, card=False)
    post = action(post=post, user=request.user)
    if not _is_htmx(request):
        return redirect(_next_url(request, reverse("social:post-detail", args=[post.pk])))
    return render(request, template, {"post": post, **state})


@_member_action
def post_like(request: HttpRequest, post_id: int) -> HttpResponse:
    return _post_action(
        request, post_id, services.post_like, "social/_like_button.html", {"liked": True}
    )


@_member_action
def post_unlike(request: HttpRequest, post_id: int) -> HttpResponse:
    return _post_action(
        request, post_id, services.post_unlike, "social/_like_button.html", {"liked": False}
    )


@_member_action
def post_save(request: HttpRequest, post_id: int) -> HttpResponse:
    return _post_action(
        request, post_id, services.post_save, "social/_save_button.html", {"saved": True}
    )


@_member_action
def post_unsave(request: HttpRequest, post_id: int) -> HttpResponse:
    return _post_action(
        request, post_id, services.post_unsave, "social/_save_button.html", {"saved": False}
    )


# --- comments ----------------------------------------------------------------------------


def _comments_response(
    request: HttpRequest,
    post_id: int,
    *,
    status: int = 200,
    error: str = "",
    body: str = "",
    parent_id: str = "",
    new_comment_id: int | None = None,
) -> HttpResponse:
    """The comments section (htmx) or the post page, read after the change."""
    post = selectors.post_get_visible(post_id=post_id, viewer=request.user)
    context = {
        "post": post,
        "comments": selectors.comment_list(post=post),
        "can_moderate": selectors.user_can_moderate(user=request.user, post=post),
        "comment_error": error,
        "comment_body": body,
        "comment_parent_id": parent_id,
        "new_comment_id": new_comment_id,
        "oob_count": _is_htmx(request),
    }
    template = "social/_comments.html" if _is_htmx(request) else "social/post_detail.html"
    return render(request, template, context, status=status)


@require_safe
@not_found_as_404
def comment_list(request: HttpRequest, post_id: int) -> HttpResponse:
    return _comments_response(request, post_id)


def _int_or_none(raw) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


@_member_action
def comment_create(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_visible(post_id=post_id, card=False)
    body = request.POST.get("body", "")
    parent = request.POST.get("parent", "")
    try:
        comment = services.comment_create(
            post=post, user=request.user, body=body, parent_id=_int_or_none(parent)
        )
    except DomainError as exc:
        return _comments_response(
            request, post.pk, status=exc.status_code, error=exc.message, body=body, parent_id=parent
        )
    if not _is_htmx(request):
        return redirect(f"{reverse('social:post-detail', args=[post.pk])}#comment-{comment.pk}")
    return _comments_response(request, post.pk, new_comment_id=comment.pk)


@_member_action
def comment_delete(request: HttpRequest, post_id: int, comment_id: int) -> HttpResponse:
    post = selectors.post_get_visible(post_id=post_id, card=False)
    comment = selectors.comment_get(post=post, comment_id=comment_id)
    try:
        services.comment_delete(comment=comment, by=request.user)
    except PermissionDenied as exc:
        return _comments_response(request, post.pk, status=403, error=exc.message)
    if not _is_htmx(request):
        return redirect(f"{reverse('social:post-detail', args=[post.pk])}#comments")
    return _comments_response(request, post.pk)


# --- follows -------------------------------------------------------------------------------


def _follow_action(request: HttpRequest, shop_slug: str, action) -> HttpResponse:
    shop = shop_get(slug=shop_slug)
    action(shop=shop, user=request.user)
    if not _is_htmx(request):
        return redirect(_next_url(request, reverse("social:shop-post-list", args=[shop.slug])))
    social = selectors.shop_social_get(shop=shop, viewer=request.user)
    where = "header" if request.POST.get("where") == "header" else ""
    return render(
        request,
        "social/_follow_button.html",
        {
            "shop": shop,
            "following": social.viewer_follows,
            "social": social,
            "where": where,
            # The shop's page shows the follower count beside the button: update it too.
            "oob_count": where == "header",
        },
    )


@_member_action
def shop_follow(request: HttpRequest, shop_slug: str) -> HttpResponse:
    return _follow_action(request, shop_slug, services.shop_follow)


@_member_action
def shop_unfollow(request: HttpRequest, shop_slug: str) -> HttpResponse:
    return _follow_action(request, shop_slug, services.shop_unfollow)


def _user_follow_action(request: HttpRequest, handle: str, action) -> HttpResponse:
    person = selectors.user_get_by_handle(handle=handle)
    error = ""
    try:
        action(follower=request.user, followed=person)
    except DomainError as exc:
        if not _is_htmx(request):
            messages.error(request, exc.message)
        error = exc.message
    if not _is_htmx(request):
        return redirect(_next_url(request, reverse("social:user-profile", args=[person.handle])))
    social = selectors.user_social_get(user=person, viewer=request.user)
    where = "header" if request.POST.get("where") == "header" else ""
    return render(
        request,
        "social/_user_follow_button.html",
        {
            "person": person,
            "following": social.viewer_follows,
            "social": social,
            "where": where,
            "follow_error": error,
            # The profile shows the follower count beside the button: update it too.
            "oob_count": where == "header",
        },
        status=422 if error else 200,
    )


@_member_action
def user_follow(request: HttpRequest, handle: str) -> HttpResponse:
    return _user_follow_action(request, handle, services.user_follow)


@_member_action
def user_unfollow(request: HttpRequest, handle: str) -> HttpResponse:
    return _user_follow_action(request, handle, services.user_unfollow)
