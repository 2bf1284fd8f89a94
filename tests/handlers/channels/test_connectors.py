"""`sources:` config models and building connectors from them and the environment."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter, ValidationError

from config.connectors import (
    EmailConnector,
    MastodonConnector,
    SourceConfig,
    WebhookConnector,
    XConnector,
)
from config.errors import ConfigError
from handlers.channels.email_reply import EmailReplies
from handlers.channels.mastodon_reply import MastodonReplies
from handlers.channels.replies import build_connector, build_connectors
from handlers.channels.webhook import WebhookReplies
from handlers.channels.x import XReplies

SOURCES_YAML = """
sources:
  twitter:
    require_approval: true
    reply: {kind: x, token_env: X_TOKEN}
  mastodon:
    reply:
      kind: mastodon
      base_url: https://mastodon.social/
      token_env: MASTODON_TOKEN
      visibility: unlisted
  email:
    reply:
      kind: email
      host: smtp.acme.test
      port: 587
      starttls: true
      username_env: SMTP_USER
      password_env: SMTP_PASSWORD
      from_address: care@acme.test
      from_name: Acme Care
  form:
    reply:
      kind: webhook
      url: https://crm.acme.test/casebot/replies
      secret_env: CRM_WEBHOOK_SECRET
      timeout_seconds: 5
  reviews: {}
"""

ENV = {
    "X_TOKEN": "x-tok",
    "MASTODON_TOKEN": "m-tok",
    "SMTP_USER": "casebot",
    "SMTP_PASSWORD": "smtp-pw-123",
    "CRM_WEBHOOK_SECRET": "crm-secret-456",
}

Sources = TypeAdapter(dict[str, SourceConfig])


def sources(text: str = SOURCES_YAML) -> dict[str, SourceConfig]:
    return Sources.validate_python(yaml.safe_load(text)["sources"])


def test_example_sources_parse() -> None:
    parsed = sources()
    assert parsed["twitter"].require_approval is True
    assert isinstance(parsed["twitter"].reply, XConnector)
    assert parsed["twitter"].reply.api_base == "https://api.x.com"
    mastodon = parsed["mastodon"].reply
    assert isinstance(mastodon, MastodonConnector)
    assert mastodon.base_url == "https://mastodon.social"
    assert isinstance(parsed["email"].reply, EmailConnector)
    assert isinstance(parsed["form"].reply, WebhookConnector)
    assert parsed["reviews"] == SourceConfig(reply=None, require_approval=False)


def test_build_every_connector() -> None:
    built = build_connectors(sources(), ENV)
    assert set(built) == {"twitter", "mastodon", "email", "form"}
    assert isinstance(built["twitter"], XReplies)
    assert isinstance(built["mastodon"], MastodonReplies)
    assert isinstance(built["email"], EmailReplies)
    assert isinstance(built["form"], WebhookReplies)


@pytest.mark.parametrize("missing", sorted(ENV))
def test_missing_secret_names_variable_and_source(missing: str) -> None:
    env = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(ConfigError) as err:
        build_connectors(sources(), env)
    assert missing in str(err.value)
    assert str(err.value).startswith("sources.")
    assert ENV[missing] not in str(err.value)


def test_blank_secret_counts_as_missing() -> None:
    cfg = XConnector(kind="x", token_env="X_TOKEN")
    with pytest.raises(ConfigError, match="X_TOKEN"):
        build_connector(cfg, {"X_TOKEN": "  "})


def test_email_without_login_needs_no_secrets() -> None:
    cfg = EmailConnector(
        kind="email", host="localhost", port=25, starttls=False, from_address="care@acme.test"
    )
    assert isinstance(build_connector(cfg, {}), EmailReplies)


@pytest.mark.parametrize(
    "reply",
    [
        {"kind": "pigeon"},
        {"kind": "x", "token": "inline-secret"},
        {"kind": "x", "token_env": "lower_case"},
        {"kind": "mastodon", "base_url": "ftp://x"},
        {"kind": "mastodon", "base_url": "https://m.example", "visibility": "everyone"},
        {"kind": "webhook", "url": "https://h.example", "timeout_seconds": 0},
        {"kind": "email", "host": "h", "from_address": "not-an-address"},
        {"kind": "email", "host": "h", "from_address": "a@b.c", "username_env": "U"},
    ],
)
def test_bad_connector_config_is_refused(reply: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SourceConfig.model_validate({"reply": reply})


def test_source_config_is_strict_and_frozen() -> None:
    with pytest.raises(ValidationError):
        SourceConfig.model_validate({"reply": None, "approval": True})
    cfg = SourceConfig()
    with pytest.raises(ValidationError):
        cfg.require_approval = True  # type: ignore[misc]
