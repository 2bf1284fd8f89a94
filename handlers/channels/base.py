"""What every customer-channel module shares: parse errors, text hygiene, reply types."""

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


@dataclass(frozen=True, kw_only=True)
class OutgoingReply:
    """An agent's answer on its way to the customer, through the source's connector.

    `key` is the outbox row's idempotency key: the same reply retried carries the same
    key, which connectors hand to remotes that deduplicate (Idempotency-Key headers,
    a deterministic e-mail Message-ID).
    """

    key: str
    case_ref: str
    source: str
    text: str
    in_reply_to: str | None
    conversation_id: str | None
    customer_handle: str
    customer_email: str | None
    subject: str | None
    private: bool = False
    """The customer wrote privately (e.g. a Mastodon direct message): do not answer in public."""
    automatic: bool = False
    """Sent by Casebot itself (the acknowledgement), not typed by a person: marked as such
    where the channel has a way (RFC 3834 `Auto-Submitted: auto-replied` in e-mail), so
    the customer's mail system sends no auto-reply back."""


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
