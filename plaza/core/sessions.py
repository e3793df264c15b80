"""Sessions in the cache and the database, as Django's ``cached_db`` keeps them (the engine
when Redis is configured), but a new session's key is drawn without asking first whether it is
free: the INSERT that creates the session refuses a taken key (its primary key), and Django's
``create`` then draws another. A guest's first chat message or first cart starts a session; the
question cost a read of the cache and one of the database for a key of 32 random letters and
digits, which is never taken in practice and is caught all the same."""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore
from django.utils.crypto import get_random_string


class SessionStore(CachedDbSessionStore):
    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)
