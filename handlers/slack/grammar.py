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
from collections.abc import Callable, Collection
from dataclasses import dataclass

from handlers.slack import problem_grammar
from handlers.slack.grammar_cases import (
    Assign,
    CaseCommand,
    Claim,
    Escalate,
    Merge,
    Note,
    Reopen,
    Reply,
    Resolve,
    Reveal,
    Show,
    Unclaim,
    Wait,
    free_text,
    id_only,
    parse_assign,
    parse_escalate,
    parse_merge,
    parse_resolve,
)
from handlers.slack.grammar_queues import (
    ListCases,
    Oncall,
    OncallOverride,
    Period,
    Summary,
    parse_list,
    parse_oncall,
    parse_override,
    parse_summary,
)
from handlers.slack.problem_grammar import ProblemCommand
from handlers.slack.words import Problem, ReasonProblem, Scanner, echo

__all__ = [
    "MAX_TEXT_CHARS",
    "USAGE",
    "Assign",
    "Claim",
    "Command",
    "Escalate",
    "Help",
    "ListCases",
    "Merge",
    "Note",
    "Oncall",
    "OncallOverride",
    "Period",
    "ProblemCommand",
    "Reopen",
    "Reply",
    "Resolve",
    "Reveal",
    "Show",
    "Summary",
    "Unclaim",
    "UsageError",
    "Wait",
    "parse",
    "usage",
]
"""The grammar's whole vocabulary: each family's commands are defined in its module
(`grammar_cases`, `grammar_queues`), and read from here."""

MAX_TEXT_CHARS = 4000
"""Longer than anything a person types into a slash command; bounds the work per call."""


class UsageError(Exception):
    """The text did not parse; the message is what went wrong plus one usage line."""


@dataclass(frozen=True)
class Help:
    topic: str | None = None


Command = CaseCommand | ListCases | Summary | Oncall | OncallOverride | Help | ProblemCommand


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
    "merge": (
        "merge ID INTO-ID",
        "the same matter twice: merge the first case into the second (posts, history, clocks)",
    ),
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
    **problem_grammar.USAGE,
    "help": ("help [command]", "this list, or one command"),
}


VERBS = tuple(dict.fromkeys(key.split()[0] for key in USAGE))


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


def _help(s: Scanner) -> Command:
    words = []
    while (word := s.take()) is not None:
        words.append(word.lower())
    if not words:
        return Help(None)
    topic = " ".join(words)
    if topic not in USAGE:
        close = _closest(words[0])
        raise Problem(
            f"No command `{echo(topic)}`." + (f" Did you mean `{close}`?" if close else "")
        )
    return Help(topic)


def _closest(word: str) -> str | None:
    close = difflib.get_close_matches(word, VERBS, n=1)
    return close[0] if close else None


_PARSERS: dict[str, Callable[[Scanner], Command]] = {
    "claim": id_only(Claim),
    "unclaim": id_only(Unclaim),
    "assign": parse_assign,
    "escalate": parse_escalate,
    "reopen": id_only(Reopen),
    "note": free_text(Note, "Write the note after the case id."),
    "reply": free_text(Reply, "Write the reply after the case id."),
    "show": id_only(Show),
    "reveal": id_only(Reveal),
    "wait": id_only(Wait),
    "merge": parse_merge,
    "list": parse_list,
    "summary": parse_summary,
    "oncall": parse_oncall,
    "help": _help,
}


READS = frozenset({"list", "show"})
"""The verbs whose work only reads (`handlers.slack.workpool` runs it alone)."""


def reads_only(text: str) -> bool:
    """Whether the command is one of the `READS` (text that does not parse: no)."""
    try:
        first = Scanner(text).take()
    except Problem:
        return False
    return first is not None and first.lower() in READS


def parse(text: str, slash: str = "/case", known_tags: Collection[str] = ()) -> Command:
    """Parse the text after the slash command; `known_tags` are the root-cause tags, in
    the order a refusal lists them."""
    if len(text) > MAX_TEXT_CHARS:
        raise UsageError(
            f"That is too long for one command ({len(text)} characters, at most"
            f" {MAX_TEXT_CHARS}). Try `{slash} help`."
        )
    s = Scanner(text)
    try:
        first = s.take()
    except Problem as exc:
        raise UsageError(f"{exc} Try `{slash} help`.") from None
    if first is None:
        return Help(None)
    verb = first.lower()
    if verb not in VERBS:
        close = _closest(verb)
        if close is None:
            raise UsageError(f"Unknown command `{echo(first)}`. Try `{slash} help`.")
        raise UsageError(
            f"Unknown command `{echo(first)}`. Did you mean `{close}`?\n"
            + _usage_line(slash, close)
        )
    key = verb
    if verb == "problem":
        try:
            return problem_grammar.parse(s.text[s.pos :], slash, known_tags)
        except problem_grammar.ProblemUsage as exc:
            raise UsageError(str(exc)) from None
    try:
        if verb == "resolve":
            return parse_resolve(s, known_tags, slash)
        if verb == "oncall" and (s.peek() or "").lower() == "override":
            s.take()
            key = "oncall override"
            return parse_override(s)
        return _PARSERS[verb](s)
    except ReasonProblem as exc:
        raise UsageError(f"{exc}\n{_usage_line(slash, 'resolve without reply')}") from None
    except Problem as exc:
        raise UsageError(f"{exc}\n{_usage_line(slash, key)}") from None
