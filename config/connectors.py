"""Per-source settings in the YAML `sources:` map: how replies leave, and who must approve.

Secrets never live in the YAML (it is committed, copied, pasted into tickets): a
connector names the environment variable that holds each one, and the variable is
read when the connector is built at start, so a missing one stops the process with
its name.
"""

from __future__ import annotations

from datetime import timedelta
from string import Formatter
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from config.common import Duration, Strict

EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")]
Timeout = Annotated[float, Field(gt=0, le=120)]


def _web_url(value: str) -> str:
    if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
        raise ValueError("must be an http(s) URL")
    return value.rstrip("/")


WebUrl = Annotated[str, AfterValidator(_web_url)]


class WebhookConnector(Strict):
    """POSTs each reply as signed JSON to an integration that delivers it."""

    kind: Literal["webhook"]
    url: WebUrl
    secret_env: EnvName = "INGEST_SECRET"
    timeout_seconds: Timeout = 10.0


class MastodonConnector(Strict):
    """Posts the reply as a status from the brand's account, threaded under the customer's."""

    kind: Literal["mastodon"]
    base_url: WebUrl
    token_env: EnvName = "MASTODON_TOKEN"
    visibility: Literal["public", "unlisted", "private", "direct"] | None = None
    """None keeps the account's default; a private customer post is always answered `direct`."""
    timeout_seconds: Timeout = 10.0


class EmailConnector(Strict):
    """Sends the reply over SMTP, threaded into the customer's mail conversation."""

    kind: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    from_address: str = Field(pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    from_name: str | None = None
    timeout_seconds: Timeout = 20.0

    @model_validator(mode="after")
    def _login_is_whole(self) -> Self:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("username_env and password_env go together (give both or neither)")
        return self


class XConnector(Strict):
    """Posts the reply with the X API v2 as the brand's account (user-context token)."""

    kind: Literal["x"]
    api_base: WebUrl = "https://api.x.com"
    token_env: EnvName = "X_TOKEN"
    timeout_seconds: Timeout = 10.0


ConnectorConfig = Annotated[
    WebhookConnector | MastodonConnector | EmailConnector | XConnector,
    Field(discriminator="kind"),
]


ACK_PLACEHOLDERS = ("name", "case", "promise", "status_url")
"""What an acknowledgement template may say: the customer's name, the case id, when a
person will answer ("Monday 09:00 CET") and the status page's address."""
ACK_TEMPLATE_CHARS = 1000


def _known_placeholders(template: str) -> str:
    """Every `{…}` must be one of ACK_PLACEHOLDERS, written plainly: no positions, no
    attributes or indexes (they would reach into Python objects), no formats."""
    use = ", ".join(f"{{{p}}}" for p in ACK_PLACEHOLDERS)
    if not template.strip():
        raise ValueError(f"is empty; write the text, with any of {use}")
    try:
        fields = [
            (f, spec, conv) for _, f, spec, conv in Formatter().parse(template) if f is not None
        ]
    except ValueError as exc:
        raise ValueError(f"{exc} (write a literal brace as {{{{ or }}}})") from None
    for name, spec, conversion in fields:
        if name not in ACK_PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {{{name}}}; use {use}")
        if spec or conversion:
            raise ValueError(f"write {{{name}}} without a format or conversion")
    lines = [line for line in template.splitlines() if line.strip()]
    if all("{status_url}" in line for line in lines):
        raise ValueError(
            "put {status_url} on a line of its own: that line is left out while PUBLIC_URL"
            " is unset, and something must remain"
        )
    return template


class Acknowledge(Strict):
    """`acknowledge: true` (the built-in text) or `acknowledge: {template: "…"}`."""

    template: (
        Annotated[
            str,
            StringConstraints(max_length=ACK_TEMPLATE_CHARS),
            AfterValidator(_known_placeholders),
        ]
        | None
    ) = None
    """None: the built-in text. A line that uses {status_url} is left out while PUBLIC_URL
    is unset, so no sentence points at a missing link."""


MIN_POLL_EVERY = timedelta(seconds=10)


def _not_too_often(value: timedelta) -> timedelta:
    """Somebody else's server answers every poll: more often than this is abuse."""
    if value < MIN_POLL_EVERY:
        raise ValueError(f"polling more often than every {MIN_POLL_EVERY.seconds}s is too often")
    return value


PollEvery = Annotated[Duration, AfterValidator(_not_too_often)]


class FeedPoll(Strict):
    """An RSS 0.9x/1.0/2.0 or Atom feed read every `every` (reviews, forums)."""

    kind: Literal["feed"]
    url: WebUrl
    every: PollEvery = timedelta(minutes=5)
    timeout_seconds: Timeout = 10.0

    @property
    def target(self) -> str:
        return self.url


class MastodonPoll(Strict):
    """The mentions of the account whose token `token_env` holds."""

    kind: Literal["mastodon"]
    base_url: WebUrl
    token_env: EnvName = "MASTODON_TOKEN"
    every: PollEvery = timedelta(minutes=1)
    timeout_seconds: Timeout = 10.0

    @property
    def target(self) -> str:
        return self.base_url


PollConfig = Annotated[FeedPoll | MastodonPoll, Field(discriminator="kind")]


class SourceConfig(Strict):
    """One entry under `sources:`; a source without `reply` can only be answered elsewhere."""

    poll: PollConfig | None = None
    """Read by the worker (`bot.polling`) instead of, or as well as, pushed to /ingest."""
    reply: ConnectorConfig | None = None
    require_approval: bool = False
    acknowledge: Acknowledge | None = None
    """Answer each new case's customer once, automatically, with the promise and the link."""

    @field_validator("acknowledge", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value is True:
            return {}
        if value is False or value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError('use true, or {template: "…{name}…{case}…{promise}…{status_url}…"}')
        return value

    @model_validator(mode="after")
    def _acknowledge_needs_reply(self) -> Self:
        if self.acknowledge is not None and self.reply is None:
            raise ValueError(
                "acknowledge: needs a reply connector (`reply:`) to send the acknowledgement"
            )
        return self
