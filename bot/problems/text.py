"""Customer text reduced to the words that say what went wrong.

Two posts about one root cause rarely share their wording, but they share its nouns: the
app version ("5.2"), the promo code, the depot, the product model. Everything that only
says who wrote or where (handles, URLs, e-mail addresses, prices, emoji, greetings) is
noise that makes unrelated posts look alike, so it goes; identifiers with digits
(versions, order and invoice numbers, error codes) stay whole because they are the
strongest signal there is.
"""

from __future__ import annotations

import re
import unicodedata

# Matching looks at the opening of a post only: the cause is named early, and the
# fuzzy scorers cost O(len(a) * len(b)), so a 40 kB e-mail must not be compared whole.
MAX_MATCH_CHARS = 1_000
MAX_TOKENS = 40

_SLACK_SPECIAL = re.compile(r"<[!@#][^>\s]*>")
_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.%+-]+@[\w-]+(?:\.[\w-]+)+\b")
_MENTION = re.compile(r"(?<![\w@])@\w+(?:@[\w-]+(?:\.[\w-]+)+)?")
_MONEY = re.compile(r"[£$€¥]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:eur|gbp|usd)\b")
_VERSION_V = re.compile(r"\bv(?=\d+\.\d)")
_TRAILING_ZERO = re.compile(r"^(\d+\.\d+)(?:\.0)+$")
_REPEATS = re.compile(r"(\D)\1{2,}")
# A word, or an identifier: letters/digits joined by - . / _ (BB-482913, 5.2.0, E-5021).
_TOKEN = re.compile(r"[^\W_]+(?:[-./_][^\W_]+)*")
_SPLIT_WORD = re.compile(r"[-./_]")

# Words every complaint uses whatever its cause: English function words, and the
# boilerplate of customer care ("still not working, please help, my order never
# arrived") that would otherwise make any two complaints look alike.
_STOPWORDS = """a about after again all also am an and any anyone are as at be been before being but
    by can cant could did didnt do does doesnt dont for from get got had has have havent
    hello here hey hi how i if im in into is isnt it its ive just me my no not now of on
    only or our out please pls so still than thanks that the their them then there they
    this to today too tried trying up us was wasnt we were what when where which while who
    why will with wont would you your yours yesterday
    arrive arrived arrives arriving else fix help issue never order orders problem
    receive received since work worked working works"""
STOPWORDS = frozenset(_STOPWORDS.split())


def _keep(token: str) -> list[str]:
    """Identifiers stay whole; plain hyphenated words split (sign-in ~ sign in)."""
    if any(ch.isdigit() for ch in token):
        return [_TRAILING_ZERO.sub(r"\1", token)]
    return [part for part in _SPLIT_WORD.split(token) if part]


def tokens(text: str, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The matching tokens of a post, in order, without repeats or stopwords."""
    text = unicodedata.normalize("NFKC", text[:MAX_MATCH_CHARS]).casefold()
    for pattern in (_SLACK_SPECIAL, _URL, _EMAIL, _MENTION, _MONEY):
        text = pattern.sub(" ", text)
    text = _VERSION_V.sub("", text.replace("'", "").replace("\u2019", ""))
    text = _REPEATS.sub(r"\1\1", text)
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        for token in _keep(match.group(0)):
            if token not in STOPWORDS and token not in ignore and len(token) > 1:
                seen.setdefault(token)
                if len(seen) == MAX_TOKENS:
                    return list(seen)
    return list(seen)


def normalise(text: str, ignore: frozenset[str] = frozenset()) -> str:
    """The matching form of a post: its tokens joined by spaces ("" when nothing is left)."""
    return " ".join(tokens(text, ignore))
