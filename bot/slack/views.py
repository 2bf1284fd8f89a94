"""Pure Block Kit for modals, App Home, case lists and `/case show`.

Everything untrusted goes through `escape` and `clip` from `bot.slack.blocks`, and
every renderer stays inside Slack's limits by construction (block counts, text
lengths, option counts), so a queue of 500 cases or a hostile post cannot make a
`views.publish` or `chat.postMessage` fail.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.answered import Answered
from bot.reading import (
    CaseDetail,
    CasePage,
    CaseSummary,
    HomeContent,
    LinePart,
    ListQuery,
    ListScope,
    Person,
    SnoozeChoice,
    TimelineEntry,
)
from bot.sla.snooze import ALLOWED_MINUTES as SNOOZE_MINUTES
from bot.slack.blocks import PRIORITY_MARK, SECTION_TEXT_LIMIT, clip, escape, quote
from bot.slack.ids import (
    CASE_LIST_PAGES_BLOCK,
    ActionId,
    CallbackId,
    InputId,
    case_value,
    list_page_value,
    snooze_block,
    snooze_value,
)
from bot.state import Action, CaseState, available_actions
from bot.words import count

Block = dict[str, Any]
View = dict[str, Any]

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
TITLE_LIMIT = 24
OPTION_LIMIT = 100
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
INPUT_LIMIT = 3000

LIST_PAGE_SIZE = 20
"""Cases per `/case list` page: header, cases, footer and buttons stay under 50 blocks."""
HOME_GROUP_SIZE = 25
"""Cases per App Home section: three groups plus headings stay under 100 blocks."""
TIMELINE_CHARS = 3 * SECTION_TEXT_LIMIT
"""Newest timeline lines that `/case show` prints; older ones are counted, not shown."""
TIMELINE_LINE_CHARS = 300
EXCERPT_CHARS = 150


def _plain(text: str, limit: int = TITLE_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def _mrkdwn_section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_TEXT_LIMIT)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _plain(label, OPTION_TEXT_LIMIT), "value": value}


def _modal(
    callback_id: CallbackId, title: str, submit: str, case_id: int, blocks: list[Block]
) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id.value,
        "title": _plain(title),
        "submit": _plain(submit),
        "close": _plain("Cancel"),
        "private_metadata": case_value(case_id),
        "blocks": blocks[:VIEW_BLOCK_LIMIT],
    }


def _input(block: InputId, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block.value,
        "label": _plain(label, 2000),
        "optional": optional,
        "element": {**element, "action_id": block.value},
    }


def _text_input(placeholder: str, max_length: int = INPUT_LIMIT) -> dict[str, Any]:
    return {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": max(1, min(max_length, INPUT_LIMIT)),
        "placeholder": _plain(placeholder, 150),
    }


def escalate_modal(
    case_id: int, ref: str, departments: Sequence[tuple[str, str]], current: str | None
) -> View:
    """Pick a department (key, name), a person, or both; the handler checks one is given."""
    options = [_option(name, key) for key, name in departments if key != current]
    blocks: list[Block] = []
    if options:
        select = {
            "type": "static_select",
            "placeholder": _plain("Department", 150),
            "options": options[:OPTION_LIMIT],
        }
        blocks.append(_input(InputId.ESCALATE_DEPARTMENT, "Department", select, optional=True))
    person = {"type": "users_select", "placeholder": _plain("Someone in particular", 150)}
    blocks.append(_input(InputId.ESCALATE_USER, "Person", person, optional=True))
    blocks.append(
        _input(
            InputId.ESCALATE_REASON,
            "Reason",
            _text_input("What do they need to know?"),
            optional=True,
        )
    )
    blocks.append(_context("The case keeps its history and its SLA clock."))
    return _modal(CallbackId.ESCALATE_MODAL, f"Escalate {ref}", "Escalate", case_id, blocks)


def reply_modal(
    case_id: int,
    ref: str,
    *,
    customer: str,
    customer_text: str,
    source: str,
    needs_approval: bool,
    max_length: int = INPUT_LIMIT,
) -> View:
    """Answer the customer; shows what they wrote so the reply is made in context."""
    blocks: list[Block] = [
        _mrkdwn_section(f"*{escape(clip(customer, 200))}* wrote on {escape(clip(source, 50))}:"),
        _mrkdwn_section(quote(customer_text)),
        _input(
            InputId.REPLY_TEXT, "Your reply", _text_input("Visible to the customer", max_length)
        ),
    ]
    note = "This goes to the customer, publicly if the source is public."
    if needs_approval:
        note += " This source needs a second person's approval before anything is sent."
    blocks.append(_context(note))
    return _modal(CallbackId.REPLY_MODAL, f"Reply on {ref}", "Send", case_id, blocks)


NO_REPLY_CHOICES = (
    (Answered.ELSEWHERE, "Answered elsewhere", "by phone, in person or on another channel"),
    (Answered.NOT_NEEDED, "No reply needed", "spam, a duplicate, a thank-you"),
)


def _no_reply_choice() -> Block:
    """Asked only while the case has had no reply: an unanswered customer is not an
    answered one, so the resolver says why none is owed (see `bot.answered`)."""
    options = [
        {**_option(label, reason.value), "description": _plain(hint, OPTION_TEXT_LIMIT)}
        for reason, label, hint in NO_REPLY_CHOICES
    ]
    block = _input(
        InputId.RESOLVE_ANSWERED,
        "No reply was sent. Was the customer answered?",
        {"type": "radio_buttons", "options": options},
        optional=True,
    )
    return {**block, "hint": _plain("Neither: it counts as unanswered in the SLA report.", 150)}


def read_no_reply_reason(value: str | None) -> Answered | None:
    """The choice made in the resolve modal, else None (anything else is not offered)."""
    return next((r for r, _, _ in NO_REPLY_CHOICES if r.value == value), None)


def resolve_modal(case_id: int, ref: str, tags: Sequence[str], *, answered: bool = True) -> View:
    """Close with an optional root-cause tag (the config's list) and note; a case
    nobody has answered also asks whether it was answered elsewhere or needs no reply."""
    options = [_option(tag, tag) for tag in tags if 0 < len(tag) <= OPTION_VALUE_LIMIT]
    blocks: list[Block] = [] if answered else [_no_reply_choice()]
    if options:
        select = {
            "type": "static_select",
            "placeholder": _plain("Root cause", 150),
            "options": options[:OPTION_LIMIT],
        }
        blocks.append(_input(InputId.RESOLVE_TAG, "Root cause", select, optional=True))
    blocks.append(
        _input(InputId.RESOLVE_NOTE, "Note", _text_input("What fixed it?"), optional=True)
    )
    return _modal(CallbackId.RESOLVE_MODAL, f"Resolve {ref}", "Resolve", case_id, blocks)


def _snooze_label(minutes: int) -> str:
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h"


def snooze_actions(case_id: int) -> Block:
    """For a reminder DM: snooze in one pick, or open a modal to add a reason."""
    options = [
        _option(_snooze_label(m), snooze_value(SnoozeChoice(case_id, m))) for m in SNOOZE_MINUTES
    ]
    return {
        "type": "actions",
        "block_id": snooze_block(case_id),
        "elements": [
            {
                "type": "static_select",
                "action_id": ActionId.SNOOZE_CHOICE.value,
                "placeholder": _plain("Snooze…", 150),
                "options": options,
            },
            {
                "type": "button",
                "action_id": ActionId.SNOOZE_WITH_REASON.value,
                "text": _plain("Snooze with reason…", OPTION_TEXT_LIMIT),
                "value": case_value(case_id),
            },
        ],
    }


def snooze_modal(case_id: int, ref: str) -> View:
    """Option values are the bare minutes; the case travels in `private_metadata`."""
    select = {
        "type": "static_select",
        "initial_option": _option(_snooze_label(SNOOZE_MINUTES[0]), str(SNOOZE_MINUTES[0])),
        "options": [_option(_snooze_label(m), str(m)) for m in SNOOZE_MINUTES],
    }
    blocks = [
        _input(InputId.SNOOZE_MINUTES, "Remind me again in", select),
        _input(InputId.SNOOZE_REASON, "Reason", _text_input("Why wait?", 500), optional=True),
    ]
    return _modal(CallbackId.SNOOZE_MODAL, f"Snooze {ref}", "Snooze", case_id, blocks)


def _case_line(case: CaseSummary, *, excerpt: bool = True) -> str:
    """One compact mrkdwn line per case; each untrusted part is escaped and bounded."""
    mark = PRIORITY_MARK.get(case.priority, "")
    owner = f"<@{escape(case.owner_id)}>" if case.owner_id else "unclaimed"
    parts = [
        f"*{escape(clip(case.ref, 30))}* {mark} {escape(clip(case.priority, 20))}",
        escape(clip(case.department, 80)),
        escape(clip(case.customer, 80)),
        owner,
    ]
    if case.sla_text:
        parts.append(f"⏱ {escape(clip(case.sla_text, 100))}")
    line = " · ".join(parts)
    short = clip(escape(" ".join(case.excerpt.split())), EXCERPT_CHARS) if excerpt else ""
    return f"{line}\n> {short}" if short else line


def _case_button(case: CaseSummary) -> dict[str, Any]:
    """Claim while the case offers it (`bot.state`), else Open (a link to the card when
    there is one)."""
    if Action.CLAIM in available_actions(CaseState(case.status, case.owner_id)):
        return {
            "type": "button",
            "action_id": ActionId.CLAIM.value,
            "text": _plain("Claim", OPTION_TEXT_LIMIT),
            "style": "primary",
            "value": case_value(case.case_id),
        }
    button: dict[str, Any] = {
        "type": "button",
        "action_id": ActionId.CASE_OPEN.value,
        "text": _plain("Open", OPTION_TEXT_LIMIT),
        "value": case_value(case.case_id),
    }
    if case.url and case.url.startswith("https://") and len(case.url) <= 3000:
        button["url"] = case.url
    return button


def _case_section(case: CaseSummary, *, excerpt: bool = True) -> Block:
    line = _case_line(case, excerpt=excerpt)
    return {**_mrkdwn_section(line), "accessory": _case_button(case)}


def _group(
    title: str, cases: Sequence[CaseSummary], limit: int, more_command: str, empty: str
) -> list[Block]:
    blocks: list[Block] = [{"type": "header", "text": _plain(title, 150)}]
    blocks += [_case_section(c) for c in cases[:limit]]
    if not cases:
        blocks.append(_context(empty))
    elif len(cases) > limit:
        blocks.append(_context(f"and {len(cases) - limit} more — `{more_command}`"))
    return blocks


def home_view(content: HomeContent, slash: str = "/case") -> View:
    """The App Home tab; each group is bounded so the view stays under 100 blocks."""
    queue_title = f"{content.queue_department_name} unclaimed queue"
    queue_command = f"{slash} list unclaimed"
    if content.queue_department:
        queue_command += f" {content.queue_department}"
    blocks = [
        *_group(
            "My open cases",
            content.mine,
            HOME_GROUP_SIZE,
            f"{slash} list mine",
            "Nothing on your plate.",
        ),
        {"type": "divider"},
        *_group(queue_title, content.queue, HOME_GROUP_SIZE, queue_command, "Queue is empty."),
        {"type": "divider"},
        *_group(
            "Breaching soon",
            content.breaching,
            HOME_GROUP_SIZE,
            f"{slash} list breaching",
            "Nothing close to its deadline.",
        ),
    ]
    return {"type": "home", "blocks": blocks[:VIEW_BLOCK_LIMIT]}


_SCOPE_TITLE = {
    ListScope.MINE: "My open cases",
    ListScope.OPEN: "Open cases",
    ListScope.UNCLAIMED: "Unclaimed cases",
    ListScope.BREACHING: "Breaching soon",
}


def _page_button(label: str, action: ActionId, query: ListQuery, page: int) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action.value,
        "text": _plain(label, OPTION_TEXT_LIMIT),
        "value": list_page_value(ListQuery(query.scope, query.department, page)),
    }


def case_list(page: CasePage) -> tuple[str, list[Block]]:
    """A list message (fallback text, blocks): at most `LIST_PAGE_SIZE` cases, prev/next."""
    query = page.query
    pages = max(1, math.ceil(page.total / LIST_PAGE_SIZE))
    title = _SCOPE_TITLE[query.scope]
    if query.department:
        title += f" · {escape(clip(query.department, 80))}"
    summary = f"*{title}* — {count(page.total, 'case')}"
    if pages > 1:
        summary += f", page {query.page} of {pages}"
    blocks: list[Block] = [_mrkdwn_section(summary)]
    blocks += [_case_section(c) for c in page.cases[:LIST_PAGE_SIZE]]
    if not page.cases:
        blocks.append(_context("No cases here."))
    buttons = []
    if query.page > 1:
        target = min(query.page - 1, pages)
        buttons.append(_page_button("◀ Previous", ActionId.CASE_LIST_PREV, query, target))
    if query.page < pages:
        buttons.append(_page_button("Next ▶", ActionId.CASE_LIST_NEXT, query, query.page + 1))
    if buttons:
        blocks.append({"type": "actions", "block_id": CASE_LIST_PAGES_BLOCK, "elements": buttons})
    return clip(f"{title}: {count(page.total, 'case')}", 300), blocks[:MESSAGE_BLOCK_LIMIT]


def _when(at: datetime) -> str:
    """Shown in each reader's own time zone by Slack; the fallback names UTC."""
    utc = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    return f"<!date^{int(utc.timestamp())}^{{date_short}} {{time}}|{utc:%Y-%m-%d %H:%M} UTC>"


def _line_text(parts: Sequence[LinePart], limit: int) -> str:
    """Text escaped and on one line, people as mentions (an ephemeral answer pings
    nobody); at most `limit` characters, never cutting a mention or an entity."""
    out: list[str] = []
    used = 0
    for part in parts:
        if isinstance(part, Person):
            piece = f"<@{escape(part.user_id)}>"
        else:
            piece = escape(re.sub(r"\s+", " ", part))
        if used + len(piece) > limit:
            room = limit - used
            out.append(clip(piece, room) if isinstance(part, str) and room > 1 else "…")
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).strip()


