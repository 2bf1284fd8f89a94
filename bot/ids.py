"""Stable identifiers: case ids as people type them, and Slack action/view ids.

Action and callback ids are stored in messages already in Slack, so a shipped value
never changes; rename the member, not the string.
"""

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


class ActionId(StrEnum):
    CLAIM = "case_claim"
    UNCLAIM = "case_unclaim"
    ESCALATE = "case_escalate"
    REPLY = "case_reply"
    RESOLVE = "case_resolve"
    REOPEN = "case_reopen"
    WAIT = "case_wait"
    TAKE_OVER = "case_take_over"
    APPROVE_REPLY = "reply_approve"
    DISCARD_REPLY = "reply_discard"


class Surface(StrEnum):
    """Where an action came from, recorded on every audit event."""

    COMMAND = "command"
    BUTTON = "button"
    MODAL = "modal"
    API = "api"
    INGEST = "ingest"
    WORKER = "worker"
