"""Card buttons: parse the button's `CaseRef`, ack, call the core; refusals go to the clicker."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import cases
from bot.deps import Deps
from bot.events import DomainError
from bot.ids import ActionId, Surface
from handlers.slack.answers import answer


class BadValue(DomainError):
    def user_message(self) -> str:
        return "That button is out of date; open the case with /case show."


def case_ref(body: dict[str, Any]) -> int:
    """The case a button belongs to, from its small JSON value (see `blocks.case_value`)."""
    try:
        value = json.loads(body["actions"][0]["value"])
        case_id = int(value["case"])
    except (KeyError, IndexError, TypeError, ValueError):
        raise BadValue() from None
    return case_id


def register(app: App, deps: Deps) -> None:
    @app.action(ActionId.CLAIM.value)
    def on_claim(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()

        def work() -> None:
            case_id = case_ref(body)
            with deps.db.session() as session:
                cases.claim(
                    session,
                    case_id,
                    actor=body["user"]["id"],
                    surface=Surface.BUTTON,
                    now=deps.clock.now(),
                )

        answer(respond, work)
