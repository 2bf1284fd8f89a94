"""Masks personal data in customer text before it is shown in a channel.

The stored post keeps the original; only what is rendered for a channel is masked.

Agents need the numbers that are not personal: dates, invoice and order numbers,
references, times, versions and amounts. So nothing is masked for merely looking like
digits: phone numbers are found by `phonenumbers` (Google's libphonenumber metadata)
and must be valid for the region (national formats) or written internationally
(`+44 …`, `0049 …`); card numbers must pass the Luhn check.

Masking is idempotent: a mask already in the text (`[phone …67]`, `[card …1111]`) is
never read as part of a new number, so masking twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from bot.sla import policy_for
from config.schema import CasebotConfig

DEFAULT_REGION = "US"
_MAX_ROUNDS = 16

_LOCAL = r"A-Za-z0-9._%+-"
_EMAIL = re.compile(rf"(?<![{_LOCAL}@])([{_LOCAL}])[{_LOCAL}]*+@([A-Za-z0-9.-]+\.[A-Za-z]{{2,}})\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_MASKED = re.compile(r"\[(?:card|phone) …\d{0,4}\]")
MIN_PHONE_DIGITS = 4
"""No region's numbers are shorter (`phonenumbers`' metadata: Iran's 4-digit ones;
`tests/bot/test_pii.py` checks it), so text with fewer digits holds no phone number
and the matcher, most of what rendering a case list costs, is not run."""
_ENOUGH_DIGITS = re.compile(rf"(?:\d\D*+){{{MIN_PHONE_DIGITS}}}")


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


def _mask_emails(text: str) -> str:
    return _EMAIL.sub(lambda m: f"{m.group(1)}•••@{m.group(2)}", text)


def _mask_cards(text: str) -> str:
    return _CARD.sub(_mask_card, text)


def _phone_spans(text: str, region: str) -> list[tuple[int, int]]:
    """Valid numbers for the region, plus anything written with `+` that could be a number.

    `Leniency.VALID` also wants a national prefix where the region uses one, which is
    what keeps `2026-11-23` readable in Germany. An explicit `+` is the writer saying
    "phone number", so there a plausible length is enough (fictional ranges such as
    `+44 7700 900123` are not valid, but are still somebody's number in a message).
    """
    spans = [(m.start, m.end) for m in PhoneNumberMatcher(text, region, leniency=Leniency.VALID)]
    plus = PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE) if "+" in text else ()
    for m in plus:
        if m.raw_string.lstrip("([").startswith("+") and not any(
            m.start < end and start < m.end for start, end in spans
        ):
            spans.append((m.start, m.end))
    return sorted(spans)


def _mask_phones(text: str, region: str) -> str:
    if not _ENOUGH_DIGITS.search(text):
        return text
    out: list[str] = []
    pos = 0
    for start, end in _phone_spans(text, region):
        digits = re.sub(r"\D", "", text[start:end])
        out += [text[pos:start], f"[phone …{digits[-2:]}]"]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _outside_masks(text: str, fn: Callable[[str], str]) -> str:
    """Apply `fn` to the text between existing masks, so a mask never joins a new match."""
    parts: list[str] = []
    pos = 0
    for m in _MASKED.finditer(text):
        parts += [fn(text[pos : m.start()]), m.group(0)]
        pos = m.end()
    parts.append(fn(text[pos:]))
    return "".join(parts)


def mask(text: str, kinds: Iterable[str], region: str | None = None) -> str:
    """Cards first (a card number also looks like a phone number), then e-mails, phones.

    `region` decides how numbers without a country code are read (`030 901820` is a
    Berlin number in `DE`, nothing in `US`); it defaults to `US`. The config's
    `Pii.region_for` picks it.

    A mask changes what surrounds the digits left over (`+49 170 1234567` glued to more
    digits reads differently once part of it is masked), so masking repeats until
    nothing changes. Each round that changes something hides at least one more digit,
    so this ends; in practice after the second round.
    """
    wanted = set(kinds)
    code = (region or "").upper()
    where = code if code in phonenumbers.SUPPORTED_REGIONS else DEFAULT_REGION
    for _ in range(_MAX_ROUNDS):
        before = text
        if "card" in wanted:
            text = _outside_masks(text, _mask_cards)
        if "email" in wanted:
            text = _outside_masks(text, _mask_emails)
        if "phone" in wanted:
            text = _outside_masks(text, lambda segment: _mask_phones(segment, where))
        if text == before:
            break
    return text


def mask_email(address: str) -> str:
    """An address as a card header shows it: `d•••@example.com` (the domain stays readable)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return "•••"
    return f"{local[0]}•••@{domain}"


class CaseLike(Protocol):
    priority: str
    department: str
    source: str


def region_for(config: CasebotConfig, case: CaseLike) -> str:
    """How the case's numbers are read: `pii.region`, else the country whose holidays
    the case's calendar keeps (its department's, through the SLA policy), else `US`."""
    try:
        calendar = policy_for(config.sla, case.priority, case.department, case.source).calendar
    except KeyError:
        return config.pii.region_for()
    return config.pii.region_for(calendar.holidays.country)


def for_case(text: str, config: CasebotConfig, case: CaseLike) -> str:
    """`text` as Slack may show it on `case`: masked per `pii.mask`, in the case's region."""
    return mask(text, config.pii.mask, region_for(config, case))


def customer_label(value: str, config: CasebotConfig, case: CaseLike) -> str:
    """A customer's name or handle on a card: an address as `d•••@example.com` (the
    header is read by everyone in the channel), anything else masked as text is."""
    value = value.strip()
    if "email" in config.pii.mask and _EMAIL.fullmatch(value):
        return mask_email(value)
    return for_case(value, config, case)
