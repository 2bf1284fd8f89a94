"""What every customer-channel module shares: parse errors, text hygiene, reply types
(the reply itself, `bot.replies.OutgoingReply`, is the core's)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from bot.posts import MAX_TEXT_CHARS


@dataclass
class ParseError(Exception):
    """A body that cannot become a post; `field` names what is wrong (400)."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


def clean_text(value: str, *, limit: int = MAX_TEXT_CHARS) -> str:
    """Text any database stores: no NUL bytes, no lone surrogates, bounded length."""
    value = value.replace("\x00", "")
    value = value.encode("utf-8", "replace").decode("utf-8")
    return value[:limit]


def sign(secret: str, body: bytes, timestamp: str | None = None) -> str:
    """`sha256=<hex>` HMAC over the body, or over `<timestamp>.<body>` when timestamped.

    One definition for both directions: ingest verifies it, the webhook reply connector
    produces it, so a receiver can reuse the verifier it already wrote for Casebot.
    """
    signed = f"{timestamp}.".encode() + body if timestamp else body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ReplyReceipt:
    """What the remote calls the sent reply (a status or tweet id, a Message-ID), if anything."""

    external_id: str | None


class ReplyError(Exception):
    """A reply that was not delivered; `retryable` tells the outbox whether to try again.

    The message is safe to log and to show an agent: it never holds tokens, addresses
    or the reply text.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
