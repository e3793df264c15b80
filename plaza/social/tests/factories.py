"""Social state built through the services, as the application builds it."""

from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from plaza.catalog.tests.factories import image_upload
from plaza.social.services import TagInput, post_compose

# The first bytes of an MP4 file ("ftyp" box, brand "isom"), enough for the type check.
MP4_HEADER = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2mp41"


def video_upload(name: str = "clip.mp4", size: int = 2048) -> SimpleUploadedFile:
    content = MP4_HEADER + b"\x00" * max(size - len(MP4_HEADER), 0)
    return SimpleUploadedFile(name, content, content_type="video/mp4")


def make_post(
    shop,
    *,
    author=None,
    caption: str = "",
    images: int = 1,
    video: bool = False,
    tags: tuple = (),
    publish: str = "now",
    publish_at: datetime | None = None,
):
    """A post of the shop with small photos (or a video), published now by default; with
    ``shop=None``, a creator's post by ``author``.

    ``tags`` is a sequence of products (placed in the middle of the first photo) or TagInputs.
    """
    media = [video_upload()] if video else [image_upload(size=(8, 10)) for _ in range(images)]
    tag_inputs = [
        t if isinstance(t, TagInput) else TagInput(product_id=t.pk, x=0.5, y=0.5) for t in tags
    ]
    return post_compose(
        shop=shop,
        author=author or shop.memberships.first().user,
        caption=caption,
        media=media,
        tags=tag_inputs,
        publish=publish,
        publish_at=publish_at,
    )
