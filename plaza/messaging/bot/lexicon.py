"""The words the bot understands, per language and intent.

Each entry is a phrase, matched on the folded text (NFKC, case-folded): Latin-script phrases as
whole words (``size`` does not match ``sizeable``), CJK phrases anywhere in the text (those
scripts do not separate words). People mix languages ("magkano po yung size 42?"), so every
language's phrases are tried; the language only decides the words of the answer.

Adding a language: add its phrases to every intent below, its markers to ``MARKERS``, and its
catalog under ``locale/``.
"""

import re
import unicodedata
from functools import lru_cache

LANGUAGES = ("en", "fr", "tl", "zh-hans", "ja", "af")

INTENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "greeting": {
        "en": ("hi", "hello", "hey", "good morning", "good afternoon", "good evening", "hiya"),
        "fr": ("bonjour", "salut", "bonsoir", "coucou"),
        "tl": (
            "kumusta",
            "kamusta",
            "musta",
            "magandang umaga",
            "magandang hapon",
            "magandang gabi",
            "hi po",
            "hello po",
        ),
        "zh-hans": ("你好", "您好", "嗨", "早上好", "晚上好", "哈喽"),
        "ja": ("こんにちは", "こんばんは", "おはよう", "はじめまして", "やあ"),
        "af": ("hallo", "haai", "goeie môre", "goeiemôre", "goeiemiddag", "goeienaand", "middag"),
    },
    "thanks": {
        "en": ("thanks", "thank you", "thx", "cheers"),
        "fr": ("merci",),
        "tl": ("salamat",),
        "zh-hans": ("谢谢", "多谢", "感谢"),
        "ja": ("ありがとう", "どうも"),
        "af": ("dankie", "baie dankie"),
    },
    "price": {
        "en": ("price", "how much", "cost", "costs", "pricing"),
        "fr": ("prix", "combien", "coûte", "coute", "tarif"),
        "tl": ("magkano", "presyo", "halaga"),
        "zh-hans": ("多少钱", "价格", "价钱", "多少錢", "几块"),
        "ja": ("いくら", "値段", "価格", "料金"),
        "af": ("prys", "hoeveel kos", "kos dit", "hoeveel is"),
    },
    "stock": {
        "en": (
            "in stock",
            "available",
            "availability",
            "left",
            "do you have",
            "have you got",
            "stock",
            "sold out",
        ),
        "fr": ("en stock", "disponible", "dispo", "reste", "avez-vous", "vous avez", "épuisé"),
        "tl": ("meron", "mayroon", "may stock", "available pa", "stock", "ubos"),
        "zh-hans": ("有货", "有貨", "库存", "还有", "有没有", "有吗", "卖完"),
        "ja": ("在庫", "ありますか", "残り", "売り切れ", "あります"),
        "af": ("in voorraad", "beskikbaar", "het julle", "voorraad", "uitverkoop"),
    },
    "sizes": {
        "en": ("size", "sizes", "fit"),
        "fr": ("taille", "tailles", "pointure"),
        "tl": ("sukat", "size"),
        "zh-hans": ("尺码", "尺寸", "码数", "号"),
        "ja": ("サイズ",),
        "af": ("grootte", "groottes", "maat"),
    },
    "colours": {
        "en": ("colour", "color", "colours", "colors"),
        "fr": ("couleur", "couleurs", "coloris"),
        "tl": ("kulay",),
        "zh-hans": ("颜色", "顏色"),
        "ja": ("色", "カラー"),
        "af": ("kleur", "kleure"),
    },
    "shipping": {
        "en": ("shipping", "delivery", "deliver", "ship", "arrive", "how long"),
        "fr": ("livraison", "livrer", "expédition", "expedition", "délai", "delai", "livré"),
        "tl": ("padala", "delivery", "shipping", "darating", "ipadala", "ilang araw"),
        "zh-hans": ("运费", "发货", "配送", "快递", "送货", "几天到"),
        "ja": ("配送", "送料", "発送", "届く", "お届け"),
        "af": ("aflewering", "versending", "afgelewer", "posgeld", "hoe lank"),
    },
    "recommend": {
        "en": (
            "recommend",
            "suggest",
            "suggestion",
            "gift",
            "popular",
            "best seller",
            "bestseller",
            "what should i",
            "ideas",
            "show me",
        ),
        "fr": (
            "recommander",
            "recommandez",
            "conseil",
            "conseillez",
            "suggérez",
            "cadeau",
            "populaire",
            "idée",
        ),
        "tl": ("irekomenda", "rekomenda", "i-recommend", "regalo", "sikat", "mabenta"),
        "zh-hans": ("推荐", "建议", "礼物", "热门", "畅销"),
        "ja": ("おすすめ", "オススメ", "人気", "プレゼント", "提案"),
        "af": ("aanbeveel", "beveel", "voorstel", "geskenk", "gewild", "raai"),
    },
    "order_status": {
        "en": ("my order", "where is my", "tracking", "track", "order status", "shipped yet"),
        "fr": ("ma commande", "suivi", "où est", "ou est", "statut"),
        "tl": ("order ko", "nasaan", "status ng order", "tracking"),
        "zh-hans": ("我的订单", "订单", "物流", "到哪"),
        "ja": ("注文状況", "配送状況", "追跡", "私の注文", "注文は"),
        "af": ("my bestelling", "waar is", "bestelling"),
    },
    "buy": {
        "en": (
            "buy",
            "i want",
            "i'll take",
            "ill take",
            "purchase",
            "checkout",
            "order it",
            "i'd like",
            "get it",
        ),
        "fr": ("acheter", "je veux", "je le prends", "je la prends", "commander", "je voudrais"),
        "tl": ("bibili", "bilhin", "gusto ko", "kukunin ko", "bili", "order"),
        "zh-hans": ("买", "购买", "我要", "下单"),
        "ja": ("買いたい", "購入", "ください", "注文したい", "欲しい", "買います"),
        "af": ("koop", "ek wil", "bestel"),
    },
    "human": {
        "en": ("human", "person", "agent", "someone", "real person", "staff", "talk to"),
        "fr": ("humain", "une personne", "conseiller", "agent", "quelqu'un"),
        "tl": ("tao", "ahente", "makausap", "kausapin"),
        "zh-hans": ("人工", "客服", "真人"),
        "ja": ("担当者", "人間", "オペレーター", "スタッフ"),
        "af": ("mens", "persoon", "agent", "iemand"),
    },
    "complaint": {
        "en": (
            "complaint",
            "complain",
            "broken",
            "damaged",
            "wrong",
            "refund",
            "terrible",
            "awful",
            "angry",
            "never arrived",
            "disappointed",
            "scam",
        ),
        "fr": (
            "plainte",
            "cassé",
            "casse",
            "abîmé",
            "abime",
            "remboursement",
            "déçu",
            "decu",
            "pas reçu",
            "arnaque",
        ),
        "tl": ("reklamo", "sira", "nasira", "mali", "refund", "galit", "hindi dumating"),
        "zh-hans": ("投诉", "坏了", "退款", "破损", "差评", "错了", "没收到"),
        "ja": ("苦情", "壊れ", "返金", "不良", "届かない", "最悪"),
        "af": (
            "klagte",
            "kla",
            "stukkend",
            "beskadig",
            "terugbetaling",
            "verkeerd",
            "teleurgesteld",
        ),
    },
    "yes": {
        "en": ("yes", "yeah", "yep", "ok", "okay", "sure", "pay", "pay now", "confirm"),
        "fr": ("oui", "d'accord", "ok", "payer", "confirmer"),
        "tl": ("oo", "opo", "sige", "bayad", "magbayad"),
        "zh-hans": ("是", "好", "可以", "对", "付款", "确认"),
        "ja": ("はい", "お願いします", "支払", "確認"),
        "af": ("ja", "goed", "reg", "betaal"),
    },
    "no": {
        "en": ("no", "cancel", "stop", "never mind", "nevermind"),
        "fr": ("non", "annuler", "annule", "laisse tomber"),
        "tl": ("hindi", "huwag", "kanselahin", "ayoko", "wag"),
        "zh-hans": ("不", "取消", "不要", "算了"),
        "ja": ("いいえ", "キャンセル", "やめ"),
        "af": ("nee", "kanselleer", "los dit"),
    },
}

