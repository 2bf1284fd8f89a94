"""Masks personal data in customer text before it is shown in a channel.

The stored post keeps the original; only what is rendered for a channel is masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ().-]{6,}\d(?![\w])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_card(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return f"[card …{digits[-4:]}]" if _luhn_ok(digits) else m.group(0)


def _mask_phone(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return f"[phone …{digits[-2:]}]" if 7 <= len(digits) <= 15 else m.group(0)


def mask(text: str, kinds: Iterable[str]) -> str:
    """Cards first (a card number also looks like a phone number), then e-mails, phones."""
    wanted = set(kinds)
    if "card" in wanted:
        text = _CARD.sub(_mask_card, text)
    if "email" in wanted:
        text = _EMAIL.sub(lambda m: f"{m.group(1)}•••@{m.group(2)}", text)
    if "phone" in wanted:
        text = _PHONE.sub(_mask_phone, text)
    return text
