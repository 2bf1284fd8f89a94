"""The problem card's buttons and modals: Claim problem, Reply to all…, Resolve all….

Same shape as the case card's (`actions`, `views`): parse the small value, ack, call
the core, answer privately; a refusal in a modal stays in the modal under its field.
Each listener is a plain function registered on one line in `register`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, Args

from bot.deps import Deps
from bot.events import DomainError
from bot.ids import Surface
from bot.problems import actions
from bot.problems.ids import format_problem_id
from bot.problems.view import problem_view
from bot.slack.ids import ActionId, CallbackId, InputId, read_problem_value
from bot.slack.problem_card import reply_modal, resolve_modal
from bot.slack.refusals import BadValue, refusal
from bot.words import count
from handlers.slack.actions import button_value, responder
from handlers.slack.answers import answer, deps_of, failure_text
from handlers.slack.problem_commands import reply_answer
from handlers.slack.views import modal_inputs

Change = Callable[[Deps, Any, int, str, dict[str, Any]], str]
"""(deps, session, problem id, who, inputs) → what the modal says once done."""


def _problem_ref(body: dict[str, Any]) -> int:
    problem_id = read_problem_value(button_value(body))
    if problem_id is None:
        raise BadValue()
    return problem_id


def _done(title: str, text: str) -> dict[str, Any]:
    """The modal, once submitted, says what happened (a close would say nothing)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }


def claim_clicked(args: Args) -> None:
    args.ack()
    deps, body = deps_of(args.context), args.body

    def work() -> str:
        pid = _problem_ref(body)
        with deps.db.session() as s:
            actions.claim(
                s, pid, actor=body["user"]["id"], surface=Surface.BUTTON, now=deps.time.now()
            )
        return f"You own {format_problem_id(pid)} now; its cases' reminders come to you."

    answer(responder(args), work)


def _open_modal(args: Args, build: Callable[[Deps, int], dict[str, Any]]) -> None:
    args.ack()
    deps, body = deps_of(args.context), args.body

    def work() -> None:
        args.client.views_open(trigger_id=body["trigger_id"], view=build(deps, _problem_ref(body)))

    answer(responder(args), work)


def _reply_view(deps: Deps, pid: int) -> dict[str, Any]:
    with deps.db.read() as s:
        view = problem_view(s, pid, deps.config)
    return reply_modal(pid, view.ref, view.open_count)


def reply_clicked(args: Args) -> None:
    _open_modal(args, _reply_view)


def resolve_clicked(args: Args) -> None:
    _open_modal(
        args, lambda d, pid: resolve_modal(pid, format_problem_id(pid), d.config.root_causes)
    )


def _submit(args: Args, error_block: InputId, change: Change) -> None:
    """Errors go back under `error_block`, so the modal stays open as typed."""
    ack, body, view = args.ack, args.body, args.view or {}
    deps = deps_of(args.context)
    pid = read_problem_value(view.get("private_metadata", ""))
    if pid is None:
        ack(response_action="errors", errors={error_block.value: "This form is out of date."})
        return
    try:
        with deps.db.session() as s:
            said = change(deps, s, pid, body["user"]["id"], modal_inputs(view))
    except DomainError as exc:
        ack(response_action="errors", errors={error_block.value: refusal(exc)})
        return
    except Exception as exc:
        ack(response_action="errors", errors={error_block.value: failure_text(exc)})
        return
    ack(response_action="update", view=_done(format_problem_id(pid), said))


def _reply(deps: Deps, s: Any, pid: int, user: str, got: dict[str, Any]) -> str:
    done = actions.reply_all(
        s,
        pid,
        text=got.get(InputId.PROBLEM_TEXT) or "",
        actor=user,
        surface=Surface.MODAL,
        now=deps.time.now(),
        config=deps.config,
    )
    return reply_answer(pid, done)


def _resolve(deps: Deps, s: Any, pid: int, user: str, got: dict[str, Any]) -> str:
    n = actions.resolve_all(
        s,
        pid,
        root_cause=got.get(InputId.PROBLEM_TAG),
        note=got.get(InputId.PROBLEM_NOTE) or "",
        actor=user,
        surface=Surface.MODAL,
        now=deps.time.now(),
        config=deps.config,
    )
    return f"{format_problem_id(pid)} resolved: {count(n, 'case')} closed."


def reply_submitted(args: Args) -> None:
    _submit(args, InputId.PROBLEM_TEXT, _reply)


def resolve_submitted(args: Args) -> None:
    tagged = bool(deps_of(args.context).config.root_causes)
    _submit(args, InputId.PROBLEM_TAG if tagged else InputId.PROBLEM_NOTE, _resolve)


def register(app: App) -> None:
    app.action(ActionId.PROBLEM_CLAIM)(claim_clicked)
    app.action(ActionId.PROBLEM_REPLY)(reply_clicked)
    app.action(ActionId.PROBLEM_RESOLVE)(resolve_clicked)
    app.view(CallbackId.PROBLEM_REPLY_MODAL)(reply_submitted)
    app.view(CallbackId.PROBLEM_RESOLVE_MODAL)(resolve_submitted)
