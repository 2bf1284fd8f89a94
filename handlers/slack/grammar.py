"""`/case` command text → a typed command, or a usage line naming the mistake.

Pure: no Slack calls, no database. Slack sends mentions escaped (`<@U123|ana>` for
people, `<#C123|billing>` for channels); a channel names the department whose channel
it is, which only the caller can map, so it is returned as a channel id.

Words are grouped by double quotes ("…" or Slack's smart “…”). Free text (a reason,
a note, a reply) is sliced from the original text after the fixed arguments, so the
user's spacing, newlines and apostrophes survive, and an unbalanced quote in free
text is just a character; only a fixed argument with an unclosed quote is an error.
Slack sends a typed `&`, `<` and `>` as entities; free text is unescaped back to what
was typed, because renderers escape everything they show and replies leave Slack.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot import periods
from bot.answered import Answered
from bot.ids import parse_case_id
from bot.reading import MAX_PAGE, ListScope
from bot.slack.blocks import clip, escape

MAX_TEXT_CHARS = 4000
"""Longer than anything a person types into a slash command; bounds the work per call."""
MAX_OVERRIDE = timedelta(days=30)
"""An on-call override longer than this is almost certainly a typo (`400d` for `4d`)."""

QUOTES = '"“”'
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_DEPARTMENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DURATION = re.compile(r"^(?:[0-9]{1,5}[mhd])+$")
_DURATION_PART = re.compile(r"([0-9]+)([mhd])")
_PAGE = re.compile(r"^[0-9]{1,6}$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_SCOPES = frozenset(scope.value for scope in ListScope)
_REASONS = {
    "answered-elsewhere": Answered.ELSEWHERE,
    "elsewhere": Answered.ELSEWHERE,
    "no-reply-needed": Answered.NOT_NEEDED,
    "no-reply": Answered.NOT_NEEDED,
}
_FLAG = re.compile("^(?:--|\u2014|\u2013)(\\S+)$")
"""`--flag`; also with the em or en dash a phone or a Mac turns `--` into."""


class UsageError(Exception):
    """The text did not parse; the message is what went wrong plus one usage line."""


class Period(StrEnum):
    TODAY = "today"
    WEEK = "week"
    DAYS_30 = "30d"


@dataclass(frozen=True)
class Claim:
    case_id: int


@dataclass(frozen=True)
class Unclaim:
    case_id: int


@dataclass(frozen=True)
class Assign:
    case_id: int
    user_id: str


@dataclass(frozen=True)
class Escalate:
    """To a department (by key or by its channel), a person, or a department and a person."""

    case_id: int
    department: str | None
    channel_id: str | None
    user_id: str | None
    reason: str


@dataclass(frozen=True)
class Resolve:
    case_id: int
    tag: str | None
    note: str
    reason: Answered | None = None
    """Why a case without a reply needs none (`--answered-elsewhere`, `--no-reply-needed`)."""


@dataclass(frozen=True)
class Reopen:
    case_id: int


@dataclass(frozen=True)
class Note:
    case_id: int
    text: str


@dataclass(frozen=True)
class Reply:
    case_id: int
    text: str


@dataclass(frozen=True)
class Show:
    case_id: int


@dataclass(frozen=True)
class Reveal:
    """The customer's text unmasked, for the one who asks (audited)."""

    case_id: int


@dataclass(frozen=True)
class Wait:
    """The case waits on the customer: its clock pauses until they write again."""

    case_id: int


@dataclass(frozen=True)
class ListCases:
    scope: ListScope
    department: str | None
    channel_id: str | None
    page: int


@dataclass(frozen=True)
class Summary:
    period: str
    """A `Period` keyword or a range of days, `2026-11-01..2026-11-30`."""
    department: str | None
    channel_id: str | None


@dataclass(frozen=True)
class Oncall:
    department: str | None
    channel_id: str | None


@dataclass(frozen=True)
class OncallOverride:
    """Exactly one of `department` and `channel_id` is set."""

    department: str | None
    channel_id: str | None
    user_id: str
    duration: timedelta


@dataclass(frozen=True)
class Help:
    topic: str | None = None


Command = (
    Claim
    | Unclaim
    | Assign
    | Escalate
    | Resolve
    | Reopen
    | Note
    | Reply
    | Show
    | Reveal
    | Wait
    | ListCases
    | Summary
    | Oncall
    | OncallOverride
    | Help
)

