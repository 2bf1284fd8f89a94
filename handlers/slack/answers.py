"""The one place domain refusals become what the user reads."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Respond

from bot.events import DomainError

log = logging.getLogger("casebot.slack")


def answer(respond: Respond, work: Callable[[], str | None]) -> None:
    """Run `work`; tell the user its answer or the refusal, ephemerally.

    Anything unexpected is logged with its traceback and the user gets a short apology
    instead of a stack trace.
    """
    try:
        text = work()
    except DomainError as exc:
        text = exc.user_message()
    except Exception:
        log.exception("slack.listener_failed")
        text = "Sorry, that failed on our side. It has been logged; please try again."
    if text:
        respond(text=text, response_type="ephemeral", replace_original=False)
