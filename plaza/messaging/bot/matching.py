"""Finding what people name in a message: products (by title in any of its languages, with
typos, or by SKU), variants (by their option values: "size 42", "black"), FAQ entries, numbers.

Fuzzy matching uses difflib's ratio per word: "trial pro" finds "Trail Pro" (0.8), "runing"
finds "running". CJK titles match by their two-character pieces, so "跑鞋" finds "轻量跑鞋".
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from plaza.messaging.bot.lexicon import fold, is_cjk, words

# Words too common to identify a product or an FAQ entry.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "is",
        "are",
        "do",
        "does",
        "you",
        "your",
        "my",
        "me",
        "i",
        "it",
        "this",
        "that",
        "with",
        "what",
        "how",
        "much",
        "size",
        "sizes",
        "colour",
        "color",
        "have",
        "has",
        "be",
        "can",
        "we",
        "our",
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "un",
        "une",
        "et",
        "est",
        "vous",
        "je",
        "il",
        "elle",
        "pour",
        "avec",
        "ang",
        "ng",
        "mga",
        "sa",
        "po",
        "ba",
        "ko",
        "na",
        "yung",
        "die",
        "het",
        "en",
        "van",
        "vir",
        "ek",
        "jy",
        "is",
        "nie",
        "'n",
        "in",
        "stock",
        "price",
        "buy",
        "want",
    ]
)
WORD_MATCH = 0.8
PRODUCT_MATCH = 0.5
# Digits standing on their own among Latin letters; CJK characters around them count as a
# boundary ("3000以下", "42码").
_NUMBER = re.compile(r"(?<![0-9A-Za-z.])(\d{1,7}(?:[.,]\d{1,2})?)(?![0-9A-Za-z])")


def similar(a: str, b: str, *, at_least: float = 0.0) -> float:
    """difflib's ratio of two words; 0 when it cannot reach ``at_least`` (decided by the
    cheap upper bounds first: most pairs of words never get to the full comparison)."""
    if a == b:
        return 1.0
    if abs(len(a) - len(b)) > max(len(a), len(b)) // 2:
        return 0.0
    matcher = SequenceMatcher(None, a, b)
    if matcher.real_quick_ratio() < at_least or matcher.quick_ratio() < at_least:
        return 0.0
    return matcher.ratio()


@lru_cache(maxsize=65536)
def _word_hit(title_word: str, message_word: str) -> bool:
    """Whether a message's word stands for a title's word (kept: the same pairs come back with
    every message about the same catalog)."""
    return similar(title_word, message_word, at_least=WORD_MATCH) >= WORD_MATCH


def title_words(title: str) -> list[str]:
    """The words of a title that can identify it (folded, without little words)."""
    return [w for w in words(title) if w not in STOPWORDS and len(w) >= 2]


def cjk_pieces(text: str) -> frozenset[str]:
    """The two-character CJK pieces of a text (a CJK title matches by them)."""
    compact = "".join(fold(text).split())
    return frozenset(
        compact[i : i + 2] for i in range(len(compact) - 1) if is_cjk(compact[i : i + 2])
    )


class _Message:
    """A message as the matcher reads it, each part worked out once."""

    def __init__(self, text: str):
        self.text = text
        self.words = [w for w in words(text) if w not in STOPWORDS]
        self.present = frozenset(self.words)
        self.all_words = frozenset(words(text))
        self._pieces: frozenset[str] | None = None
        self._has: dict[str, bool] = {}

    def has(self, title_word: str) -> bool:
        """Whether the message names ``title_word``, fuzzily; each word worked out once per
        message (a catalog's titles and their translations share most of their words)."""
        hit = self._has.get(title_word)
        if hit is None:
            hit = title_word in self.present or any(
                _word_hit(title_word, word) for word in self.words
            )
            self._has[title_word] = hit
        return hit

    @property
    def pieces(self) -> frozenset[str]:
        if self._pieces is None:
            self._pieces = cjk_pieces(self.text)
        return self._pieces


def _title_score(
    title: str,
    message: _Message,
    *,
    split: list[str] | None = None,
    pieces: frozenset[str] | None = None,
) -> float:
    """Share of the title's words found in the message (fuzzily), 0..1. ``split``: the title's
    words, ``pieces``: its CJK pieces, when the caller has them already."""
    if pieces is not None or is_cjk(title):
        pieces = pieces if pieces is not None else cjk_pieces(title)
        if not pieces:
            return 0.0
        return len(pieces & message.pieces) / len(pieces)
    wanted = split if split is not None else title_words(title)
    if not wanted:
        return 0.0
    matched = 0
    strong = False
    for tw in wanted:
        if message.has(tw):
            matched += 1
            strong = strong or len(tw) >= 4
    if not strong:
        return 0.0
    return matched / len(wanted)


def product_candidate(*, product_id: int, titles: list[str], skus: dict[str, int]) -> dict:
    """A product as ``product_find`` reads it, worked out once (the bot keeps these rows):
    its titles (its own and its translations), each title's words or CJK pieces, and its
    SKUs folded to compare with a message's words."""
    return {
        "id": product_id,
        "titles": titles,
        "words": [None if is_cjk(t) else title_words(t) for t in titles],
        "pieces": [cjk_pieces(t) if is_cjk(t) else None for t in titles],
        "skus": {fold(sku): variant_id for sku, variant_id in skus.items() if sku},
    }


@dataclass(frozen=True)
class ProductMatch:
    product_id: int
    score: float
    variant_id: int | None = None  # when a SKU named the variant


def product_find(text: str, candidates: list[dict]) -> ProductMatch | None:
    """The product a message names, best first: a SKU wins; else the best title (any of the
    product's titles: its own and its translations) scoring at least PRODUCT_MATCH.

    ``candidates``: ``product_candidate`` rows."""
    message = _Message(text)
    best: ProductMatch | None = None
    for product in candidates:
        for sku, variant_id in product["skus"].items():
            if sku in message.all_words:
                return ProductMatch(product["id"], 1.0, variant_id)
        score = max(
            (
                _title_score(t, message, split=w, pieces=p)
                for t, w, p in zip(
                    product["titles"], product["words"], product["pieces"], strict=True
                )
            ),
            default=0,
        )
        if score >= PRODUCT_MATCH and (best is None or score > best.score):
            best = ProductMatch(product["id"], score)
    return best


_LATIN = "0-9a-z\u00c0-\u024f"


def _latin_word_in(word: str, folded: str) -> bool:
    """A Latin-script word or number standing on its own: "42" in "size 42", in "42码" (CJK
    around it), not in "142"."""
    return bool(re.search(rf"(?<![{_LATIN}]){re.escape(word)}(?![{_LATIN}])", folded))


def variants_named(text: str, variants: list[dict]) -> list[int]:
    """The variants whose option values the message names most fully ("42", "size 42 black").
    ``variants``: [{"id", "values": [...]}]. [] when no value is named."""
    folded = fold(text)
    scored: list[tuple[int, int]] = []
    for variant in variants:
        hits = 0
        for value in variant["values"]:
            value_folded = fold(str(value))
            if not value_folded:
                continue
            if is_cjk(value_folded):
                hits += value_folded in folded
            elif all(_latin_word_in(part, folded) for part in words(value_folded)):
                hits += 1
        if hits:
            scored.append((hits, variant["id"]))
    if not scored:
        return []
    top = max(hits for hits, _ in scored)
    return [variant_id for hits, variant_id in scored if hits == top]


def faq_find(text: str, entries: list[dict]) -> dict | None:
    """The FAQ entry a message asks: one of its keywords in the message wins; else most of the
    question's words. ``entries``: [{"question", "keywords": [...], "answer"}]."""
    folded = fold(text)
    message = _Message(text)
    best, best_score = None, 0.0
    for entry in entries:
        for keyword in entry["keywords"]:
            k = fold(keyword)
            if not k:
                continue
            hit = k in folded if is_cjk(k) else re.search(rf"(?<!\w){re.escape(k)}(?!\w)", folded)
            if hit:
                return entry
        score = _title_score(entry["question"], message)
        if score > best_score:
            best, best_score = entry, score
    return best if best_score >= 0.6 else None


def numbers_in(text: str) -> list[float]:
    """Numbers written in the message ("under 50", "2", "49,99")."""
    return [float(n.replace(",", ".")) for n in _NUMBER.findall(fold(text))]


def order_numbers_in(text: str) -> list[str]:
    """Order numbers as Plaza writes them: two groups of four letters or digits, "7KQ2-M9XA"."""
    return re.findall(r"(?<![\w-])([A-Z0-9]{4}-[A-Z0-9]{4})(?![\w-])", text.upper())
