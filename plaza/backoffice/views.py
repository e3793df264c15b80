"""Back-office pages for shop staff. Each view parses, calls one service or selector, renders.

Shop-scoped views are wrapped in ``shop_staff_view``: the shop comes from
``access_shop_membership`` (404 for anyone who is not its staff), objects from the catalog's
``access_*`` selectors (404 for another shop's), and a role that may not act gets a 403 page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from plaza.accounts import services as accounts
from plaza.accounts.selectors import (
    CAN_EDIT_CATALOG,
    CAN_MANAGE_STAFF,
    CAN_MANAGE_TOKENS,
    api_token_list,
    invitation_list_open,
    membership_list_for_user,
    staff_list,
)
from plaza.backoffice import selectors, services
from plaza.backoffice.forms import (
    BulkEditForm,
    CategoryForm,
    ImageAddForm,
    ProductCreateForm,
    ProductForm,
    ShopCreateForm,
    ShopSettingsForm,
    StaffInviteForm,
    TokenCreateForm,
    TranslationForm,
    VariantCreateForm,
    VariantTableForm,
)
from plaza.backoffice.shortcuts import (
    CAN_EDIT_SHOP,
    form_add_domain_error,
    is_htmx,
    render_backoffice,
    shop_staff_view,
)
from plaza.catalog import services as catalog
from plaza.catalog.models import ProductStatus
from plaza.catalog.selectors import category_list
from plaza.core.exceptions import DomainError, PermissionDenied


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _int_list(values) -> list[int]:
    return [n for n in (_int_or_none(v) for v in values) if n is not None][:500]


# --- shops ------------------------------------------------------------------------


@login_required
def index(request):
    """The user's shops; straight to the shop when there is one; a form to open one."""
    memberships = list(membership_list_for_user(user=request.user))
    wants_new = "new" in request.GET or request.method == "POST"
    if len(memberships) == 1 and not wants_new:
        return redirect("backoffice:shop-home", shop_slug=memberships[0].shop.slug)
    form = ShopCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            shop = accounts.shop_create(owner=request.user, **form.cleaned_data)
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Your shop %(name)s is open.") % {"name": shop.name})
            return redirect("backoffice:shop-home", shop_slug=shop.slug)
    return render(
        request,
        "backoffice/index.html",
        {"memberships": memberships, "form": form, "show_form": wants_new or not memberships},
        status=422 if form.errors else 200,
    )


@shop_staff_view()
def shop_home(request, membership):
    overview = selectors.shop_overview(shop=membership.shop, user=request.user)
    return render_backoffice(
        request, membership, "backoffice/shop_home.html", {"overview": overview}, section="home"
    )


@shop_staff_view(roles=CAN_EDIT_SHOP)
def shop_settings(request, membership):
    shop = membership.shop
    form = ShopSettingsForm(request.POST if request.method == "POST" else None, shop=shop)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.shop_update(shop=shop, **form.cleaned_data)
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The shop settings are saved."))
            return redirect("backoffice:shop-settings", shop_slug=shop.slug)
    return render_backoffice(
        request,
        membership,
        "backoffice/shop_settings.html",
        {"form": form},
        section="settings",
        status=422 if form.errors else 200,
    )


# --- products -----------------------------------------------------------------------


@shop_staff_view()
def product_list(request, membership):
    shop = membership.shop
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    category_id = _int_or_none(request.GET.get("category"))
    result = selectors.product_page_for_staff(
        shop=shop, q=q, status=status, category_id=category_id, page=request.GET.get("page")
    )
    return render_backoffice(
        request,
        membership,
        "backoffice/product_list.html",
        {
            "result": result,
            "q": q,
            "status": status if status in ProductStatus.values else "",
            "category_id": category_id,
            "categories": category_list(shop=shop),
            "statuses": ProductStatus.choices,
            "filtered": bool(q or status or category_id),
        },
        section="products",
    )


