"""`/case` commands about one case: claim, assign, escalate, resolve, note, reveal…"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from bot.answered import Answered
from bot.slack.blocks import escape
from handlers.slack.words import (
    Problem,
    ReasonProblem,
    Scanner,
    case_arg,
    department_arg,
    echo,
    user_arg,
    user_id,
)

_REASONS = {
    "answered-elsewhere": Answered.ELSEWHERE,
    "elsewhere": Answered.ELSEWHERE,
    "no-reply-needed": Answered.NOT_NEEDED,
    "no-reply": Answered.NOT_NEEDED,
}


_FLAG = re.compile("^(?:--|\u2014|\u2013)(\\S+)$")
"""`--flag`; also with the em or en dash a phone or a Mac turns `--` into."""


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
class Merge:
    """`merge C-13 C-12`: the first case is merged into the second, which it goes on in."""

    case_id: int
    into_id: int


CaseCommand = (
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
    | Merge
)


def id_only(build: Callable[[int], CaseCommand]) -> Callable[[Scanner], CaseCommand]:
    def parse_id(s: Scanner) -> CaseCommand:
        case_id = case_arg(s)
        s.end()
        return build(case_id)

    return parse_id


def parse_assign(s: Scanner) -> CaseCommand:
    case_id = case_arg(s)
    uid = user_arg(s)
    s.end()
    return Assign(case_id, uid)


def parse_merge(s: Scanner) -> CaseCommand:
    case_id = case_arg(s)
    if s.peek() is None:
        raise Problem("Merge it into which case? Name the case it goes on in second.")
    into_id = case_arg(s)
    s.end()
    return Merge(case_id, into_id)


def parse_escalate(s: Scanner) -> CaseCommand:
    case_id = case_arg(s)
    target = s.need("Escalate to which department or person?")
    if uid := user_id(target):
        return Escalate(case_id, None, None, uid, s.rest())
    department, channel_id = department_arg(target)
    person = s.peek()
    uid = user_id(person) if person else None
    if uid:
        s.take()
    return Escalate(case_id, department, channel_id, uid, s.rest())


def free_text(
    build: Callable[[int, str], CaseCommand], missing: str
) -> Callable[[Scanner], CaseCommand]:
    def parse_text(s: Scanner) -> CaseCommand:
        case_id = case_arg(s)
        text = s.rest()
        if not text:
            raise Problem(missing)
        return build(case_id, text)

    return parse_text


def _reason(s: Scanner, given: Answered | None) -> Answered | None:
    """A `--answered-elsewhere` / `--no-reply-needed` flag, if the next word is one."""
    word = s.peek()
    flag = _FLAG.match(word) if word and not s.quoted_next() else None
    if flag is None:
        return given
    s.take()
    reason = _REASONS.get(flag.group(1).lower())
    if reason is None:
        raise ReasonProblem(
            f"`{echo(word or '')}` is not an option: use --answered-elsewhere or --no-reply-needed."
        )
    if given is not None and given is not reason:
        raise ReasonProblem("Pick one of --answered-elsewhere and --no-reply-needed.")
    return reason


def parse_resolve(s: Scanner, known_tags: Collection[str], slash: str) -> CaseCommand:
    """The first word is a known tag, or quoted text (a note without a tag); a reason
    flag may stand before or after the tag.

    Any other word is refused with the known tags: read as the note, a mistyped tag
    would close the case without its root cause and nobody would notice. Without
    configured tags there is nothing to mistype, so all the text is the note.
    """
    case_id = case_arg(s)
    reason = _reason(s, None)
    tags = {tag.lower(): tag for tag in known_tags}
    first = s.peek()
    tag = tags.get(first.lower()) if first else None
    if tag is not None:
        s.take()
        reason = _reason(s, reason)
    elif first is not None and tags and not s.quoted_next():
        known = ", ".join(escape(t) for t in known_tags)
        raise Problem(
            f"`{echo(first)}` is not a root-cause tag; use one of: {known}."
            f' For a note without a tag, quote it: `{slash} resolve {case_id} "your note"`.'
        )
    return Resolve(case_id, tag, s.rest(), reason)
