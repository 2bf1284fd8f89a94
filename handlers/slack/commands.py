"""The slash command: parse, ack, call the core, answer.

Answers are ephemeral; public changes show up on the card and in its thread through
the outbox, so the channel sees them whoever made them and from wherever.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import cases, escalation, merges, replies, summary
from bot.deps import Deps
from bot.events import Refused
from bot.ids import Surface, format_case_id
from bot.oncall import roster
from bot.reading import ListQuery
from bot.slack import blocks, oncall_text
from bot.slack import summary as summary_text
from bot.slack.blocks import escape
from bot.slack.people import People
from handlers.slack import actions, grammar, pages, problem_commands
from handlers.slack.answers import answer
from handlers.slack.grammar import (
    Assign,
    Claim,
    Command,
    Escalate,
    Help,
    ListCases,
    Merge,
    Note,
    Oncall,
    OncallOverride,
    Reopen,
    Reply,
    Resolve,
    Reveal,
    Show,
    Summary,
    Unclaim,
    Wait,
)
from handlers.slack.problem_grammar import ProblemCommand

SURFACE = Surface.COMMAND


def department_of(deps: Deps, key: str | None, channel_id: str | None) -> str | None:
    """A department named by key or by its channel (`#billing`); None when neither."""
    if channel_id:
        for dept_key, dept in deps.config.departments.items():
            if dept.channel == channel_id:
                return dept_key
        raise Refused(f"<#{channel_id}> is not a department channel.")
    return key


def run(deps: Deps, cmd: Command, user: str, people: People | None = None) -> str | None:
    """Carry out one parsed command; returns the private answer. `people` checks that
    whoever a command gives a case or a shift to is a person of the workspace."""
    if people is not None:
        for person in _people_named(cmd):
            people.require_person(person)
    if isinstance(cmd, ProblemCommand):
        return problem_commands.run(deps, cmd, user)
    slash = deps.config.slash_command
    now = deps.time.now()
    common: dict[str, Any] = {"actor": user, "surface": SURFACE, "now": now}
    with deps.db.session() as s:
        match cmd:
            case Help(topic=topic):
                return grammar.usage(slash, topic)
            case Claim(case_id=cid):
                cases.claim(s, cid, **common)
                return f"You own {format_case_id(cid)} now."
            case Unclaim(case_id=cid):
                cases.unclaim(s, cid, **common)
                return f"{format_case_id(cid)} is back in the queue."
            case Assign(case_id=cid, user_id=to):
                cases.assign(s, cid, to=to, config=deps.config, **common)
                return f"{format_case_id(cid)} is now <@{to}>'s."
            case Escalate(case_id=cid, department=key, channel_id=ch, user_id=to, reason=why):
                dept = department_of(deps, key, ch)
                escalation.escalate(
                    s, cid, department=dept, user=to, reason=why, config=deps.config, **common
                )
                where = escape(deps.config.departments[dept].name) if dept else f"<@{to}>"
                return f"{format_case_id(cid)} escalated to {where}."
            case Resolve(case_id=cid, tag=tag, note=text, reason=reason):
                cases.resolve(
                    s, cid, root_cause=tag, note=text, reason=reason, config=deps.config, **common
                )
                return f"{format_case_id(cid)} resolved."
            case Reopen(case_id=cid):
                cases.reopen(s, cid, config=deps.config, **common)
                return f"{format_case_id(cid)} is open again."
            case Wait(case_id=cid):
                cases.wait_on_customer(s, cid, **common)
                return f"{format_case_id(cid)} waits on the customer; its clocks are paused."
            case Reveal(case_id=cid):
                text, _ = cases.reveal(s, cid, **common)
                return actions.revealed(cid, text)
            case Merge(case_id=cid, into_id=into):
                merges.merge(s, cid, into, config=deps.config, **common)
                return f"{format_case_id(cid)} is merged into {format_case_id(into)}."
            case Note(case_id=cid, text=text):
                cases.note(s, cid, text=text, **common)
                return f"Note added to {format_case_id(cid)} (internal only)."
            case Oncall(department=key, channel_id=ch):
                dept = department_of(deps, key, ch)
                keys = [dept] if dept else list(deps.config.departments)
                return "\n".join(oncall_text.line(roster.who(s, deps.config, k, now)) for k in keys)
            case OncallOverride(department=key, channel_id=ch, user_id=who, duration=span):
                dept = department_of(deps, key, ch) or ""
                until = roster.override(
                    s, deps.config, department=dept, user=who, duration=span, **common
                )
                return (
                    f"<@{who}> is on call for {escape(deps.config.departments[dept].name)}"
                    f" until {blocks.slack_time(until)}."
                )
            case Summary(period=period, department=key, channel_id=ch):
                dept = department_of(deps, key, ch)
                with deps.db.read() as reading:
                    numbers = summary.summarize(
                        reading,
                        period=period,
                        department=dept,
                        actor=user,
                        config=deps.config,
                        now=now,
                    )
                return summary_text.render(numbers, deps.config)
            case Reply(case_id=cid, text=text):
                [event] = replies.request(s, cid, text=text, config=deps.config, **common)
                if getattr(event, "needs_approval", False):
                    return f"Your reply on {format_case_id(cid)} waits for a second person's OK."
                return f"Replying to the customer on {format_case_id(cid)}."
    return None


def _people_named(cmd: Command) -> list[str]:
    match cmd:
        case Assign(user_id=to) | OncallOverride(user_id=to):
            return [to]
        case Escalate(user_id=to) if to:
            return [to]
    return []


def register(app: App, deps: Deps, people: People | None = None) -> None:
    slash = deps.config.slash_command
    tags = tuple(deps.config.root_causes)

    @app.command(slash)
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        user = command["user_id"]

        try:
            cmd = grammar.parse(command.get("text", ""), slash, known_tags=tags)
        except grammar.UsageError as exc:
            message = str(exc)
            answer(respond, lambda: message)
            return
        match cmd:
            case ListCases(scope=scope, department=key, channel_id=ch, page=page):
                pages.respond_with_blocks(
                    respond,
                    lambda: pages.list_answer(
                        deps, user, ListQuery(scope, department_of(deps, key, ch), page)
                    ),
                    replace_original=False,
                )
            case Show(case_id=cid):
                pages.respond_with_blocks(
                    respond, lambda: pages.show_answer(deps, cid), replace_original=False
                )
            case _:
                answer(respond, lambda: run(deps, cmd, user, people))
