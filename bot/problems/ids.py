"""Problem ids as people type them (`P-7`); the problem card's Slack ids are in
`bot.slack.ids`."""

from __future__ import annotations

import re

_PROBLEM_ID = re.compile(r"^(?:[Pp]-?)?(\d{1,9})$")


def format_problem_id(problem_id: int) -> str:
    return f"P-{problem_id}"


def parse_problem_id(text: str) -> int | None:
    """`P-7`, `p-7`, `P7` and `7` all mean problem 7; anything else is not a problem id."""
    m = _PROBLEM_ID.match(text.strip())
    return int(m.group(1)) if m and int(m.group(1)) > 0 else None
