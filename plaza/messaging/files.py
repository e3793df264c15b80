"""Files customers send through a channel that are not photos: videos, voice notes and other
audio, documents. Each is recognised by its first bytes (never by the name or the type the network
claims alone) and stored in a folder of a random name, with the extension of the format found,
so that the file is served with that format's type and nothing a browser would run (HTML, SVG,
scripts) is ever kept. What cannot be recognised is not stored: the message says that a file came.
"""

import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from plaza.core.exceptions import ValidationError

DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024  # WhatsApp's own limit for audio and video
TITLE_MAX_LENGTH = 120


class FileKind:
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "file"
    ALL = ("video", "audio", "file")


# Office Open XML documents are ZIP archives: kept only when the network says which one it is.
_OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
# The older Office formats share one container (OLE2).
_OLE2 = {"application/msword": "doc", "application/vnd.ms-excel": "xls"}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
_PICTURE_BRANDS = frozenset({b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"})


@dataclass(frozen=True)
class CustomerFile:
    """A checked file, ready to be stored with a message."""

    kind: str  # FileKind
    # The stored name: a random folder, the customer's name for it, the extension of the format
    # found (never the one it came with).
    name: str
    title: str  # the name the customer's app gave it, for staff (or the kind's own word)
    content_type: str
    content: bytes

    @property
    def summary(self) -> dict:
        """What ``Message.payload["file"]`` keeps of it."""
        return {
            "kind": self.kind,
            "name": self.title,
            "type": self.content_type,
            "size": len(self.content),
        }


def max_file_bytes() -> int:
    """PLAZA_MAX_CHAT_FILE_BYTES (16 MB unless the environment says otherwise)."""
    return int(getattr(settings, "PLAZA_MAX_CHAT_FILE_BYTES", DEFAULT_MAX_FILE_BYTES))


def file_too_large(field: str = "file") -> ValidationError:
    """The refusal of a file above ``max_file_bytes()``, with the limit in MB (translated)."""
    limit = max(max_file_bytes() // (1024 * 1024), 1)
    return ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit}, field=field)


def _iso_media(head: bytes, kind_hint: str) -> tuple[str, str, str] | None:
    """MP4, MOV, 3GP, M4A: ISO base media files, "ftyp" at offset 4 and a brand after it."""
    brand = head[8:12]
    if brand in _PICTURE_BRANDS:
        return None
    if brand in _AUDIO_BRANDS:
        return FileKind.AUDIO, "audio/mp4", "m4a"
    if brand.startswith(b"3g"):
        if kind_hint == FileKind.AUDIO:
            return FileKind.AUDIO, "audio/3gpp", "3gp"
        return FileKind.VIDEO, "video/3gpp", "3gp"
    if brand == b"qt  ":
        return FileKind.VIDEO, "video/quicktime", "mov"
    if kind_hint == FileKind.AUDIO:
        return FileKind.AUDIO, "audio/mp4", "m4a"
    return FileKind.VIDEO, "video/mp4", "mp4"


def _is_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    return controls == 0


def _format_of(content: bytes, claimed_type: str, kind_hint: str) -> tuple[str, str, str] | None:
    """(kind, content type, extension) of the format ``content`` is in, or None."""
    head = content[:16]
    claimed = claimed_type.split(";", 1)[0].strip().lower()
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _iso_media(head, kind_hint)
    if head.startswith(_EBML_MAGIC):
        if kind_hint == FileKind.AUDIO or claimed.startswith("audio/"):
            return FileKind.AUDIO, "audio/webm", "webm"
        return FileKind.VIDEO, "video/webm", "webm"
    if head.startswith(b"OggS"):
        return FileKind.AUDIO, "audio/ogg", "ogg"
    if head.startswith(b"#!AMR"):
        return FileKind.AUDIO, "audio/amr", "amr"
    if head.startswith(b"ID3") or (
        len(head) >= 2 and head[0] == 0xFF and head[1] in (0xFB, 0xF3, 0xF2)
    ):
        return FileKind.AUDIO, "audio/mpeg", "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] in (0xF1, 0xF9):
        return FileKind.AUDIO, "audio/aac", "aac"
    if head.startswith(b"%PDF-"):
        return FileKind.DOCUMENT, "application/pdf", "pdf"
    if head.startswith(b"PK\x03\x04") and claimed in _OOXML:
        return FileKind.DOCUMENT, claimed, _OOXML[claimed]
    if head.startswith(_OLE2_MAGIC) and claimed in _OLE2:
        return FileKind.DOCUMENT, claimed, _OLE2[claimed]
    if claimed in ("text/plain", "text/csv") and _is_text(content):
        return FileKind.DOCUMENT, claimed, "txt" if claimed == "text/plain" else "csv"
    return None


def kind_label(kind: str) -> str:
    return {
        FileKind.VIDEO: _("Video"),
        FileKind.AUDIO: _("Voice message"),
    }.get(kind, _("File"))


def _title(name: str, kind: str) -> str:
    """The file's name as the customer's app gave it, without paths or control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:TITLE_MAX_LENGTH] or kind_label(kind)


def _stem(title: str) -> str:
    """The stored file's name before its extension: the customer's own name for it, in letters,
    digits, dots, dashes and underscores (a browser saves the file under it)."""
    stem = title.rsplit(".", 1)[0] if "." in title else title
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in stem).strip("-.")
    return stem[:60] or "file"


def customer_file_check(
    *, content: bytes, content_type: str = "", name: str = "", kind_hint: str = ""
) -> CustomerFile:
    """``content`` checked as a video, an audio file or a document Plaza keeps. Raises
    ValidationError (translated) when it is larger than ``max_file_bytes()`` or in no format
    Plaza recognises."""
    if len(content) > max_file_bytes():
        raise file_too_large()
    found = _format_of(content, content_type, kind_hint) if content else None
    if found is None:
        raise ValidationError(
            _(
                "This file is in a format Plaza does not keep (videos, voice messages, audio, "
                "PDF, Word, Excel, PowerPoint and text files are kept)."
            ),
            field="file",
        )
    kind, stored_type, extension = found
    title = _title(name, kind)
    return CustomerFile(
        kind=kind,
        name=f"{secrets.token_hex(8)}/{_stem(title)}.{extension}",
        title=title,
        content_type=stored_type,
        content=content,
    )
