"""A customer post as every channel module hands it to the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

MAX_TEXT_CHARS = 40_000


@dataclass(frozen=True, kw_only=True)
class Author:
    id: str
    handle: str = ""
    name: str = ""
    followers: int | None = None
    email: str | None = None
    tier: str | None = None
    """What the sender says the customer's tier is (`author.tier`); the config's
    `customers:` has the last word."""


class AutomatedKind(StrEnum):
    BOUNCE = "bounce"
    """A delivery failure report: one of our messages did not arrive."""
    DELIVERY_REPORT = "delivery_report"
    """A delivery status report without a failure (delayed, relayed, delivered)."""
    AUTO_REPLY = "auto_reply"
    """A machine answering a message: out-of-office, vacation, autoresponders, no-reply senders."""
    BULK = "bulk"
    """Mass mail: newsletters, mailing lists (`Precedence: bulk|list|junk`)."""


@dataclass(frozen=True, kw_only=True)
class Automated:
    """Why a post was written by a machine, not a person; such a post never opens a case.

    `original_ids` are the ids of the message(s) a bounce or report is about (for e-mail,
    bare Message-IDs), so the core can mark that reply undelivered on its case.
    """

    kind: AutomatedKind
    reason: str
    original_ids: tuple[str, ...] = ()
    failed_recipients: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IncomingPost:
    """One post. `metadata` is stored with it (`Post.extra`) and is channel-specific:

    - `subject`: the e-mail or form subject;
    - `full_text`: the whole e-mail body when `text` is only the new part of a reply;
    - `attachments`: `[{"filename", "content_type", "size"}]` (sizes in bytes, never bytes);
    - `fields`: a form's other fields as `[[label, value], …]`, in the form's order.
    """

    source: str
    external_id: str
    text: str
    author: Author
    url: str | None = None
    posted_at: datetime | None = None
    conversation_id: str | None = None
    in_reply_to: str | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    automated: Automated | None = None
