"""`/case problem …` text → a typed problem command, or what went wrong plus a usage line.

Pure, like `grammar` (which hands it the text after `problem`): `problem P-7`,
`problem link C-42 P-7`, `problem unlink C-42`, `problem claim P-7`,
`problem reply P-7 text…`, `problem resolve P-7 [tag] [note…]`. Free text is sliced
from the original, so spacing and newlines survive; one pair of quotes around a note
says it is a note, not a tag.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.ids import parse_case_id
from bot.problems.ids import parse_problem_id
from bot.slack.blocks import clip, escape

QUOTES = '"“”'
_WORD = re.compile(r"\S+")


class ProblemUsage(Exception):
    """The text did not parse; the message says why and gives the usage line."""


@dataclass(frozen=True)
class ShowProblem:
    problem_id: int


@dataclass(frozen=True)
class LinkCase:
    case_id: int
    problem_id: int


@dataclass(frozen=True)
class UnlinkCase:
    case_id: int


@dataclass(frozen=True)
class ClaimProblem:
    problem_id: int


@dataclass(frozen=True)
class ReplyAll:
    problem_id: int
    text: str


@dataclass(frozen=True)
class ResolveAll:
    problem_id: int
    tag: str | None
    note: str


ProblemCommand = ShowProblem | LinkCase | UnlinkCase | ClaimProblem | ReplyAll | ResolveAll

USAGE: dict[str, tuple[str, str]] = {
    "problem": ("problem P-ID", "a problem: many customers, one root cause"),
    "problem link": ("problem link ID P-ID", "add a case to a problem"),
    "problem unlink": ("problem unlink ID", "take a case out of its problem"),
    "problem claim": ("problem claim P-ID", "own a problem (its cases' reminders come to you)"),
    "problem reply": (
        "problem reply P-ID text…",
        "answer every open case's customer where they wrote ({name} is theirs)",
    ),
    "problem resolve": (
        "problem resolve P-ID [tag] [note…]",
        "resolve every open case of a problem with its root cause",
    ),
}


def _echo(word: str) -> str:
    return escape(clip(" ".join(word.replace("`", "'").split()), 40))


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _Words:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def take(self) -> str | None:
        m = _WORD.search(self.text, self.pos)
        if m is None:
            return None
        self.pos = m.end()
        return m.group(0)

    def peek(self) -> str | None:
        m = _WORD.search(self.text, self.pos)
        return m.group(0) if m else None

    def rest(self) -> str:
        rest = _unescape(self.text[self.pos :].strip())
        self.pos = len(self.text)
        if len(rest) >= 2 and rest[0] in QUOTES and rest[-1] in QUOTES:
            inner = rest[1:-1]
            if not any(q in inner for q in QUOTES):
                return inner.strip()
        return rest

    def end(self) -> None:
        if (extra := self.take()) is not None:
            raise ValueError(f"Unexpected `{_echo(extra)}`.")


def _problem(w: _Words) -> int:
    word = w.take()
    if word is None:
        raise ValueError("Which problem? Give its id, like P-7.")
    pid = parse_problem_id(word)
    if pid is None:
        raise ValueError(f"`{_echo(word)}` is not a problem id (try P-7).")
    return pid


def _case(w: _Words) -> int:
    word = w.take()
    if word is None:
        raise ValueError("Which case? Give its id, like C-42.")
    cid = parse_case_id(word)
    if cid is None:
        raise ValueError(f"`{_echo(word)}` is not a case id (try C-42 or 42).")
    return cid


def _resolve(w: _Words, known_tags: Collection[str], slash: str) -> ResolveAll:
    pid = _problem(w)
    tags = {t.lower(): t for t in known_tags}
    first = w.peek()
    tag = tags.get(first.lower()) if first else None
    if tag is not None:
        w.take()
    elif first is not None and tags and first[0] not in QUOTES:
        known = ", ".join(escape(t) for t in known_tags)
        raise ValueError(
            f"`{_echo(first)}` is not a root-cause tag; use one of: {known}."
            f' For a note without a tag, quote it: `{slash} problem resolve P-{pid} "note"`.'
        )
    return ResolveAll(pid, tag, w.rest())


def _parse(w: _Words, sub: str, known_tags: Collection[str], slash: str) -> ProblemCommand:
    if sub == "link":
        cid = _case(w)
        pid = _problem(w)
        w.end()
        return LinkCase(cid, pid)
    if sub == "unlink":
        cid = _case(w)
        w.end()
        return UnlinkCase(cid)
    if sub == "claim":
        pid = _problem(w)
        w.end()
        return ClaimProblem(pid)
    if sub == "reply":
        pid = _problem(w)
        text = w.rest()
        if not text:
            raise ValueError("Write the reply after the problem id.")
        return ReplyAll(pid, text)
    if sub == "resolve":
        return _resolve(w, known_tags, slash)
    pid = _problem(w)
    w.end()
    return ShowProblem(pid)


def usage_line(slash: str, key: str) -> str:
    syntax, what = USAGE[key]
    return f"Usage: `{slash} {syntax}` — {what}"


def parse(text: str, slash: str = "/case", known_tags: Collection[str] = ()) -> ProblemCommand:
    """The text after `problem`."""
    w = _Words(text)
    first = (w.peek() or "").lower()
    key = f"problem {first}" if f"problem {first}" in USAGE else "problem"
    if key != "problem":
        w.take()
    try:
        return _parse(w, key.removeprefix("problem").strip(), known_tags, slash)
    except ValueError as exc:
        raise ProblemUsage(f"{exc}\n{usage_line(slash, key)}") from None
