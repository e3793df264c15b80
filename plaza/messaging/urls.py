"""Messaging pages, mounted at the site's root before the storefront (config/urls.py):

    path("", include("plaza.messaging.urls")),

The shopper's web chat lives under "chat/" (no other app's path starts so); the payment links
the bot sends are "chat/pay/<token>/" (a token is never "messages", so a shop slugged "pay"
keeps its chat). The staff's inbox lives under "backoffice/<shop_slug>/inbox/" (STAFF_URLS).
"""

from django.urls import path

from plaza.messaging import views, views_staff

app_name = "messaging"

chat = "chat/<slug:shop_slug>/"

# The staff's inbox (plaza/messaging/views_staff.py); each view resolves the shop through
# shop_staff_view, and conversations through access_shop_conversation.
inbox = "backoffice/<slug:shop_slug>/inbox/"
conversation = inbox + "<int:conversation_id>/"
inbox_settings = inbox + "settings/"

STAFF_URLS = [
    path(inbox, views_staff.inbox, name="inbox"),
    path(inbox + "list/", views_staff.inbox_list, name="inbox-list"),
    path(inbox + "badge/", views_staff.inbox_badge, name="inbox-badge"),
    path(inbox + "availability/", views_staff.agent_available, name="inbox-availability"),
    path(conversation, views_staff.inbox_conversation, name="inbox-conversation"),
    path(conversation + "messages/", views_staff.inbox_messages, name="inbox-messages"),
    path(conversation + "send/", views_staff.inbox_send, name="inbox-send"),
    path(conversation + "products/", views_staff.inbox_products, name="inbox-products"),
    path(conversation + "template/", views_staff.inbox_template, name="inbox-template"),
    path(conversation + "assign/", views_staff.inbox_assign, name="inbox-assign"),
    path(conversation + "take-over/", views_staff.inbox_take_over, name="inbox-take-over"),
    path(conversation + "hand-back/", views_staff.inbox_hand_back, name="inbox-hand-back"),
    path(conversation + "bot/", views_staff.inbox_bot, name="inbox-bot"),
    path(conversation + "resolve/", views_staff.inbox_resolve, name="inbox-resolve"),
    path(conversation + "reopen/", views_staff.inbox_reopen, name="inbox-reopen"),
    path(conversation + "labels/", views_staff.inbox_labels, name="inbox-labels"),
    path(inbox_settings, views_staff.inbox_settings, name="inbox-settings"),
    path(inbox_settings + "faq/", views_staff.faq_save, name="inbox-faq-create"),
    path(inbox_settings + "faq/<int:entry_id>/", views_staff.faq_save, name="inbox-faq-edit"),
    path(
        inbox_settings + "faq/<int:entry_id>/delete/",
        views_staff.faq_delete,
        name="inbox-faq-delete",
    ),
    path(inbox_settings + "canned/", views_staff.canned_save, name="inbox-canned-create"),
    path(
        inbox_settings + "canned/<int:reply_id>/", views_staff.canned_save, name="inbox-canned-edit"
    ),
    path(
        inbox_settings + "canned/<int:reply_id>/delete/",
        views_staff.canned_delete,
        name="inbox-canned-delete",
    ),
    path(inbox + "keywords/", views_staff.post_keywords, name="inbox-keywords"),
    path(
        inbox + "keywords/<int:post_id>/",
        views_staff.post_keywords_save,
        name="inbox-keywords-save",
    ),
]

urlpatterns = [
    path(chat, views.chat_detail, name="chat-detail"),
    path(chat + "messages/", views.chat_message_list, name="chat-messages"),
    path(chat + "messages/new/", views.chat_message_create, name="chat-message-create"),
    path("chat/pay/<str:token>/", views.chat_pay, name="chat-pay"),
    *STAFF_URLS,
]