def _timeline_line(entry: TimelineEntry) -> str:
    by = f"<@{escape(entry.actor)}>" if entry.actor else "Casebot"
    return f"{_when(entry.at)} · {by} · {_line_text(entry.line, TIMELINE_LINE_CHARS)}"


def _timeline(entries: Sequence[TimelineEntry]) -> list[Block]:
    """The newest lines that fit, oldest of them first, packed into sections."""
    kept: list[str] = []
    used = 0
    for entry in reversed(entries):
        line = _timeline_line(entry)
        if used + len(line) + 1 > TIMELINE_CHARS:
            break
        kept.append(line)
        used += len(line) + 1
    kept.reverse()
    sections: list[Block] = []
    if len(kept) < len(entries):
        hidden = count(len(entries) - len(kept), "earlier entry", "earlier entries")
        sections.append(_context(f"{hidden} not shown"))
    chunk: list[str] = []
    size = 0
    for line in kept:
        if chunk and size + len(line) > SECTION_TEXT_LIMIT:
            sections.append(_mrkdwn_section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        sections.append(_mrkdwn_section("\n".join(chunk)))
    return sections


def case_detail(detail: CaseDetail) -> tuple[str, list[Block]]:
    """`/case show`: the case line, the whole post quoted, tags, then the timeline."""
    case = detail.summary
    blocks: list[Block] = [
        _case_section(case, excerpt=False),
        _mrkdwn_section(quote(detail.text)),
    ]
    facts = [f"Status: {escape(clip(case.status, 40))}"]
    if detail.tags:
        facts.append("Tags: " + ", ".join(escape(clip(t, 50)) for t in detail.tags[:20]))
    blocks.append(_context(" · ".join(facts)))
    if detail.status_url:
        link = f"<{detail.status_url}>"
        blocks.append(_context(f"🔗 Status page for the customer (give it only to them): {link}"))
    else:
        blocks.append(_context("🔗 No status page link: PUBLIC_URL is not set"))
    blocks.append({"type": "header", "text": _plain("Timeline", 150)})
    blocks += _timeline(detail.timeline) or [_context("No changes yet.")]
    fallback = clip(f"{case.ref}: {escape(' '.join(detail.text.split()))}", 300)
    return fallback, blocks[:MESSAGE_BLOCK_LIMIT]
