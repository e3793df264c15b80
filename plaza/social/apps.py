from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "plaza.social"
    label = "social"
    verbose_name = _("Social")

    def ready(self) -> None:
        register_personal_data()


def register_personal_data() -> None:
    """Invariant 6: what the social models hold about a person. A shop's posts belong to the
    shop; only the link to the staff member who wrote one is about that person. A creator's posts
    are the person's own."""
    from plaza.core.personal_data import Erasure, register

    register(
        "social.Comment",
        fields=["body", "post", "parent", "created_at"],
        user_lookup="user",
        erasure=Erasure.DELETE,
        note="Erased by social.services.user_social_data_erase, which also deletes the replies "
        "under the comments and keeps the posts' comment_count exact.",
    )
    register(
        "social.Like",
        fields=["post", "created_at"],
        user_lookup="user",
        erasure=Erasure.DELETE,
        note="Erased by social.services.user_social_data_erase, which keeps like_count exact.",
    )
    register(
        "social.Save",
        fields=["post", "created_at"],
        user_lookup="user",
        erasure=Erasure.DELETE,
        note="Erased by social.services.user_social_data_erase, which keeps save_count exact.",
    )
    register(
        "social.Follow",
        fields=["shop", "created_at"],
        user_lookup="user",
        erasure=Erasure.DELETE,
    )
    register(
        "social.UserFollow",
        fields=["followed", "created_at"],
        user_lookup="follower",
        erasure=Erasure.DELETE,
        note="Erased by social.services.user_social_data_erase, which also deletes the follows "
        "of the person by others (their followers).",
    )
    register(
        "social.Post",
        fields=["author", "caption"],
        user_lookup="author",
        erasure=Erasure.ANONYMISE,
        note="A shop's post stays with the shop; the link to the staff member who wrote it is "
        "cleared. A creator's post (no shop) is the person's own: deleted with its media by "
        "social.services.user_social_data_erase.",
    )
