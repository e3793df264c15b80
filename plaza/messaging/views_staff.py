"""The staff inbox in the back office: the shop's conversations, one conversation with its
customer panel and the reply box, the inbox's settings and the comment keywords of its posts.

Every view is wrapped in ``backoffice.shortcuts.shop_staff_view``: anybody who is not staff of
the shop gets the 404 page, as for a shop that does not exist, and a conversation comes from
``access_shop_conversation``, so another shop's is missing too. Views parse, call one service or
selector, and render; a service's error is shown next to the field it names, changing nothing.

Live updates: the page follows ``ws/inbox/<shop slug>/`` (the list is fetched again from
``inbox-list``) and ``ws/chat/<conversation id>/`` (new messages from ``inbox-messages``), see
static/messaging/inbox.js.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from plaza.accounts.models import Membership
from plaza.accounts.selectors import CAN_EDIT_CATALOG, CAN_MANAGE_STAFF, staff_list
from plaza.backoffice.shortcuts import (
    form_add_domain_error,
    is_htmx,
    render_backoffice,
    shop_staff_view,
)
from plaza.catalog.models import ProductStatus
from plaza.catalog.selectors import product_list_for_staff
from plaza.core.exceptions import DomainError, NotFound, PermissionDenied
from plaza.messaging import selectors, services
from plaza.messaging.forms import (
    SETTINGS_FIELDS,
    AgentForm,
    AssignForm,
    CannedReplyForm,
    FaqEntryForm,
    InboxFilterForm,
    InboxSettingsForm,
    LabelsForm,
    PostKeywordsForm,
    ReplyForm,
    TemplateForm,
)
from plaza.messaging.models import Channel, Conversation, ConversationStatus
from plaza.social.selectors import access_shop_post, post_list_for_shop

SECTION = "inbox"
LIST_PAGE_SIZE = 50
PRODUCT_PICKER_SIZE = 12
# Owners and managers set the inbox up; every member answers conversations.
CAN_CONFIGURE_INBOX = CAN_MANAGE_STAFF
_FILTER_KEYS = ("status", "channel", "label", "q", "tab")


@dataclass(frozen=True)
class Row:
    conversation: Conversation
    sla: selectors.Sla


# --- the list ------------------------------------------------------------------------


def _filters(query) -> dict:
    filters = InboxFilterForm(query).values()
    if filters["status"] not in selectors.INBOX_FILTERS:
        filters["status"] = "open"
    filters["tab"] = "at_risk" if query.get("tab") == "at_risk" else ""
    return filters


def _query_string(filters: dict) -> str:
    """The list's filters as a query string, the defaults left out."""
    kept = {
        k: v for k, v in filters.items() if k in _FILTER_KEYS and v and (k, v) != ("status", "open")
    }
    return urlencode(kept)


def _page_number(raw) -> int:
    try:
        return min(max(int(raw), 1), 1000)
    except (TypeError, ValueError):
        return 1


def _refresh_url(shop_slug: str, query: str, current: int | None) -> str:
    """Where the list pane is fetched again: the same filters, the same open conversation."""
    url = reverse("messaging:inbox-list", kwargs={"shop_slug": shop_slug})
    params = "&".join(p for p in (query, f"current={current}" if current else "") if p)
    return f"{url}?{params}" if params else url


def _list_context(request, membership: Membership, *, current: int | None = None) -> dict:
    """What the list pane shows: the filters' counts and one page of rows, each with its SLA.
    A fixed number of queries whatever the number of conversations."""
    shop = membership.shop
    filters = _filters(request.GET)
    settings_row = selectors.inbox_settings_get(shop=shop)
    page = _page_number(request.GET.get("page"))
    if filters["tab"] == "at_risk":
        conversations = selectors.conversation_list_at_risk(shop=shop)
        next_page = None
    else:
        start = (page - 1) * LIST_PAGE_SIZE
        conversations = list(
            selectors.conversation_list_for_staff(
                shop=shop,
                user=request.user,
                status=filters["status"],
                channel=filters["channel"],
                label=filters["label"],
                q=filters["q"],
            )[start : start + LIST_PAGE_SIZE + 1]
        )
        next_page = page + 1 if len(conversations) > LIST_PAGE_SIZE else None
        conversations = conversations[:LIST_PAGE_SIZE]
    now = timezone.now()
    rows = [
        Row(c, selectors.conversation_sla(conversation=c, settings=settings_row, now=now))
        for c in conversations
    ]
    counts = selectors.inbox_counts(shop=shop, user=request.user)
    filter_names = {
        "open": _("Open"),
        "pending": _("Pending"),
        "resolved": _("Resolved"),
        "mine": _("Mine"),
        "unassigned": _("Unassigned"),
        "all": _("All"),
    }
    query = _query_string(filters)
    return {
        "filters": filters,
        "query": query,
        "tabs": [
            (
                key,
                filter_names[key],
                counts[key],
                _query_string({**filters, "status": key, "tab": ""}),
            )
            for key in selectors.INBOX_FILTERS
        ],
        "at_risk_query": _query_string({**filters, "tab": "at_risk"}),
        "rows": rows,
        "page": page,
        "next_page": next_page,
        "current_id": current,
        "channels": Channel.choices,
        "labels": list(selectors.label_list(shop=shop)),
        "refresh_url": _refresh_url(shop.slug, query, current),
    }


