"""The "For you" ranking. The rule is defined here, once, and nowhere else:

    score = (1 + likes + 2 × comments + 3 × saves) / (age_hours + 2) ** GRAVITY
            × (FOLLOW_BOOST when the viewer follows the post's shop or its author, else 1)

- Engagement weighs a save (the shopper means to come back, often to buy) above a comment
  (a question, a conversation) above a like (a tap). The 1 lets a post nobody has reacted to yet
  rank by its age alone.
- ``age_hours`` is the time since ``publish_at`` in hours, never negative. The 2 keeps a post of
  the last minutes from dividing by almost nothing; GRAVITY = 1.5 makes older posts sink: at equal
  engagement, a post of 2 hours outranks one of 10 hours by (12 / 4) ** 1.5 ≈ 5.2 times.
- FOLLOW_BOOST = 2 doubles the score of posts whose shop the viewer follows, or whose author
  (the creator of a creator's post, the staff member who wrote a shop's post) the viewer follows;
  the boost applies once, even when the viewer follows both. Anonymous viewers follow none.
- Candidates are the newest CANDIDATE_LIMIT visible posts (by ``publish_at``): the ranking runs
  in Python over that bounded set, in one light query. Equal scores go to the newer post, then to
  the higher id, so the order is total and stable.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GRAVITY = 1.5
FOLLOW_BOOST = 2.0
CANDIDATE_LIMIT = 200
LIKE_WEIGHT, COMMENT_WEIGHT, SAVE_WEIGHT = 1, 2, 3


@dataclass(frozen=True, slots=True)
class Candidate:
    post_id: int
    shop_id: int | None  # None for a creator's post
    publish_at: datetime
    like_count: int
    comment_count: int
    save_count: int
    followed: bool = False  # the viewer follows the post's shop or its author
    author_id: int | None = None


def post_score(*, likes: int, comments: int, saves: int, age_hours: float, followed: bool) -> float:
    """The score of one post, by the rule in this module's docstring."""
    engagement = 1 + LIKE_WEIGHT * likes + COMMENT_WEIGHT * comments + SAVE_WEIGHT * saves
    score = engagement / (max(age_hours, 0.0) + 2) ** GRAVITY
    return score * FOLLOW_BOOST if followed else score


def rank(candidates: Iterable[Candidate], *, now: datetime) -> list[int]:
    """Post ids, best first."""

    def key(c: Candidate) -> tuple[float, datetime, int]:
        score = post_score(
            likes=c.like_count,
            comments=c.comment_count,
            saves=c.save_count,
            age_hours=(now - c.publish_at).total_seconds() / 3600,
            followed=c.followed,
        )
        return (score, c.publish_at, c.post_id)

    return [c.post_id for c in sorted(candidates, key=key, reverse=True)]
