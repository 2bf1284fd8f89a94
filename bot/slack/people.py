"""Whether a Slack user may be given a case: a person of the workspace, not a bot.

`/case assign C-42 @ana` names someone by a mention Slack's client produced, but the
text is free: `<@U0NOBODY>` or the bot itself parse just as well. Each named person is
looked up with `users.info` (scope `users:read`) and the answer kept for an hour (a
refusal for five minutes).
When Slack cannot be asked (unreachable, rate-limited, the scope missing), the command
goes ahead unverified and that is logged: a slash command must work while Slack's Web
API is down, and a DM to a user that does not exist only fails in the outbox.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.events import Refused
from bot.slack.identity import Identity

log = logging.getLogger("casebot.slack")

CACHE_SECONDS = 3600.0
REFUSAL_CACHE_SECONDS = 300.0
"""A refusal is kept for less: the person may join, or be reactivated, meanwhile."""
GONE = {"user_not_found", "user_not_visible", "invalid_user"}


class People:
    def __init__(
        self,
        client: WebClient,
        identity: Identity,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._identity = identity
        self._clock = clock
        self._verdicts: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def require_person(self, user_id: str) -> None:
        """Raise `Refused` (the user reads why) unless `user_id` may own a case."""
        known = self._identity.known
        if known is not None and user_id == known.user_id:
            raise Refused("Casebot itself cannot own a case; name a person.")
        now = self._clock()
        with self._lock:
            cached = self._verdicts.get(user_id)
        keep = CACHE_SECONDS if cached is None or cached[1] is None else REFUSAL_CACHE_SECONDS
        if cached is not None and now - cached[0] < keep:
            verdict = cached[1]
        else:
            looked_up = self._look_up(user_id)
            if looked_up is False:
                return
            verdict = looked_up
            with self._lock:
                self._verdicts[user_id] = (now, verdict)
        if verdict is not None:
            raise Refused(verdict)

    def _look_up(self, user_id: str) -> str | bool | None:
        """Why `user_id` may not own a case, None if they may, False if Slack did not say."""
        try:
            user = self._client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in GONE:
                return f"There is no user {user_id} in this workspace."
            log.warning("people.unverified", extra={"user": user_id, "error": str(error)})
            return False
        except (SlackClientError, OSError) as exc:
            log.warning("people.unverified", extra={"user": user_id, "error": type(exc).__name__})
            return False
        if user.get("deleted"):
            return f"<@{user_id}> is no longer in this workspace."
        if user.get("is_bot") or user.get("is_app_user") or user_id == "USLACKBOT":
            return f"<@{user_id}> is a bot; cases go to people."
        return None
