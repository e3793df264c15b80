"""The translation catalogs under locale/: French stays complete, and every compiled .mo
matches its .po (run `make messages` after editing a catalog)."""

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, to_locale

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]


def _catalogs(code: str):
    folder = LOCALE / to_locale(code) / "LC_MESSAGES"
    with (folder / "django.po").open("rb") as po, (folder / "django.mo").open("rb") as mo:
        return read_po(po), read_mo(mo)


def _key(message) -> str:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    context = message.context
    if isinstance(context, bytes):  # Babel's .mo reader keeps the context as bytes
        context = context.decode()
    return f"{context}\x04{msgid}" if context else msgid


def _translated(catalog) -> dict:
    return {
        _key(m): (
            m.string if isinstance(m.string, str) else tuple(m.string)
        )
        for m in catalog
        if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else all(m.string))
    }


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_has_a_compiled_catalog_that_matches_its_source(code):
    # given
    po, mo = _catalogs(code)
    # then: what the .po translates is exactly what the .mo serves
    assert _translated(po) == _translated(mo), f"recompile locale/{to_locale(code)} (make messages)"


def test_french_translates_every_message_and_leaves_none_fuzzy():
    po, _mo = _catalogs("fr")
    missing = [m.id for m in po if m.id and (m.fuzzy or not _translated_one(m))]
    assert missing == []


def _translated_one(message) -> bool:
    return bool(message.string) if isinstance(message.string, str) else all(message.string)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr", "Se connecter"),
        ("tl", "Mag-log in"),
        ("zh-hans", "登录"),
        ("ja", "ログイン"),
        ("af", "Meld aan"),
    ],
)
def test_the_interface_speaks_each_language(code, expected):
    with translation.override(code):
        assert gettext("Log in") == expected
