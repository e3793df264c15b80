"""Hashtags: found in any script, stored NFKC-normalised and lowercase."""

import pytest

from plaza.social.hashtags import caption_segments, hashtag_list, hashtag_normalize


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("New #Matcha drop", ["matcha"]),
        ("#抹茶 と #ほうじ茶", ["抹茶", "ほうじ茶"]),
        ("＃ＭＡＴＣＨＡ", ["matcha"]),
        ("#Café #café #CAFÉ", ["café"]),
        ("#ไทย #हिन्दी", ["ไทย", "हिन्दी"]),
        ("#summer_sale, #sale!", ["summer_sale", "sale"]),
        ("#1 #2024 #top10", ["top10"]),
        ("page#anchor email@x.com#no", []),
        ("##double", ["double"]),
        ("#", []),
        ("", []),
    ],
)
def test_hashtag_list_finds_hashtags_in_any_script_normalised(caption, expected):
    assert hashtag_list(caption) == expected, caption


def test_hashtag_normalize_gives_the_stored_form_or_nothing():
    assert hashtag_normalize("#ＭａｔｃｈａLatte") == "matchalatte"
    assert hashtag_normalize("抹茶") == "抹茶"
    assert hashtag_normalize("#2024") == "", "digits alone are not a hashtag"
    assert hashtag_normalize("x" * 101) == "", "too long"
    assert hashtag_normalize("<script>") == ""


def test_caption_segments_keep_every_character_and_mark_the_hashtags():
    # given
    caption = "Hi #抹茶!\n<b>#Tea</b>"

    # when
    pieces = caption_segments(caption)

    # then
    assert "".join(piece for _kind, piece, _tag in pieces) == caption, "nothing is lost"
    assert [(piece, tag) for kind, piece, tag in pieces if kind == "tag"] == [
        ("#抹茶", "抹茶"),
        ("#Tea", "tea"),
    ]
