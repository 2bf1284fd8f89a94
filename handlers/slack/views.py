"""Modal submissions: read the inputs, call the core, or answer with inline errors.

Validation errors go back in the `ack` (`response_action: errors`) so the modal stays
open with the message under the field; a successful change closes it and shows up
on the card and in its thread through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot import cases, escalation, replies
from bot.deps import Deps
from bot.events import DomainError
from bot.ids import Surface
from bot.sla import snooze
from bot.slack.refusals import refusal
from bot.slack.views import ViewId, read_case_value, read_no_reply_reason
from handlers.slack.answers import failure_text

SURFACE = Surface.MODAL


def _inputs(view: dict[str, Any]) -> dict[str, str | None]:
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


def register(app: App, deps: Deps) -> None:
    now = deps.time.now

    def on_submit(
        callback: ViewId,
        error_block: ViewId,
        change: Callable[[Any, int, str, dict[str, Any]], None],
    ) -> None:
        @app.view(callback.value)
        def handler(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
            case_id = read_case_value(view.get("private_metadata", ""))
            if case_id is None:
                ack(
                    response_action="errors",
                    errors={error_block.value: "This form is out of date."},
                )
                return
            try:
                with deps.db.session() as session:
                    change(session, case_id, body["user"]["id"], _inputs(view))
            except DomainError as exc:
                ack(response_action="errors", errors={error_block.value: refusal(exc)})
                return
            except Exception as exc:
                # The modal stays open with the form as typed, so nothing is lost to a retry.
                ack(response_action="errors", errors={error_block.value: failure_text(exc)})
                return
            ack()

    def escalate(s: Any, case_id: int, user: str, got: dict[str, Any]) -> None:
        department, person = got.get(ViewId.ESCALATE_DEPARTMENT), got.get(ViewId.ESCALATE_USER)
        escalation.escalate(
            s,
            case_id,
            department=department,
            user=person,
            reason=got.get(ViewId.ESCALATE_REASON) or "",
            actor=user,
            surface=SURFACE,
            now=now(),
            config=deps.config,
        )

    def reply(s: Any, case_id: int, user: str, got: dict[str, Any]) -> None:
        replies.request(
            s,
            case_id,
            text=got.get(ViewId.REPLY_TEXT) or "",
            actor=user,
            surface=SURFACE,
            now=now(),
            config=deps.config,
        )

    def resolve(s: Any, case_id: int, user: str, got: dict[str, Any]) -> None:
        cases.resolve(
            s,
            case_id,
            root_cause=got.get(ViewId.RESOLVE_TAG),
            note=got.get(ViewId.RESOLVE_NOTE) or "",
            reason=read_no_reply_reason(got.get(ViewId.RESOLVE_ANSWERED)),
            actor=user,
            surface=SURFACE,
            now=now(),
            config=deps.config,
        )

    def snooze_for(s: Any, case_id: int, user: str, got: dict[str, Any]) -> None:
        snooze.snooze(
            s,
            case_id,
            minutes=_minutes(got.get(ViewId.SNOOZE_MINUTES)),
            reason=got.get(ViewId.SNOOZE_REASON) or "",
            actor=user,
            surface=SURFACE,
            now=now(),
        )

    on_submit(ViewId.ESCALATE_MODAL, ViewId.ESCALATE_REASON, escalate)
    on_submit(ViewId.REPLY_MODAL, ViewId.REPLY_TEXT, reply)
    on_submit(ViewId.RESOLVE_MODAL, ViewId.RESOLVE_NOTE, resolve)
    on_submit(ViewId.SNOOZE_MODAL, ViewId.SNOOZE_MINUTES, snooze_for)
