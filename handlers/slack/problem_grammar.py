"""`/case problem …` text → a typed problem command, or what went wrong plus a usage line.

Pure, like `grammar` (which hands it the text after `problem`): `problem P-7`,
`problem link C-42 P-7`, `problem unlink C-42`, `problem claim P-7`,
`problem reply P-7 text…`, `problem resolve P-7 [tag] [note…]`. Free text is sliced
from the original, so spacing and newlines survive; one pair of quotes around a note
says it is a note, not a tag.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.problems.ids import parse_problem_id
from bot.slack.blocks import escape
from handlers.slack.words import Problem, Scanner, case_arg, echo


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


def _problem(w: Scanner) -> int:
    word = w.need("Which problem? Give its id, like P-7.")
    pid = parse_problem_id(word)
    if pid is None:
        raise Problem(f"`{echo(word)}` is not a problem id (try P-7).")
    return pid


def _resolve(w: Scanner, known_tags: Collection[str], slash: str) -> ResolveAll:
    pid = _problem(w)
    tags = {t.lower(): t for t in known_tags}
    quoted = w.quoted_next()
    first = w.peek()
    tag = tags.get(first.lower()) if first and not quoted else None
    if tag is not None:
        w.take()
    elif first is not None and tags and not quoted:
        known = ", ".join(escape(t) for t in known_tags)
        raise Problem(
            f"`{echo(first)}` is not a root-cause tag; use one of: {known}."
            f' For a note without a tag, quote it: `{slash} problem resolve P-{pid} "note"`.'
        )
    return ResolveAll(pid, tag, w.rest())


def _parse(w: Scanner, sub: str, known_tags: Collection[str], slash: str) -> ProblemCommand:
    if sub == "link":
        cid = case_arg(w)
        pid = _problem(w)
        w.end()
        return LinkCase(cid, pid)
    if sub == "unlink":
        cid = case_arg(w)
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
            raise Problem("Write the reply after the problem id.")
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
    w = Scanner(text)
    first = (w.peek() or "").lower()
    key = f"problem {first}" if f"problem {first}" in USAGE else "problem"
    if key != "problem":
        w.take()
    try:
        return _parse(w, key.removeprefix("problem").strip(), known_tags, slash)
    except Problem as exc:
        raise ProblemUsage(f"{exc}\n{usage_line(slash, key)}") from None
