"""The "For you" rule of plaza.social.ranking, pinned on small fixtures."""

from datetime import UTC, datetime, timedelta

import pytest

from plaza.social.ranking import Candidate, post_score, rank

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _candidate(post_id, *, hours, likes=0, comments=0, saves=0, followed=False, shop_id=1):
    return Candidate(
        post_id=post_id,
        shop_id=shop_id,
        publish_at=NOW - timedelta(hours=hours),
        like_count=likes,
        comment_count=comments,
        save_count=saves,
        followed=followed,
    )


def test_post_score_follows_the_documented_formula():
    # (1 + 10 likes + 2×2 comments + 3×1 save) / (4 h + 2) ** 1.5, doubled for a followed shop
    expected = (1 + 10 + 4 + 3) / 6**1.5
    assert post_score(likes=10, comments=2, saves=1, age_hours=4, followed=False) == pytest.approx(
        expected
    )
    assert post_score(likes=10, comments=2, saves=1, age_hours=4, followed=True) == pytest.approx(
        2 * expected
    )


def test_rank_orders_a_small_feed_by_engagement_decayed_by_age_with_the_follow_boost():
    # given (scores in comments)
    candidates = [
        _candidate(1, hours=1),  # 1 / 3^1.5 = 0.192
        _candidate(2, hours=10, likes=10),  # 11 / 12^1.5 = 0.265
        _candidate(3, hours=5, comments=2, saves=1),  # 8 / 7^1.5 = 0.432
        _candidate(4, hours=20, followed=True),  # 2 × 1 / 22^1.5 = 0.019
        _candidate(5, hours=3, likes=1, followed=True),  # 2 × 2 / 5^1.5 = 0.358
        _candidate(6, hours=48, likes=100),  # 101 / 50^1.5 = 0.286
    ]

    # when
    order = rank(candidates, now=NOW)

    # then
    assert order == [3, 5, 6, 2, 1, 4]


def test_a_save_weighs_more_than_a_comment_which_weighs_more_than_a_like():
    order = rank(
        [
            _candidate(1, hours=2, likes=1),
            _candidate(2, hours=2, comments=1),
            _candidate(3, hours=2, saves=1),
        ],
        now=NOW,
    )
    assert order == [3, 2, 1]


def test_equal_scores_go_to_the_newer_post_then_the_higher_id():
    # given two posts of the same age and engagement, and an older one with the same score
    same_a = _candidate(7, hours=2)
    same_b = _candidate(8, hours=2)

    # when
    order = rank([same_a, same_b], now=NOW)

    # then
    assert order == [8, 7]


def test_a_post_published_in_the_future_of_the_clock_counts_as_brand_new():
    assert post_score(likes=0, comments=0, saves=0, age_hours=-3, followed=False) == pytest.approx(
        1 / 2**1.5
    )


def test_a_creator_post_whose_author_the_viewer_follows_gets_the_same_follow_boost():
    # given a shop's post and a creator's post (no shop) of the same age and engagement; the
    # selector marks ``followed`` when the viewer follows the post's shop or its author
    shop_post = _candidate(1, hours=2, likes=3)
    creator_post = Candidate(
        post_id=2,
        shop_id=None,
        publish_at=NOW - timedelta(hours=4),
        like_count=3,
        comment_count=0,
        save_count=0,
        followed=True,
        author_id=9,
    )

    # when
    order = rank([shop_post, creator_post], now=NOW)

    # then: 2 × 4 / 6^1.5 = 0.544 beats 4 / 4^1.5 = 0.5
    assert order == [2, 1]
