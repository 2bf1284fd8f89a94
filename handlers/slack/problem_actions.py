"""The problem card's buttons and modals: Claim problem, Reply to all…, Resolve all….

Same shape as the case card's (`actions`, `views`): parse the small value, ack, call
the core, answer privately; a refusal in a modal stays in the modal under its field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.events import DomainError
from bot.ids import Surface
from bot.problems import actions
from bot.problems.ids import ProblemAction, ProblemView, format_problem_id
from bot.problems.view import problem_view
from bot.slack.problem_card import read_problem_value, reply_modal, resolve_modal
from bot.words import count
from handlers.slack.actions import BadValue, _value, responder
from handlers.slack.answers import answer, failure_text
from handlers.slack.problem_commands import reply_answer
from handlers.slack.views import _inputs


def _problem_ref(body: dict[str, Any]) -> int:
    problem_id = read_problem_value(_value(body))
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


def register(app: App, deps: Deps) -> None:
    now = deps.time.now

    @app.action(ProblemAction.CLAIM.value)
    def claim_clicked(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()

        def work() -> str:
            pid = _problem_ref(body)
            with deps.db.session() as s:
                actions.claim(s, pid, actor=body["user"]["id"], surface=Surface.BUTTON, now=now())
            return f"You own {format_problem_id(pid)} now; its cases' reminders come to you."

        answer(responder(body, respond, client), work)

    def open_modal(action: ProblemAction, build: Callable[[int], dict[str, Any]]) -> None:
        @app.action(action.value)
        def modal_clicked(
            ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
        ) -> None:
            ack()

            def work() -> None:
                client.views_open(trigger_id=body["trigger_id"], view=build(_problem_ref(body)))

            answer(responder(body, respond, client), work)

    def reply_view(pid: int) -> dict[str, Any]:
        with deps.db.read() as s:
            view = problem_view(s, pid, deps.config)
        return reply_modal(pid, view.ref, view.open_count)

    open_modal(ProblemAction.REPLY, reply_view)
    open_modal(
        ProblemAction.RESOLVE,
        lambda pid: resolve_modal(pid, format_problem_id(pid), deps.config.root_causes),
    )

    def on_submit(
        callback: ProblemView,
        error_block: ProblemView,
        change: Callable[[Any, int, str, dict[str, Any]], str],
    ) -> None:
        @app.view(callback.value)
        def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
            pid = read_problem_value(view.get("private_metadata", ""))
            if pid is None:
                ack(
                    response_action="errors",
                    errors={error_block.value: "This form is out of date."},
                )
                return
            try:
                with deps.db.session() as s:
                    said = change(s, pid, body["user"]["id"], _inputs(view))
            except DomainError as exc:
                ack(response_action="errors", errors={error_block.value: exc.user_message()})
                return
            except Exception as exc:
                ack(response_action="errors", errors={error_block.value: failure_text(exc)})
                return
            ack(response_action="update", view=_done(format_problem_id(pid), said))

    def reply(s: Any, pid: int, user: str, got: dict[str, Any]) -> str:
        done = actions.reply_all(
            s,
            pid,
            text=got.get(ProblemView.TEXT) or "",
            actor=user,
            surface=Surface.MODAL,
            now=now(),
            config=deps.config,
        )
        return reply_answer(pid, done)

    def resolve(s: Any, pid: int, user: str, got: dict[str, Any]) -> str:
        n = actions.resolve_all(
            s,
            pid,
            root_cause=got.get(ProblemView.TAG),
            note=got.get(ProblemView.NOTE) or "",
            actor=user,
            surface=Surface.MODAL,
            now=now(),
            config=deps.config,
        )
        return f"{format_problem_id(pid)} resolved: {count(n, 'case')} closed."

    on_submit(ProblemView.REPLY, ProblemView.TEXT, reply)
    on_submit(
        ProblemView.RESOLVE,
        ProblemView.TAG if deps.config.root_causes else ProblemView.NOTE,
        resolve,
    )
