"""Interactive payloads as Slack sends them: button clicks and modal submissions.

`tests.support.slackreq.SlackClientSim` signs and posts them; clicks are built by
`bot.demo.signed.block_action` (the one builder the demo and the benchmarks use too),
submissions here. A submission is built from the view Casebot actually opened (what the stand-in
recorded from `views.open`), so the test fills in the real form: the block ids,
action ids, element types and options come from the product, not from the test.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import TestResponse

from bot.demo.signed import TEAM, block_action, interactive_body, slack_user
from tests.support.slackreq import SlackClientSim

__all__ = ["block_action", "response_json", "send", "view_state", "view_submission"]


def send(sim: SlackClientSim, payload: dict[str, Any]) -> TestResponse:
    """Post an interactive payload, form-encoded and signed as Slack does."""
    return sim.post(interactive_body(payload))


def _element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """What Slack puts in `view.state.values` for one input element and its value."""
    kind = element["type"]
    if kind in ("static_select", "radio_buttons"):
        if value is None:
            return {"type": kind, "selected_option": None}
        offered = [o for o in element.get("options", []) if o["value"] == value]
        # A forged or stale value (not among the options) is sent as given.
        option = offered[0] if offered else {"text": {"type": "plain_text", "text": value}}
        return {"type": kind, "selected_option": {**option, "value": value}}
    if kind == "users_select":
        return {"type": kind, "selected_user": value}
    if kind == "plain_text_input":
        return {"type": kind, "value": value}
    raise AssertionError(f"no state shape for element type {kind!r}")


def view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`state.values` for every input block of `view`; unnamed inputs are left empty,
    and a name that is not an input of the view is a mistake in the test."""
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    unknown = set(values) - set(inputs)
    assert not unknown, f"not inputs of this view: {sorted(unknown)}"
    return {
        block_id: {element["action_id"]: _element_state(element, values.get(block_id))}
        for block_id, element in inputs.items()
    }


def view_submission(
    view: dict[str, Any],
    values: dict[str, Any],
    *,
    user: str,
    view_id: str = "V1",
    private_metadata: str | None = None,
) -> dict[str, Any]:
    """The payload of a click on the modal's submit button.

    `view` is the view as opened; `private_metadata` overrides what it carried (a stale
    or tampered form).
    """
    submitted = {
        "id": view_id,
        "team_id": "T1",
        "type": view["type"],
        "blocks": view["blocks"],
        "private_metadata": (
            view.get("private_metadata", "") if private_metadata is None else private_metadata
        ),
        "callback_id": view["callback_id"],
        "state": {"values": view_state(view, values)},
        "hash": "1700000000.abcdef",
        "title": view["title"],
        "clear_on_close": False,
        "notify_on_close": False,
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": "A1",
        "external_id": "",
        "app_installed_team_id": "T1",
        "bot_id": "B1",
    }
    return {
        "type": "view_submission",
        "team": TEAM,
        "user": slack_user(user),
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "trig.submit",
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def response_json(resp: TestResponse) -> Any:
    """The body Casebot answered a submission with (`{}`-ish or empty means: close)."""
    data = resp.get_data(as_text=True)
    return json.loads(data) if data else None
