"""The problem card and its modals, as Block Kit: pure rendering of `ProblemCardView`.

One card per problem, edited in place: how many cases and from where, when it started
and was last seen, a few masked texts, the linked cases (linked to their cards), who
owns it, and the buttons that act on all its cases at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.problems.view import ProblemCardView
from bot.slack.blocks import Block, Blocks, clip, escape, quote, slack_time
from bot.slack.ids import ActionId, CallbackId, InputId, problem_value
from bot.state import CaseStatus
from bot.words import count

SAMPLE_CHARS = 280
View = dict[str, Any]


def _button(label: str, action: ActionId, problem_id: int, style: str | None = None) -> Block:
    out: Block = {
        "type": "button",
        "action_id": action.value,
        "text": {"type": "plain_text", "text": label},
        "value": problem_value(problem_id),
    }
    if style:
        out["style"] = style
    return out


def _status(view: ProblemCardView) -> str:
    owner = f"owner <@{view.owner_id}>" if view.owner_id else "nobody owns it yet"
    if view.status == "resolved":
        cause = f" ({escape(view.root_cause)})" if view.root_cause else ""
        return f"✅ Resolved{cause} · {owner}"
    return f"🧩 {count(view.open_count, 'open case')} · {owner}"


def _case_refs(view: ProblemCardView, links: Mapping[int, str]) -> str:
    refs = []
    for case in view.cases:
        ref = f"<{links[case.case_id]}|{case.ref}>" if case.case_id in links else case.ref
        refs.append(f"~{ref}~" if case.status == CaseStatus.RESOLVED else ref)
    hidden = view.count - len(view.cases)
    return ", ".join(refs) + (f" and {hidden} earlier" if hidden > 0 else "")


def problem_card(view: ProblemCardView, links: Mapping[int, str]) -> tuple[str, Blocks]:
    """Fallback text and blocks; `links` are permalinks of the linked cases' cards."""
    title = f"{view.ref}: {count(view.count, 'customer')} report the same problem"
    sources = ", ".join(f"{escape(s)} {n}" for s, n in view.sources)
    context = [
        _status(view),
        f"Sources: {sources}",
        f"First seen {slack_time(view.first_seen)} · last {slack_time(view.last_seen)}",
    ]
    if view.answered_at:
        context.append(f"Answered all {slack_time(view.answered_at)}")
    samples = "\n".join(quote(clip(t, SAMPLE_CHARS), SAMPLE_CHARS + 40) for t in view.samples)
    blocks: Blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*🧩 {escape(title)}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(samples or "—", 3000)}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(c, 300)} for c in context],
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": clip("Cases: " + _case_refs(view, links), 3000)},
        },
    ]
    if view.status == "resolved" and view.note:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": clip(escape(view.note), 300)}],
            }
        )
    if view.status != "resolved":
        buttons = [
            _button("Reply to all…", ActionId.PROBLEM_REPLY, view.problem_id, "primary"),
            _button("Resolve all…", ActionId.PROBLEM_RESOLVE, view.problem_id),
        ]
        if view.owner_id is None:
            buttons.insert(0, _button("Claim problem", ActionId.PROBLEM_CLAIM, view.problem_id))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"problem_actions:{view.problem_id}",
                "elements": buttons,
            }
        )
    return title, blocks


def _plain(text: str, limit: int = 24) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit)}


def _modal(callback: CallbackId, title: str, submit: str, problem_id: int, blocks: Blocks) -> View:
    return {
        "type": "modal",
        "callback_id": callback.value,
        "title": _plain(title),
        "submit": _plain(submit),
        "close": _plain("Cancel"),
        "private_metadata": problem_value(problem_id),
        "blocks": blocks,
    }


def _input(block: InputId, label: str, element: dict[str, Any], *, optional: bool) -> Block:
    return {
        "type": "input",
        "block_id": block.value,
        "label": _plain(label, 2000),
        "optional": optional,
        "element": {**element, "action_id": block.value},
    }


def _text(placeholder: str) -> dict[str, Any]:
    return {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": 3000,
        "placeholder": _plain(placeholder, 150),
    }


def reply_modal(problem_id: int, ref: str, customers: int) -> View:
    hint = (
        f"One answer to the customer of each of {count(customers, 'open case')}, where they"
        " wrote. `{name}` becomes each customer's name; sources that need approval wait"
        " for a second person."
    )
    return _modal(
        CallbackId.PROBLEM_REPLY_MODAL,
        f"Reply to all {ref}",
        "Send",
        problem_id,
        [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(hint, 300)}]},
            _input(InputId.PROBLEM_TEXT, "Answer", _text("Hi {name}, …"), optional=False),
        ],
    )


def resolve_modal(problem_id: int, ref: str, tags: Sequence[str]) -> View:
    blocks: Blocks = []
    options = [{"text": _plain(t, 75), "value": t} for t in tags if 0 < len(t) <= 150]
    if options:
        select = {
            "type": "static_select",
            "placeholder": _plain("Root cause", 150),
            "options": options[:100],
        }
        blocks.append(_input(InputId.PROBLEM_TAG, "Root cause", select, optional=True))
    blocks.append(_input(InputId.PROBLEM_NOTE, "Note", _text("What fixed it?"), optional=True))
    return _modal(
        CallbackId.PROBLEM_RESOLVE_MODAL, f"Resolve all {ref}", "Resolve all", problem_id, blocks
    )