# Phrases that put a budget on a recommendation ("under 50"); the number is read nearby.
BUDGET = {
    "en": ("under", "below", "less than", "max", "up to", "budget"),
    "fr": ("moins de", "maximum", "jusqu'à", "budget"),
    "tl": ("mas mura sa", "hanggang", "budget", "baba sa"),
    "zh-hans": ("以下", "以内", "低于", "预算"),
    "ja": ("以下", "以内", "予算"),
    "af": ("onder", "minder as", "hoogstens", "begroting"),
}

# Little words that tell one Latin-script language from another. CJK is told by its script.
MARKERS = {
    "en": (
        "the",
        "is",
        "do",
        "you",
        "have",
        "how",
        "what",
        "my",
        "where",
        "want",
        "please",
        "hello",
        "thanks",
        "much",
        "it",
        "this",
        "in",
    ),
    "fr": (
        "le",
        "la",
        "les",
        "est",
        "vous",
        "je",
        "avez",
        "bonjour",
        "merci",
        "combien",
        "taille",
        "est-ce",
        "que",
        "des",
        "une",
        "pour",
        "oui",
    ),
    "tl": (
        "po",
        "ba",
        "ang",
        "ng",
        "ko",
        "mga",
        "kumusta",
        "magkano",
        "salamat",
        "meron",
        "opo",
        "gusto",
        "yung",
        "sa",
        "pa",
        "naman",
        "niyo",
    ),
    "af": (
        "die",
        "het",
        "julle",
        "ek",
        "hoeveel",
        "dankie",
        "hallo",
        "wil",
        "nie",
        "jy",
        "asseblief",
        "ons",
        "van",
        "vir",
        "môre",
        "grootte",
    ),
}

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[\w'’-]+", re.UNICODE)


@lru_cache(maxsize=2048)
def fold(text: str) -> str:
    """NFKC and case-folded, apostrophes unified, whitespace collapsed (kept for the latest
    texts: a message, its catalog's titles and option values are folded again and again)."""
    text = unicodedata.normalize("NFKC", text or "").casefold().replace("’", "'")
    return " ".join(text.split())


def is_cjk(text: str) -> bool:
    return bool(_KANA.search(text) or _HAN.search(text))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _compile(phrases) -> list[re.Pattern]:
    """The patterns that find any of ``phrases``: a Latin-script phrase as whole words, a CJK
    one anywhere. One alternation per kind, so a message is searched once per language and
    intent, not once per phrase."""
    folded = sorted({fold(p) for p in phrases}, key=len, reverse=True)
    cjk = [re.escape(p) for p in folded if p and is_cjk(p)]
    latin = [re.escape(p) for p in folded if p and not is_cjk(p)]
    patterns = []
    if latin:
        patterns.append(re.compile(rf"(?<![\w'])(?:{'|'.join(latin)})(?![\w'])"))
    if cjk:
        patterns.append(re.compile("|".join(cjk)))
    return patterns


_PATTERNS: dict[str, list[tuple[str, re.Pattern]]] = {
    intent: [(lang, pattern) for lang, phrases in by_lang.items() for pattern in _compile(phrases)]
    for intent, by_lang in INTENTS.items()
}
_BUDGET = [pattern for phrases in BUDGET.values() for pattern in _compile(phrases)]


@lru_cache(maxsize=1024)
def intents_in(text: str) -> dict[str, frozenset[str]]:
    """Every intent the text names, with the languages whose phrases matched (kept for the
    latest texts: a message is read for its language, then for its intents; callers only
    read the answer)."""
    folded = fold(text)
    found: dict[str, set[str]] = {}
    for intent, patterns in _PATTERNS.items():
        for lang, pattern in patterns:
            if pattern.search(folded):
                found.setdefault(intent, set()).add(lang)
    return {intent: frozenset(langs) for intent, langs in found.items()}


def has_budget(text: str) -> bool:
    folded = fold(text)
    return any(p.search(folded) for p in _BUDGET)


def language_of(text: str) -> str | None:
    """The language a message is written in, when it says so clearly; else None (keep the
    conversation's). Kana means Japanese, Han without kana Chinese; Latin-script languages by
    their little words and the bot's phrases."""
    if _KANA.search(text):
        return "ja"
    if _HAN.search(text):
        return "zh-hans"
    tokens = words(text)
    if not tokens:
        return None
    scores = {lang: sum(1 for t in tokens if t in markers) for lang, markers in MARKERS.items()}
    for langs in intents_in(text).values():
        for lang in langs:
            if lang in scores:
                scores[lang] += 1
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, score = ranked[0]
    if score >= 2 and score > ranked[1][1]:
        return best
    return None