USAGE: dict[str, tuple[str, str]] = {
    "claim": ("claim ID", "take a case"),
    "unclaim": ("unclaim ID", "give a case you own back to the queue"),
    "assign": ("assign ID @user", "give a case to someone"),
    "escalate": (
        "escalate ID (dept [@user] | @user) [reason…]",
        "send a case to another department or person",
    ),
    "resolve": (
        'resolve ID [tag] [note…] | resolve ID "note…"',
        "close a case, with a root-cause tag if you know it (quote a note without a tag)",
    ),
    "resolve without reply": (
        "resolve ID (--answered-elsewhere | --no-reply-needed) [tag] [note…]",
        "no reply went out: the customer was answered another way (phone, in person), or"
        " there is nothing to answer (spam); otherwise the case counts as unanswered",
    ),
    "reopen": ("reopen ID", "open a resolved case again"),
    "note": ("note ID text…", "add an internal note (never sent to the customer)"),
    "reply": ("reply ID text…", "answer the customer where they wrote"),
    "show": ("show ID", "a case and its timeline"),
    "reveal": ("reveal ID", "the customer's text unmasked, for you alone (audited)"),
    "wait": ("wait ID", "waiting on the customer: pause the clock until they write"),
    "list": (
        "list [mine|open|unclaimed|breaching] [dept] [page N]",
        "cases, yours by default",
    ),
    "summary": (
        "summary [today|week|30d|YYYY-MM-DD..YYYY-MM-DD] [dept]",
        "the numbers, today by default",
    ),
    "oncall": ("oncall [dept]", "who is on call"),
    "oncall override": (
        "oncall override DEPT @user DURATION",
        "put someone on call for a while (30m, 4h, 2d)",
    ),
    "help": ("help [command]", "this list, or one command"),
}
VERBS = tuple(dict.fromkeys(key.split()[0] for key in USAGE))
_PERIODS = frozenset(period.value for period in Period)


def usage(slash: str, verb: str | None = None) -> str:
    """One command's usage (both lines for `oncall`), or the whole list when `verb` is None."""
    if verb is None:
        lines = "\n".join(f"• `{slash} {syntax}` — {what}" for syntax, what in USAGE.values())
        return (
            f"*{slash} commands*\n{lines}\n"
            'ID is C-42 or 42; dept is a department or its #channel; "quote" to group words.'
        )
    keys = [key for key in USAGE if key == verb or key.startswith(verb + " ")]
    return "\n".join(_usage_line(slash, key) for key in keys)


def _usage_line(slash: str, key: str) -> str:
    syntax, what = USAGE[key]
    return f"Usage: `{slash} {syntax}` — {what}"


class _Problem(Exception):
    """What was wrong with the arguments; `parse` adds the usage line."""


class _ReasonProblem(_Problem):
    """A bad reason flag on resolve: the usage line shown is the one with the flags."""


@dataclass(frozen=True)
class _Word:
    text: str
    end: int


class _Scanner:
    """Reads words one at a time, so free text after them can be sliced verbatim."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _read(self) -> _Word | None:
        text, i, n = self.text, self.pos, len(self.text)
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            return None
        if text[i] in QUOTES:
            close = next((j for j in range(i + 1, n) if text[j] in QUOTES), -1)
            if close == -1:
                raise _Problem("Unbalanced quotes: close every quote you open.")
            return _Word(text[i + 1 : close], close + 1)
        j = i
        while j < n and not text[j].isspace():
            # Mentions may carry a display name with spaces: `<@U1|Ana Lopez>`.
            if text[j] == "<" and (gt := text.find(">", j)) != -1:
                j = gt
            j += 1
        return _Word(text[i:j], j)

    def take(self) -> str | None:
        word = self._read()
        if word is None:
            return None
        self.pos = word.end
        return word.text

    def peek(self) -> str | None:
        """The next word without consuming it; free text with a stray quote is not a word."""
        try:
            word = self._read()
        except _Problem:
            return None
        return word.text if word else None

    def quoted_next(self) -> bool:
        """Whether the remaining text starts with a quote."""
        rest = self.text[self.pos :].lstrip()
        return bool(rest) and rest[0] in QUOTES

    def need(self, missing: str) -> str:
        word = self.take()
        if word is None:
            raise _Problem(missing)
        return word

    def rest(self) -> str:
        """The remaining text as typed; one pair of quotes around all of it is dropped."""
        rest = _unescape(self.text[self.pos :].strip())
        self.pos = len(self.text)
        if len(rest) >= 2 and rest[0] in QUOTES and rest[-1] in QUOTES:
            inner = rest[1:-1]
            if not any(q in inner for q in QUOTES):
                return inner.strip()
        return rest

    def end(self) -> None:
        extra = self.take()
        if extra is not None:
            raise _Problem(f"Unexpected `{_echo(extra)}`.")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _echo(word: str) -> str:
    """A user's word, safe to show back inside backticks: escaped, one line, short."""
    return escape(clip(" ".join(_unescape(word).replace("`", "'").split()), 40))


def user_id(word: str) -> str | None:
    m = _USER.match(word)
    return m.group(1) if m else None


