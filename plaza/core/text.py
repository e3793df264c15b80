import unicodedata


def normalize_search(text: str) -> str:
    """Fold text for substring search: NFKC (full-width to half-width, compatibility forms),
    case-folded, whitespace collapsed. CJK text stays as it is, so two characters match."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(folded.split())


def plain_text(text: str) -> str:
    """Plain text as people typed it, without control characters other than line breaks and tabs
    (NUL and friends have no place in a caption, a comment or a message, and PostgreSQL refuses
    NUL), trimmed."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
