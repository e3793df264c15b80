from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "plaza.social"
    label = "social"
    verbose_name = _("Social")

    def ready(self) -> None:
        register_personal_data()


def register_personal_data() -> None:
    """Invariant 6: what the social models hold about a person. Posts belong to their shop; only
    the link to the staff member who wrote one is about that person."""
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
        "social.Post",
        fields=["author"],
        user_lookup="author",
        erasure=Erasure.ANONYMISE,
        note="The post is the shop's and stays; the link to the staff member who wrote it is "
        "cleared.",
    )
