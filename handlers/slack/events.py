"""Slack events: App Home is rendered afresh each time someone opens it.

Publishing a Home tab is a read-only render for one person, so it is called directly
rather than through the outbox: if it fails, the next open simply renders it again.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.deps import Deps
from bot.reading import HomeContent, pages
from bot.slack.lists import HOME_GROUP_SIZE, home_view
from handlers.slack.answers import deps_of

HOME_FETCH = 4 * HOME_GROUP_SIZE
"""Cases read per Home group: a page is shown, the rest are counted ("and 40 more"), and
a deeper queue is summed up as "and 75 more", a floor, rather than read whole."""


def home_content(deps: Deps, user: str) -> HomeContent:
    with deps.db.read() as session:
        return pages.home_content(session, user, deps.config, deps.time.now(), limit=HOME_FETCH)


def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    user = event.get("user")
    if event.get("tab") != "home" or not isinstance(user, str):
        return
    deps = deps_of(context)
    view = home_view(home_content(deps, user), deps.config.slash_command)
    client.views_publish(user_id=user, view=view)


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
