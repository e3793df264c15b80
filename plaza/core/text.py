import unicodedata


def normalize_search(text: str) -> str:
    """Fold text for substring search: NFKC (full-width to half-width, compatibility forms),
    case-folded, whitespace collapsed. CJK text stays as it is, so two characters match."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(folded.split())
