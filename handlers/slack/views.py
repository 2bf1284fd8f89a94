"""Modal submissions: read the inputs, call the core, or answer with inline errors.

Validation errors go back in the `ack` (`response_action: errors`) so the modal stays
open with the message under the field; a successful change closes it and shows up
on the card and in its thread through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, Args

from bot import cases, escalation, replies
from bot.deps import Deps
from bot.events import DomainError
from bot.ids import Surface
from bot.sla import snooze
from bot.slack.ids import CallbackId, InputId, read_case_value
from bot.slack.modals import read_no_reply_reason
from bot.slack.refusals import refusal
from handlers.slack.answers import deps_of, failure_text

SURFACE = Surface.MODAL


def modal_inputs(view: dict[str, Any]) -> dict[str, str | None]:
    """`{block_id: value}` for every input: text, selected option value or user; what is
    not text (a forged submission) reads as nothing entered."""
    out: dict[str, str | None] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for element in actions.values():
            if "selected_option" in element:
                option = element["selected_option"]
                value = option.get("value") if isinstance(option, dict) else None
            elif "selected_user" in element:
                value = element["selected_user"]
            else:
                value = element.get("value")
            out[block_id] = value if isinstance(value, str) else None
    return out


def _minutes(text: str | None) -> int:
    """A snooze length as typed into the select's value; 0 (refused by the core) if none."""
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 6 else 0


Change = Callable[[Deps, Any, int, dict[str, Any], dict[str, Any]], None]
"""(deps, session, case id, inputs, who/where/when) → the change the modal asks for."""


def _submit(args: Args, error_block: InputId, change: Change) -> None:
    """Errors go back under `error_block`, so the modal stays open as typed."""
    ack, body, view = args.ack, args.body, args.view or {}
    deps = deps_of(args.context)
    case_id = read_case_value(view.get("private_metadata", ""))
    if case_id is None:
        ack(response_action="errors", errors={error_block.value: "This form is out of date."})
        return
    try:
        with deps.db.session() as session:
            common = {"actor": body["user"]["id"], "surface": SURFACE, "now": deps.time.now()}
            change(deps, session, case_id, modal_inputs(view), common)
    except DomainError as exc:
        ack(response_action="errors", errors={error_block.value: refusal(exc)})
        return
    except Exception as exc:
        # The modal stays open with the form as typed, so nothing is lost to a retry.
        ack(response_action="errors", errors={error_block.value: failure_text(exc)})
        return
    ack()


def _escalate(
    deps: Deps, s: Any, case_id: int, got: dict[str, Any], common: dict[str, Any]
) -> None:
    escalation.escalate(
        s,
        case_id,
        department=got.get(InputId.ESCALATE_DEPARTMENT),
        user=got.get(InputId.ESCALATE_USER),
        reason=got.get(InputId.ESCALATE_REASON) or "",
        config=deps.config,
        **common,
    )


def _reply(deps: Deps, s: Any, case_id: int, got: dict[str, Any], common: dict[str, Any]) -> None:
    replies.request(
        s,
        case_id,
        text=got.get(InputId.REPLY_TEXT) or "",
        config=deps.config,
        **common,
    )


def _resolve(deps: Deps, s: Any, case_id: int, got: dict[str, Any], common: dict[str, Any]) -> None:
    cases.resolve(
        s,
        case_id,
        root_cause=got.get(InputId.RESOLVE_TAG),
        note=got.get(InputId.RESOLVE_NOTE) or "",
        reason=read_no_reply_reason(got.get(InputId.RESOLVE_ANSWERED)),
        config=deps.config,
        **common,
    )


def _snooze(deps: Deps, s: Any, case_id: int, got: dict[str, Any], common: dict[str, Any]) -> None:
    snooze.snooze(
        s,
        case_id,
        minutes=_minutes(got.get(InputId.SNOOZE_MINUTES)),
        reason=got.get(InputId.SNOOZE_REASON) or "",
        **common,
    )


def escalate_submitted(args: Args) -> None:
    _submit(args, InputId.ESCALATE_REASON, _escalate)


def reply_submitted(args: Args) -> None:
    _submit(args, InputId.REPLY_TEXT, _reply)


def resolve_submitted(args: Args) -> None:
    _submit(args, InputId.RESOLVE_NOTE, _resolve)


def snooze_submitted(args: Args) -> None:
    _submit(args, InputId.SNOOZE_MINUTES, _snooze)


def register(app: App) -> None:
    app.view(CallbackId.ESCALATE_MODAL)(escalate_submitted)
    app.view(CallbackId.REPLY_MODAL)(reply_submitted)
    app.view(CallbackId.RESOLVE_MODAL)(resolve_submitted)
    app.view(CallbackId.SNOOZE_MODAL)(snooze_submitted)
