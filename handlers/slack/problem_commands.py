"""`/case problem …`: call the core for a parsed problem command, answer privately.

The card and the case threads show the change to everyone, through the outbox.
"""

from __future__ import annotations

from bot.deps import Deps
from bot.ids import Surface, format_case_id
from bot.problems import actions
from bot.problems.ids import format_problem_id
from bot.problems.view import ProblemCardView, problem_view
from bot.slack.blocks import escape, quote, slack_time
from bot.words import count
from handlers.slack.problem_grammar import (
    ClaimProblem,
    LinkCase,
    ProblemCommand,
    ReplyAll,
    ResolveAll,
    ShowProblem,
    UnlinkCase,
)


def describe(view: ProblemCardView) -> str:
    """A problem as a private answer: what the card says, in text."""
    owner = f"<@{view.owner_id}>" if view.owner_id else "nobody"
    state = "resolved" + (f" ({escape(view.root_cause)})" if view.root_cause else "")
    lines = [
        f"*{view.ref}* — {count(view.count, 'case')}, {view.open_count} open"
        f" · {state if view.status == 'resolved' else 'open'} · owner {owner}",
        "Sources: " + ", ".join(f"{escape(s)} {n}" for s, n in view.sources),
        f"First seen {slack_time(view.first_seen)}, last {slack_time(view.last_seen)}",
        "Cases: " + ", ".join(c.ref for c in view.cases),
        *(quote(t, 300) for t in view.samples),
    ]
    return "\n".join(lines)


def run(deps: Deps, cmd: ProblemCommand, user: str, surface: Surface = Surface.COMMAND) -> str:
    now = deps.time.now()
    with deps.db.session() as s:
        match cmd:
            case ShowProblem(problem_id=pid):
                return describe(problem_view(s, pid, deps.config))
            case LinkCase(case_id=cid, problem_id=pid):
                actions.link(s, cid, pid, actor=user, surface=surface, now=now)
                return f"{format_case_id(cid)} is part of {format_problem_id(pid)} now."
            case UnlinkCase(case_id=cid):
                ref = actions.unlink(s, cid, actor=user, surface=surface, now=now)
                return f"{format_case_id(cid)} is no longer part of {ref}."
            case ClaimProblem(problem_id=pid):
                actions.claim(s, pid, actor=user, surface=surface, now=now)
                return f"You own {format_problem_id(pid)} now; its cases' reminders come to you."
            case ReplyAll(problem_id=pid, text=text):
                done = actions.reply_all(
                    s, pid, text=text, actor=user, surface=surface, now=now, config=deps.config
                )
                return reply_answer(pid, done)
            case ResolveAll(problem_id=pid, tag=tag, note=note):
                n = actions.resolve_all(
                    s,
                    pid,
                    root_cause=tag,
                    note=note,
                    actor=user,
                    surface=surface,
                    now=now,
                    config=deps.config,
                )
                return f"{format_problem_id(pid)} resolved: {count(n, 'case')} closed."
    raise AssertionError(f"unhandled problem command {cmd!r}")


def reply_answer(problem_id: int, done: actions.Answered) -> str:
    parts = [f"Replying to {count(done.queued, 'customer')} of {format_problem_id(problem_id)}"]
    if done.waiting_approval:
        parts.append(
            f"{count(done.waiting_approval, 'reply', 'replies')} wait for a second person's OK"
        )
    if done.no_connector:
        shown = ", ".join(done.no_connector[:10])
        parts.append(f"no reply connector for {shown}: answer those where they wrote")
    return "; ".join(parts) + "."
