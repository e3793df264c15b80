from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "plaza.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from plaza.core import events
        from plaza.messaging import live, services

        events.subscribe("message.created", live.message_created_broadcast)
        events.subscribe("conversation.changed", live.conversation_changed_broadcast)
        events.subscribe("comment.created", services.on_comment_created)
        events.subscribe("payment.captured", services.on_payment_captured)
        register_personal_data()


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
        fields=["text", "attachment", "payload"],
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
