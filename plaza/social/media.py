"""The photos and video of a post: checked by their content (never by the name or the type the
browser claims), photos re-encoded upright and without their metadata (a phone's photo carries
where it was taken), videos stored as they came.

A post has 1 to MAX_IMAGES photos, or exactly one video.
"""

import io
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from plaza.core.exceptions import ValidationError
from plaza.social.models import MediaKind

MAX_IMAGES = 10
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "MPO"})
DISPLAY_SIZE = 1440  # the longest side of a stored photo, in pixels
THUMBNAIL_SIZE = 480
DEFAULT_MAX_VIDEO_BYTES = 30 * 1024 * 1024
# Video containers recognised by their first bytes: ISO base media (MP4, MOV, M4V) has "ftyp" at
# offset 4; WebM is Matroska, which starts with the EBML magic number.
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
# HEIF/AVIF photos are ISO base media files too: these brands are pictures, not videos.
_PICTURE_BRANDS = frozenset(
    {
        b"heic",
        b"heix",
        b"hevc",
        b"hevx",
        b"heim",
        b"heis",
        b"hevm",
        b"hevs",
        b"mif1",
        b"msf1",
        b"avif",
        b"avis",
    }
)


def max_image_bytes() -> int:
    return settings.PLAZA_MAX_IMAGE_BYTES


def max_video_bytes() -> int:
    """PLAZA_MAX_VIDEO_BYTES, 30 MB by default (under the 32 MB request limit)."""
    return int(getattr(settings, "PLAZA_MAX_VIDEO_BYTES", DEFAULT_MAX_VIDEO_BYTES))


@dataclass
class PreparedMedia:
    """A checked upload, ready to be stored."""

    kind: str
    name: str
    content: bytes
    width: int = 0
    height: int = 0
    thumbnail: bytes = b""


def _mb(n: int) -> int:
    return max(n // (1024 * 1024), 1)


def _refuse_image() -> ValidationError:
    return ValidationError(
        _(
            "This file is not a photo or video we can read (use JPEG, PNG, WebP, GIF, MP4, MOV or WebM)."
        ),
        field="media",
    )


def _head(upload: UploadedFile, n: int = 16) -> bytes:
    upload.seek(0)
    head = upload.read(n)
    upload.seek(0)
    return head


def _video_extension(upload: UploadedFile) -> str | None:
    """The container of a video upload from its first bytes, or None for anything else."""
    head = _head(upload)
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _PICTURE_BRANDS:
            return None
        return "mov" if brand == b"qt  " else "mp4"
    if head.startswith(_EBML_MAGIC):
        return "webm"
    return None


def _encode(img: Image.Image, size: int, *, quality: int) -> bytes:
    copy = img.copy()
    copy.thumbnail((size, size))
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def image_prepare(upload: UploadedFile) -> PreparedMedia:
    if upload.size is None or upload.size > max_image_bytes():
        raise ValidationError(
            _("A photo may be at most %(mb)s MB.") % {"mb": _mb(max_image_bytes())}, field="media"
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in IMAGE_FORMATS:
            raise _refuse_image()
        upload.seek(0)
        with Image.open(upload) as img:
            if fmt == "JPEG":
                img.draft("RGB", (DISPLAY_SIZE, DISPLAY_SIZE))
            upright = ImageOps.exif_transpose(img)
            if upright.mode in ("RGBA", "LA", "P"):
                rgba = upright.convert("RGBA")
                upright = Image.new("RGB", rgba.size, "white")
                upright.paste(rgba, mask=rgba.split()[-1])
            else:
                upright = upright.convert("RGB")
            display = _encode(upright, DISPLAY_SIZE, quality=85)
            thumbnail = _encode(upright, THUMBNAIL_SIZE, quality=80)
            width, height = upright.size
            scale = min(DISPLAY_SIZE / max(width, height), 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse_image() from None
    finally:
        upload.seek(0)
    stem = secrets.token_hex(8)
    return PreparedMedia(
        kind=MediaKind.IMAGE,
        name=f"{stem}.jpg",
        content=display,
        width=round(width * scale),
        height=round(height * scale),
        thumbnail=thumbnail,
    )


def _prepare_video(upload: UploadedFile, extension: str) -> PreparedMedia:
    if upload.size is None or upload.size > max_video_bytes():
        raise ValidationError(
            _("A video may be at most %(mb)s MB.") % {"mb": _mb(max_video_bytes())}, field="media"
        )
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    return PreparedMedia(
        kind=MediaKind.VIDEO, name=f"{secrets.token_hex(8)}.{extension}", content=content
    )


def media_prepare(uploads: list[UploadedFile]) -> list[PreparedMedia]:
    """Check and prepare a post's uploads, in their order, or raise a translated ValidationError
    and keep nothing: 1 to 10 photos, or exactly one video, each of an allowed type and size."""
    uploads = [u for u in uploads if u is not None]
    if not uploads:
        raise ValidationError(_("Add at least one photo or a video."), field="media")
    videos = [(u, ext) for u in uploads if (ext := _video_extension(u))]
    if videos:
        if len(uploads) > 1:
            raise ValidationError(
                _("A post has 1 to 10 photos, or one video on its own."), field="media"
            )
        upload, extension = videos[0]
        return [_prepare_video(upload, extension)]
    if len(uploads) > MAX_IMAGES:
        raise ValidationError(
            _("A post has at most %(n)s photos.") % {"n": MAX_IMAGES}, field="media"
        )
    return [image_prepare(upload) for upload in uploads]
