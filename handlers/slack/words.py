"""The words of a `/case` command: a scanner that keeps free text verbatim, and the
arguments every command family shares (a case id, a person, a department)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.ids import parse_case_id
from bot.slack.blocks import clip, escape

QUOTES = '"“”'


USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


DEPARTMENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Problem(Exception):
    """What was wrong with the arguments; `parse` adds the usage line."""


class ReasonProblem(Problem):
    """A bad reason flag on resolve: the usage line shown is the one with the flags."""


@dataclass(frozen=True)
class Word:
    text: str
    end: int


class Scanner:
    """Reads words one at a time, so free text after them can be sliced verbatim."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _read(self) -> Word | None:
        text, i, n = self.text, self.pos, len(self.text)
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            return None
        if text[i] in QUOTES:
            close = next((j for j in range(i + 1, n) if text[j] in QUOTES), -1)
            if close == -1:
                raise Problem("Unbalanced quotes: close every quote you open.")
            return Word(text[i + 1 : close], close + 1)
        j = i
        while j < n and not text[j].isspace():
            # Mentions may carry a display name with spaces: `<@U1|Ana Lopez>`.
            if text[j] == "<" and (gt := text.find(">", j)) != -1:
                j = gt
            j += 1
        return Word(text[i:j], j)

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
        except Problem:
            return None
        return word.text if word else None

    def quoted_next(self) -> bool:
        """Whether the remaining text starts with a quote."""
        rest = self.text[self.pos :].lstrip()
        return bool(rest) and rest[0] in QUOTES

    def need(self, missing: str) -> str:
        word = self.take()
        if word is None:
            raise Problem(missing)
        return word

    def rest(self) -> str:
        """The remaining text as typed; one pair of quotes around all of it is dropped."""
        rest = unescape(self.text[self.pos :].strip())
        self.pos = len(self.text)
        if len(rest) >= 2 and rest[0] in QUOTES and rest[-1] in QUOTES:
            inner = rest[1:-1]
            if not any(q in inner for q in QUOTES):
                return inner.strip()
        return rest

    def end(self) -> None:
        extra = self.take()
        if extra is not None:
            raise Problem(f"Unexpected `{echo(extra)}`.")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def echo(word: str) -> str:
    """A user's word, safe to show back inside backticks: escaped, one line, short."""
    return escape(clip(" ".join(unescape(word).replace("`", "'").split()), 40))


def user_id(word: str) -> str | None:
    m = USER.match(word)
    return m.group(1) if m else None


def case_arg(s: Scanner) -> int:
    word = s.need("Which case? Give its id, like C-42.")
    case_id = parse_case_id(word)
    if case_id is None:
        raise Problem(f"`{echo(word)}` is not a case id (try C-42 or 42).")
    return case_id


def user_arg(s: Scanner) -> str:
    word = s.need("Who? Mention them with @.")
    uid = user_id(word)
    if uid is None:
        raise Problem(f"`{echo(word)}` is not a person. {mention_hint(word)}")
    return uid


def mention_hint(word: str) -> str:
    if word.startswith("@"):
        return "Pick them from the @ list so Slack links the name."
    return "Mention them with @."


def department_arg(word: str) -> tuple[str | None, str | None]:
    """A department key or a channel mention → (key, None) or (None, channel id)."""
    if m := CHANNEL.match(word):
        return None, m.group(1)
    key = word.lower()
    if DEPARTMENT.match(key):
        return key, None
    hint = mention_hint(word) if word.startswith(("@", "<@")) else ""
    raise Problem(
        f"`{echo(word)}` is not a department: use its name (billing) or channel (#billing)."
        + (f" For a person: {hint}" if hint else "")
    )
