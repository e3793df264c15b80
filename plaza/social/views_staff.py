"""Back-office pages of the social layer: the shop's posts and the composer. The composer's
logic (``compose``, ``composer_context``, ``product_results``) is shared with the creator's
composer at /me/posts/new/ (``views.creator_post_create``).

Every view is wrapped in ``backoffice.shortcuts.shop_staff_view``: anybody who is not staff of
the shop gets the 404 page, exactly as for a shop that does not exist, and posts come from
``access_shop_post``, so another shop's post is missing too.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from plaza.accounts.models import Shop
from plaza.accounts.selectors import CAN_EDIT_CATALOG
from plaza.backoffice.shortcuts import form_add_domain_error, render_backoffice, shop_staff_view
from plaza.core.exceptions import DomainError
from plaza.social import selectors, services
from plaza.social.forms import PostComposeForm
from plaza.social.models import Post

SECTION = "posts"


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_safe
def post_list(request, membership):
    page = selectors.post_list_for_staff(shop=membership.shop, page=request.GET.get("page", 1))
    return render_backoffice(
        request, membership, "social/staff/post_list.html", {"page": page}, section=SECTION
    )


def compose(request, *, shop: Shop | None) -> tuple[PostComposeForm, Post | None]:
    """The composer's form, and the post once a valid POST made it (a DomainError of the
    service goes on the form). Shared by a shop's composer and a creator's (``shop=None``)."""
    allow_draft = shop is not None
    if request.method != "POST":
        return PostComposeForm(allow_draft=allow_draft), None
    form = PostComposeForm(request.POST, request.FILES, allow_draft=allow_draft)
    if not form.is_valid():
        return form, None
    try:
        post = services.post_compose(
            shop=shop,
            author=request.user,
            caption=form.cleaned_data["caption"],
            media=form.cleaned_data["media"],
            tags=form.cleaned_data["tags"],
            publish=form.cleaned_data["publish"],
            publish_at=form.cleaned_data["publish_at"],
        )
    except DomainError as exc:
        form_add_domain_error(form, exc)
        return form, None
    return form, post


def composer_context(request, form: PostComposeForm, *, shop: Shop | None) -> dict:
    return {
        "form": form,
        "products": selectors.product_list_taggable(shop=shop),
        "media_lost": request.method == "POST" and bool(request.FILES),
        "is_creator": shop is None,
    }


@shop_staff_view(roles=CAN_EDIT_CATALOG)
def post_create(request, membership):
    shop = membership.shop
    form, post = compose(request, shop=shop)
    if post is not None:
        messages.success(request, post_saved_message(post))
        return redirect("social:staff-post-list", shop_slug=shop.slug)
    return render_backoffice(
        request,
        membership,
        "social/staff/post_create.html",
        composer_context(request, form, shop=shop),
        section=SECTION,
        status=422 if form.errors else 200,
    )


def post_saved_message(post: Post) -> str:
    if post.status == "draft":
        return _("The post is saved as a draft.")
    if post.status == "scheduled":
        return _("The post is scheduled.")
    return _("The post is published.")


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_safe
def product_search(request, membership):
    """The composer's product picker (htmx): the shop's products matching ``q``."""
    return product_results(request, shop=membership.shop)


def product_results(request, *, shop: Shop | None):
    """The picker's results for ``q``: the shop's products, or every shop's on sale."""
    q = request.GET.get("q", "").strip()[:100]
    products = selectors.product_list_taggable(shop=shop, q=q)
    return render(
        request,
        "social/staff/_product_results.html",
        {"products": products, "q": q, "is_creator": shop is None},
    )


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_POST
def post_publish(request, membership, post_id: int):
    post = selectors.access_shop_post(shop=membership.shop, post_id=post_id)
    services.post_publish(post=post)
    messages.success(request, _("The post is published."))
    return redirect("social:staff-post-list", shop_slug=membership.shop.slug)


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_POST
def post_delete(request, membership, post_id: int):
    post = selectors.access_shop_post(shop=membership.shop, post_id=post_id)
    services.post_delete(post=post)
    messages.success(request, _("The post is deleted."))
    return redirect("social:staff-post-list", shop_slug=membership.shop.slug)
