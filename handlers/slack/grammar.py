"""`/case` command text → a typed command, or a usage line naming the mistake.

Slack sends mentions escaped: `<@U123|ana>` for people, `<#C123|billing>` for channels.
Quoted strings group words; `C-42` and `42` both name case 42.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from bot.ids import parse_case_id


class UsageError(Exception):
    """The text did not parse; the message is the usage line to show."""


@dataclass(frozen=True)
class Command:
    verb: str
    case_id: int | None = None


USAGE = {
    "claim": "claim ID — take a case (ID is C-42 or 42)",
    "unclaim": "unclaim ID — give a case you own back to the queue",
    "help": "help — this list",
}

_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        raise UsageError('Unbalanced quotes: close every " you open.') from None


def usage(slash: str, verb: str | None = None) -> str:
    if verb in USAGE:
        return f"Usage: `{slash} {USAGE[verb]}`"
    lines = "\n".join(f"• `{slash} {line}`" for line in USAGE.values())
    return f"*{slash} commands*\n{lines}"


def parse(text: str, slash: str = "/case") -> Command:
    words = tokens(text)
    if not words:
        return Command("help")
    verb, args = words[0].lower(), words[1:]
    if verb not in USAGE:
        raise UsageError(f"Unknown command `{words[0][:40]}`.\n{usage(slash)}")
    if verb == "help":
        return Command("help")
    if len(args) != 1:
        raise UsageError(usage(slash, verb))
    case_id = parse_case_id(args[0])
    if case_id is None:
        raise UsageError(f"`{args[0][:40]}` is not a case id.\n{usage(slash, verb)}")
    return Command(verb, case_id)


def user_id(token: str) -> str | None:
    m = _USER.match(token)
    return m.group(1) if m else None
