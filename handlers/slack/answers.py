"""The one place domain refusals become what the user reads."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

from slack_bolt import BoltContext, Respond
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.deps import Deps
from bot.events import DomainError
from bot.slack.refusals import refusal
from storage.db import is_unavailable

log = logging.getLogger("casebot.slack")

DEPS = "casebot_deps"
"""Where `provide` puts the app's `Deps` in every request's Bolt context."""

DATABASE_DOWN = "Casebot cannot reach its database right now; please try again in a minute."


def provide(deps: Deps) -> Callable[..., Any]:
    """A Bolt middleware handing `deps` to every listener (`deps_of(context)`), so
    listeners are plain module functions rather than closures inside `register`."""

    def middleware(context: BoltContext, next: Callable[[], Any]) -> Any:
        context[DEPS] = deps
        return next()

    return middleware


def deps_of(context: BoltContext) -> Deps:
    return cast(Deps, context[DEPS])


def answer(respond: Respond, work: Callable[[], str | None]) -> None:
    """Run `work`; tell the user its answer or the refusal, ephemerally.

    Anything unexpected is logged with its traceback and the user gets a short apology
    instead of a stack trace; a database that is down gets "try again".
    """
    try:
        text = work()
    except DomainError as exc:
        text = refusal(exc)
    except Exception as exc:
        text = failure_text(exc)
    if text:
        send(respond, text)


def send(respond: Respond, text: str) -> None:
    """Hand the answer to Slack; if Slack cannot take it (unreachable, refusing, or a
    `response_url` that is no URL at all: `ValueError`), the change is made all the
    same and the card shows it: logged, not raised."""
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except (SlackApiError, SlackClientError, OSError, ValueError) as exc:
        log.warning(
            "slack.answer_undelivered", extra={"door": "slack", "error": type(exc).__name__}
        )


def failure_text(exc: Exception) -> str:
    """Log an unexpected failure of a Slack request; what the user is told about it."""
    if is_unavailable(exc):
        log.warning("database.unavailable", exc_info=exc, extra={"door": "slack"})
        return DATABASE_DOWN
    log.error("slack.listener_failed", exc_info=exc, extra={"door": "slack"})
    return "Sorry, that failed on our side. It has been logged; please try again."
