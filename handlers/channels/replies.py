"""Reply connectors: how an agent's answer reaches the customer, chosen per source.

The worker builds every configured connector once at start (so a missing secret
stops it there, naming the variable) and calls `send` from the outbox, which owns
retries: a connector makes exactly one attempt per call.

Each connector's module is imported when a source names its kind: the HTTP client
(httpx) and `smtplib` under them stay out of a worker whose sources send no replies,
or not that way (~2 MiB resident, `bench.memory`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bot.replies import OutgoingReply
from config.connectors import (
    ConnectorConfig,
    EmailConnector,
    MastodonConnector,
    SourceConfig,
    WebhookConnector,
    XConnector,
)
from config.errors import ConfigError
from handlers.channels.base import ReplyReceipt


class ReplyConnector(Protocol):
    def send(self, reply: OutgoingReply) -> ReplyReceipt:
        """Deliver once; raise `ReplyError` (retryable or not) when it did not happen."""
        ...


def _secret(env: Mapping[str, str], name: str, kind: str) -> str:
    value = env.get(name, "")
    if not value.strip():
        raise ConfigError(
            f"{name}: environment variable is not set (the {kind} reply connector needs it)"
        )
    return value


def build_connector(cfg: ConnectorConfig, env: Mapping[str, str]) -> ReplyConnector:
    match cfg:
        case WebhookConnector():
            from handlers.channels.webhook import WebhookReplies

            return WebhookReplies(cfg, secret=_secret(env, cfg.secret_env, cfg.kind))
        case MastodonConnector():
            from handlers.channels.mastodon_reply import MastodonReplies

            return MastodonReplies(cfg, token=_secret(env, cfg.token_env, cfg.kind))
        case XConnector():
            from handlers.channels.x import XReplies

            return XReplies(cfg, token=_secret(env, cfg.token_env, cfg.kind))
        case EmailConnector():
            from handlers.channels.email_reply import EmailReplies

            if cfg.username_env is None or cfg.password_env is None:
                return EmailReplies(cfg)
            return EmailReplies(
                cfg,
                username=_secret(env, cfg.username_env, cfg.kind),
                password=_secret(env, cfg.password_env, cfg.kind),
            )


def build_connectors(
    sources: Mapping[str, SourceConfig], env: Mapping[str, str]
) -> dict[str, ReplyConnector]:
    """Every source's connector; a source without one is absent (Reply is not offered)."""
    built: dict[str, ReplyConnector] = {}
    for name, source in sources.items():
        if source.reply is None:
            continue
        try:
            built[name] = build_connector(source.reply, env)
        except ConfigError as exc:
            raise ConfigError(f"sources.{name}.reply: {exc}") from None
    return built
