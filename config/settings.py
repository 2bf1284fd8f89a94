"""Process settings from the environment (see the SPEC's Environment table)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///data/casebot.db"
DRIVERS = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
"""Hosts hand out `postgres://…` (Heroku-style) or `postgresql://…`; both mean the one
PostgreSQL driver Casebot installs (psycopg 3), not SQLAlchemy's default psycopg2."""
SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = DEFAULT_DATABASE_URL
    casebot_config: str = "config/casebot.yaml"
    ingest_secret: str | None = None
    host: str = Field(default="0.0.0.0", min_length=1)
    port: int = Field(default=3000, ge=1, le=65535)
    sla_sweep_seconds: float = Field(default=15, gt=0)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """`casebot worker` serves its own `/metrics` there (web processes serve theirs on `PORT`)."""
    outbox_lease_seconds: float = Field(default=20, ge=1)
    """How long a worker holds an outbox row it is delivering (renewed while it works);
    a dead worker's rows are taken over after it. Keep it well above the Slack timeout."""
    slack_timeout_seconds: float = Field(default=10, gt=0)
    slack_channel_rate: float = Field(default=1, ge=0)
    """Messages per second per channel the worker posts at most (Slack's limit is about 1,
    with short bursts); 0 turns pacing off (tests)."""
    public_url: str | None = None
    """Where customers reach this install (`https://care.example.com`): the base of status
    page links. Unset, acknowledgements go out without one."""
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    """How many reverse proxies in front of `web` append to X-Forwarded-For; their entries
    are believed when telling clients apart (the status page's rate limit)."""

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, v: str | None) -> str | None:
        if v and not v.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, v: str | None) -> str | None:
        if v and not v.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return v

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        """The message never repeats the URL: it may carry a password."""
        try:
            url = make_url(v)
        except ArgumentError:
            raise ValueError(
                "not a database URL; use sqlite:///path/to/file.db or postgresql://user@host/db"
            ) from None
        url = url.set(drivername=DRIVERS.get(url.drivername, url.drivername))
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"unsupported database {url.drivername!r}; use sqlite:///… or postgresql://…"
            )
        return url.render_as_string(hide_password=False)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        url = urlsplit(v.strip())
        if (
            any(c.isspace() for c in v.strip())
            or url.scheme not in ("https", "http")
            or not url.netloc
            or url.query
            or url.fragment
        ):
            raise ValueError(
                "must be the http(s) address customers reach, e.g. https://care.example.com"
            )
        return v.strip().rstrip("/")

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, v: str) -> str:
        return v if v.endswith("/") else v + "/"

    def require(self, *names: str) -> None:
        """Stop with one line naming the first missing variable a process needs."""
        for name in names:
            if not getattr(self, name):
                raise ConfigError(f"environment variable {name.upper()} is required")


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "environment"
        message = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"environment variable {name}: {message}") from None