def _me_agent(request, membership) -> selectors.Agent | None:
    """The user's own availability, for the toggle in the inbox's heading."""
    agents = selectors.agent_list(shop=membership.shop)
    return next((a for a in agents if a.membership.user_id == request.user.pk), None)


@shop_staff_view()
@require_safe
def inbox(request, membership):
    return render_backoffice(
        request,
        membership,
        "messaging/inbox.html",
        {**_list_context(request, membership), "me_agent": _me_agent(request, membership)},
        section=SECTION,
    )


@shop_staff_view()
@require_safe
def inbox_list(request, membership):
    """The list pane alone, fetched again when the inbox's socket says something changed."""
    current = _page_number(request.GET.get("current")) if request.GET.get("current") else None
    return render(
        request,
        "messaging/inbox_list.html",
        {"shop": membership.shop, **_list_context(request, membership, current=current)},
    )


@shop_staff_view()
@require_safe
def inbox_badge(request, membership):
    """The navigation's count of conversations that wait for someone (fetched after the page)."""
    counts = selectors.inbox_counts(shop=membership.shop, user=request.user)
    return render(request, "messaging/inbox_badge.html", {"count": counts["unassigned"]})


# --- one conversation ----------------------------------------------------------------


def _conversation_url(shop_slug: str, conversation_id: int, query: str = "") -> str:
    url = reverse(
        "messaging:inbox-conversation",
        kwargs={"shop_slug": shop_slug, "conversation_id": conversation_id},
    )
    return f"{url}?{query}" if query else url


def _back(request, membership, conversation: Conversation) -> HttpResponse:
    return redirect(
        _conversation_url(
            membership.shop.slug, conversation.pk, _query_string(_filters(request.GET))
        )
    )


