"""`python -m bot check`: is this install ready? One line per problem, exit 1 if any.

Validates the environment and config (loading them already did), the database, and,
with a bot token, asks Slack whether the token works and every configured channel
exists with the bot in it.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.slack.client import make_client


def problems(deps: Deps) -> list[str]:
    found: list[str] = []
    settings = deps.settings
    for name in ("slack_bot_token", "slack_signing_secret", "ingest_secret"):
        if not getattr(settings, name):
            found.append(f"environment variable {name.upper()} is not set")
    if not deps.db.ping():
        found.append("database: cannot connect (check DATABASE_URL)")
    if not settings.slack_bot_token:
        return found
    client = make_client(settings.slack_bot_token, settings.slack_api_url)
    try:
        client.auth_test()
    except SlackApiError as exc:
        found.append(f"slack: auth.test failed: {exc.response.get('error')}")
        return found
    for key, department in deps.config.departments.items():
        try:
            info = client.conversations_info(channel=department.channel)["channel"]
        except SlackApiError as exc:
            found.append(
                f"departments.{key}.channel {department.channel}: {exc.response.get('error')}"
            )
            continue
        if not info.get("is_member", False):
            found.append(
                f"departments.{key}.channel {department.channel}: the bot is not in the channel"
                " (invite it with /invite @casebot)"
            )
    return found


def run_check(deps: Deps) -> int:
    found = problems(deps)
    for line in found:
        print(line)
    if not found:
        print(f"ok: {len(deps.config.departments)} department channel(s) reachable")
    return 1 if found else 0
