"""Case lists: `/case list` pages and the App Home tab, one line and one button a case."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from bot.reading import CasePage, CaseSummary, HomeContent, ListQuery, ListScope
from bot.slack.blocks import PRIORITY_MARK, clip, escape
from bot.slack.ids import CASE_LIST_PAGES_BLOCK, ActionId, case_value, list_page_value
from bot.slack.kit import (
    MESSAGE_BLOCK_LIMIT,
    OPTION_TEXT_LIMIT,
    VIEW_BLOCK_LIMIT,
    Block,
    View,
    context,
    mrkdwn_section,
    plain,
)
from bot.state import Action, CaseState, available_actions
from bot.words import count

LIST_PAGE_SIZE = 20
"""Cases per `/case list` page: header, cases, footer and buttons stay under 50 blocks."""
HOME_GROUP_SIZE = 25
"""Cases per App Home section: three groups plus headings stay under 100 blocks."""
EXCERPT_CHARS = 150


def _case_line(case: CaseSummary, *, excerpt: bool = True) -> str:
    """One compact mrkdwn line per case; each untrusted part is escaped and bounded."""
    mark = PRIORITY_MARK.get(case.priority, "")
    owner = f"<@{escape(case.owner_id)}>" if case.owner_id else "unclaimed"
    parts = [
        f"*{escape(clip(case.ref, 30))}* {mark} {escape(clip(case.priority, 20))}",
        escape(clip(case.department_name or case.department, 80)),
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
            "text": plain("Claim", OPTION_TEXT_LIMIT),
            "style": "primary",
            "value": case_value(case.case_id),
        }
    button: dict[str, Any] = {
        "type": "button",
        "action_id": ActionId.CASE_OPEN.value,
        "text": plain("Open", OPTION_TEXT_LIMIT),
        "value": case_value(case.case_id),
    }
    if case.url and case.url.startswith("https://") and len(case.url) <= 3000:
        button["url"] = case.url
    return button


def case_section(case: CaseSummary, *, excerpt: bool = True) -> Block:
    line = _case_line(case, excerpt=excerpt)
    return {**mrkdwn_section(line), "accessory": _case_button(case)}


def _group(
    title: str, cases: Sequence[CaseSummary], limit: int, more_command: str, empty: str
) -> list[Block]:
    blocks: list[Block] = [{"type": "header", "text": plain(title, 150)}]
    blocks += [case_section(c) for c in cases[:limit]]
    if not cases:
        blocks.append(context(empty))
    elif len(cases) > limit:
        blocks.append(context(f"and {len(cases) - limit} more — `{more_command}`"))
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
        "text": plain(label, OPTION_TEXT_LIMIT),
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
    blocks: list[Block] = [mrkdwn_section(summary)]
    blocks += [case_section(c) for c in page.cases[:LIST_PAGE_SIZE]]
    if not page.cases:
        blocks.append(context("No cases here."))
    buttons = []
    if query.page > 1:
        target = min(query.page - 1, pages)
        buttons.append(_page_button("◀ Previous", ActionId.CASE_LIST_PREV, query, target))
    if query.page < pages:
        buttons.append(_page_button("Next ▶", ActionId.CASE_LIST_NEXT, query, query.page + 1))
    if buttons:
        blocks.append({"type": "actions", "block_id": CASE_LIST_PAGES_BLOCK, "elements": buttons})
    return clip(f"{title}: {count(page.total, 'case')}", 300), blocks[:MESSAGE_BLOCK_LIMIT]