def _conversation_page(
    request,
    membership,
    conversation: Conversation,
    *,
    reply_form: ReplyForm | None = None,
    labels_form: LabelsForm | None = None,
    assign_form: AssignForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    shop = membership.shop
    now = timezone.now()
    context = _list_context(request, membership, current=conversation.pk)
    settings_row = selectors.inbox_settings_get(shop=shop)
    window = selectors.messaging_window(conversation=conversation, now=now)
    label_names = [label.name for label in conversation.labels.all()]
    context.update(
        {
            "conversation": conversation,
            "thread": selectors.message_list(conversation=conversation, for_staff=True),
            "window": window,
            "window_seconds_left": window.seconds_left(now),
            "windowed": conversation.channel in selectors.WINDOWED_CHANNELS,
            "sla": selectors.conversation_sla(
                conversation=conversation, settings=settings_row, now=now
            ),
            "settings_row": settings_row,
            "panel": selectors.customer_panel(conversation=conversation),
            "staff": list(staff_list(shop=shop)),
            "canned_replies": [
                {"code": r.shortcode, "text": r.text}
                for r in selectors.canned_reply_list(shop=shop)
            ],
            "reply_form": reply_form or ReplyForm(),
            "labels_form": labels_form or LabelsForm(initial={"labels": ", ".join(label_names)}),
            "assign_form": assign_form or AssignForm(),
            "reply_error": error,
            "resolved": conversation.status == ConversationStatus.RESOLVED,
            "conversation_url": _conversation_url(shop.slug, conversation.pk),
            "me_agent": _me_agent(request, membership),
        }
    )
    return render_backoffice(
        request, membership, "messaging/inbox.html", context, section=SECTION, status=status
    )


def _conversation(membership, conversation_id) -> Conversation:
    return selectors.access_shop_conversation(shop=membership.shop, conversation_id=conversation_id)


@shop_staff_view()
@require_safe
def inbox_conversation(request, membership, conversation_id: int):
    conversation = _conversation(membership, conversation_id)
    services.conversation_mark_seen(conversation=conversation)
    return _conversation_page(request, membership, conversation)


@shop_staff_view()
@require_safe
def inbox_messages(request, membership, conversation_id: int):
    """The messages after ``after`` (an id), for the page to add what its socket announced."""
    conversation = _conversation(membership, conversation_id)
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        after = 0
    thread = selectors.message_list(conversation=conversation, for_staff=True, after_id=after)
    return render(
        request, "messaging/inbox_messages.html", {"thread": thread, "conversation": conversation}
    )


@shop_staff_view()
@require_POST
def inbox_send(request, membership, conversation_id: int):
    """A reply to the customer (text, ``/shortcode``, a photo or a file, a product card) or a
    private note. htmx gets the new message's HTML, or the error with its status; a plain form
    post goes back to the conversation."""
    conversation = _conversation(membership, conversation_id)
    form = ReplyForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["note"]:
                message = services.note_add(
                    conversation=conversation, author=request.user, text=data["text"]
                )
            else:
                message = services.staff_message_send(
                    conversation=conversation,
                    author=request.user,
                    text=data["text"],
                    attachment=data["image"],
                    product_id=data["product_id"],
                )
        except DomainError as exc:
            form_add_domain_error(
                form,
                exc,
                fields={
                    "media": "image",
                    "attachment": "image",
                    "file": "image",
                    "product": "product_id",
                },
            )
            status = exc.status_code
        else:
            if is_htmx(request):
                return render(
                    request,
                    "messaging/inbox_messages.html",
                    {"thread": [message], "conversation": conversation},
                )
            return _back(request, membership, conversation)
    error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if is_htmx(request):
        return render(request, "messaging/inbox_error.html", {"error": error}, status=status)
    return _conversation_page(
        request, membership, conversation, reply_form=form, error=error, status=status
    )


@shop_staff_view()
@require_POST
def inbox_template(request, membership, conversation_id: int):
    """An approved WhatsApp template, the one message possible after the 24-hour window."""
    conversation = _conversation(membership, conversation_id)
    form = TemplateForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            services.staff_template_send(
                conversation=conversation,
                author=request.user,
                name=form.cleaned_data["name"],
                language=form.cleaned_data["language"],
                values=form.values_list(),
                header=form.cleaned_data["header"],
                header_upload=form.cleaned_data["header_file"],
                button=form.cleaned_data["button"],
            )
        except DomainError as exc:
            form_add_domain_error(
                form,
                exc,
                fields={
                    "template": "name",
                    "media": "header_file",
                    "attachment": "header_file",
                    "file": "header_file",
                },
            )
            status = exc.status_code
        else:
            return _back(request, membership, conversation)
    error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return _conversation_page(request, membership, conversation, error=error, status=status)


@shop_staff_view()
@require_safe
def inbox_products(request, membership, conversation_id: int):
    """The product card picker's results: the shop's products on sale matching ``q``."""
    conversation = _conversation(membership, conversation_id)
    q = " ".join(request.GET.get("q", "").split())[:100]
    products = list(
        product_list_for_staff(shop=membership.shop, q=q, status=ProductStatus.ACTIVE)[
            :PRODUCT_PICKER_SIZE
        ]
    )
    return render(
        request,
        "messaging/inbox_products.html",
        {"products": products, "shop": membership.shop, "conversation": conversation, "q": q},
    )


@shop_staff_view()
@require_POST
def inbox_assign(request, membership, conversation_id: int):
    """Assign to a staff member, to me (``me``) or to nobody (empty)."""
    conversation = _conversation(membership, conversation_id)
    form = AssignForm(request.POST)
    if form.is_valid():
        choice = form.cleaned_data["assignee"].strip()
        assignee = None
        if choice == "me":
            assignee = request.user
        elif choice:
            found = [m.user for m in staff_list(shop=membership.shop) if str(m.user_id) == choice]
            if not found:
                form.add_error("assignee", _("Only the shop's staff can be assigned."))
            else:
                assignee = found[0]
        if not form.errors:
            try:
                services.conversation_assign(
                    conversation=conversation, assignee=assignee, by=request.user
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                return _back(request, membership, conversation)
    return _conversation_page(request, membership, conversation, assign_form=form, status=422)


def _simple_action(action):
    """A button on the conversation: call the service, go back to the conversation."""

    @shop_staff_view()
    @require_POST
    def view(request, membership, conversation_id: int):
        conversation = _conversation(membership, conversation_id)
        try:
            action(request, conversation)
        except DomainError as exc:
            messages.error(request, exc.message)
        return _back(request, membership, conversation)

    view.__name__ = f"inbox_{action.__name__}"
    view.__doc__ = action.__doc__
    return view


def _take_over(request, conversation):
    """Take the conversation over from the bot, which pauses."""
    services.conversation_take_over(conversation=conversation, by=request.user)


def _hand_back(request, conversation):
    """Hand the conversation back to the bot."""
    services.conversation_hand_back(conversation=conversation, by=request.user)


def _bot(request, conversation):
    """Switch the bot on or off for this conversation."""
    services.conversation_set_bot(
        conversation=conversation, enabled=request.POST.get("enabled") == "on"
    )


def _resolve(request, conversation):
    services.conversation_resolve(conversation=conversation, by=request.user)


def _reopen(request, conversation):
    services.conversation_reopen(conversation=conversation, by=request.user)


inbox_take_over = _simple_action(_take_over)
inbox_hand_back = _simple_action(_hand_back)
inbox_bot = _simple_action(_bot)
inbox_resolve = _simple_action(_resolve)
inbox_reopen = _simple_action(_reopen)


@shop_staff_view()
@require_POST
def inbox_labels(request, membership, conversation_id: int):
    conversation = _conversation(membership, conversation_id)
    form = LabelsForm(request.POST)
    if form.is_valid():
        try:
            services.conversation_set_labels(conversation=conversation, names=form.names())
        except DomainError as exc:
            form_add_domain_error(form, exc, fields={"label": "labels"})
        else:
            return _back(request, membership, conversation)
    return _conversation_page(request, membership, conversation, labels_form=form, status=422)


# --- settings ------------------------------------------------------------------------


def _settings_page(
    request,
    membership,
    *,
    settings_form: InboxSettingsForm | None = None,
    faq_form: FaqEntryForm | None = None,
    canned_form: CannedReplyForm | None = None,
    bound: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    """The settings page. ``bound`` holds a bound edit form by its prefix (``faq-3``), shown
    with its errors in place of the entry's form."""
    shop = membership.shop
    bound = bound or {}
    settings_row = selectors.inbox_settings_get(shop=shop)
    faq = [
        (
            entry,
            bound.get(f"faq-{entry.pk}")
            or FaqEntryForm(
                prefix=f"faq-{entry.pk}",
                initial={
                    "question": entry.question,
                    "keywords": entry.keywords,
                    "answer": entry.answer,
                },
            ),
        )
        for entry in selectors.faq_entry_list(shop=shop)
    ]
    canned = [
        (
            reply,
            bound.get(f"canned-{reply.pk}")
            or CannedReplyForm(
                prefix=f"canned-{reply.pk}",
                initial={"shortcode": reply.shortcode, "text": reply.text},
            ),
        )
        for reply in selectors.canned_reply_list(shop=shop)
    ]
    return render_backoffice(
        request,
        membership,
        "messaging/settings.html",
        {
            "settings_form": settings_form
            or InboxSettingsForm(initial=InboxSettingsForm.initial_from(settings_row)),
            "faq": faq,
            "faq_form": faq_form or FaqEntryForm(prefix="faq-new"),
            "canned": canned,
            "canned_form": canned_form or CannedReplyForm(prefix="canned-new"),
            "agents": selectors.agent_list(shop=shop),
            "open_section": next(iter(bound), ""),
        },
        section=SECTION,
        status=status,
    )


def _settings_url(membership, anchor: str = "") -> str:
    url = reverse("messaging:inbox-settings", kwargs={"shop_slug": membership.shop.slug})
    return f"{url}#{anchor}" if anchor else url


@shop_staff_view(roles=CAN_CONFIGURE_INBOX)
def inbox_settings(request, membership):
    if request.method != "POST":
        return _settings_page(request, membership)
    form = InboxSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.inbox_settings_update(shop=membership.shop, **form.changes())
        except DomainError as exc:
            form_add_domain_error(form, exc, fields=SETTINGS_FIELDS)
        else:
            messages.success(request, _("The inbox settings are saved."))
            return redirect(_settings_url(membership))
    return _settings_page(request, membership, settings_form=form, status=422)


def _entry_save(request, membership, *, kind: str, pk, form_class, save, saved: str):
    """Add or change (``pk``) one of the settings page's entries (an FAQ entry, a canned
    reply); a bad one comes back on the page with its message, another shop's is the 404."""
    prefix = f"{kind}-{pk}" if pk else f"{kind}-new"
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            save(shop=membership.shop, **form.cleaned_data)
        except NotFound:
            raise  # another shop's entry: the 404 page
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, saved)
            return redirect(_settings_url(membership, kind))
    if pk:
        return _settings_page(request, membership, bound={prefix: form}, status=422)
    return _settings_page(request, membership, status=422, **{f"{kind}_form": form})


@shop_staff_view(roles=CAN_CONFIGURE_INBOX)
@require_POST
def faq_save(request, membership, entry_id: int | None = None):
    """Add an FAQ entry, or change one (``entry_id``)."""
    return _entry_save(
        request,
        membership,
        kind="faq",
        pk=entry_id,
        form_class=FaqEntryForm,
        save=lambda **data: services.faq_entry_save(entry_id=entry_id, **data),
        saved=_("The FAQ entry is saved."),
    )


@shop_staff_view(roles=CAN_CONFIGURE_INBOX)
@require_POST
def faq_delete(request, membership, entry_id: int):
    services.faq_entry_delete(shop=membership.shop, entry_id=entry_id)
    messages.success(request, _("The FAQ entry is deleted."))
    return redirect(_settings_url(membership, "faq"))


@shop_staff_view(roles=CAN_CONFIGURE_INBOX)
@require_POST
def canned_save(request, membership, reply_id: int | None = None):
    """Add a canned reply, or change one (``reply_id``)."""
    return _entry_save(
        request,
        membership,
        kind="canned",
        pk=reply_id,
        form_class=CannedReplyForm,
        save=lambda **data: services.canned_reply_save(reply_id=reply_id, **data),
        saved=_("The canned reply is saved."),
    )


@shop_staff_view(roles=CAN_CONFIGURE_INBOX)
@require_POST
def canned_delete(request, membership, reply_id: int):
    services.canned_reply_delete(shop=membership.shop, reply_id=reply_id)
    messages.success(request, _("The canned reply is deleted."))
    return redirect(_settings_url(membership, "canned"))


@shop_staff_view()
@require_POST
def agent_available(request, membership):
    """Whether a staff member takes new conversations: anyone for themselves, owners and
    managers for everyone."""
    form = AgentForm(request.POST)
    if request.POST.get("next_page") == "settings":
        target = _settings_url(membership, "agents")
    else:
        target = _inbox_url(membership)
    if not form.is_valid():
        messages.error(request, _("Choose a staff member."))
        return redirect(target)
    user_id = form.cleaned_data["user_id"]
    if user_id != request.user.pk and membership.role not in CAN_CONFIGURE_INBOX:
        raise PermissionDenied(_("Only owners and managers change another agent's availability."))
    members = [m for m in staff_list(shop=membership.shop) if m.user_id == user_id]
    if not members:
        messages.error(request, _("Only the shop's staff can be assigned."))
        return redirect(target)
    try:
        services.agent_set_available(
            shop=membership.shop, user=members[0].user, available=form.cleaned_data["available"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Availability saved."))
    return redirect(target)


def _inbox_url(membership) -> str:
    return reverse("messaging:inbox", kwargs={"shop_slug": membership.shop.slug})


# --- comment keywords ----------------------------------------------------------------


def _keywords_page(request, membership, *, bound: dict | None = None, status: int = 200):
    shop = membership.shop
    page = post_list_for_shop(shop=shop, page=request.GET.get("page", 1))
    keywords = selectors.post_keywords_for_posts(post_ids=[p.pk for p in page.posts])
    bound = bound or {}
    rows = []
    for post in page.posts:
        trigger = keywords.get(post.pk)
        form = bound.get(post.pk) or PostKeywordsForm(
            prefix=f"post-{post.pk}", initial={"keywords": trigger.keywords if trigger else ""}
        )
        rows.append((post, trigger, form))
    return render_backoffice(
        request,
        membership,
        "messaging/keywords.html",
        {"rows": rows, "page": page},
        section=SECTION,
        status=status,
    )


@shop_staff_view(roles=CAN_EDIT_CATALOG)
def post_keywords(request, membership):
    """The shop's published posts, each with the words that, in a comment, open a chat."""
    return _keywords_page(request, membership)


@shop_staff_view(roles=CAN_EDIT_CATALOG)
@require_POST
def post_keywords_save(request, membership, post_id: int):
    post = access_shop_post(shop=membership.shop, post_id=post_id)
    form = PostKeywordsForm(request.POST, prefix=f"post-{post.pk}")
    if form.is_valid():
        try:
            services.post_keywords_set(post=post, keywords=form.cleaned_data["keywords"])
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The keywords are saved."))
            url = reverse("messaging:inbox-keywords", kwargs={"shop_slug": membership.shop.slug})
            return redirect(f"{url}#post-{post.pk}")
    return _keywords_page(request, membership, bound={post.pk: form}, status=422)