@shop_staff_view(roles=CAN_EDIT_CATALOG)
def product_create(request, membership):
    shop = membership.shop
    if request.method != "POST":
        form = ProductCreateForm(shop=shop)
        return render_backoffice(
            request,
            membership,
            "backoffice/product_create.html",
            {"form": form},
            section="products",
        )
    form = ProductCreateForm(request.POST, request.FILES, shop=shop)
    if form.is_valid() and not form.rebuild_only:
        try:
            product = services.product_create_with_stock(
                shop=shop,
                options=form.options,
                variants=form.new_variants(),
                images=form.cleaned_data["images"],
                **form.product_kwargs(),
            )
        except services.RowError as exc:
            form.add_row_error(
                exc.row, {"compare_at_price": "compare_at"}.get(exc.field, exc.field), exc.message
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(
                request, _("The product %(title)s is saved.") % {"title": product.title}
            )
            return redirect("backoffice:product-edit", shop_slug=shop.slug, product_id=product.pk)
    return render_backoffice(
        request,
        membership,
        "backoffice/product_create.html",
        {"form": form, "images_lost": bool(request.FILES)},
        section="products",
        status=200 if form.rebuild_only else 422,
    )


def _product_edit_page(request, membership, editor, *, status=200, **forms):
    """The edit page; ``forms`` replaces the blank form of the section that was submitted."""
    product = editor.product
    context = {
        "product": product,
        "editor": editor,
        "product_form": forms.get("product_form")
        or ProductForm(shop=membership.shop, product=product),
        "variant_table": forms.get("variant_table")
        or VariantTableForm(product=product, stock=editor.stock),
        "variant_form": forms.get("variant_form") or VariantCreateForm(product=product),
        "image_form": forms.get("image_form") or ImageAddForm(),
        "translation_form": forms.get("translation_form")
        or TranslationForm(product=product, translations=editor.translations),
    }
    return render_backoffice(
        request,
        membership,
        "backoffice/product_edit.html",
        context,
        section="products",
        status=status,
    )


def _edit_url(membership, product_id: int, anchor: str = "") -> str:
    url = reverse(
        "backoffice:product-edit",
        kwargs={"shop_slug": membership.shop.slug, "product_id": product_id},
    )
    return f"{url}#{anchor}" if anchor else url


@shop_staff_view(roles=CAN_EDIT_CATALOG)
def product_edit(request, membership, product_id):
    editor = selectors.product_editor_get(shop=membership.shop, product_id=product_id)
    if request.method != "POST":
        return _product_edit_page(request, membership, editor)
    form = ProductForm(request.POST, shop=membership.shop, product=editor.product)
    if form.is_valid():
        data = form.product_kwargs()
        try:
            catalog.product_update(
                product=editor.product,
                clear_category=data["category"] is None,
                **data,
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The product is saved."))
            return redirect(_edit_url(membership, product_id))
    editor = selectors.product_editor_get(shop=membership.shop, product_id=product_id)
    return _product_edit_page(request, membership, editor, product_form=form, status=422)


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_POST
def variant_update(request, membership, product_id):
    editor = selectors.product_editor_get(shop=membership.shop, product_id=product_id)
    table = VariantTableForm(request.POST, product=editor.product, stock=editor.stock)
    if table.is_valid():
        try:
            services.product_variants_save(product=editor.product, changes=table.changes())
        except services.RowError as exc:
            table.add_row_error(exc.row, exc.field, exc.message)
        except DomainError as exc:
            table.non_field_errors.append(exc.message)
        else:
            messages.success(request, _("The variants are saved."))
            return redirect(_edit_url(membership, product_id, "variants"))
    editor = selectors.product_editor_get(shop=membership.shop, product_id=product_id)
    return _product_edit_page(request, membership, editor, variant_table=table, status=422)


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_POST
def variant_create(request, membership, product_id):
    editor = selectors.product_editor_get(shop=membership.shop, product_id=product_id)
    form = VariantCreateForm(request.POST, product=editor.product)
    if form.is_valid():
        try:
            services.variant_create_with_stock(product=editor.product, **form.service_kwargs())
        except DomainError as exc:
            form_add_domain_error(form, exc, fields={"compare_at_price": "compare_at"})
        else:
            messages.success(request, _("The variant is added."))
            return redirect(_edit_url(membership, product_id, "variants"))
    editor = selectors.product_editor_get(shop=membership.shop, product_id=product_id)
    return _product_edit_page(request, membership, editor, variant_form=form, status=422)


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_POST
def variant_delete(request, membership, product_id, variant_id):
    variant = selectors.access_product_variant(
        shop=membership.shop, product_id=product_id, variant_id=variant_id
    )
    try:
        catalog.variant_delete(variant=variant)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The variant %(sku)s is deleted.") % {"sku": variant.sku})
    return redirect(_edit_url(membership, product_id, "variants"))


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_POST
def image_add(request, membership, product_id):
    editor = selectors.product_editor_get(shop=membership.shop, product_id=product_id)
    form = ImageAddForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added = services.product_images_add(
                product=editor.product, uploads=form.cleaned_data["images"]
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(
                request,
                ngettext("%(n)s image added.", "%(n)s images added.", len(added))
                % {"n": len(added)},
            )
            return redirect(_edit_url(membership, product_id, "images"))
    editor = selectors.product_editor_get(shop=membership.shop, product_id=product_id)
    return _product_edit_page(request, membership, editor, image_form=form, status=422)


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_POST
def image_delete(request, membership, product_id, image_id):
    image = selectors.access_product_image(
        shop=membership.shop, product_id=product_id, image_id=image_id
    )
    catalog.product_image_delete(image=image)
    messages.success(request, _("The image is deleted."))
    return redirect(_edit_url(membership, product_id, "images"))


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_POST
def translation_update(request, membership, product_id):
    editor = selectors.product_editor_get(shop=membership.shop, product_id=product_id)
    form = TranslationForm(request.POST, product=editor.product, translations=editor.translations)
    if form.is_valid():
        try:
            services.product_translations_save(product=editor.product, texts=form.texts())
        except services.RowError as exc:
            form.add_language_error(exc.row, exc.field, exc.message)
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The translations are saved."))
            return redirect(_edit_url(membership, product_id, "translations"))
    editor = selectors.product_editor_get(shop=membership.shop, product_id=product_id)
    return _product_edit_page(request, membership, editor, translation_form=form, status=422)


@shop_staff_view(roles=CAN_EDIT_CATALOG)
def product_bulk_edit(request, membership):
    """Pick products (or every product the filters match), type new prices and stock, preview
    the changes, apply them all at once."""
    shop = membership.shop
    source = request.POST if request.method == "POST" else request.GET
    product_ids = _int_list(source.getlist("ids"))
    everything = source.get("all") == "1"
    if not product_ids and not everything:
        messages.info(request, _("Choose the products to edit first."))
        return redirect("backoffice:product-list", shop_slug=shop.slug)
    selection = selectors.bulk_edit_selection(
        shop=shop,
        product_ids=None if everything else product_ids,
        q=source.get("q", "").strip()[:100],
        status=source.get("status", ""),
        category_id=_int_or_none(source.get("category")),
    )
    status = 200
    if request.method != "POST":
        form = BulkEditForm(selection=selection, currency=shop.currency)
    else:
        form = BulkEditForm(request.POST, selection=selection, currency=shop.currency)
        valid = form.is_valid()
        if request.POST.get("action") == "apply":
            if valid and not form.changed_rows:
                messages.info(request, _("Nothing to change."))
                return redirect("backoffice:product-list", shop_slug=shop.slug)
            if valid:
                try:
                    services.variant_bulk_edit_apply(
                        shop=shop, prices=form.prices(), stock=form.stock()
                    )
                except DomainError as exc:
                    form.non_field_errors.append(exc.message)
                else:
                    n = len(form.changed_rows)
                    messages.success(
                        request,
                        ngettext("%(n)s variant updated.", "%(n)s variants updated.", n) % {"n": n},
                    )
                    return redirect("backoffice:product-list", shop_slug=shop.slug)
            status = 422
        form.after_preview()
    template = "backoffice/product_bulk_edit.html"
    if is_htmx(request):
        template += "#bulk-editor"
    return render_backoffice(
        request,
        membership,
        template,
        {"form": form, "selection": selection, "previewed": request.method == "POST"},
        section="products",
        status=status,
    )


# --- categories -------------------------------------------------------------------


def _category_page(request, membership, form, status=200):
    return render_backoffice(
        request,
        membership,
        "backoffice/category_list.html",
        {"categories": selectors.category_list_with_counts(shop=membership.shop), "form": form},
        section="categories",
        status=status,
    )


@shop_staff_view(roles=CAN_EDIT_CATALOG)
def category_list_view(request, membership):
    return _category_page(request, membership, CategoryForm())


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_POST
def category_create(request, membership):
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            category = catalog.category_create(shop=membership.shop, name=form.cleaned_data["name"])
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(
                request, _("The category %(name)s is added.") % {"name": category.name}
            )
            return redirect("backoffice:category-list", shop_slug=membership.shop.slug)
    return _category_page(request, membership, form, status=422)


# --- staff --------------------------------------------------------------------------


def _staff_page(request, membership, form, status=200):
    shop = membership.shop
    return render_backoffice(
        request,
        membership,
        "backoffice/staff_list.html",
        {
            "staff": staff_list(shop=shop),
            "invitations": invitation_list_open(shop=shop),
            "form": form,
        },
        section="staff",
        status=status,
    )


@shop_staff_view(roles=CAN_MANAGE_STAFF)
def staff_list_view(request, membership):
    return _staff_page(request, membership, StaffInviteForm())


@shop_staff_view(roles=CAN_MANAGE_STAFF)
@require_POST
def staff_invite(request, membership):
    form = StaffInviteForm(request.POST)
    if form.is_valid():
        try:
            invitation, _raw = accounts.staff_invite(
                shop=membership.shop,
                invited_by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("An invitation is on its way to %(email)s.") % {"email": invitation.email},
            )
            return redirect("backoffice:staff-list", shop_slug=membership.shop.slug)
    return _staff_page(request, membership, form, status=422)


@shop_staff_view(roles=CAN_MANAGE_STAFF)
@require_POST
def invitation_revoke(request, membership, invitation_id):
    accounts.invitation_revoke(shop=membership.shop, invitation_id=invitation_id)
    messages.success(request, _("The invitation is withdrawn."))
    return redirect("backoffice:staff-list", shop_slug=membership.shop.slug)


@shop_staff_view(roles=CAN_MANAGE_STAFF)
@require_POST
def staff_remove(request, membership, membership_id):
    try:
        accounts.membership_remove(
            shop=membership.shop, membership_id=membership_id, by=request.user
        )
    except PermissionDenied as exc:
        messages.error(request, exc.message)
    else:
        if membership_id == membership.pk:
            messages.success(request, _("You left %(shop)s.") % {"shop": membership.shop.name})
            return redirect("backoffice:index")
        messages.success(request, _("The staff member is removed."))
    return redirect("backoffice:staff-list", shop_slug=membership.shop.slug)


# --- API tokens ---------------------------------------------------------------------


def _token_page(request, membership, form, *, created=None, raw_token="", status=200):
    return render_backoffice(
        request,
        membership,
        "backoffice/token_list.html",
        {
            "tokens": api_token_list(shop=membership.shop),
            "form": form,
            "created": created,
            "raw_token": raw_token,
        },
        section="tokens",
        status=status,
    )


@shop_staff_view(roles=CAN_MANAGE_TOKENS)
def token_list(request, membership):
    return _token_page(request, membership, TokenCreateForm())


@shop_staff_view(roles=CAN_MANAGE_TOKENS)
@require_POST
@never_cache
def token_create(request, membership):
    """Create a token and show its secret once, on this response only (never stored)."""
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, raw = accounts.api_token_create(
                shop=membership.shop,
                name=form.cleaned_data["name"],
                created_by=request.user,
                expires_at=form.expires_at(),
            )
        except DomainError as exc:
            form_add_domain_error(form, exc, fields={"expires_at": "expires_on"})
        else:
            return _token_page(request, membership, TokenCreateForm(), created=token, raw_token=raw)
    return _token_page(request, membership, form, status=422)


@shop_staff_view(roles=CAN_MANAGE_TOKENS)
@require_POST
def token_revoke(request, membership, token_id):
    accounts.api_token_revoke(shop=membership.shop, token_id=token_id)
    messages.success(request, _("The token is revoked; requests that use it are now refused."))
    return redirect("backoffice:token-list", shop_slug=membership.shop.slug)
