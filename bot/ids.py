"""Stable identifiers of the core: case ids as people type them, and where an action
came from. Slack's own ids (actions, callbacks, blocks) live in `bot.slack.ids`."""

from __future__ import annotations

import re
from enum import StrEnum

_CASE_ID = re.compile(r"^(?:[Cc]-?)?(\d{1,12})$")


def format_case_id(case_id: int) -> str:
    return f"C-{case_id}"


def parse_case_id(text: str) -> int | None:
    """`C-42`, `c-42`, `C42` and `42` all mean case 42; anything else is not a case id."""
    m = _CASE_ID.match(text.strip())
    return int(m.group(1)) if m and int(m.group(1)) > 0 else None


class Surface(StrEnum):
    """Where an action came from, recorded on every audit event."""

    COMMAND = "command"
    BUTTON = "button"
    MODAL = "modal"
    API = "api"
    INGEST = "ingest"
    WORKER = "worker"
