"""Countries: ISO 3166-1 alpha-2 codes, named by Babel (CLDR) in the active language.

country_is_valid("PH")        -> True
country_name("PH")            -> "Philippines" (English), "フィリピン" (Japanese)
country_choices()             -> [("AF", "Afghanistan"), ...] sorted by name, for a <select>
"""

import unicodedata
from functools import cache

from babel import Locale

from plaza.core.money import babel_locale

# CLDR also names regions that are not countries one can ship to: groupings (EU, UN, ...),
# pseudo-locales (XA, XB), "unknown" (ZZ) and codes ISO only reserves (AC, IC, TA, ...).
# Kosovo (XK) is user-assigned in ISO but used by every postal and payment provider.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


@cache
def country_codes() -> frozenset[str]:
    territories = Locale.parse("en").territories
    return frozenset(
        code
        for code in territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


def country_is_valid(code: str) -> bool:
    return code in country_codes()


def country_name(code: str, language: str | None = None) -> str:
    """The country's name in the given (or active) language; the code itself when unknown."""
    if not country_is_valid(code):
        return code
    return babel_locale(language).territories.get(code) or code


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs for every country, sorted by name in the given (or active) language."""
    names = babel_locale(language).territories
    return sorted(
        ((code, names.get(code, code)) for code in country_codes()),
        key=lambda pair: unicodedata.normalize("NFKD", pair[1]).casefold(),
    )