def _case(s: _Scanner) -> int:
    word = s.need("Which case? Give its id, like C-42.")
    case_id = parse_case_id(word)
    if case_id is None:
        raise _Problem(f"`{_echo(word)}` is not a case id (try C-42 or 42).")
    return case_id


def _user(s: _Scanner) -> str:
    word = s.need("Who? Mention them with @.")
    uid = user_id(word)
    if uid is None:
        raise _Problem(f"`{_echo(word)}` is not a person. {_mention_hint(word)}")
    return uid


def _mention_hint(word: str) -> str:
    if word.startswith("@"):
        return "Pick them from the @ list so Slack links the name."
    return "Mention them with @."


def _department(word: str) -> tuple[str | None, str | None]:
    """A department key or a channel mention → (key, None) or (None, channel id)."""
    if m := _CHANNEL.match(word):
        return None, m.group(1)
    key = word.lower()
    if _DEPARTMENT.match(key):
        return key, None
    hint = _mention_hint(word) if word.startswith(("@", "<@")) else ""
    raise _Problem(
        f"`{_echo(word)}` is not a department: use its name (billing) or channel (#billing)."
        + (f" For a person: {hint}" if hint else "")
    )


def _id_only(build: Callable[[int], Command]) -> Callable[[_Scanner], Command]:
    def parse_id(s: _Scanner) -> Command:
        case_id = _case(s)
        s.end()
        return build(case_id)

    return parse_id


def _assign(s: _Scanner) -> Command:
    case_id = _case(s)
    uid = _user(s)
    s.end()
    return Assign(case_id, uid)


def _escalate(s: _Scanner) -> Command:
    case_id = _case(s)
    target = s.need("Escalate to which department or person?")
    if uid := user_id(target):
        return Escalate(case_id, None, None, uid, s.rest())
    department, channel_id = _department(target)
    person = s.peek()
    uid = user_id(person) if person else None
    if uid:
        s.take()
    return Escalate(case_id, department, channel_id, uid, s.rest())


def _free_text(build: Callable[[int, str], Command], missing: str) -> Callable[[_Scanner], Command]:
    def parse_text(s: _Scanner) -> Command:
        case_id = _case(s)
        text = s.rest()
        if not text:
            raise _Problem(missing)
        return build(case_id, text)

    return parse_text


def _reason(s: _Scanner, given: Answered | None) -> Answered | None:
    """A `--answered-elsewhere` / `--no-reply-needed` flag, if the next word is one."""
    word = s.peek()
    flag = _FLAG.match(word) if word and not s.quoted_next() else None
    if flag is None:
        return given
    s.take()
    reason = _REASONS.get(flag.group(1).lower())
    if reason is None:
        raise _ReasonProblem(
            f"`{_echo(word or '')}` is not an option:"
            " use --answered-elsewhere or --no-reply-needed."
        )
    if given is not None and given is not reason:
        raise _ReasonProblem("Pick one of --answered-elsewhere and --no-reply-needed.")
    return reason


def _resolve(s: _Scanner, known_tags: Collection[str], slash: str) -> Command:
    """The first word is a known tag, or quoted text (a note without a tag); a reason
    flag may stand before or after the tag.

    Any other word is refused with the known tags: read as the note, a mistyped tag
    would close the case without its root cause and nobody would notice. Without
    configured tags there is nothing to mistype, so all the text is the note.
    """
    case_id = _case(s)
    reason = _reason(s, None)
    tags = {tag.lower(): tag for tag in known_tags}
    first = s.peek()
    tag = tags.get(first.lower()) if first else None
    if tag is not None:
        s.take()
        reason = _reason(s, reason)
    elif first is not None and tags and not s.quoted_next():
        known = ", ".join(escape(t) for t in known_tags)
        raise _Problem(
            f"`{_echo(first)}` is not a root-cause tag; use one of: {known}."
            f' For a note without a tag, quote it: `{slash} resolve {case_id} "your note"`.'
        )
    return Resolve(case_id, tag, s.rest(), reason)


def _list(s: _Scanner) -> Command:
    scope: ListScope | None = None
    department: str | None = None
    channel_id: str | None = None
    page: int | None = None
    while (word := s.take()) is not None:
        low = word.lower()
        if low == "page" and page is None:
            page = _page(s.need("Which page? Say page 2."))
        elif low in _SCOPES and scope is None:
            scope = ListScope(low)
        elif low in _SCOPES:
            raise _Problem("Pick one of mine, open, unclaimed or breaching.")
        elif department is None and channel_id is None and low != "page":
            department, channel_id = _department(word)
        else:
            raise _Problem(f"Unexpected `{_echo(word)}`.")
    return ListCases(scope or ListScope.MINE, department, channel_id, page or 1)


