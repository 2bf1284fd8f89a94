"""Who the bot is in Slack, asked once (`auth.test`) and kept for the life of the process.

Bolt would otherwise ask on the first request after a start, and if Slack's Web API is
down then, that request fails before its ack (a claim lost). Here the first attempt is
made at start; if Slack cannot be reached a background thread keeps trying, and
meanwhile requests are served without it: the signing secret already proves they come
from Slack for this app. Casebot serves one workspace (the one its token belongs to);
once the identity is known, requests from any other are refused (`only_our_workspace`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger("casebot.slack")

RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""Waits between attempts while Slack cannot be reached; the last repeats."""

OTHER_WORKSPACE = "Casebot serves only the Slack workspace it is installed in; nothing was changed."


@dataclass(frozen=True)
class BotIdentity:
    team_id: str
    user_id: str
    """The bot user (`U…`): never an owner, assignee or on-call person."""
    bot_id: str | None = None
    enterprise_id: str | None = None


class Identity:
    def __init__(
        self,
        client: WebClient,
        *,
        retry_seconds: Sequence[float] = RETRY_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._retry = tuple(retry_seconds)
        self._sleep = sleep
        self._known: BotIdentity | None = None
        self._lock = threading.Lock()

    @property
    def known(self) -> BotIdentity | None:
        return self._known

    def fetch(self) -> BotIdentity | None:
        """One `auth.test`; the identity, or None (logged) when Slack did not say."""
        try:
            answer = self._client.auth_test()
        except (SlackApiError, SlackClientError, OSError) as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
            log.warning(
                "slack.identity_unknown",
                extra={"error": error or type(exc).__name__, "retry": True},
            )
            return None
        team, user = answer.get("team_id"), answer.get("user_id")
        if not isinstance(team, str) or not isinstance(user, str):
            log.warning("slack.identity_unknown", extra={"error": "auth.test without ids"})
            return None
        with self._lock:
            self._known = BotIdentity(
                team_id=team,
                user_id=user,
                bot_id=answer.get("bot_id"),
                enterprise_id=answer.get("enterprise_id"),
            )
        log.info("slack.identity", extra={"team": team, "bot_user": user})
        return self._known

    def start(self) -> Identity:
        """Ask now; if that fails, keep asking in the background until Slack answers."""
        if self.fetch() is None:
            threading.Thread(target=self._keep_trying, name="slack-identity", daemon=True).start()
        return self

    def _keep_trying(self) -> None:
        attempt = 0
        while self._known is None:
            self._sleep(self._retry[min(attempt, len(self._retry) - 1)])
            attempt += 1
            self.fetch()

    def authorize(self, token: str | None) -> Callable[..., AuthorizeResult]:
        """Bolt's `authorize`: the bot token and the ids as far as known; never a call."""

        def authorize(
            enterprise_id: str | None, team_id: str | None, user_id: str | None
        ) -> AuthorizeResult:
            known = self._known
            return AuthorizeResult(
                enterprise_id=enterprise_id,
                team_id=team_id,
                bot_token=token,
                bot_user_id=known.user_id if known else None,
                bot_id=known.bot_id if known else None,
                user_id=user_id,
            )

        return authorize

    def is_ours(self, team_id: Any, enterprise_id: Any) -> bool:
        """Whether a request's workspace is ours; true while ours is not known yet, and
        for a request that names none (Bolt finds no listener for those anyway)."""
        known = self._known
        if known is None or (team_id is None and enterprise_id is None):
            return True
        if team_id == known.team_id:
            return True
        return known.enterprise_id is not None and enterprise_id == known.enterprise_id

    def only_our_workspace(
        self,
        context: BoltContext,
        body: dict[str, Any],
        response: BoltResponse,
        next: Callable[[], None],
    ) -> BoltResponse:
        """Bolt middleware: a request from another workspace changes nothing and is told so
        (in the answer for a slash command, through its `response_url` for a click)."""
        if self.is_ours(context.team_id, context.enterprise_id):
            next()
            return response
        log.warning(
            "slack.other_workspace",
            extra={"team": str(context.team_id), "kind": str(body.get("type") or "command")},
        )
        respond = context.respond
        if respond is not None and "command" not in body:
            threading.Thread(
                target=_tell,
                args=(respond,),
                name="slack-other-workspace",
                daemon=True,
            ).start()
        return BoltResponse(
            status=200,
            body={"response_type": "ephemeral", "text": OTHER_WORKSPACE},
            headers={"Content-Type": "application/json;charset=utf-8"},
        )


def _tell(respond: Callable[..., Any]) -> None:
    """Off the request thread: the refusal is acknowledged at once, the message follows."""
    try:
        respond(text=OTHER_WORKSPACE, response_type="ephemeral", replace_original=False)
    except Exception as exc:
        log.warning("slack.respond_failed", extra={"error": type(exc).__name__})
