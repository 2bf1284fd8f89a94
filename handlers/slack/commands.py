"""The slash command: parse, ack, call the core, answer ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import cases
from bot.deps import Deps
from bot.ids import Surface, format_case_id
from handlers.slack import grammar
from handlers.slack.answers import answer


def register(app: App, deps: Deps) -> None:
    slash = deps.config.slash_command

    def run(cmd: grammar.Command, user: str) -> str:
        assert cmd.case_id is not None
        ref = format_case_id(cmd.case_id)
        with deps.db.session() as session:
            if cmd.verb == "claim":
                cases.claim(
                    session, cmd.case_id, actor=user, surface=Surface.COMMAND, now=deps.clock.now()
                )
                return f"You own {ref} now."
            cases.unclaim(
                session, cmd.case_id, actor=user, surface=Surface.COMMAND, now=deps.clock.now()
            )
            return f"{ref} is back in the queue."

    @app.command(slash)
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        user = command["user_id"]

        def work() -> str:
            try:
                cmd = grammar.parse(command.get("text", ""), slash)
            except grammar.UsageError as exc:
                return str(exc)
            if cmd.verb == "help":
                return grammar.usage(slash)
            return run(cmd, user)

        answer(respond, work)
