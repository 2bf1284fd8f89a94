"""`casebot check`: is this install ready? One line per problem, exit 1 if any.

Validates the environment and config (loading them already did), the reply connectors'
secrets, the database and its schema, and, with a bot token, asks Slack whether the
token works and every configured channel exists with the bot in it. The processes run
the same `connector_problem` and `database_problem` at start (bot/cli.py), so `check`
refuses what they refuse.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.deps import Deps
from bot.slack.client import make_client
from config.errors import ConfigError
from config.schema import CasebotConfig
from handlers.channels.polling import build_fetchers
from handlers.channels.replies import build_connectors
from storage.db import Database, sqlite_file
from storage.migrate import MIGRATIONS, schema_state

PROG = "python -m bot"


def reason(exc: BaseException) -> str:
    """One line for why something failed (`Connection refused`), not a wrapper's repr:
    a database error's driver message, a URLError's OS error."""
    inner: object = getattr(exc, "orig", None) or getattr(exc, "reason", None) or exc
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror
    text = str(inner).strip()
    return text.splitlines()[0] if text else type(inner).__name__


def database_problem(db: Database, prog: str = PROG, migrations: Path = MIGRATIONS) -> str | None:
    """The database must exist, answer, and be at this code's latest migration; never
    creates anything (only `migrate` and `serve` do)."""
    path = sqlite_file(db.url)
    if path is not None and not path.exists():
        return f"database: {path} does not exist (run `{prog} migrate` to create it)"
    try:
        state = schema_state(db.engine, migrations)
    except SQLAlchemyError as exc:
        return f"database: cannot connect ({reason(exc)})"
    if state.unknown:
        return (
            f"database: schema is at revision {', '.join(state.unknown)}, which this version"
            " does not know (was it migrated by a newer Casebot?)"
        )
    if not state.current:
        return f"database: not migrated yet (run `{prog} migrate`)"
    if not state.up_to_date:
        return (
            f"database: schema is at revision {', '.join(state.current)}, this version needs"
            f" {', '.join(state.heads)} (run `{prog} migrate`)"
        )
    return None


def connector_problem(config: CasebotConfig, env: Mapping[str, str]) -> str | None:
    """Builds the reply connectors and the pollers' fetchers exactly as the worker does,
    so a missing secret is found by `check` as well as at start."""
    try:
        build_connectors(config.sources, env)
        build_fetchers(config.sources, env)
    except ConfigError as exc:
        return str(exc)
    return None


def slack_problems(deps: Deps) -> list[str]:
    settings = deps.settings
    client = make_client(settings.slack_bot_token, settings.slack_api_url)
    try:
        client.auth_test()
    except SlackApiError as exc:
        return [f"slack: auth.test failed: {exc.response.get('error')}"]
    except (OSError, SlackClientError) as exc:
        return [
            f"slack: cannot reach {settings.slack_api_url} ({reason(exc)};"
            " check SLACK_API_URL and the network)"
        ]
    found: list[str] = []
    for key, department in deps.config.departments.items():
        where = f"departments.{key}.channel {department.channel}"
        try:
            info = client.conversations_info(channel=department.channel)["channel"]
        except SlackApiError as exc:
            found.append(f"{where}: {exc.response.get('error')}")
            continue
        except (OSError, SlackClientError) as exc:
            found.append(f"{where}: cannot reach Slack ({reason(exc)})")
            continue
        if not info.get("is_member", False):
            found.append(
                f"{where}: the bot is not in the channel (invite it with /invite @casebot)"
            )
    return found


def problems(deps: Deps, env: Mapping[str, str] | None = None, prog: str = PROG) -> list[str]:
    found: list[str] = []
    settings = deps.settings
    for name in ("slack_bot_token", "slack_signing_secret", "ingest_secret"):
        if not getattr(settings, name):
            found.append(f"environment variable {name.upper()} is not set")
    for problem in (
        connector_problem(deps.config, os.environ if env is None else env),
        database_problem(deps.db, prog),
    ):
        if problem:
            found.append(problem)
    if settings.slack_bot_token:
        found += slack_problems(deps)
    return found


def notes(deps: Deps) -> list[str]:
    """What works, but not fully: said, without failing the check."""
    acknowledging = [name for name, s in deps.config.sources.items() if s.acknowledge]
    if acknowledging and not deps.settings.public_url:
        return [
            "note: PUBLIC_URL is not set, so acknowledgements (sources "
            + ", ".join(acknowledging)
            + ") go out without a status page link, and /case show has none"
        ]
    return []


def run_check(deps: Deps, prog: str = PROG) -> int:
    found = problems(deps, prog=prog)
    for line in [*notes(deps), *found]:
        print(line)
    if not found:
        print(f"ok: {len(deps.config.departments)} department channel(s) reachable")
    return 1 if found else 0
