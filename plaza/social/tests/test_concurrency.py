"""Counters under concurrency: real threads, each with its own database connection, against
PostgreSQL. CI sets PLAZA_REQUIRE_SERVICES and DATABASE_URL, so there these tests always run."""

import os
from collections.abc import Callable

import pytest
from django.conf import settings

from plaza.accounts.models import User
from plaza.accounts.services import user_handle_ensure
from plaza.accounts.tests.factories import UserFactory
from plaza.core.testing import run_together
from plaza.social import selectors, services
from plaza.social.models import Comment, Like, Post, UserFollow
from plaza.social.tests.factories import make_post

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not ON_POSTGRESQL and not os.environ.get("PLAZA_REQUIRE_SERVICES"),
        reason="Concurrency is tested on PostgreSQL (set DATABASE_URL); SQLite serialises every "
        "write, so it would prove nothing. CI sets PLAZA_REQUIRE_SERVICES, which makes it run.",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 20


@pytest.fixture(autouse=True)
def _on_postgresql():
    """With PLAZA_REQUIRE_SERVICES these tests run whatever the database; say plainly why they
    cannot pass anywhere but on PostgreSQL (SQLite's shared in-memory test database refuses
    concurrent writers with "database table is locked")."""
    assert ON_POSTGRESQL, (
        "PLAZA_REQUIRE_SERVICES is set but the database is not PostgreSQL: set DATABASE_URL"
    )


def _run_together(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` in ``count`` threads released at the same moment; return their errors."""
    return [o for o in run_together(count, work, timeout=60) if isinstance(o, BaseException)]


def test_twenty_concurrent_likes_count_each_distinct_liker_once(shop, users):
    # given 20 threads for 14 people: 6 of them tap twice at the same moment
    post = make_post(shop)
    likers = users(14)
    taps = likers + likers[:6]
    assert len(taps) == THREADS

    # when
    errors = _run_together(THREADS, lambda i: services.post_like(post=post, user=taps[i]))

    # then
    assert errors == [], errors
    post.refresh_from_db()
    assert post.like_count == 14, "like_count is the number of distinct likers"
    assert Like.objects.filter(post=post).count() == 14


def test_concurrent_likes_and_unlikes_leave_the_count_equal_to_the_rows(shop, users):
    # given 10 people who already like the post, and 10 who do not
    post = make_post(shop)
    people = users(THREADS)
    for person in people[:10]:
        services.post_like(post=post, user=person)

    # when the first 10 unlike while the other 10 like
    def tap(i: int) -> None:
        action = services.post_unlike if i < 10 else services.post_like
        action(post=post, user=people[i])

    errors = _run_together(THREADS, tap)

    # then
    assert errors == [], errors
    post.refresh_from_db()
    assert post.like_count == Like.objects.filter(post=post).count() == 10


def test_twenty_concurrent_comments_are_all_counted(shop, users):
    # given
    post = make_post(shop)
    people = users(THREADS)

    # when
    errors = _run_together(
        THREADS,
        lambda i: services.comment_create(post=post, user=people[i], body=f"Comment {i}"),
    )

    # then
    assert errors == [], errors
    post.refresh_from_db()
    assert post.comment_count == Comment.objects.filter(post=post).count() == THREADS
    assert Post.objects.get(pk=post.pk).comment_count == THREADS


def test_twenty_concurrent_follows_of_a_person_keep_one_row_per_follower(users):
    # given 20 threads for 14 people following one creator: 6 of them tap twice at once
    creator = users(1)[0]
    followers = users(14)
    taps = followers + followers[:6]

    # when
    errors = _run_together(
        THREADS, lambda i: services.user_follow(follower=taps[i], followed=creator)
    )

    # then
    assert errors == [], errors
    assert UserFollow.objects.filter(followed=creator).count() == 14
    assert selectors.user_social_get(user=creator, viewer=None).follower_count == 14


def test_concurrent_follows_and_unfollows_of_a_person_leave_exactly_the_followers(users):
    # given 10 people who follow the creator, and 10 who do not
    creator = users(1)[0]
    people = users(THREADS)
    for person in people[:10]:
        services.user_follow(follower=person, followed=creator)

    # when the first 10 unfollow while the other 10 follow
    def tap(i: int) -> None:
        action = services.user_unfollow if i < 10 else services.user_follow
        action(follower=people[i], followed=creator)

    errors = _run_together(THREADS, tap)

    # then
    assert errors == [], errors
    assert set(
        UserFollow.objects.filter(followed=creator).values_list("follower_id", flat=True)
    ) == {p.pk for p in people[10:]}


def test_twenty_people_with_the_same_name_get_twenty_distinct_handles_at_once(db):
    # given 20 people called Mia, none with a handle yet
    people = [UserFactory(display_name="Mia") for _ in range(THREADS)]

    # when each of them needs a profile at the same moment
    errors = _run_together(THREADS, lambda i: user_handle_ensure(user=people[i]))

    # then
    assert errors == [], errors
    handles = list(User.objects.filter(display_name="Mia").values_list("handle", flat=True))
    assert len(set(handles)) == THREADS
    assert "mia" in handles and all(h.startswith("mia") for h in handles)