def _page(word: str) -> int:
    if not _PAGE.match(word) or not 1 <= int(word) <= MAX_PAGE:
        raise _Problem(f"`{_echo(word)}` is not a page number.")
    return int(word)


def _day_range(word: str) -> bool:
    """Whether `word` is a range of days; a range that cannot be one is a mistake."""
    try:
        return periods.day_range(word) is not None
    except ValueError as exc:
        raise _Problem(f"`{_echo(word)}`: {exc}.") from None


def _summary(s: _Scanner) -> Command:
    period: str | None = None
    department: str | None = None
    channel_id: str | None = None
    while (word := s.take()) is not None:
        low = word.lower()
        is_period = low in _PERIODS or _day_range(low)
        if is_period and period is None:
            period = Period(low) if low in _PERIODS else low
        elif is_period:
            raise _Problem("Pick one of today, week, 30d or a range of days.")
        elif department is None and channel_id is None:
            department, channel_id = _department(word)
        else:
            raise _Problem(f"Unexpected `{_echo(word)}`.")
    return Summary(period or Period.TODAY, department, channel_id)


def _oncall(s: _Scanner) -> Command:
    word = s.take()
    if word is None:
        return Oncall(None, None)
    department, channel_id = _department(word)
    s.end()
    return Oncall(department, channel_id)


def _override(s: _Scanner) -> Command:
    department, channel_id = _department(s.need("Which department?"))
    uid = _user(s)
    duration = _duration(s.need("For how long? Like 30m, 4h or 2d."))
    s.end()
    return OncallOverride(department, channel_id, uid, duration)


def _duration(word: str) -> timedelta:
    """`30m`, `4h`, `2d`, or combined like `1h30m`."""
    low = word.lower()
    if not _DURATION.match(low):
        raise _Problem(f"`{_echo(word)}` is not a duration: use 30m, 4h or 2d.")
    total = sum((int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(low)), timedelta())
    if not timedelta(0) < total <= MAX_OVERRIDE:
        raise _Problem(f"An override lasts between 1m and {MAX_OVERRIDE.days}d.")
    return total


def _help(s: _Scanner) -> Command:
    words = []
    while (word := s.take()) is not None:
        words.append(word.lower())
    if not words:
        return Help(None)
    topic = " ".join(words)
    if topic not in USAGE:
        close = _closest(words[0])
        raise _Problem(
            f"No command `{_echo(topic)}`." + (f" Did you mean `{close}`?" if close else "")
        )
    return Help(topic)


def _closest(word: str) -> str | None:
    close = difflib.get_close_matches(word, VERBS, n=1)
    return close[0] if close else None


_PARSERS: dict[str, Callable[[_Scanner], Command]] = {
    "claim": _id_only(Claim),
    "unclaim": _id_only(Unclaim),
    "assign": _assign,
    "escalate": _escalate,
    "reopen": _id_only(Reopen),
    "note": _free_text(Note, "Write the note after the case id."),
    "reply": _free_text(Reply, "Write the reply after the case id."),
    "show": _id_only(Show),
    "reveal": _id_only(Reveal),
    "wait": _id_only(Wait),
    "list": _list,
    "summary": _summary,
    "oncall": _oncall,
    "help": _help,
}


def parse(text: str, slash: str = "/case", known_tags: Collection[str] = ()) -> Command:
    """Parse the text after the slash command; `known_tags` are the root-cause tags, in
    the order a refusal lists them."""
    if len(text) > MAX_TEXT_CHARS:
        raise UsageError(
            f"That is too long for one command ({len(text)} characters, at most"
            f" {MAX_TEXT_CHARS}). Try `{slash} help`."
        )
    s = _Scanner(text)
    try:
        first = s.take()
    except _Problem as exc:
        raise UsageError(f"{exc} Try `{slash} help`.") from None
    if first is None:
        return Help(None)
    verb = first.lower()
    if verb not in VERBS:
        close = _closest(verb)
        if close is None:
            raise UsageError(f"Unknown command `{_echo(first)}`. Try `{slash} help`.")
        raise UsageError(
            f"Unknown command `{_echo(first)}`. Did you mean `{close}`?\n"
            + _usage_line(slash, close)
        )
    key = verb
    try:
        if verb == "resolve":
            return _resolve(s, known_tags, slash)
        if verb == "oncall" and (s.peek() or "").lower() == "override":
            s.take()
            key = "oncall override"
            return _override(s)
        return _PARSERS[verb](s)
    except _ReasonProblem as exc:
        raise UsageError(f"{exc}\n{_usage_line(slash, 'resolve without reply')}") from None
    except _Problem as exc:
        raise UsageError(f"{exc}\n{_usage_line(slash, key)}") from None
