"""Customers' videos, voice notes and documents: recognised by their first bytes, stored under a
name of Plaza's own, refused when too large or in a format Plaza does not keep."""

import re

import pytest
from django.utils import translation

from plaza.core.exceptions import ValidationError
from plaza.messaging.files import FileKind, customer_file_check

MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 64
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A isom" + b"\x00" * 64
THREE_GP = b"\x00\x00\x00\x14ftyp3gp4\x00\x00\x00\x00" + b"\x00" * 64
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
OGG = b"OggS\x00\x02" + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\x00" * 64
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64
AAC = b"\xff\xf1\x50\x80" + b"\x00" * 64
AMR = b"#!AMR\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64
ZIP = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("content", "claimed", "hint", "kind", "stored_type", "extension"),
    [
        (MP4, "video/mp4", "video", FileKind.VIDEO, "video/mp4", "mp4"),
        (MOV, "", "video", FileKind.VIDEO, "video/quicktime", "mov"),
        (M4A, "audio/mp4", "audio", FileKind.AUDIO, "audio/mp4", "m4a"),
        (MP4, "audio/mp4", "audio", FileKind.AUDIO, "audio/mp4", "m4a"),  # a voice note in MP4
        (THREE_GP, "video/3gpp", "video", FileKind.VIDEO, "video/3gpp", "3gp"),
        (THREE_GP, "audio/3gpp", "audio", FileKind.AUDIO, "audio/3gpp", "3gp"),
        (OGG, "audio/ogg; codecs=opus", "audio", FileKind.AUDIO, "audio/ogg", "ogg"),
        (WEBM, "video/webm", "video", FileKind.VIDEO, "video/webm", "webm"),
        (WEBM, "audio/webm", "file", FileKind.AUDIO, "audio/webm", "webm"),
        (MP3, "audio/mpeg", "audio", FileKind.AUDIO, "audio/mpeg", "mp3"),
        (AAC, "audio/aac", "audio", FileKind.AUDIO, "audio/aac", "aac"),
        (AMR, "audio/amr", "audio", FileKind.AUDIO, "audio/amr", "amr"),
        (PDF, "application/pdf", "file", FileKind.DOCUMENT, "application/pdf", "pdf"),
        (PDF, "", "file", FileKind.DOCUMENT, "application/pdf", "pdf"),
        (ZIP, DOCX, "file", FileKind.DOCUMENT, DOCX, "docx"),
        (OLE2, "application/msword", "file", FileKind.DOCUMENT, "application/msword", "doc"),
        (b"Size 42, twice\n", "text/plain", "file", FileKind.DOCUMENT, "text/plain", "txt"),
    ],
)
def test_a_file_is_kept_as_the_format_its_bytes_are_in(
    content, claimed, hint, kind, stored_type, extension
):
    kept = customer_file_check(
        content=content, content_type=claimed, name="from the phone", kind_hint=hint
    )
    assert (kept.kind, kept.content_type) == (kind, stored_type)
    # a folder of its own, the customer's name for it, the extension of the format found
    assert re.fullmatch(rf"[0-9a-f]{{16}}/from-the-phone\.{extension}", kept.name)
    assert kept.summary == {
        "kind": kind,
        "name": "from the phone",
        "type": stored_type,
        "size": len(content),
    }


@pytest.mark.parametrize(
    ("content", "claimed"),
    [
        (b"<html><script>alert(1)</script></html>", "video/mp4"),  # a page claiming to be a video
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (ZIP, "application/zip"),  # an archive could hold anything
        (OLE2, "application/octet-stream"),
        (b"MZ\x90\x00\x03", "application/x-msdownload"),
        (HEIC, "video/mp4"),  # a picture in an ISO container, not a video
        (b"\x00\x01\x02binary", "text/plain"),
        (b"", "audio/ogg"),
    ],
)
def test_what_plaza_does_not_keep_is_refused_with_the_formats_it_keeps(content, claimed):
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        customer_file_check(content=content, content_type=claimed, kind_hint="video")
    assert "PDF" in refused.value.message and "Plaza" in refused.value.message
    assert refused.value.message != (
        "This file is in a format Plaza does not keep (videos, voice messages, audio, PDF, "
        "Word, Excel, PowerPoint and text files are kept)."
    ), "translated"


def test_a_file_above_the_limit_is_refused_and_the_name_is_cleaned(settings):
    settings.PLAZA_MAX_CHAT_FILE_BYTES = 1024 * 1024
    with pytest.raises(ValidationError, match="1 MB"):
        customer_file_check(content=PDF + b"0" * (1024 * 1024), content_type="application/pdf")
    kept = customer_file_check(
        content=PDF, content_type="application/pdf", name="C:\\Users\\ana\\size\x00 chart.pdf"
    )
    assert kept.title == "size chart.pdf" and kept.name.endswith("/size-chart.pdf")
    # a name that claims another format keeps the format found
    assert customer_file_check(content=PDF, name="invoice.html").name.endswith("/invoice.pdf")
    assert customer_file_check(content=OGG, kind_hint="audio").title == "Voice message"


def test_text_is_kept_as_text_whatever_it_holds():
    # Stored as .txt, it is served as text/plain (and never sniffed): markup shows as markup.
    kept = customer_file_check(content=b"<b>my order</b>", content_type="text/plain")
    assert kept.name.endswith(".txt") and kept.content_type == "text/plain"
