"""Plaza's session engine with Redis (``plaza.core.sessions``): Django's cached_db, a new
session's key not looked up before its row is inserted."""

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plaza.core import sessions
from plaza.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_new_session_is_stored_without_asking_whether_its_key_is_free():
    # given
    store = SessionStore()
    store["plaza_chat_guest"] = "guest-1"
    # when
    with CaptureQueriesContext(connection) as queries:
        store.save()
    # then: its row inserted, nothing read first; the cache holds it too
    statements = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in statements if sql.startswith("SELECT")], statements
    assert Session.objects.filter(session_key=store.session_key).exists()
    assert cache.get(store.cache_key) == {"plaza_chat_guest": "guest-1"}
    assert SessionStore(store.session_key)["plaza_chat_guest"] == "guest-1"


def test_a_taken_key_is_refused_by_the_database_and_another_one_is_used(monkeypatch):
    # given: the first key drawn belongs to another session
    taken = SessionStore()
    taken["who"] = "someone else"
    taken.save()
    keys = iter([taken.session_key, "k" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda *_args: next(keys))
    # when
    store = SessionStore()
    store["who"] = "me"
    store.save()
    # then: the other session is untouched, this one has the next key
    assert store.session_key == "k" * 32
    assert SessionStore(taken.session_key)["who"] == "someone else"
    assert SessionStore("k" * 32)["who"] == "me"
