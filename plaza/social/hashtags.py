"""Hashtags in captions: "#matcha", "#抹茶", "＃ＭＡＴＣＨＡ" (full-width), "#café".

A hashtag is "#" (or the full-width "＃") followed by letters, marks, digits or "_" in any script,
not preceded by one of those (so "page#top" is not a hashtag), and not made of digits alone
("#1" is not a hashtag). Its stored form is NFKC-normalised and lowercase, without "#", at most
HASHTAG_MAX_LENGTH characters; longer ones are ignored.

    hashtag_normalize("ＭａｔｃｈａLatte") -> "matchalatte"
    hashtag_list("New #Matcha drop! #抹茶 #matcha") -> ["matcha", "抹茶"]
    caption_segments("Hi #抹茶") -> [("text", "Hi ", ""), ("tag", "#抹茶", "抹茶")]
"""

import unicodedata
from collections.abc import Iterator

from plaza.social.models import HASHTAG_MAX_LENGTH

HASH_MARKS = frozenset("#＃")
# Instagram's own limit per post.
MAX_HASHTAGS_PER_POST = 30


def _is_tag_char(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] in "LMN"


def hashtag_normalize(text: str) -> str:
    """The stored form of a hashtag (with or without its "#"): NFKC, lowercase, only the leading
    run of hashtag characters; "" when nothing of a hashtag is left."""
    folded = unicodedata.normalize("NFKC", (text or "").strip()).lower()
    folded = unicodedata.normalize("NFKC", folded).lstrip("#")
    end = 0
    while end < len(folded) and _is_tag_char(folded[end]):
        end += 1
    tag = folded[:end]
    if (
        not tag
        or len(tag) > HASHTAG_MAX_LENGTH
        or all(unicodedata.category(c)[0] == "N" for c in tag)
    ):
        return ""
    return tag


def _spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, normalised tag) of every hashtag in the text, "#" included in the span."""
    i, n = 0, len(text)
    while i < n:
        if text[i] in HASH_MARKS and (i == 0 or not _is_tag_char(text[i - 1])):
            end = i + 1
            while end < n and _is_tag_char(text[end]):
                end += 1
            tag = hashtag_normalize(text[i + 1 : end])
            if tag:
                yield i, end, tag
            i = max(end, i + 1)
        else:
            i += 1


def hashtag_list(text: str) -> list[str]:
    """The distinct normalised hashtags of a caption, in the order they first appear."""
    return list(dict.fromkeys(tag for _start, _end, tag in _spans(text or "")))


def caption_segments(text: str) -> list[tuple[str, str, str]]:
    """The caption cut into ("text", words, "") and ("tag", "#Words", "normalised") pieces, so
    that templates can link the hashtags and escape everything else."""
    text = text or ""
    pieces: list[tuple[str, str, str]] = []
    last = 0
    for start, end, tag in _spans(text):
        if start > last:
            pieces.append(("text", text[last:start], ""))
        pieces.append(("tag", text[start:end], tag))
        last = end
    if last < len(text):
        pieces.append(("text", text[last:], ""))
    return pieces
