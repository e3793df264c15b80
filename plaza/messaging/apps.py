from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "plaza.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from plaza.core import events
        from plaza.messaging import live, services
        from plaza.messaging.bot.engine import catalog_forget

        events.subscribe("message.created", live.message_created_broadcast)
        events.subscribe("conversation.changed", live.conversation_changed_broadcast)
        events.subscribe("comment.created", services.on_comment_created)
        events.subscribe("payment.captured", services.on_payment_captured)
        events.subscribe("product.changed", catalog_forget)
        register_personal_data()
        user_logged_in.connect(join_guest_chat, dispatch_uid="plaza.messaging.join_guest_chat")


def join_guest_chat(sender, request, user, **kwargs) -> None:
    """A guest who chatted logs in (or signs up): their conversations become the account's,
    at once, so that a payment made right after reaches the chat."""
    from plaza.messaging.live import GUEST_SESSION_KEY
    from plaza.messaging.services import conversation_join_account

    session = getattr(request, "session", None)
    token = session.get(GUEST_SESSION_KEY) if session is not None else None
    if token:
        conversation_join_account(guest_token=token, user=user)
        del session[GUEST_SESSION_KEY]


def register_personal_data() -> None:
    """Invariant 6: what conversations hold about a person."""
    from plaza.core.personal_data import Erasure, register

    register(
        "messaging.Conversation",
        fields=["customer", "name", "external_id", "language"],
        user_lookup="customer",
        erasure=Erasure.DELETE,
        note="A person's conversations with shops, deleted with their messages.",
    )
    register(
        "messaging.Message",
        fields=["text", "attachment", "file", "payload"],
        user_lookup="conversation__customer",
        erasure=Erasure.DELETE,
        note="Deleted with the conversation. Staff's own messages in it go too.",
    )
    register(
        "messaging.KeywordReply",
        fields=["contact_key", "created_at"],
        user_lookup="conversation__customer",
        erasure=Erasure.DELETE,
    )
